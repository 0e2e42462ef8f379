"""Milestone plans in the browser: a place's tranches, a plan's timeline and table, adding and editing
a milestone, marking one done; "What's due" for each user, and its panel on the place's dashboard.

Thin, as the other pages are: who sees a place is `roles.permissions.places_visible_to` (anyone else:
404), who changes its plans is `plans.may_plan` (403), every write is a `recruitment.plans` service,
and a refusal is its message at its status with nothing written. A milestone or tranche of a place the
user cannot see does not exist for them (404). Each page reads a constant number of queries, however
many milestones a plan has.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Max, Prefetch, Q
from django.http import Http404
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from roles import permissions
from roles.extensions import dashboard_section
from roles.formatting import day
from roles.forms import is_possible_id
from roles.models import Place
from roles.services import ChangeRefused
from roles.views import bad_request, next_url, place_for

from . import drift, plans
from .models import Milestone, Tranche, When
from .plan_forms import DoneForm, MilestoneForm, TrancheStartForm
from .timeline import status_label, status_of, timeline_svg

PANEL_ROWS = 5  # rows of each list the dashboard's panel shows before "and N more"


# --- Access ----------------------------------------------------------------------------------------------


def _must_plan(request, place: Place) -> None:
    if not plans.may_plan(request.user, place):
        raise PermissionDenied(
            f"You follow {place}'s plans; its place team, ICS administrators and HR recruiters change them."
        )


def _milestone_for(request, pk: int) -> Milestone:
    visible = permissions.places_visible_to(request.user)
    return get_object_or_404(
        Milestone.objects.filter(place__in=visible).select_related("place__ics", "tranche", "owner"), pk=pk
    )


def _plan_url(place: Place, tranche_id: int | None) -> str:
    if tranche_id:
        return reverse("recruitment:plan_detail", args=[place.slug, tranche_id])
    return reverse("recruitment:place_plans", args=[place.slug]) + "#single-milestones"


# --- What the pages show ---------------------------------------------------------------------------------


@dataclass
class Row:
    """A milestone as a table shows it: its status in words, and the roles it concerns."""

    milestone: Milestone
    status: str  # done, pending, late or tbc (`timeline.status_of`)
    status_text: str
    roles_text: str = ""


def _rows(milestones: list[Milestone], today: dt.date, tranche_roles: set[int] | None = None) -> list[Row]:
    rows = []
    for m in milestones:
        roles = list(m.roles.all())
        if tranche_roles and {r.pk for r in roles} == tranche_roles:
            text = f"All the tranche's roles ({len(roles)})"
        else:
            text = ", ".join(r.title for r in roles)
        rows.append(Row(m, status_of(m, today), status_label(m, today), text))
    return rows


@dataclass
class PlanSummary:
    """A tranche on the place's plans page: its progress, what is late and what comes next."""

    tranche: Tranche
    milestones: list[Milestone]
    today: dt.date
    roles: list = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.milestones)

    @property
    def done(self) -> int:
        return sum(1 for m in self.milestones if m.is_done)

    @property
    def late(self) -> int:
        return sum(1 for m in self.milestones if m.is_late(self.today))

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0

    @property
    def next(self) -> Milestone | None:
        open_dated = [m for m in self.milestones if not m.is_done and m.due_on]
        return min(open_dated, key=lambda m: (m.due_on, m.order, m.pk), default=None)

    @property
    def dates(self) -> str:
        dated = [m for m in self.milestones if m.starts_on]
        if not dated:
            return "No dates yet"
        first = min(m.starts_on for m in dated)
        last = max(m.ends_on or m.due_on for m in dated)
        return f"{day(first)} to {day(last)}"


def _ordered(queryset):
    return queryset.select_related("owner").prefetch_related("roles").order_by("order", "starts_on", "pk")


def _drift_rows(user, drifts: list[drift.Drift]) -> list[tuple[drift.Drift, bool]]:
    """Each drifted role with whether the user may make the move that resolves it."""
    return [(d, permissions.may_move(user, d.role.place, d.to)) for d in drifts]


def _render_place(request, place: Place, *, form: TrancheStartForm | None = None, status: int = 200):
    today = timezone.localdate()
    may_plan = plans.may_plan(request.user, place)
    tranches = (
        Tranche.objects.filter(place=place)
        .prefetch_related(
            Prefetch("milestones", queryset=Milestone.objects.order_by("order", "starts_on", "pk")),
            Prefetch("roles", to_attr="role_list"),
        )
        .order_by("-created_at", "-pk")
    )
    summaries = [PlanSummary(t, list(t.milestones.all()), today, t.role_list) for t in tranches]
    single = list(_ordered(Milestone.objects.filter(place=place, tranche__isnull=True)))
    svg = ""
    if single:
        svg = mark_safe(timeline_svg(single, today, title=f"{place.name}: single milestones", ident="timeline-single"))
    due = plans.due(Milestone.objects.filter(place=place), today)
    context = {
        "place": place,
        "today": today,
        "may_plan": may_plan,
        "summaries": summaries,
        "single_rows": _rows(single, today),
        "single_svg": svg,
        "due": due,
        "drifts": _drift_rows(request.user, drift.drifted([place.pk], today)),
        "form": (form or TrancheStartForm(place=place)) if may_plan else None,
        "planning": {place.pk} if may_plan else set(),
    }
    return render(request, "recruitment/plans.html", context, status=status)


def _render_detail(request, place: Place, tranche: Tranche, *, status: int = 200):
    today = timezone.localdate()
    milestones = list(_ordered(tranche.milestones.all()))
    tranche_roles = list(tranche.roles.order_by("title"))
    svg = timeline_svg(milestones, today, title=f"{tranche.name}: timeline", ident=f"timeline-{tranche.pk}")
    context = {
        "place": place,
        "tranche": tranche,
        "today": today,
        "may_plan": plans.may_plan(request.user, place),
        "svg": mark_safe(svg),
        "rows": _rows(milestones, today, {r.pk for r in tranche_roles}),
        "tranche_roles": tranche_roles,
        "summary": PlanSummary(tranche, milestones, today),
    }
    return render(request, "recruitment/plan_detail.html", context, status=status)


def _render_plan_of(request, milestone: Milestone, *, status: int):
    """The page a milestone is listed on, answering `status` (after a refused change)."""
    if milestone.tranche_id:
        return _render_detail(request, milestone.place, milestone.tranche, status=status)
    return _render_place(request, milestone.place, status=status)


def _problems(form) -> str:
    return " ".join(problem for problems in form.errors.values() for problem in problems)


# --- A place's plans ----------------------------------------------------------------------------------------


def place_plans(request, place):
    """The place's tranches with their progress, what is due and what has drifted; a tranche is started
    here from a plan template (POST)."""
    place = place_for(request, place)
    if request.method != "POST":
        return _render_place(request, place)
    _must_plan(request, place)
    form = TrancheStartForm(request.POST, place=place)
    if not form.is_valid():
        messages.error(request, "No tranche was started: " + _problems(form))
        return _render_place(request, place, form=form, status=400)
    data = form.cleaned_data
    try:
        tranche = plans.tranche_start(
            place=place,
            name=data["name"],
            template=data["template"],
            starts_on=data["starts_on"],
            by=request.user,
            roles=list(data["roles"]),
        )
    except ChangeRefused as error:
        messages.error(request, str(error))
        return _render_place(request, place, form=form, status=error.status)
    messages.success(
        request,
        f"“{tranche.name}” is started from “{data['template']}”, counting from {day(data['starts_on'])}: "
        "adjust its milestones below.",
    )
    return redirect("recruitment:plan_detail", place.slug, tranche.pk)


def plan_detail(request, place, pk):
    place = place_for(request, place)
    tranche = get_object_or_404(Tranche.objects.filter(place=place), pk=pk)
    return _render_detail(request, place, tranche)


# --- A milestone ----------------------------------------------------------------------------------------------


def milestone_new(request):
    """Add a milestone to a tranche (`?tranche=<id>`), or a single one to a place (`?place=<slug>`)."""
    tranche_id, slug = request.GET.get("tranche", ""), request.GET.get("place", "")
    tranche = None
    if tranche_id:
        if not tranche_id.isdigit() or not is_possible_id(Tranche, tranche_id):
            raise Http404("There is no such tranche.")
        visible = permissions.places_visible_to(request.user)
        tranche = get_object_or_404(
            Tranche.objects.filter(place__in=visible).select_related("place__ics"), pk=tranche_id
        )
        place = tranche.place
    elif slug:
        place = place_for(request, slug)
    else:
        return bad_request(request, "Say which plan the milestone is for: open “Add a milestone” from a plan.")
    _must_plan(request, place)
    form = MilestoneForm(request.POST or None, place=place)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            values = form.service_values()
            same_plan = Milestone.objects.filter(place=place, tranche=tranche)
            values.update(tranche=tranche, order=(same_plan.aggregate(last=Max("order"))["last"] or 0) + 1)
            try:
                milestone = plans.milestone_save(place=place, values=values, by=request.user)
            except ChangeRefused as error:
                messages.error(request, f"Nothing was saved: {error}")
                status = error.status
            else:
                messages.success(request, f"“{milestone.title}” ({milestone.shown_when}) is added.")
                return redirect(_plan_url(place, milestone.tranche_id))
    back = _plan_url(place, tranche.pk if tranche else None)
    context = {"place": place, "tranche": tranche, "form": form, "milestone": None, "back": back}
    return render(request, "recruitment/plan_milestone_form.html", context, status=status)


def milestone_edit(request, pk):
    milestone = _milestone_for(request, pk)
    place = milestone.place
    _must_plan(request, place)
    dated = milestone.starts_on is not None and milestone.when_kind != When.TBC
    later = plans.later_than(milestone).count() if dated else 0
    form = MilestoneForm(request.POST or None, place=place, milestone=milestone, later=later)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                moved = plans.milestone_edit(
                    milestone=milestone,
                    values=form.service_values(),
                    version=form.cleaned_data["version"],
                    by=request.user,
                    shift_later=form.moves_date and bool(form.cleaned_data.get("shift_later")),
                )
            except ChangeRefused as error:
                messages.error(request, f"Nothing was saved: {error}")
                status = error.status
            else:
                text = f"“{form.cleaned_data['title']}” is saved."
                if len(moved) > 1:
                    days = (form.cleaned_data["starts_on"] - milestone.starts_on).days
                    others = len(moved) - 1
                    text += f" The {others} later milestone{'s' if others > 1 else ''} moved by {days} days too."
                messages.success(request, text)
                return redirect(_plan_url(place, milestone.tranche_id))
    context = {
        "place": place,
        "tranche": milestone.tranche,
        "form": form,
        "milestone": milestone,
        "back": _plan_url(place, milestone.tranche_id),
        "done_form": DoneForm(initial={"on": timezone.localdate()}),
    }
    return render(request, "recruitment/plan_milestone_form.html", context, status=status)


@require_POST
def milestone_done(request, pk):
    """Mark a milestone done (today, or the day given), or not done again (`done=no`)."""
    milestone = _milestone_for(request, pk)
    _must_plan(request, milestone.place)
    form = DoneForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"“{milestone.title}” was not changed: " + _problems(form))
        return _render_plan_of(request, milestone, status=400)
    try:
        changed = plans.milestone_done(
            milestone=milestone, by=request.user, on=form.cleaned_data["on"], done=form.marks_done
        )
    except ChangeRefused as error:
        messages.error(request, str(error))
        return _render_plan_of(request, milestone, status=error.status)
    if changed.done_on:
        messages.success(request, f"“{changed.title}” is marked done on {day(changed.done_on)}.")
    else:
        messages.success(request, f"“{changed.title}” is marked not done again.")
    return redirect(next_url(request, _plan_url(milestone.place, milestone.tranche_id)))


# --- What's due ------------------------------------------------------------------------------------------------


def my_due(request):
    """The user's own milestones, and the unowned ones of the places whose plans they keep: overdue,
    due this week and coming up; and the roles of their places that have drifted."""
    today = timezone.localdate()
    user = request.user
    visible = list(permissions.places_visible_to(user).select_related("ics").order_by("name"))
    planning = {p.pk for p in visible if plans.may_plan(user, p)}
    mine = Milestone.objects.filter(place__in=[p.pk for p in visible]).filter(
        Q(owner=user) | Q(owner__isnull=True, place__in=planning)
    )
    context = {
        "today": today,
        "due": plans.due(mine, today),
        "drifts": _drift_rows(user, drift.drifted([p.pk for p in visible], today)),
        "planning": planning,
        "show_place": len(visible) > 1,
    }
    return render(request, "recruitment/due.html", context)


@dashboard_section
def due_panel(request, place, year) -> str:
    """On the place's dashboard: what is due in its plans and how many roles have drifted, briefly,
    with links to the full lists on its plans page."""
    today = timezone.localdate()
    due = plans.due(Milestone.objects.filter(place=place), today)
    drift_counts = drift.drift_counts([place.pk], today)
    may_plan = plans.may_plan(request.user, place)
    lists = [
        ("Overdue", "panel-overdue", due.overdue),
        ("Due this week", "panel-this-week", due.this_week),
        ("Coming up", "panel-coming-up", due.coming_up),
    ]
    context = {
        "place": place,
        "today": today,
        "lists": [
            (heading, ident, rows[:PANEL_ROWS], len(rows), max(len(rows) - PANEL_ROWS, 0))
            for heading, ident, rows in lists
        ],
        "drift_counts": drift_counts,
        "drift_total": sum(n for _, n in drift_counts),
        "planning": {place.pk} if may_plan else set(),
        "next": request.get_full_path() + "#whats-due",
    }
    # Rendered without the request, so the context processors (the navigation's queries) do not run a
    # second time for this panel; the one-click forms get the CSRF token from the context.
    return render_to_string("recruitment/partials/due_panel.html", {**context, "csrf_token": get_token(request)})


urlpatterns = [
    path("places/<slug:place>/plans/", place_plans, name="place_plans"),
    path("places/<slug:place>/plans/<int:pk>/", plan_detail, name="plan_detail"),
    path("milestones/new/", milestone_new, name="milestone_new"),
    path("milestones/<int:pk>/edit/", milestone_edit, name="milestone_edit"),
    path("milestones/<int:pk>/done/", milestone_done, name="milestone_done"),
    path("due/", my_due, name="my_due"),
]
