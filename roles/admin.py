"""Admin for ICS administrators and HR recruiters, scoped by `roles.permissions`."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import Count, Q

from . import permissions
from .models import (
    ICS,
    Budget,
    Function,
    Membership,
    Place,
    Profession,
    Role,
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
    readonly_fields = ("status", "created_at", "updated_at")
    list_select_related = ("place", "spatial_level")
    date_hierarchy = "start_date"
    fieldsets = (
        (None, {"fields": ("place", "title", "role_type", "status", "spatial_level", "functions")}),
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
