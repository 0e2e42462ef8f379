import django_filters
from django import forms
from django.db.models import Case, IntegerField, Q, Value, When
from django_filters.constants import EMPTY_VALUES
from django_filters.fields import ChoiceIteratorMixin

from .forms import IdChoiceField
from .models import Function, Role, RoleStatus, RoleType, SpatialLevel
from .selectors import BOARD_COLUMNS


class IdChoiceFilter(django_filters.ModelChoiceFilter):
    """A filter on one row whose id in the query string, however it is forged, never breaks the lookup."""

    class field_class(ChoiceIteratorMixin, IdChoiceField):  # noqa: N801 - django-filter's attribute name
        pass


class RoleOrdering(django_filters.OrderingFilter):
    """The list's sort choices: title (the default, offered once), and status in workflow order (the
    board's columns, proposed to withdrawn) rather than alphabetically; ties go by title."""

    def build_choices(self, fields, labels):
        return [choice for choice in super().build_choices(fields, labels) if choice[0] != "title"]

    def get_ordering_value(self, param):
        if param.lstrip("-") == "status":
            return param.replace("status", "workflow_position")
        return super().get_ordering_value(param)

    def filter(self, qs, value):
        if value in EMPTY_VALUES:
            return qs
        ordering = [self.get_ordering_value(param) for param in value]
        if any(o.lstrip("-") == "workflow_position" for o in ordering):
            qs = qs.annotate(
                workflow_position=Case(
                    *(When(status=status, then=Value(n)) for n, status in enumerate(BOARD_COLUMNS)),
                    output_field=IntegerField(),
                )
            )
        return qs.order_by(*ordering, "title", "pk")


class RoleFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search", max_length=200)
    status = django_filters.ChoiceFilter(choices=RoleStatus.choices, empty_label="Any status")
    role_type = django_filters.ChoiceFilter(choices=RoleType.choices, label="Type", empty_label="Any type")
    function = IdChoiceFilter(
        method="with_function", queryset=Function.objects.all(), label="Function", empty_label="Any function"
    )
    spatial_level = IdChoiceFilter(queryset=SpatialLevel.objects.all(), label="Spatial level", empty_label="Any level")
    sort = RoleOrdering(
        fields=(
            ("title", "title"),
            ("role_type", "type"),
            ("sessions_per_week", "sessions"),
            ("status", "status"),
            ("start_date", "start"),
            ("end_date", "end"),
        ),
        field_labels={
            "title": "Title",
            "role_type": "Type",
            "sessions_per_week": "Sessions",
            "status": "Status",
            "start_date": "Start date",
            "end_date": "End date",
        },
        label="Sort by",
        empty_label="Title",
    )

    class Meta:
        model = Role
        fields = []

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(title__icontains=value) | Q(description__icontains=value))

    def with_function(self, queryset, name, function):
        # The roles serving it, as a subquery: no join, so no role shows twice and no DISTINCT is needed.
        return queryset.filter(pk__in=Role.functions.through.objects.filter(function=function).values("role_id"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.form.fields.values():
            css = (
                "form-select form-select-sm"
                if isinstance(field.widget, forms.Select)
                else "form-control form-control-sm"
            )
            field.widget.attrs["class"] = css
