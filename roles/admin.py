"""Admin for ICS administrators and HR recruiters, scoped by `roles.permissions`."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.db.models import Count, Q
from django.template.response import TemplateResponse

from . import permissions, services
from .forms import MoveForm
from .models import (
    ICS,
    MOVE_LABELS,
    REASON_REQUIRED,
    AdvertRound,
    Budget,
    Function,
    Membership,
    Place,
    Profession,
    Role,
    RoleMove,
    RoleStatus,
    SpatialLevel,
    TemplateOmission,
    TemplateRole,
)


class ScopedAdmin(admin.ModelAdmin):
    """A model admin whose rows belong to a place or an ICS.

    `place_path` / `ics_path` name the lookup from the model to its place or ICS. ICS
    administrators see and change their ICS's rows; HR recruiters see the rows of the places they
    support only where `recruiters_may_view` is set (roles), and nothing else. Foreign-key choices
    and list filters are narrowed the same way, so a forged id for another place is refused by the
    form and no other ICS is named in a filter.
    """

    place_path: str | None = None
    ics_path: str | None = None
    recruiters_may_view = False

    def may_view(self, user) -> bool:
        return permissions.may_use_admin(user) and (self.recruiters_may_view or permissions.is_ics_admin(user))

    def _scope(self, queryset, user, *, change: bool):
        if user.is_superuser:
            return queryset
        places = permissions.admin_places(user, change=change or not self.recruiters_may_view)
        if self.place_path:
            return queryset.filter(**{f"{self.place_path}__in": places}).distinct()
        ics_ids = places.values("ics_id")
        return queryset.filter(**{f"{self.ics_path}__in": ics_ids}).distinct()

    def get_queryset(self, request):
        return self._scope(super().get_queryset(request), request.user, change=False)

    def has_module_permission(self, request):
        return self.may_view(request.user)

    def has_view_permission(self, request, obj=None):
        if not self.may_view(request.user):
            return False
        return obj is None or self._scope(type(obj).objects.filter(pk=obj.pk), request.user, change=False).exists()

    def has_change_permission(self, request, obj=None):
        if not permissions.is_ics_admin(request.user):
            return False
        return obj is None or self._scope(type(obj).objects.filter(pk=obj.pk), request.user, change=True).exists()

    def has_add_permission(self, request):
        return permissions.is_ics_admin(request.user)

    def has_delete_permission(self, request, obj=None):
        return self.has_change_permission(request, obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        user = request.user
        if not user.is_superuser:
            if db_field.related_model is Place:
                kwargs["queryset"] = permissions.admin_places(user, change=True)
            elif db_field.related_model is ICS:
                kwargs["queryset"] = permissions.icss_administered_by(user)
            elif db_field.related_model is TemplateRole:
                kwargs["queryset"] = TemplateRole.objects.filter(ics__in=permissions.icss_administered_by(user))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ReferenceAdmin(admin.ModelAdmin):
    """Reference data made by migrations: ICS administrators may read it, only superusers change it."""

    list_display = ("name", "order")
    search_fields = ("name",)
    prepopulated_fields = {"slug": ("name",)}

    def has_module_permission(self, request):
        return permissions.is_ics_admin(request.user) and permissions.may_use_admin(request.user)

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


admin.site.register(Function, ReferenceAdmin)
admin.site.register(SpatialLevel, ReferenceAdmin)


@admin.register(Profession)
class ProfessionAdmin(ReferenceAdmin):
    list_display = ("name", "is_clinical", "order")
    list_filter = ("is_clinical",)


class PlaceInline(admin.TabularInline):
    model = Place
    fields = ("name", "slug", "is_system_wide")
    extra = 0
    show_change_link = True


@admin.register(ICS)
class ICSAdmin(ScopedAdmin):
    ics_path = "pk"
    list_display = ("name", "short_name", "default_session_rate", "place_count")
    search_fields = ("name", "short_name")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [PlaceInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_places=Count("places"))

    @admin.display(description="places", ordering="_places")
    def place_count(self, obj):
        return obj._places

    def has_add_permission(self, request):
        return request.user.is_superuser


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class AdvertRoundInline(ReadOnlyInline):
    model = AdvertRound
    fields = readonly_fields = ("number", "opens_on", "closes_on", "outcome")


class RoleMoveInline(ReadOnlyInline):
    model = RoleMove
    fields = readonly_fields = ("at", "by", "from_status", "to_status", "reason", "budget_override")
    verbose_name_plural = "workflow history"


class BudgetInline(admin.TabularInline):
    model = Budget
    fields = ("financial_year", "amount", "session_cap", "on_cost_percent", "notes")
    extra = 0


@admin.register(Place)
class PlaceAdmin(ScopedAdmin):
    place_path = "pk"
    list_display = ("name", "ics", "is_system_wide", "slug")
    list_filter = (("ics", admin.RelatedOnlyFieldListFilter), "is_system_wide")
    search_fields = ("name", "ics__name")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [BudgetInline]
    list_select_related = ("ics",)


@admin.register(TemplateRole)
class TemplateRoleAdmin(ScopedAdmin):
    ics_path = "ics"
    list_display = ("title", "role_type", "ics", "order")
    list_filter = (("ics", admin.RelatedOnlyFieldListFilter), "role_type", "functions")
    search_fields = ("title",)
    filter_horizontal = ("functions",)
    list_select_related = ("ics",)


def move_action(to: str):
    """An admin action moving the selected roles to `to` through `services.roles_move`, after a page
    asking for the reason and whatever the move needs. All or nothing, as in the browser."""
    label = MOVE_LABELS[to]

    def action(modeladmin, request, queryset):
        roles = list(queryset.select_related("place"))
        form = MoveForm(
            request.POST if "apply" in request.POST else None,
            to=to,
            may_override=permissions.is_ics_admin(request.user),
            reason_required=to in REASON_REQUIRED,
            with_expected_status=False,
        )
        if form.is_bound and form.is_valid():
            data = form.cleaned_data
            try:
                if to == RoleStatus.CONTRACTED and len(roles) == 1:
                    moved = [
                        services.role_move(
                            role=roles[0],
                            to=to,
                            by=request.user,
                            reason=data["reason"],
                            details=form.details(),
                            override_reason=data.get("override_reason", ""),
                        )
                    ]
                else:
                    moved = services.roles_move(
                        roles=roles,
                        to=to,
                        by=request.user,
                        reason=data["reason"],
                        details=form.details(),
                        override_reason=data.get("override_reason", ""),
                    )
            except services.MoveError as error:
                modeladmin.message_user(request, " ".join([error.message, *error.problems]), messages.ERROR)
                return None
            modeladmin.message_user(
                request,
                f"{len(moved)} role{'s' if len(moved) != 1 else ''} moved to {RoleStatus(to).label}.",
                messages.SUCCESS,
            )
            return None
        return TemplateResponse(
            request,
            "admin/roles/role/move_action.html",
            {
                **modeladmin.admin_site.each_context(request),
                "title": f"{label}: {len(roles)} role{'s' if len(roles) != 1 else ''}",
                "roles": roles,
                "form": form,
                "action": f"move_to_{to}",
                "opts": modeladmin.model._meta,
                "target": RoleStatus(to).label,
            },
        )

    action.__name__ = f"move_to_{to}"
    action.short_description = f"{label} (move to {RoleStatus(to).label.lower()})"
    return action


@admin.register(Role)
class RoleAdmin(ScopedAdmin):
    place_path = "place"
    recruiters_may_view = True
    list_display = (
        "title",
        "place",
        "role_type",
        "sessions_per_week",
        "annual_pay_display",
        "start_date",
        "end_date",
        "status",
        "is_critical",
    )
    list_filter = (
        "status",
        "role_type",
        ("place__ics", admin.RelatedOnlyFieldListFilter),
        ("place", admin.RelatedOnlyFieldListFilter),
        "spatial_level",
        "functions",
        "is_critical",
    )
    search_fields = ("title", "description", "place__name")
    autocomplete_fields = ("place", "template_role")
    filter_horizontal = ("functions", "eligible_professions")
    readonly_fields = ("status", "held_from", "appointee_name", "created_at", "updated_at")
    actions = [move_action(to) for to in MOVE_LABELS]
    inlines = [AdvertRoundInline, RoleMoveInline]
    list_select_related = ("place", "spatial_level")
    date_hierarchy = "start_date"
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "place",
                    "title",
                    "role_type",
                    "status",
                    "held_from",
                    "appointee_name",
                    "board_decision",
                    "spatial_level",
                    "functions",
                )
            },
        ),
        ("Template", {"fields": ("template_role", "variation_reason")}),
        (
            "Time and cost",
            {
                "fields": (
                    "sessions_per_week",
                    "rate_per_session",
                    "start_date",
                    "end_date",
                    "is_critical",
                    "predates_ics_model",
                )
            },
        ),
        (
            "Role description",
            {"fields": ("description", "description_document", "description_signed_off_on", "eligible_professions")},
        ),
        ("Record", {"fields": ("created_at", "updated_at"), "classes": ("collapse",)}),
    )

    @admin.display(description="annual pay", ordering="sessions_per_week")
    def annual_pay_display(self, obj):
        return f"£{obj.annual_pay:,.2f}"


@admin.register(Budget)
class BudgetAdmin(ScopedAdmin):
    place_path = "place"
    list_display = ("place", "year_label", "amount", "session_cap", "on_cost_percent")
    list_filter = (
        "financial_year",
        ("place__ics", admin.RelatedOnlyFieldListFilter),
        ("place", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = ("place__name",)
    autocomplete_fields = ("place",)
    list_select_related = ("place",)

    @admin.display(description="financial year", ordering="financial_year")
    def year_label(self, obj):
        return obj.year.label


@admin.register(TemplateOmission)
class TemplateOmissionAdmin(ScopedAdmin):
    place_path = "place"
    list_display = ("template_role", "place", "reason")
    list_filter = (("place", admin.RelatedOnlyFieldListFilter),)
    autocomplete_fields = ("place", "template_role")
    list_select_related = ("place", "template_role")


@admin.register(Membership)
class MembershipAdmin(ScopedAdmin):
    """Who may do what. ICS administrators manage the memberships of their own ICS."""

    list_display = ("user", "kind", "ics", "place")
    list_filter = ("kind", ("ics", admin.RelatedOnlyFieldListFilter), ("place", admin.RelatedOnlyFieldListFilter))
    search_fields = ("user__username", "user__first_name", "user__last_name", "user__email")
    autocomplete_fields = ("place",)
    list_select_related = ("user", "ics", "place")

    def _scope(self, queryset, user, *, change: bool):
        if user.is_superuser:
            return queryset
        icss = permissions.icss_administered_by(user)
        return queryset.filter(Q(ics__in=icss) | Q(place__ics__in=icss)).distinct()

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user" and not request.user.is_superuser:
            # Users new to the system, and those already in the administrator's ICS; no one else's staff.
            icss = permissions.icss_administered_by(request.user)
            kwargs["queryset"] = (
                get_user_model()
                .objects.filter(
                    Q(memberships__isnull=True) | Q(memberships__ics__in=icss) | Q(memberships__place__ics__in=icss)
                )
                .distinct()
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
