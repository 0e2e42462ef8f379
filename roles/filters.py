import django_filters
from django import forms
from django.db.models import Q
from django_filters.fields import ChoiceIteratorMixin

from .forms import IdChoiceField
from .models import Function, Role, RoleStatus, RoleType, SpatialLevel


class IdChoiceFilter(django_filters.ModelChoiceFilter):
    """A filter on one row whose id in the query string, however it is forged, never breaks the lookup."""

    class field_class(ChoiceIteratorMixin, IdChoiceField):  # noqa: N801 - django-filter's attribute name
        pass


class RoleFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search", max_length=200)
    status = django_filters.ChoiceFilter(choices=RoleStatus.choices, empty_label="Any status")
    role_type = django_filters.ChoiceFilter(choices=RoleType.choices, label="Type", empty_label="Any type")
    function = IdChoiceFilter(
        field_name="functions", queryset=Function.objects.all(), label="Function", empty_label="Any function"
    )
    spatial_level = IdChoiceFilter(queryset=SpatialLevel.objects.all(), label="Spatial level", empty_label="Any level")
    sort = django_filters.OrderingFilter(
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
            "type": "Type",
            "sessions": "Sessions",
            "status": "Status",
            "start": "Start date",
            "end": "End date",
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

    @property
    def qs(self):
        # A role with two of the chosen functions must still show once.
        return super().qs.distinct()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.form.fields.values():
            css = (
                "form-select form-select-sm"
                if isinstance(field.widget, forms.Select)
                else "form-control form-control-sm"
            )
            field.widget.attrs["class"] = css
