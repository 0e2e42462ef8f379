"""The HR recruiter's admin: advert rounds, applications, offers and contracts; people and declared interests.

HR recruiters (for the places they support) and ICS administrators (for their ICS) see the rounds of
those places and nothing else (`roles.permissions.admin_places`); a row of another place is a 404.
Every step of the recruitment is an admin action calling the same `recruitment.services` function
as the browser, with the same rules, locks and history rows: a refusal is `messages.error` with the
service's reason, and nothing changes. A round's advert is saved through `services.advert_save`; its
own small rows (criteria, panel, interview slots) are edited under it by whoever `may_recruit` there.

Anonymity: someone who sits on the panel of a round still shortlisting (`access.anonymous_rounds_for`)
sees none of that round's applications, applicants or declared interests here. Equality answers are
never in the admin; scores and an application's history only under the application, read only.

`Person` and `Declaration` (models of `roles`) are registered here, not in `roles.admin`: who may
see a person depends on recruitment's applications and panels, and `roles` never imports
recruitment.
"""

from __future__ import annotations

from functools import cache, partial

from django import forms
from django.contrib import admin, messages
from django.contrib.contenttypes.models import ContentType
from django.contrib.contenttypes.prefetch import GenericPrefetch
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from roles import permissions
from roles.admin import (
    UK_DATES,
    InlineRows,
    KnownAutocompleteSelect,
    ReadOnlyAdmin,
    ReadOnlyInline,
    Refused,
    ScopedAdmin,
    TabularRows,
)
from roles.forms import IdChoiceField
from roles.models import AdvertRound, Declaration, Person, Role
from roles.services import ChangeRefused

from . import services
from .access import anonymous_rounds_for, names_hidden_from
from .admin_import import import_view
from .models import (
    Application,
    ApplicationEvent,
    Contract,
    Criterion,
    InterviewSlot,
    Offer,
    PanelMember,
    Score,
)
from .selectors import application_counts, hire_times, rounds_for_hire_times

# --- Who sees what ------------------------------------------------------------------------------------


def recruitment_places(user):
    """The places whose recruitment the user sees in the admin: for HR recruiters, those they support."""
    return permissions.admin_places(user, change=False)


def named_applications(user) -> QuerySet[Application]:
    """Applications the user may see with their applicant's name: in their places, and not in a round
    they score anonymously."""
    return Application.objects.filter(round__role__place__in=recruitment_places(user)).exclude(
        round__in=anonymous_rounds_for(user)
    )


def people_q(user) -> Q:
    """The people the user may look up: those who applied to (rounds whose names they may see), sit on
    the panels of, or were appointed to roles in, the places whose recruitment they see. A superuser
    also sees people who never applied anywhere. Nobody sees a person whose only link to them is an
    application to a round they score anonymously."""
    places = recruitment_places(user)
    connected = (
        Q(pk__in=named_applications(user).values("person_id"))
        | Q(pk__in=PanelMember.objects.filter(round__role__place__in=places).values("person_id"))
        | Q(pk__in=Role.objects.filter(place__in=places, appointee__isnull=False).values("appointee_id"))
    )
    if getattr(user, "is_superuser", False):
        connected |= ~Q(pk__in=Application.objects.values("person_id"))
    return connected


def panel_candidates(user) -> QuerySet[Person]:
    """Whom a round's panel may be chosen from: the people the user may look up, and anyone with an
    active sign-in (panel members score through theirs); never a name only an anonymous round links."""
    return Person.objects.filter(people_q(user) | Q(user__is_active=True))


def declarations_for(user) -> QuerySet[Declaration]:
    """Declared interests made in rounds the user sees by name, and standing ones of people they may look
    up (a superuser: all but those made in rounds they score anonymously)."""
    round_type = ContentType.objects.get_for_model(AdvertRound)
    anonymous = Q(context_type=round_type, context_id__in=anonymous_rounds_for(user).values("pk"))
    if getattr(user, "is_superuser", False):
        return Declaration.objects.exclude(anonymous)
    rounds = AdvertRound.objects.filter(role__place__in=recruitment_places(user))
    in_rounds = Q(context_type=round_type, context_id__in=rounds.values("pk"))
    standing = Q(context_id__isnull=True, person__in=Person.objects.filter(people_q(user)))
    return Declaration.objects.filter(in_rounds | standing).exclude(anonymous)


# --- Shared pieces --------------------------------------------------------------------------------------


class ScopedChoiceFilter(admin.SimpleListFilter):
    """A filter offering only the user's own rows (no other place or round is named); a value that is
    not one of them filters to nothing, as if it did not exist."""

    path = ""

    def options(self, request) -> list[tuple[str, str]]:
        raise NotImplementedError

    def lookups(self, request, model_admin):
        return self.options(request)

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        if value not in {key for key, _ in self.lookup_choices}:
            return queryset.none()
        return queryset.filter(**{self.path: value})


def place_filter(place_path: str) -> type[ScopedChoiceFilter]:
    class PlaceFilter(ScopedChoiceFilter):
        title = "place"
        parameter_name = "place"
        path = f"{place_path}__pk"

        def options(self, request):
            return [(str(place.pk), place.name) for place in recruitment_places(request.user).order_by("name")]

    return PlaceFilter


class RoundFilter(ScopedChoiceFilter):
    title = "round"
    parameter_name = "round"
    path = "round__pk"

    def options(self, request):
        rounds = (
            AdvertRound.objects.filter(role__place__in=recruitment_places(request.user))
            .exclude(pk__in=anonymous_rounds_for(request.user).values("pk"))
            .order_by("role__title", "number")
            .values_list("pk", "role__title", "number")  # an ICS has 1,300 rounds: their names only
        )
        return [(str(pk), f"{title}, round {number}") for pk, title, number in rounds]


class NotYoursIs404:
    """A row that is not the user's to see, or not there at all, answers 404 (not the admin's redirect
    to its index with "doesn't exist"): the same as the browser's pages."""

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404(f"There is no {self.opts.verbose_name} with that id among yours.")
        return obj


class RecruitmentAdmin(NotYoursIs404, ReadOnlyAdmin):
    """A recruitment model's admin: its rows belong to a round's place (`place_path`); HR recruiters and
    ICS administrators see those of their places, and rows of rounds the user scores anonymously
    (`round_path`, where set) are left out. Read only, but for the actions (`has_recruit_permission`);
    a row outside the user's scope is a 404."""

    recruiters_may_view = True
    round_path: str | None = None

    def _scope(self, queryset, user, *, change: bool):
        queryset = queryset.filter(**{f"{self.place_path}__in": recruitment_places(user)})
        if self.round_path:
            queryset = queryset.exclude(**{f"{self.round_path}__in": anonymous_rounds_for(user)})
        return queryset

    def has_recruit_permission(self, request) -> bool:
        """The actions: the user runs recruitment somewhere; the service checks the row's place."""
        return self.may_view(request.user)


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 3, "cols": 60}))

    def __init__(self, *args, required: bool, label: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = required
        self.fields["reason"].label = label


def service_action(
    *, name: str, label: str, call, done: str, reason: str = "", reason_label: str = "Reason", one=False
):
    """An admin action calling a recruitment service for the selected rows, all or nothing.

    `call(rows, by, reason)` calls the service; `reason` is "" (no page), "optional" or "required":
    then a page asks for it first. A refusal is shown with the service's message and nothing changes.
    `done` is the success message, with `{n}` for the number of rows and `{s}` for a plural's "s".
    """

    def action(modeladmin, request, queryset):
        rows = list(queryset.order_by("pk"))
        if not rows:
            modeladmin.message_user(
                request, f"{label}: none of the chosen rows is one you may change; nothing was changed.", messages.ERROR
            )
            return None
        if one and len(rows) != 1:
            modeladmin.message_user(request, f"{label}: choose exactly one, not {len(rows)}.", messages.ERROR)
            return None
        given = ""
        if reason:
            form = ReasonForm(
                request.POST if "apply" in request.POST else None, required=reason == "required", label=reason_label
            )
            if not (form.is_bound and form.is_valid()):
                return TemplateResponse(
                    request,
                    "admin/recruitment/action_reason.html",
                    {
                        **modeladmin.admin_site.each_context(request),
                        "title": label,
                        "items": [modeladmin.describe(row) for row in rows],
                        "selected": [row.pk for row in rows],
                        "form": form,
                        "action": name,
                        "opts": modeladmin.opts,
                    },
                    status=400 if form.is_bound else 200,
                )
            given = form.cleaned_data["reason"]
        try:
            with transaction.atomic():
                call(rows, request.user, given)
        except ChangeRefused as error:
            modeladmin.message_user(request, f"Nothing was changed: {error}", messages.ERROR)
            return None
        modeladmin.message_user(request, done.format(n=len(rows), s="" if len(rows) == 1 else "s"), messages.SUCCESS)
        return None

    action.__name__ = name
    return admin.action(description=label, permissions=["recruit"])(action)


def each(service, *, row: str = "application", **fixed):
    """`call` for `service_action`: the service once per row (passed as `row`), all in one transaction."""

    def call(rows, by, reason):
        for item in rows:
            service(**{row: item}, by=by, **fixed, **({"reason": reason} if reason else {}))

    return call


# --- Advert rounds --------------------------------------------------------------------------------------


class OwnRowsInline(TabularRows):
    """Small rows written with their parent, by whoever may change it (`may_edit`): seen by anyone
    who uses the admin and sees the parent."""

    extra = 0
    formfield_overrides = UK_DATES

    def may_edit(self, request, obj) -> bool:
        raise NotImplementedError

    def _may_edit(self, request, obj) -> bool:
        """`may_edit`, asked once a request: the page asks it for every row the inline draws."""
        asked = request.__dict__.setdefault("_inline_may_edit", {})
        key = (type(self), None if obj is None else (type(obj), obj.pk))
        if key not in asked:
            asked[key] = self.may_edit(request, obj)
        return asked[key]

    def has_view_permission(self, request, obj=None):
        return permissions.may_use_admin(request.user)

    def has_add_permission(self, request, obj=None):
        return self._may_edit(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._may_edit(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._may_edit(request, obj)


class RoundRowsInline(OwnRowsInline):
    """A round's own small rows, written here directly by whoever runs recruitment for its place."""

    def may_edit(self, request, obj) -> bool:
        return obj is not None and permissions.may_recruit(request.user, obj.role.place)


def scored_stages(round_: AdvertRound) -> set[str]:
    """The stages whose criteria are fixed: a panel member has scored against one of them."""
    return set(Score.objects.filter(criterion__round=round_).values_list("criterion__stage", flat=True).distinct())


def fixed_criterion_problem(form, fixed: set[str]) -> str | None:
    """Why a criteria form may not be saved: it adds, changes or deletes a criterion of a stage that
    has been scored (its stage as loaded, or as posted)."""
    data = getattr(form, "cleaned_data", {})
    touched = form.has_changed() or data.get("DELETE")
    stages = {form.initial.get("stage"), data.get("stage")} & fixed
    if not (touched and stages):
        return None
    return (
        f"{Criterion.Stage(sorted(stages)[0]).label} has been scored: its criteria are fixed now, so "
        f"“{data.get('title') or form.initial.get('title')}” cannot be added, changed or removed."
    )


class CriterionFormSet(InlineRows):
    """Criteria of a stage are fixed once anyone has scored against one of them: those rows are shown
    read only, and a new criterion for that stage is refused."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fixed = scored_stages(self.instance) if self.instance.pk else set()

    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        if form.instance.pk and form.instance.stage in self.fixed:
            for field in form.fields.values():
                field.disabled = True
        return form

    def clean(self):
        super().clean()
        for form in self.forms:
            problem = fixed_criterion_problem(form, self.fixed)
            if problem:
                form.add_error(None, problem)


class CriterionInline(RoundRowsInline):
    model = Criterion
    formset = CriterionFormSet
    fields = ("stage", "title", "weight", "min_score", "max_score", "order")


class PanelFormSet(InlineRows):
    """A panel member who has scored stays on the panel as the same person (their scores are theirs)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        scored = Score.objects.filter(panel_member__round=self.instance) if self.instance.pk else Score.objects.none()
        self.scored = set(scored.values_list("panel_member_id", flat=True).distinct())

    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        if form.instance.pk in self.scored:
            for name in ("person", "DELETE"):
                if name in form.fields:
                    form.fields[name].disabled = True
                    form.fields[name].help_text = "Has scored: stays on the panel."
        return form


class PanelMemberInline(RoundRowsInline):
    model = PanelMember
    formset = PanelFormSet
    fields = ("person", "part")
    verbose_name_plural = "panel"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("person")

    def get_formset(self, request, obj=None, **kwargs):
        request._panel_of_round = obj  # the round whose rows the fields below are for
        return super().get_formset(request, obj, **kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "person":
            round_ = getattr(request, "_panel_of_round", None)
            on_panel = cache(
                lambda: {str(p.pk): p for p in Person.objects.filter(panels__round=round_)} if round_ else {}
            )
            kwargs["queryset"] = panel_candidates(request.user)
            kwargs["widget"] = KnownAutocompleteSelect(db_field, self.admin_site, on_panel)
            kwargs["form_class"] = IdChoiceField
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class SlotFormSet(InlineRows):
    """A booked slot is fixed (the candidate and panel were sent its time): cancel the booking first."""

    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        booked = getattr(form.instance, "application", None) if form.instance.pk else None
        if booked is not None:
            for field in form.fields.values():
                field.disabled = True
            if "DELETE" in form.fields:
                form.fields["DELETE"].help_text = f"Booked for {booked.label}: cancel the booking to change it."
        return form


class InterviewSlotInline(RoundRowsInline):
    model = InterviewSlot
    formset = SlotFormSet
    fields = ("starts_at", "ends_at", "room", "video_link")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("application")

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "video_link":
            kwargs["assume_scheme"] = "https"  # a link typed without one is a secure one
        return super().formfield_for_dbfield(db_field, request, **kwargs)


class ApplicationInline(ReadOnlyInline):
    """The round's applications, each linking to its page. Not on the page of a round the user scores
    anonymously (`AdvertRoundAdmin.get_inlines`)."""

    model = Application
    fields = readonly_fields = ("candidate_number", "applicant", "status", "received_on", "awaits_late_accept")
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("person", "round__role")

    @admin.display(description="applicant")
    def applicant(self, obj):
        return obj.person.name

    @admin.display(description="late, to accept", boolean=True)
    def awaits_late_accept(self, obj):
        # A form sent back with a row id that is not one of the round's shows a blank, unsaved row.
        return obj.pk is not None and obj.awaits_late_accept


class RoundOfferInline(ReadOnlyInline):
    """The round's offers, naming each candidate; like its applications, not on the page of a round the user
    scores anonymously."""

    model = Offer
    fields = readonly_fields = ("candidate", "status", "made_at", "answered_at")
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("application__person")

    @admin.display(description="candidate")
    def candidate(self, obj):
        return f"{obj.application.label}: {obj.application.person.name}"


class AdvertRoundAdmin(RecruitmentAdmin):
    """A role's advert rounds, with time to hire against the ICS's target. Rounds are opened by the
    role's "advertise" move, so none is added here, and none is deleted."""

    place_path = "role__place"
    list_display = (
        "role_title",
        "place",
        "number",
        "opens_on",
        "closes_on",
        "outcome",
        "applications",
        "days_to_hire",
        "target_days",
        "breached",
    )
    list_filter = (place_filter("role__place"), "outcome")
    search_fields = ("role__title",)
    ordering = ("-opens_on", "pk")
    change_form_template = "admin/recruitment/advertround/change_form.html"
    filter_horizontal = ("eligible_professions",)
    readonly_fields = ("role", "number", "opens_on", "closes_on", "outcome", "shortlist_closed_at", "time_to_hire")
    fieldsets = (
        (None, {"fields": ("role", "number", "opens_on", "closes_on", "outcome", "shortlist_closed_at")}),
        (
            "Advert",
            {"fields": ("advert_text", "eligible_professions", "sessions_shown", "pay_shown", "advertised_where")},
        ),
        ("Time to hire", {"fields": ("time_to_hire",)}),
    )
    inlines = [CriterionInline, PanelMemberInline, InterviewSlotInline, ApplicationInline, RoundOfferInline]

    def get_queryset(self, request):
        """Rounds with what their time to hire reads. The list's counts of applications are read for the rows
        of its page only (`get_changelist_instance`): counted for every round in scope, in the query that
        picks the page, they made the list's query 50 ms and a round's own page read them for nothing."""
        return rounds_for_hire_times(super().get_queryset(request))

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        rows = list(changelist.result_list)  # the page's rows, read now: the list draws these same objects
        counts = application_counts([row.pk for row in rows])
        for row in rows:
            row.n_applications = counts.get(row.pk, 0)
        return changelist

    def has_change_permission(self, request, obj=None):
        if not self.may_view(request.user):
            return False
        return obj is None or permissions.may_recruit(request.user, obj.role.place)

    def get_inlines(self, request, obj):
        """A round the user scores anonymously (`names_hidden_from`) is shown without its applications and
        offers, which name its candidates: asked once of the round, not of each inline's rows."""
        if obj is not None and names_hidden_from(request.user, obj):
            return [inline for inline in self.inlines if inline not in (ApplicationInline, RoundOfferInline)]
        return self.inlines

    def get_urls(self):
        view = self.admin_site.admin_view(partial(import_view, self))
        return [path("<int:round_id>/import/", view, name="recruitment_advertround_import"), *super().get_urls()]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and permissions.may_recruit(request.user, obj.role.place):
            context["import_url"] = reverse("admin:recruitment_advertround_import", args=[obj.pk])
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _times(self, obj):
        if not hasattr(obj, "_hire_times"):
            obj._hire_times = hire_times(obj)
        return obj._hire_times

    @admin.display(description="role", ordering="role__title")
    def role_title(self, obj):
        return obj.role.title

    @admin.display(description="place", ordering="role__place__name")
    def place(self, obj):
        return obj.role.place.name

    @admin.display(description="applications")
    def applications(self, obj):
        return obj.n_applications

    @admin.display(description="days to hire")
    def days_to_hire(self, obj):
        times = self._times(obj)
        if times.elapsed is None:
            return "not recorded"
        return times.elapsed if times.to_start is not None else f"{times.elapsed} so far"

    @admin.display(description="target (days)")
    def target_days(self, obj):
        return self._times(obj).target_days

    @admin.display(description="over target", boolean=True)
    def breached(self, obj):
        return self._times(obj).breached

    @admin.display(description="time to hire")
    def time_to_hire(self, obj):
        times = self._times(obj)
        summary = (
            f"{times.to_start} days from the advert opening to the appointee's start"
            if times.to_start is not None
            else f"{times.elapsed} days since the advert opened, no start date yet"
            if times.elapsed is not None
            else "the round closed with no start date recorded here"
        )
        verdict = "over the target" if times.breached else "within the target"
        stages = format_html_join("", "<li>{}: {}</li>", ((stage.name, _stage_days(stage)) for stage in times.stages))
        return format_html("<p>{} (target {} days): {}.</p><ul>{}</ul>", summary, times.target_days, verdict, stages)

    def save_model(self, request, obj, form, change):
        """The advert's fields go through `services.advert_save` (which also locks the round, so that
        the inlines' rows below are written under its lock)."""
        values = {name: form.cleaned_data[name] for name in services.ADVERT_FIELDS if name in form.changed_data}
        try:
            services.advert_save(round=obj, values=values, by=request.user)
        except ChangeRefused as error:
            raise Refused(error) from error

    def save_related(self, request, form, formsets, change):
        """The service set the professions (so no `form.save_m2m()`); the inlines' rows are saved here,
        criteria only if their stage is still unscored, checked again under the round's lock. A row
        the database refuses as a repeat (a form sent again, or a row added meanwhile) refuses it all."""
        for formset in formsets:
            if formset.model is Criterion:
                fixed = scored_stages(form.instance)
                problems = [p for p in (fixed_criterion_problem(f, fixed) for f in formset.forms) if p]
                if problems:
                    raise Refused(ChangeRefused(problems[0]))
            try:
                with transaction.atomic():
                    self.save_formset(request, form, formset, change=change)
            except IntegrityError as error:
                raise Refused(
                    ChangeRefused(
                        f"Nothing was saved: a row of the round's {formset.model._meta.verbose_name_plural} repeats "
                        "one it already has (the same title, person or start time). Reload the page and make the "
                        "change again."
                    )
                ) from error


admin.site.register(AdvertRound, AdvertRoundAdmin)


def _stage_days(stage) -> str:
    if stage.days is None:
        return "not reached"
    return f"{stage.days} day{'' if stage.days == 1 else 's'}" + ("" if stage.end else " so far")


# --- Applications ---------------------------------------------------------------------------------------


class ApplicationEventInline(ReadOnlyInline):
    model = ApplicationEvent
    fields = readonly_fields = ("at", "kind", "from_status", "to_status", "by", "reason")
    verbose_name_plural = "history"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("by", "application__round__role")


class ScoreInline(ReadOnlyInline):
    model = Score
    fields = readonly_fields = ("criterion", "scorer", "value", "scored_at")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("application", "criterion", "panel_member__person")

    @admin.display(description="panel member")
    def scorer(self, obj):
        return obj.panel_member.person.name


class ApplicationOfferInline(ReadOnlyInline):
    model = Offer
    fields = readonly_fields = ("status", "made_at", "made_by", "answered_at", "notes")
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("application", "made_by")


def _shortlist(shortlisted: bool):
    def call(rows, by, reason):
        services.applications_shortlist(applications=rows, shortlisted=shortlisted, by=by, reason=reason)

    return call


def _offer(rows, by, reason):
    services.offer_make(application=rows[0], by=by, reason=reason)


class ApplicationAdmin(RecruitmentAdmin):
    """Applications to the rounds of the user's places. Read only: every change is an action below,
    calling the service the round's page calls."""

    place_path = "round__role__place"
    round_path = "round"
    list_display = (
        "candidate_number",
        "applicant",
        "round_label",
        "place",
        "status",
        "received_on",
        "awaits_late_accept",
        "interview_slot",
    )
    list_filter = (place_filter("round__role__place"), "status", RoundFilter)
    list_select_related = ("person", "round__role__place", "interview_slot")
    list_deferred = (
        "statement",
        "round__advert_text",
        "round__role__description",
        "round__role__variation_reason",
        "round__role__board_decision",
    )
    search_fields = ("person__name", "person__email")
    # Newest rounds first, each round's candidates in number order: read down the index on (round,
    # candidate number). Ordered by role title, the 50,000 national applications were sorted on every
    # page (94 ms against 21 ms); a column heading still sorts by what it shows.
    ordering = ("-round_id", "candidate_number")
    show_full_result_count = False  # one count of 50,000 rows a page, not two
    readonly_fields = (
        "candidate_number",
        "round",
        "status",
        "received_on",
        "awaits_late_accept",
        "late_accepted_at",
        "interview_slot",
        "status_changed_at",
        "applicant",
        "email",
        "phone",
        "profession",
        "employer",
        "registration",
        "statement",
    )
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "candidate_number",
                    "round",
                    "status",
                    "received_on",
                    "awaits_late_accept",
                    "late_accepted_at",
                    "interview_slot",
                    "status_changed_at",
                )
            },
        ),
        ("Applicant", {"fields": ("applicant", "email", "phone", "profession", "employer", "registration")}),
        ("Supporting statement", {"fields": ("statement",)}),
    )
    inlines = [ApplicationEventInline, ScoreInline, ApplicationOfferInline]
    actions = [
        service_action(
            name="shortlist", label="Shortlist", call=_shortlist(True), done="{n} application{s} shortlisted."
        ),
        service_action(
            name="do_not_shortlist",
            label="Do not shortlist",
            call=_shortlist(False),
            done="{n} application{s} not shortlisted.",
        ),
        service_action(
            name="accept_late",
            label="Accept the late application",
            call=each(services.application_accept_late),
            done="{n} late application{s} accepted.",
        ),
        service_action(
            name="reinstate",
            label="Reinstate (with a reason)",
            call=each(services.application_reinstate),
            reason="required",
            reason_label="Reinstated because",
            done="{n} application{s} reinstated.",
        ),
        service_action(
            name="interview_held",
            label="Record the interview as held",
            call=each(services.interview_held),
            done="{n} interview{s} recorded as held.",
        ),
        service_action(
            name="make_offer",
            label="Make an offer (one candidate)",
            call=_offer,
            reason="optional",
            reason_label="Notes on the offer",
            one=True,
            done="Offer made.",
        ),
        service_action(
            name="withdraw",
            label="Withdraw (the applicant withdrew)",
            call=each(services.application_withdraw),
            reason="optional",
            reason_label="Why (optional)",
            done="{n} application{s} withdrawn.",
        ),
    ]

    def get_queryset(self, request):
        return (
            super().get_queryset(request).select_related("person__profession", "round__role__place", "interview_slot")
        )

    def describe(self, obj) -> str:
        return f"{obj.label}: {obj.person.name} ({obj.get_status_display().lower()})"

    @admin.display(description="applicant", ordering="person__name")
    def applicant(self, obj):
        return obj.person.name

    @admin.display(description="round", ordering="round__role__title")
    def round_label(self, obj):
        return f"{obj.round.role.title}, round {obj.round.number}"

    @admin.display(description="place", ordering="round__role__place__name")
    def place(self, obj):
        return obj.round.role.place.name

    @admin.display(description="late, to accept", boolean=True)
    def awaits_late_accept(self, obj):
        return obj.awaits_late_accept

    @admin.display(description="e-mail")
    def email(self, obj):
        return obj.person.email

    @admin.display(description="phone")
    def phone(self, obj):
        return obj.person.phone

    @admin.display(description="profession")
    def profession(self, obj):
        return obj.person.profession or ""

    @admin.display(description="employer")
    def employer(self, obj):
        return obj.person.employer

    @admin.display(description="professional registration")
    def registration(self, obj):
        return obj.person.registration


admin.site.register(Application, ApplicationAdmin)


# --- Offers and contracts -------------------------------------------------------------------------------


class OfferAdmin(RecruitmentAdmin):
    place_path = "round__role__place"
    round_path = "round"
    list_display = ("candidate", "round_label", "place", "status", "made_at", "answered_at")
    list_filter = (place_filter("round__role__place"), "status")
    list_select_related = ("application__person", "round__role__place")
    search_fields = ("application__person__name", "round__role__title")
    ordering = ("-made_at", "pk")
    fields = readonly_fields = (
        "candidate",
        "round",
        "status",
        "made_at",
        "made_by",
        "answered_at",
        "answered_by",
        "notes",
    )
    actions = [
        service_action(
            name="accept",
            label="Accepted by the candidate",
            call=each(services.offer_accept, row="offer"),
            done="{n} offer{s} accepted.",
        ),
        service_action(
            name="decline_next",
            label="Declined: offer to the next candidate",
            call=each(services.offer_decline, row="offer", then="next"),
            reason="optional",
            reason_label="Why (optional)",
            done="{n} offer{s} recorded as declined.",
        ),
        service_action(
            name="decline_not_appointed",
            label="Declined: close the round as not appointed",
            call=each(services.offer_decline, row="offer", then="not_appointed"),
            reason="optional",
            reason_label="Why (optional)",
            done="{n} offer{s} recorded as declined.",
        ),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("application__person", "round__role__place")

    def describe(self, obj) -> str:
        return f"{self.candidate(obj)} – {self.round_label(obj)} ({obj.get_status_display().lower()})"

    @admin.display(description="candidate", ordering="application__person__name")
    def candidate(self, obj):
        return f"{obj.application.label}: {obj.application.person.name}"

    @admin.display(description="round", ordering="round__role__title")
    def round_label(self, obj):
        return f"{obj.round.role.title}, round {obj.round.number}"

    @admin.display(description="place", ordering="round__role__place__name")
    def place(self, obj):
        return obj.round.role.place.name


admin.site.register(Offer, OfferAdmin)


class ContractForm(forms.ModelForm):
    override_reason = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        label="Override the budget guard because",
        help_text="ICS administrators only: fill in only if recording was refused for budget and you must go on.",
    )

    class Meta:
        model = Contract
        fields = (
            "offer",
            "contract_type",
            "starts_on",
            "ends_on",
            "signed_on",
            "sessions_per_week",
            "rate_per_session",
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("sessions_per_week", "rate_per_session"):
            if name in self.fields:
                self.fields[name].required = False
                self.fields[name].help_text = "Leave empty for the role's own."


class ContractAdmin(RecruitmentAdmin):
    """Signed contracts. Recording one (`services.contract_sign`) moves the role to contracted; a
    contract is not changed or deleted afterwards."""

    place_path = "offer__round__role__place"
    round_path = "offer__round"
    form = ContractForm
    list_display = (
        "appointee",
        "role_title",
        "place",
        "contract_type",
        "starts_on",
        "ends_on",
        "signed_on",
        "sessions_per_week",
        "rate_per_session",
    )
    list_filter = (place_filter("offer__round__role__place"), "contract_type")
    list_select_related = ("offer__application__person", "offer__round__role__place")
    search_fields = ("offer__application__person__name", "offer__round__role__title")
    ordering = ("-signed_on", "pk")
    ADD_FIELDS = (*ContractForm.Meta.fields, "override_reason")
    SHOWN_FIELDS = ("appointee", "role_title", *ContractForm.Meta.fields[1:], "recorded_by", "recorded_at")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("offer__application__person", "offer__round__role__place")

    def get_fields(self, request, obj=None):
        return self.ADD_FIELDS if obj is None else self.SHOWN_FIELDS

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.SHOWN_FIELDS

    def has_add_permission(self, request):
        return self.may_view(request.user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "offer":
            kwargs["queryset"] = Offer.objects.filter(
                status=Offer.Status.ACCEPTED,
                contract__isnull=True,
                round__role__place__in=permissions.places_recruited_by(request.user),
            ).select_related("application__person", "round__role")
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "offer":
            formfield.label_from_instance = lambda offer: (
                f"{offer.application.person.name} – {offer.round.role.title}, round {offer.round.number}"
            )
        return formfield

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        try:
            contract = services.contract_sign(
                offer=data["offer"],
                contract_type=data["contract_type"],
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                signed_on=data["signed_on"],
                sessions_per_week=data.get("sessions_per_week"),
                rate_per_session=data.get("rate_per_session"),
                override_reason=data.get("override_reason", ""),
                by=request.user,
            )
        except ChangeRefused as error:
            raise Refused(error) from error
        obj.pk = contract.pk
        obj.sessions_per_week, obj.rate_per_session = contract.sessions_per_week, contract.rate_per_session

    @admin.display(description="appointee", ordering="offer__application__person__name")
    def appointee(self, obj):
        return obj.offer.application.person.name

    @admin.display(description="role", ordering="offer__round__role__title")
    def role_title(self, obj):
        return obj.offer.round.role.title

    @admin.display(description="place", ordering="offer__round__role__place__name")
    def place(self, obj):
        return obj.offer.round.role.place.name


admin.site.register(Contract, ContractAdmin)


# --- People and declared interests (models of `roles`) ------------------------------------------------------


def is_panel_lookup(request) -> bool:
    """Whether this is the round page's search for a panel member (the autocomplete of `PanelMember.person`)."""
    match = request.resolver_match
    return bool(match and match.url_name == "autocomplete") and (
        request.GET.get("app_label"),
        request.GET.get("model_name"),
        request.GET.get("field_name"),
    ) == ("recruitment", "panelmember", "person")


class PersonAdmin(NotYoursIs404, ScopedAdmin):
    """People connected to the user's places' recruitment (`people_q`), to look up; only superusers
    change them (applicants come in through applications, panel members through their sign-in)."""

    recruiters_may_view = True
    list_display = ("name", "email", "profession", "employer")
    search_fields = ("name", "email")
    list_select_related = ("profession",)
    raw_id_fields = ("user",)
    fields = ("name", "email", "phone", "profession", "employer", "registration", "user")

    def _scope(self, queryset, user, *, change: bool):
        return queryset.filter(people_q(user))

    def get_queryset(self, request):
        if is_panel_lookup(request):
            return panel_candidates(request.user)
        return super().get_queryset(request)

    def has_add_permission(self, request):
        return permissions.sets_up_icss(request.user)

    def has_change_permission(self, request, obj=None):
        return permissions.sets_up_icss(request.user)

    def has_delete_permission(self, request, obj=None):
        return False


admin.site.register(Person, PersonAdmin)


class DeclarationAdmin(NotYoursIs404, ScopedAdmin):
    """The register of declared interests, to read: declarations are made by the services that take
    them (a panel member's, while scoring)."""

    recruiters_may_view = True
    list_display = ("person", "about_person", "context_display", "action", "declared_on")
    list_filter = ("action",)
    search_fields = ("person__name", "about_person__name")
    list_select_related = ("person", "about_person")
    fields = readonly_fields = (
        "person",
        "about_person",
        "context_display",
        "interest",
        "action",
        "notes",
        "declared_on",
        "recorded_by",
        "recorded_at",
    )

    def _scope(self, queryset, user, *, change: bool):
        return queryset.filter(pk__in=declarations_for(user).values("pk"))

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .prefetch_related(GenericPrefetch("context", [AdvertRound.objects.select_related("role")]))
        )

    @admin.display(description="concerning")
    def context_display(self, obj):
        context = obj.context
        if context is None:
            return "Standing declaration"
        if isinstance(context, AdvertRound):
            return f"{context.role.title}, round {context.number}"
        return str(context)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


admin.site.register(Declaration, DeclarationAdmin)


# --- Milestone plans ------------------------------------------------------------------------------------
# Tranches and their milestones are read here and changed on the plan pages, where every change goes
# through `recruitment.plans` (its checks, the place lock and the milestones' history); plan templates
# and their steps are an ICS administrator's to write here, for their own ICS.

from django.db.models import Count  # noqa: E402

from .models import Milestone, PlanStep, PlanTemplate, Tranche, When  # noqa: E402


class MilestoneInline(ReadOnlyInline):
    model = Milestone
    fields = readonly_fields = ("title", "when_display", "owner", "done_on")
    ordering = ("order", "starts_on", "pk")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("owner")  # each row shows its owner

    @admin.display(description="when")
    def when_display(self, obj):
        return obj.shown_when


class TrancheAdmin(NotYoursIs404, ScopedAdmin):
    """A place's tranches and their milestones, to read; the plan's page is where they change."""

    place_path = "place"
    recruiters_may_view = True
    list_display = ("name", "place", "created_at", "plan_link")
    list_filter = (place_filter("place"),)
    list_select_related = ("place",)
    search_fields = ("name",)
    fields = readonly_fields = ("place", "name", "roles_display", "created_at", "plan_link")
    inlines = [MilestoneInline]

    @admin.display(description="roles")
    def roles_display(self, obj):
        return ", ".join(role.title for role in obj.roles.order_by("title")) or "—"

    @admin.display(description="plan")
    def plan_link(self, obj):
        url = reverse("recruitment:plan_detail", args=[obj.place.slug, obj.pk])
        return format_html('<a href="{}">Timeline and milestones</a>', url)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


admin.site.register(Tranche, TrancheAdmin)


class PlanStepFormSet(InlineRows):
    def clean(self):
        super().clean()
        for form in self.forms:
            data = getattr(form, "cleaned_data", {})
            if not data or data.get("DELETE"):
                continue
            if data.get("when_kind") == When.RANGE and not data.get("length_days"):
                form.add_error("length_days", "A date range lasts more than one day: give the days after its first.")
            elif data.get("when_kind") != When.RANGE and data.get("length_days"):
                form.add_error("length_days", "Only a date range lasts some days: set this to 0, or make it a range.")


class PlanStepInline(OwnRowsInline):
    """A template's steps, written with it by whoever may change the template."""

    model = PlanStep
    formset = PlanStepFormSet
    fields = ("order", "title", "when_kind", "offset_days", "length_days")
    ordering = ("order", "offset_days")

    def may_edit(self, request, obj) -> bool:
        return PlanTemplateAdmin.may_change(request.user, obj)


class PlanTemplateAdmin(NotYoursIs404, ScopedAdmin):
    """Plan templates: an ICS administrator's for their ICS; those of no ICS are everyone's to read
    and a superuser's to change."""

    ics_path = "ics"
    list_display = ("name", "ics", "step_count")
    list_select_related = ("ics",)
    search_fields = ("name",)
    fields = ("ics", "name", "description")
    inlines = [PlanStepInline]

    @staticmethod
    def may_change(user, obj) -> bool:
        if not permissions.is_ics_admin(user):
            return False
        if obj is None or getattr(user, "is_superuser", False):
            return True
        return obj.ics_id is not None and permissions.icss_administered_by(user).filter(pk=obj.ics_id).exists()

    def _scope(self, queryset, user, *, change: bool):
        if getattr(user, "is_superuser", False):
            return queryset
        mine = Q(ics__in=permissions.icss_administered_by(user))
        return queryset.filter(mine if change else mine | Q(ics__isnull=True))

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(steps_count=Count("steps"))

    @admin.display(description="steps", ordering="steps_count")
    def step_count(self, obj):
        return obj.steps_count

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "ics" and field is not None and not request.user.is_superuser:
            field.required = True  # a template of no ICS is everyone's: a superuser's to make
        return field


admin.site.register(PlanTemplate, PlanTemplateAdmin)


# --- Reminders --------------------------------------------------------------------------------------------
# What the reminder sweep made for the user's places: to whom, about what, and whether it was sent or
# why not. Read only; the one action retries failed ones through `recruitment.reminders`, as the
# service does for anyone. Interview reminders of a round the user scores anonymously are left out
# (the candidate's own names them).

from . import reminders as reminder_service  # noqa: E402
from .models import Reminder  # noqa: E402


class ReminderAdmin(RecruitmentAdmin):
    place_path = "place"
    list_display = ("kind", "subject", "due_on", "to", "status", "attempts", "last_error", "sent_at")
    list_filter = ("status", "kind", place_filter("place"))
    list_select_related = ("recipient", "place")
    search_fields = ("subject", "email")
    ordering = ("-due_on", "-pk")
    fields = readonly_fields = (
        "kind",
        "subject_key",
        "place",
        "due_on",
        "to",
        "subject",
        "body",
        "status",
        "attempts",
        "last_error",
        "created_at",
        "sent_at",
    )
    actions = ["retry_failed"]

    def _scope(self, queryset, user, *, change: bool):
        return reminder_service.without_anonymous_interviews(super()._scope(queryset, user, change=change), user)

    def describe(self, obj) -> str:
        return str(obj)

    @admin.display(description="to", ordering="email")
    def to(self, obj):
        if obj.recipient_id:
            name = obj.recipient.get_full_name() or obj.recipient.username
            return f"{name} <{obj.email}>" if reminder_service.has_address(obj.email) else f"{name} (no address)"
        return obj.email

    @admin.action(description="Retry the failed ones", permissions=["recruit"])
    def retry_failed(self, request, queryset):
        rows = list(queryset)
        try:
            outcome = reminder_service.reminders_retry_failed(reminders=rows, by=request.user)
        except ChangeRefused as error:
            self.message_user(request, f"Nothing was retried: {error}", messages.ERROR)
            return
        if outcome.retried:
            self.message_user(
                request,
                f"{outcome.retried} failed reminder{'s' if outcome.retried != 1 else ''} will be sent again; "
                "reload to see how it went.",
                messages.SUCCESS,
            )
        if outcome.no_address:
            self.message_user(
                request,
                f"{outcome.no_address} failed for want of an e-mail address and were left: add the address to "
                "the person's account or record, and the next reminders reach them.",
                messages.WARNING,
            )
        if outcome.not_failed:
            self.message_user(
                request, f"{outcome.not_failed} had not failed and were left as they were.", messages.INFO
            )


admin.site.register(Reminder, ReminderAdmin)


# --- Reminder settings -------------------------------------------------------------------------------------
# A place's reminder choices: days before a milestone, and how often leaders in post are reviewed. ICS
# administrators set them for their places; every change is kept (History).

from .models import ReminderSettings  # noqa: E402


class ReminderSettingsAdmin(ScopedAdmin):
    place_path = "place"
    list_display = ("place", "days_before", "review_every_months")
    list_select_related = ("place",)
    fields = ("place", "days_before", "review_every_months")


admin.site.register(ReminderSettings, ReminderSettingsAdmin)
