"""Admin for ICS administrators and HR recruiters, scoped by `roles.permissions`.

The admin is a door like any other: roles, budgets, places and template choices are written
through `roles.services`, with the same rules, locks and audit rows as the browser. A refusal
re-shows the form with what to put right (and the HTTP status the browser would get); every
model keeps its history (the "History" button), which cannot be reverted from here.
"""

from __future__ import annotations

import copy
import datetime as dt

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import flatten_fieldsets
from django.contrib.admin.widgets import AutocompleteSelect, RelatedFieldWidgetWrapper
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DataError, models, transaction
from django.db.models import Count
from django.forms.models import _get_foreign_key
from django.http import Http404, HttpResponseNotAllowed
from django.template.response import TemplateResponse
from django.utils.functional import cached_property
from simple_history.admin import SimpleHistoryAdmin

from . import permissions, services
from .costs import FIRST_YEAR, LAST_YEAR
from .formatting import person
from .forms import IdChoiceField, IdMultipleChoiceField, MoveForm, RoleRules, UKDateField, UKDateInput, is_possible_id
from .models import (
    ICS,
    MOVE_NEEDS,
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
from .paths import reversed_once


class SafeAutocompleteSelect(AutocompleteSelect):
    """Django's autocomplete widget looks up whatever value was posted to show it again: a value
    that is not an id ("abc") made that lookup fail. Values that are not ids are shown as nothing
    (the form field itself says "Select a valid choice")."""

    def optgroups(self, name, value, attr=None):
        model = self.field.remote_field.model
        valid = []
        for item in value:
            try:
                if item not in ("", None) and is_possible_id(model, item):
                    model._meta.pk.to_python(item)
                    valid.append(item)
            except ValidationError:
                continue
        return super().optgroups(name, valid, attr)


class KnownAutocompleteSelect(SafeAutocompleteSelect):
    """An autocomplete whose current values are named from `known()`: the rows an inline's own rows
    already hold (a round's panel members), read once for every row, so that an inline of ten rows
    makes one query, not ten of the whole scoped list (23 ms each for an ICS's people). A value not
    among them (a forged or new choice) is looked up in the scoped list, as Django does."""

    def __init__(self, field, admin_site, known, **kwargs):
        super().__init__(field, admin_site, **kwargs)
        self.known = known  # () -> {str(pk): row}, in the user's scope by construction

    def optgroups(self, name, value, attr=None):
        known = self.known()
        wanted = {str(item) for item in value if item not in ("", None)}
        if not wanted <= known.keys():
            return super().optgroups(name, value, attr)
        # Every value named from the rows read (none for an empty row: Django would still build, and find
        # empty, the scoped list's query for it).
        saved = self.choices
        self.choices = copy.copy(saved)
        self.choices.queryset = _Rows([known[pk] for pk in sorted(wanted)])
        try:
            return super().optgroups(name, value, attr)
        finally:
            self.choices = saved


class _Rows:
    """Rows already read, answering the two calls Django's autocomplete makes of its queryset."""

    def __init__(self, rows):
        self.rows = rows

    def using(self, _alias):
        return self

    def filter(self, **_lookups):
        return self.rows


MAX_SEARCH = 200  # characters of a search term


class BadChangelistQuery(Exception):
    """A changelist's query string that cannot be answered; the message says what to do."""


def bad_changelist_query(admin_: admin.ModelAdmin, request) -> str | None:
    """What is wrong with a changelist's search or date filter (`?start_date__year=`), if anything:
    Django builds a date from the filter and failed on a year such as 9999 or one of 20 digits."""
    search = request.GET.get("q", "")
    if len(search) > MAX_SEARCH:
        return (
            f"The search is {len(search):,} characters long: search for at most {MAX_SEARCH} characters "
            "(a word or two of the title is enough)."
        )
    field_ = admin_.date_hierarchy
    given = {p: request.GET.get(f"{field_}__{p}") for p in ("year", "month", "day")} if field_ else {}
    given = {part: value for part, value in given.items() if value is not None}
    if not given:
        return None
    numbers = {
        part: int(value) for part, value in given.items() if value.isascii() and value.isdigit() and len(value) <= 4
    }
    readable = len(numbers) == len(given) and FIRST_YEAR <= numbers.get("year", 0) <= LAST_YEAR + 1
    try:
        readable = readable and bool(dt.date(numbers["year"], numbers.get("month", 1), numbers.get("day", 1)))
    except ValueError:
        readable = False
    if readable:
        return None
    shown = "&".join(f"{field_}__{part}={value[:12]}" for part, value in given.items())
    return (
        f"The date filter “{shown}” is not a date this service plans for: choose a year from {FIRST_YEAR} to "
        f"{LAST_YEAR + 1}, a month from 1 to 12 and a day of that month, or use the date links above the list."
    )


class Refused(Exception):
    """Raised out of `save_model` when a service refuses, so that the change view shows the form again."""

    def __init__(self, error: services.ChangeRefused):
        super().__init__(str(error))
        self.error = error


class RefusalOnForm:
    """A form shown again after the service refused it: the refusal is put on the form, on the
    fields it names (a rule broken) or above them (over budget, stale, not allowed), with what
    changed meanwhile when the form was stale."""

    service_refusal: services.ChangeRefused | None = None

    def clean(self):
        cleaned = super().clean()
        refusal = self.service_refusal
        if isinstance(refusal, services.RoleInvalid):
            for name, problems in refusal.errors.items():
                for problem in problems:
                    self.add_error(name if name in self.fields else None, problem)
        elif refusal is not None:
            meanwhile = [_audit_line(row) for row in getattr(refusal, "meanwhile", [])]
            for line in [refusal.message, *refusal.problems, *meanwhile]:
                self.add_error(None, line)
        return cleaned


def _audit_line(row: RoleMove) -> str:
    who, when = person(row.by, nobody="the system"), row.at.strftime("%d/%m/%Y %H:%M")
    if row.action == RoleMove.Action.MOVED:
        return f"{when}, {who}: moved it from {row.get_from_status_display()} to {row.get_to_status_display()}."
    changes = "; ".join(f"{c['field']} {c['old']} → {c['new']}" for c in row.changes)
    return f"{when}, {who}: {row.get_action_display().lower()} ({changes})."


# Dates in the admin are typed day first and read the same in any browser, as on the app's forms.
UK_DATES = {models.DateField: {"form_class": UKDateField, "widget": UKDateInput}}


def may_open(admin_site, request, model) -> bool:
    """Whether `request`'s user may open `model`'s admin pages: pages to link them to. Django links a
    read-only related row, and simple-history the user who made each version, whenever the model is
    registered, whatever the user may open; an ICS administrator met links to users' pages that
    answered 403. Asked of the model, not of each row (an inline may link a row per line), and once
    a request."""
    asked = request.__dict__.setdefault("_admin_may_open", {})
    if model not in asked:
        model_admin = admin_site._registry.get(model)
        asked[model] = model_admin is not None and model_admin.has_view_or_change_permission(request)
    return asked[model]


class RelatedLinksReversedOnce(RelatedFieldWidgetWrapper):
    """Django's wrapper of a related field, whose change, add, delete and view links are reversed once per
    process (`paths.reversed_once`) rather than for every field of every inline row (a board's thirteen
    member rows reversed them thirteen times, at about 0.1 ms each)."""

    def get_related_url(self, info, action, *args):
        app_label, model_name = info
        return reversed_once(f"admin:{app_label}_{model_name}_{action}", *args, current_app=self.admin_site.name)


class RelatedLinksOnce:
    """For model admins and inlines: each related field's wrapper is a `RelatedLinksReversedOnce` (the
    same object with the method above; Django makes the wrapper itself in `formfield_for_dbfield`)."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is not None and type(field.widget) is RelatedFieldWidgetWrapper:
            field.widget.__class__ = RelatedLinksReversedOnce
        return field


class ServiceDoorAdmin(RelatedLinksOnce, SimpleHistoryAdmin):
    """A model admin whose saves go through `roles.services`: a refusal re-shows the form.

    `save_model` raises `Refused`; the change view then renders the same POST again with the
    refusal put on the form (`RefusalOnForm`), answering with the refusal's HTTP status. The
    first attempt's transaction was rolled back, so nothing was written.
    """

    # 50 rows a page, not Django's 100: the admin writes each cell in Python, and a national-scale
    # changelist of 100 roles took 100 ms against 12 ms of SQL.
    list_per_page = 50

    formfield_overrides = UK_DATES

    def __init__(self, model, admin_site):
        super().__init__(model, admin_site)
        if not self.keeps_versions:  # the admin's own history page: who changed what, from its log
            self.object_history_template = None

    @property
    def keeps_versions(self) -> bool:
        """Whether the model keeps simple_history versions (most do; a log, a reminder or a record whose
        history is listed on its own page does not)."""
        return hasattr(self.model._meta, "simple_history_manager_attribute")

    def history_view(self, request, object_id, extra_context=None):
        if not self.keeps_versions:
            return admin.ModelAdmin.history_view(self, request, object_id, extra_context)
        if not may_open(self.admin_site, request, get_user_model()):
            # No view of that name: simple-history's list names who made each version without a link.
            extra_context = {**(extra_context or {}), "admin_user_view": ""}
        return super().history_view(request, object_id, extra_context)

    def render_history_view(self, request, template, context, **kwargs):
        """A past version (simple-history's version page, whose form it builds to edit) is shown with every
        field as its text: it can only be read (`history_form_view` refuses a POST), so no input, no
        related row's add or delete link, and no list of every row a field could point to (every board in
        England, for a meeting's)."""
        if "adminform" in context:
            editable = context["adminform"]
            context["adminform"] = helpers.AdminForm(
                editable.form,
                list(editable.fieldsets),
                {},
                flatten_fieldsets(editable.fieldsets),
                model_admin=self,
            )
            context["media"] = self.media
        return super().render_history_view(request, template, context, **kwargs)

    def response_action(self, request, queryset):
        """Ids of the selected rows that no row could have ("abc", 21 digits) are no selection: they
        made the lookup itself fail."""
        selected = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
        possible = [value for value in selected if value.isdigit() and is_possible_id(self.model, value)]
        if possible != selected:
            request.POST = request.POST.copy()
            request.POST.setlist(helpers.ACTION_CHECKBOX_NAME, possible)
        return super().response_action(request, queryset)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except Refused as refused:
            request._service_refusal = refused.error
            if isinstance(refused.error, services.StaleEdit):
                request.POST = request.POST.copy()
                request.POST["loaded_version"] = str(refused.error.role.version)
            response = super().changeform_view(request, object_id, form_url, extra_context)
            response.status_code = refused.error.status
            return response

    def get_object(self, request, object_id, from_field=None):
        """The row in the URL, or None (the admin's "does not exist"): also for an id no database
        column holds (99999999999999999999) and an empty `?_to_field=`, which Django does not check."""
        if not is_possible_id(self.model, object_id, from_field or None):
            return None
        return super().get_object(request, object_id, from_field or None)

    def get_search_results(self, request, queryset, search_term):
        """At most `MAX_SEARCH` characters are searched for (the changelist refuses longer ones with
        a message; the autocomplete box searches for their start)."""
        return super().get_search_results(request, queryset, search_term[:MAX_SEARCH])

    def delete_through_service(self, objs: list, by) -> None:
        """Delete `objs` through the service that owns them; by default, as Django's admin does."""
        for obj in objs:
            obj.delete()

    def delete_refusal(self, obj) -> str | None:
        """Why `obj` is kept, said at once on its delete page (the service refuses it too), or None."""
        return None

    def delete_refusals(self, objs) -> list[str]:
        """Why any of `objs` is kept: each one's `delete_refusal`, unless the service says it for all at once."""
        return [refusal for obj in objs if (refusal := self.delete_refusal(obj))]

    def get_deleted_objects(self, objs, request):
        """Rows the service would refuse to delete are refused on the page, with why, without Django first
        gathering every row a deletion would reach (tens of thousands at national scale); others as Django
        lists them."""
        refusals = self.delete_refusals(objs)
        if refusals:
            return [str(obj) for obj in objs], {}, set(), refusals
        return super().get_deleted_objects(objs, request)

    def delete_model(self, request, obj):
        self.delete_queryset(request, [obj])

    def delete_queryset(self, request, queryset):
        """Deleting goes through the service; a refusal (a race the confirmation page did not
        foresee) is a 403 with the reason, in a transaction so that nothing is half deleted."""
        try:
            with transaction.atomic():
                self.delete_through_service(list(queryset), request.user)
        except services.ChangeRefused as error:
            raise PermissionDenied(str(error)) from error

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        refusal = getattr(request, "_service_refusal", None)
        if refusal is None:
            return form
        return type(form.__name__, (RefusalOnForm, form), {"service_refusal": refusal})


class ScopedAdmin(ServiceDoorAdmin):
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
        places = permissions.admin_places(user, change=change or not self.recruiters_may_view)
        # Each path follows foreign keys only, so the filter (an IN over a subquery) repeats no row
        # and needs no DISTINCT over every column of the list.
        if self.place_path:
            return queryset.filter(**{f"{self.place_path}__in": places})
        ics_ids = places.values("ics_id")
        return queryset.filter(**{f"{self.ics_path}__in": ics_ids})

    def get_queryset(self, request):
        return self._scope(super().get_queryset(request), request.user, change=False)

    def changelist_view(self, request, extra_context=None):
        problem = bad_changelist_query(self, request)
        if problem is None:
            try:
                return super().changelist_view(request, extra_context)
            except BadChangelistQuery as bad:
                problem = str(bad)
        return TemplateResponse(
            request,
            "admin/bad_request.html",
            {**self.admin_site.each_context(request), "title": "That filter was not understood", "message": problem},
            status=400,
        )

    # Long text columns a changelist's rows (and the rows they join) need not carry: a list of 50,000
    # applications sorted by role title carried each role's description and each round's advert through
    # the sort, which spilled to disk (50 ms of its SQL).
    list_deferred: tuple[str, ...] = ()

    def get_changelist(self, request, **kwargs):
        changelist = super().get_changelist(request, **kwargs)
        if not self.list_deferred:
            return changelist
        deferred = self.list_deferred

        class Narrow(changelist):
            def get_queryset(self, request, exclude_parameters=None):
                return super().get_queryset(request, exclude_parameters).defer(*deferred)

        return Narrow

    def get_changelist_instance(self, request):
        """The list, or `BadChangelistQuery` when a filter's value cannot even be looked up (an id
        of 21 digits in `?place=`): the database's refusal is contained in a savepoint."""
        try:
            with transaction.atomic():
                return super().get_changelist_instance(request)
        except (OverflowError, DataError) as error:
            raise BadChangelistQuery(
                "A filter in the address holds a value no list can be filtered by (a number too large to "
                "be an id, say): choose the filters from the lists at the side instead."
            ) from error

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        """An old version can be read, never saved back: a revert would go around the services."""
        if request.method != "GET":
            return HttpResponseNotAllowed(["GET"])
        if not self.keeps_versions:
            raise Http404("This record keeps no versions: its history is listed on its own page.")
        return super().history_form_view(request, object_id, version_id, extra_context)

    def has_module_permission(self, request):
        return self.may_view(request.user)

    def _in_scope(self, request, obj, *, change: bool) -> bool:
        """Whether `obj` is in the user's scope, asked of the database once a request: a change page
        asks for every inline and button it draws."""
        asked = request.__dict__.setdefault("_admin_scope", {})
        key = (type(obj), obj.pk, change)
        if key not in asked:
            asked[key] = self._scope(type(obj).objects.filter(pk=obj.pk), request.user, change=change).exists()
        return asked[key]

    def has_view_permission(self, request, obj=None):
        if not self.may_view(request.user):
            return False
        return obj is None or self._in_scope(request, obj, change=False)

    def has_change_permission(self, request, obj=None):
        if not permissions.is_ics_admin(request.user):
            return False
        return obj is None or self._in_scope(request, obj, change=True)

    def has_add_permission(self, request):
        return permissions.is_ics_admin(request.user)

    def has_delete_permission(self, request, obj=None):
        return self.has_change_permission(request, obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        user = request.user
        if db_field.related_model is Place:
            kwargs["queryset"] = permissions.admin_places(user, change=True)
        elif db_field.related_model is ICS:
            kwargs["queryset"] = permissions.icss_administered_by(user)
        elif db_field.related_model is TemplateRole:
            kwargs["queryset"] = TemplateRole.objects.filter(ics__in=permissions.icss_administered_by(user))
        kwargs.setdefault("form_class", IdChoiceField)
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if formfield is not None and type(formfield.widget) is AutocompleteSelect:
            formfield.widget.__class__ = SafeAutocompleteSelect
        return formfield

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        kwargs.setdefault("form_class", IdMultipleChoiceField)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class ReadOnlyAdmin(ScopedAdmin):
    """Rows written elsewhere (through their services, on the pages or by this admin's actions): read
    here, never added, changed or deleted."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReferenceAdmin(RelatedLinksOnce, admin.ModelAdmin):
    """Reference data made by migrations: ICS administrators may read it, only superusers change it."""

    list_display = ("name", "order")
    search_fields = ("name",)
    prepopulated_fields = {"slug": ("name",)}

    def has_module_permission(self, request):
        return permissions.is_ics_admin(request.user) and permissions.may_use_admin(request.user)

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_change_permission(self, request, obj=None):
        return permissions.sets_up_icss(request.user)

    def has_add_permission(self, request):
        return permissions.sets_up_icss(request.user)

    def has_delete_permission(self, request, obj=None):
        return permissions.sets_up_icss(request.user)


admin.site.register(Function, ReferenceAdmin)
admin.site.register(SpatialLevel, ReferenceAdmin)


@admin.register(Profession)
class ProfessionAdmin(ReferenceAdmin):
    list_display = ("name", "is_clinical", "order")
    list_filter = ("is_clinical",)


class InlineRows(forms.BaseInlineFormSet):
    """Django's inline formset, making its empty form (the row the page copies to add another) once. Django's
    `empty_form` is a property that builds a new form each time it is read, and the admin reads it five or six
    times an inline (its media, whether it uploads files, its column headings, the row itself): an advert
    round's page, with five inlines, built thirty forms it did not show."""

    @cached_property
    def empty_form(self):
        return super().empty_form


class ReadOnlyRows(InlineRows):
    """The formset of rows that are only read on their parent's page: it holds no form. Django's view-only
    inline makes a form per row (hidden inputs, an empty copy to add from, a check of each on every save)
    only for the admin to read the row back out of it; an advert round's page spent about a fifth of its
    time on the forms of its applications and offers. Here the rows are read once, as objects (`rows`), and
    `admin_rows.tabular_rows` writes each as Django writes a view-only row, less the hidden inputs that only
    a form needs. The management form says no rows, so a save of the parent reads, checks and writes none
    of them, whatever a forged post claims."""

    def initial_form_count(self):
        return 0

    def total_form_count(self):
        return 0

    @cached_property
    def rows(self) -> list:
        """The parent's rows, in the order Django's formset gives its forms."""
        return list(self.get_queryset())


class TabularRows(RelatedLinksOnce, admin.TabularInline):
    """The base of our inlines: related-field links reversed once (`RelatedLinksOnce`), the empty form made
    once (`InlineRows`; a formset of an inline's own must derive from it)."""

    formset = InlineRows

    def get_ordering(self, request):
        """The model's own order less its parent (`ordering` where the inline sets one). Every row an inline
        shows has the same parent, so sorting by the parent sorted by nothing, but it sorted by the parent's
        own order: each of an advert round's five inlines joined the round's role and place to its rows to
        sort them by the place's name and the role's title. The primary key last (as Django's formset adds it
        to a queryset with no order), so that rows that tie keep one order."""
        if self.ordering:
            return self.ordering
        parent = _get_foreign_key(self.parent_model, self.model, fk_name=self.fk_name)
        names = {parent.name, parent.attname}
        own = [
            term
            for term in self.opts.ordering
            if not (isinstance(term, str) and term.lstrip("-").split("__")[0] in names)
        ]
        ties = [] if {"pk", "-pk", "id", "-id"} & set(own) else ["pk"]
        return [*own, *ties]


class ReadOnlyInline(TabularRows):
    """Rows shown under their parent (advert rounds, the audit trail, a place's budgets), never changed
    there. Who may see them is whoever may see the parent: the parent admin has scoped it. They are drawn
    without forms (`ReadOnlyRows`)."""

    formset = ReadOnlyRows
    extra = 0
    can_delete = False
    show_change_link = False

    def has_view_permission(self, request, obj=None):
        return permissions.may_use_admin(request.user)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AdvertRoundInline(ReadOnlyInline):
    model = AdvertRound
    fields = readonly_fields = ("number", "opens_on", "closes_on", "outcome")

    def get_queryset(self, request):
        # Each row is titled by the round's `__str__`, which names its role and place.
        return super().get_queryset(request).select_related("role__place")


class RoleMoveInline(ReadOnlyInline):
    model = RoleMove
    fields = readonly_fields = ("at", "by", "action", "from_status", "to_status", "what_changed", "budget_override")
    verbose_name_plural = "audit trail"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("by")

    @admin.display(description="why / what changed")
    def what_changed(self, obj):
        lines = [obj.reason] if obj.reason else []
        lines += [f"{c['field']}: {c['old']} → {c['new']}" for c in obj.changes]
        lines += [f"{k.replace('_', ' ')}: {v}" for k, v in obj.move_details.items()]
        return "; ".join(lines)


class PlaceInline(ReadOnlyInline):
    """An ICS's places, to read; each is changed (or, when it holds nothing, deleted) on its own page."""

    model = Place
    fields = readonly_fields = ("name", "slug", "is_system_wide")
    show_change_link = True


class BudgetInline(ReadOnlyInline):
    """A place's budgets, to read; each is set on its own page (through `services.budget_save`)."""

    model = Budget
    fields = readonly_fields = ("financial_year", "amount", "session_cap", "on_cost_percent", "notes")
    show_change_link = True


class KeptWhileReferenced:
    """Rows kept while anything refers to them (an ICS with places, a template role that roles derive
    from): the delete page says what refers to them, counted (`services.references`); deleting goes
    through `services.unreferenced_delete`."""

    kept_advice = ""

    def delete_refusal(self, obj) -> str | None:
        held = services.references(obj)
        return f"{obj}: {', '.join(held)} refer to it. {self.kept_advice}" if held else None

    def delete_through_service(self, objs, by):
        for obj in objs:
            services.unreferenced_delete(obj=obj, by=by, advice=self.kept_advice)


@admin.register(ICS)
class ICSAdmin(KeptWhileReferenced, ScopedAdmin):
    ics_path = "pk"
    list_display = ("name", "short_name", "default_session_rate", "place_count")
    search_fields = ("name", "short_name")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [PlaceInline]
    kept_advice = "Delete its places, template roles and members first; an ICS in use is kept."

    def get_queryset(self, request):
        # Ordered explicitly: with the count's GROUP BY, the model's own ordering no longer counts as one.
        return super().get_queryset(request).annotate(_places=Count("places")).order_by("name", "pk")

    @admin.display(description="places", ordering="_places")
    def place_count(self, obj):
        return obj._places

    def has_add_permission(self, request):
        return permissions.sets_up_icss(request.user)


@admin.register(Place)
class PlaceAdmin(ScopedAdmin):
    place_path = "pk"
    list_display = ("name", "ics", "is_system_wide", "slug")
    list_filter = (("ics", admin.RelatedOnlyFieldListFilter), "is_system_wide")
    search_fields = ("name", "ics__name")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [BudgetInline]
    list_select_related = ("ics",)

    def delete_refusal(self, place) -> str | None:
        """A place that holds anything is refused (`services.place_delete`): a national-scale place
        has tens of thousands of rows, 170 ms for Django to gather before saying no."""
        held = services.place_holdings(place)
        return f"{place} holds {', '.join(held)}. {services.PLACE_KEPT}" if held else None

    def delete_through_service(self, objs, by):
        for place in objs:
            services.place_delete(place=place, by=by)


@admin.register(TemplateRole)
class TemplateRoleAdmin(KeptWhileReferenced, ScopedAdmin):
    ics_path = "ics"
    kept_advice = (
        "Roles derived from it, places' choices about it and feedback about it keep it: "
        "rename it or change its order instead."
    )
    list_display = ("title", "role_type", "ics", "order")
    list_filter = (("ics", admin.RelatedOnlyFieldListFilter), "role_type", "functions")
    search_fields = ("title",)
    filter_horizontal = ("functions",)
    list_select_related = ("ics",)


def move_action(to: str):
    """An admin action moving the selected roles to `to` through `services.roles_move`, after a page
    asking for the reason and whatever the move needs (`MOVE_NEEDS`). All or nothing, as in the browser."""
    label = MOVE_NEEDS[to].label

    def action(modeladmin, request, queryset):
        roles = list(queryset.select_related("place"))
        form = MoveForm(
            request.POST if "apply" in request.POST else None,
            to=to,
            may_override=permissions.is_ics_admin(request.user),
            with_expected_status=False,
            places={role.place for role in roles},
            user=request.user,
        )
        if form.is_bound and form.is_valid():
            data = form.cleaned_data
            try:
                moved = services.roles_move(
                    roles=roles,
                    to=to,
                    by=request.user,
                    reason=data["reason"],
                    details=form.details(),
                    override_reason=data.get("override_reason", ""),
                )
            except services.BulkMoveRefused as error:
                modeladmin.message_user(request, str(error), messages.ERROR)
                return None
            except services.ChangeRefused as error:
                modeladmin.message_user(request, f"No role was moved: {error}", messages.ERROR)
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
            status=400 if form.is_bound else 200,
        )

    action.__name__ = f"move_to_{to}"
    action.short_description = f"{label} (move to {RoleStatus(to).label.lower()})"
    return action


class RoleAdminForm(RoleRules, forms.ModelForm):
    """The admin's role form: the browser form's rules (`RoleRules`, the model's `clean`), the version
    it was loaded from, and the ICS administrator's reason for going past the budget guard."""

    loaded_version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)
    override_reason = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        label="Override the budget guard because",
        help_text="ICS administrators only: fill in only if saving was refused for budget and you must go on.",
    )

    class Meta:
        model = Role
        fields = list(services.EDITABLE_FIELDS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["loaded_version"].initial = self.instance.version

    def clean(self):
        cleaned = super().clean()
        self.clean_professions(cleaned)
        if self.instance.pk and not cleaned.get("loaded_version") and "loaded_version" not in self.errors:
            self.add_error(None, "This form is out of date: reload the page and make your change again.")
        return cleaned


@admin.register(Role)
class RoleAdmin(ScopedAdmin):
    place_path = "place"
    recruiters_may_view = True
    form = RoleAdminForm
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
    readonly_fields = ("status", "held_from", "appointee_name", "version", "created_at", "updated_at")
    actions = [move_action(to) for to in MOVE_NEEDS]
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
        ("Budget", {"fields": ("override_reason", "loaded_version")}),
        ("Record", {"fields": ("version", "created_at", "updated_at"), "classes": ("collapse",)}),
    )

    @admin.display(description="annual pay", ordering="sessions_per_week")
    def annual_pay_display(self, obj):
        return f"£{obj.annual_pay:,.2f}"

    def save_model(self, request, obj, form, change):
        values = form.service_values()
        try:
            if change:
                saved = services.role_edit(
                    role=obj,
                    values=values,
                    version=form.cleaned_data.get("loaded_version"),
                    by=request.user,
                    override_reason=form.cleaned_data.get("override_reason", ""),
                )
            else:
                saved = services.role_create(place=values["place"], values=values, by=request.user)
        except services.ChangeRefused as error:
            raise Refused(error) from error
        obj.pk, obj.version = saved.role.pk, saved.role.version
        for warning in saved.warnings:
            messages.warning(request, warning)

    def save_related(self, request, form, formsets, change):
        """The service set the functions and professions (so no `form.save_m2m()` here); the inlines
        are read-only, so saving their formsets writes nothing."""
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (obj is None or obj.status == RoleStatus.PROPOSED)

    def delete_refusals(self, objs) -> list[str]:
        """The roles the service would keep, with why (`services.delete_refusals`); nothing is deleted while
        any is listed."""
        return services.delete_refusals(list(objs))

    def delete_through_service(self, objs, by):
        services.roles_delete(roles=objs, by=by)


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
    history_list_display = ("financial_year", "amount", "session_cap", "on_cost_percent")

    @admin.display(description="financial year", ordering="financial_year")
    def year_label(self, obj):
        return obj.year.label

    def save_model(self, request, obj, form, change):
        try:
            warnings = services.budget_save(budget=obj, by=request.user)
        except services.ChangeRefused as error:
            raise Refused(error) from error
        for warning in warnings:
            messages.warning(request, warning)

    def delete_through_service(self, objs, by):
        for budget in objs:
            services.budget_delete(budget=budget, by=by)


@admin.register(TemplateOmission)
class TemplateOmissionAdmin(ScopedAdmin):
    place_path = "place"
    list_display = ("template_role", "place", "reason")
    list_filter = (("place", admin.RelatedOnlyFieldListFilter),)
    autocomplete_fields = ("place", "template_role")
    list_select_related = ("place", "template_role")

    def get_readonly_fields(self, request, obj=None):
        """Which place and template role an omission is about is fixed once it is recorded."""
        return ("place", "template_role") if obj else ()

    def save_model(self, request, obj, form, change):
        try:
            saved = services.omission_reason_save(
                place=obj.place, template_role=obj.template_role, reason=obj.reason, by=request.user
            )
        except services.ChangeRefused as error:
            raise Refused(error) from error
        obj.pk = saved.pk


@admin.register(Membership)
class MembershipAdmin(ScopedAdmin):
    """Who may do what. ICS administrators manage the memberships of their own ICS
    (`permissions.memberships_managed_by` and `permissions.users_assignable_by` decide which)."""

    list_display = ("user", "kind", "ics", "place")
    list_filter = ("kind", ("ics", admin.RelatedOnlyFieldListFilter), ("place", admin.RelatedOnlyFieldListFilter))
    search_fields = ("user__username", "user__first_name", "user__last_name", "user__email")
    autocomplete_fields = ("place",)
    list_select_related = ("user", "ics", "place")

    def _scope(self, queryset, user, *, change: bool):
        return queryset.filter(pk__in=permissions.memberships_managed_by(user).values("pk"))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            kwargs["queryset"] = permissions.users_assignable_by(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


# --- Other packages' admin pages ------------------------------------------------------------------


class SuperusersOnly:
    """Another package's model admin, opened by superusers alone (`permissions.runs_the_site`); what the
    package itself refuses (django-axes: adding a login record) stays refused.

    The rest of the site's admin asks `roles.permissions`, never Django's model permissions; nobody
    is given those. Asking them cost two queries on every admin page an ICS administrator or HR
    recruiter opened (their permissions and their groups', both empty), for the list of apps."""

    def has_module_permission(self, request):
        return permissions.runs_the_site(request.user) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return permissions.runs_the_site(request.user) and super().has_view_permission(request, obj)

    def has_add_permission(self, request, *args):
        return permissions.runs_the_site(request.user) and super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None):
        return permissions.runs_the_site(request.user) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return permissions.runs_the_site(request.user) and super().has_delete_permission(request, obj)


OUR_APPS = frozenset({"roles", "recruitment", "governance"})


def for_superusers_only(site: admin.AdminSite) -> None:
    """Registers every model admin of another package on `site` again, as `SuperusersOnly`. This
    module is imported after those packages' admin modules (INSTALLED_APPS lists them first)."""
    for model, model_admin in list(site._registry.items()):
        if model._meta.app_label in OUR_APPS or isinstance(model_admin, SuperusersOnly):
            continue
        kind = type(model_admin)
        site.unregister(model)
        site.register(model, type(kind.__name__, (SuperusersOnly, kind), {"__module__": kind.__module__}))


for_superusers_only(admin.site)
