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
from collections import defaultdict
from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Max, Q
from django.http import Http404
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST, require_safe

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
PLACE_DUE_ROWS = 10  # rows of each list the place's plans page shows, with a link to the rest
DUE_ROWS = 25  # rows of each list a "What's due" page shows, with a link to the rest
DUE_PAGE_ROWS = 100  # rows a page of one whole list shows (`?list=`)
DRIFTED = "drifted"  # the key of the list of drifted roles, beside `plans.DUE_LISTS`
TRANCHES_PER_PAGE = 25
SINGLES_PER_PAGE = 50


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
    """A row for each milestone, with the roles it concerns in words: their titles, all a row shows of
    them, read as (milestone, role, title) rows in one query."""
    roles_of: dict[int, list[tuple[int, str]]] = defaultdict(list)
    links = Milestone.roles.through.objects.filter(milestone__in=[m.pk for m in milestones])
    for milestone_id, role_id, title in links.order_by("role__place__name", "role__title", "role_id").values_list(
        "milestone_id", "role_id", "role__title"
    ):
        roles_of[milestone_id].append((role_id, title))
    rows = []
    for m in milestones:
        roles = roles_of[m.pk]
        if tranche_roles and {pk for pk, _title in roles} == tranche_roles:
            text = f"All the tranche's roles ({len(roles)})"
        else:
            text = ", ".join(title for _pk, title in roles)
        rows.append(Row(m, status_of(m, today), status_label(m, today), text))
    return rows


def _ordered(queryset):
    """Milestones in their plan's order with their owners."""
    return queryset.select_related("owner").order_by("order", "starts_on", "pk")


def _drift_rows(user, drifts: list[drift.Drift]) -> list[tuple[drift.Drift, bool]]:
    """Each drifted role with whether the user may make the move that resolves it."""
    return [(d, permissions.may_move(user, d.role.place, d.to)) for d in drifts]


def _page(request, rows, per_page: int, name: str = "page"):
    """The page of `rows` that `?<name>=` asks for (the first, or the last when past the end)."""
    return Paginator(rows, per_page).get_page(request.GET.get(name))


def _render_place(request, place: Place):
    today = timezone.localdate()
    may_plan = plans.may_plan(request.user, place)
    tranches = _page(request, Tranche.objects.filter(place=place).order_by("-created_at", "-pk"), TRANCHES_PER_PAGE)
    singles = _page(
        request, _ordered(Milestone.objects.filter(place=place, tranche__isnull=True)), SINGLES_PER_PAGE, "singles"
    )
    single = list(singles)
    svg = ""
    if single:
        svg = mark_safe(timeline_svg(single, today, title=f"{place.name}: single milestones", ident="timeline-single"))
    context = {
        "place": place,
        "today": today,
        "may_plan": may_plan,
        "tranches": tranches,
        "summaries": plans.summaries(tranches.object_list, today),
        "singles": singles,
        "single_rows": _rows(single, today),
        "single_svg": svg,
        **_due_lists(request, Milestone.objects.filter(place=place), [place.pk], today, PLACE_DUE_ROWS),
        "due_url": reverse("recruitment:place_due", args=[place.slug]),
        "planning": {place.pk} if may_plan else set(),
    }
    return render(request, "recruitment/plans.html", context)


def _render_detail(request, place: Place, tranche: Tranche, *, status: int = 200):
    today = timezone.localdate()
    milestones = list(_ordered(tranche.milestones.all()))
    tranche_roles = list(tranche.roles.only("pk", "title").order_by("title"))
    svg = timeline_svg(milestones, today, title=f"{tranche.name}: timeline", ident=f"timeline-{tranche.pk}")
    context = {
        "place": place,
        "tranche": tranche,
        "today": today,
        "may_plan": plans.may_plan(request.user, place),
        "svg": mark_safe(svg),
        "rows": _rows(milestones, today, {r.pk for r in tranche_roles}),
        "tranche_roles": tranche_roles,
        "summary": plans.summaries([tranche], today)[0],
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


@require_safe
def place_plans(request, place):
    """The place's tranches with their progress, what is due and what has drifted."""
    return _render_place(request, place_for(request, place))


def tranche_new(request, place):
    """Start a tranche of the place's roles from a plan template: its own page, since it lists every
    role of the place to choose from (1,000 at the largest)."""
    place = place_for(request, place)
    _must_plan(request, place)
    form = TrancheStartForm(request.POST or None, place=place)
    if request.method != "POST":
        return _render_tranche_form(request, place, form)
    if not form.is_valid():
        messages.error(request, "No tranche was started: " + _problems(form))
        return _render_tranche_form(request, place, form, status=400)
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
        return _render_tranche_form(request, place, form, status=error.status)
    messages.success(
        request,
        f"“{tranche.name}” is started from “{data['template']}”, counting from {day(data['starts_on'])}: "
        "adjust its milestones below.",
    )
    return redirect("recruitment:plan_detail", place.slug, tranche.pk)


def _render_tranche_form(request, place: Place, form: TrancheStartForm, *, status: int = 200):
    return render(request, "recruitment/tranche_new.html", {"place": place, "form": form}, status=status)


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


def _due_lists(request, milestones, drift_places, today: dt.date, rows: int) -> dict:
    """The context of the lists of what is due and of drifted roles, each its first `rows` and its count."""
    drift_count = sum(n for _, n in drift.drift_counts(drift_places, today))
    return {
        "due": plans.due(milestones, today, limit=rows),
        "drifts": _drift_rows(request.user, drift.drifted(drift_places, today, limit=rows)),
        "drift_count": drift_count,
    }


def _render_due(request, *, milestones, drift_places, planning, show_place, place=None):
    """A "What's due" page: every list's first rows with links to the rest, or one whole list a page at
    a time (`?list=<key>&page=<n>`)."""
    today = timezone.localdate()
    shown = request.GET.get("list", "")
    context = {"today": today, "planning": planning, "show_place": show_place, "place": place, "due_url": request.path}
    if not shown:
        context.update(_due_lists(request, milestones, drift_places, today, DUE_ROWS))
        return render(request, "recruitment/due.html", context)
    if shown == DRIFTED:
        page = _page(request, drift.drifting_roles(drift_places, today), DUE_PAGE_ROWS)
        drifts = [drift.as_drift(role, today) for role in page]
        context.update(heading="Drifted roles", page=page, drifts=_drift_rows(request.user, drifts))
    elif shown in plans.DUE_LISTS:
        page = _page(request, plans.open_due(milestones, today).filter(due_list=shown), DUE_PAGE_ROWS)
        due_list = plans.DueList(shown, list(page), page.paginator.count)
        context.update(heading=due_list.heading, page=page, due_list=due_list)
    else:
        lists = ", ".join([*plans.DUE_LISTS, DRIFTED])
        return bad_request(request, f"There is no list “{shown[:40]}” of what's due: ask for one of {lists}.")
    context["list_key"] = shown
    return render(request, "recruitment/due_one.html", context)


def my_due(request):
    """The user's own milestones, and the unowned ones of the places whose plans they keep: overdue,
    due this week and coming up; and the roles of their places that have drifted."""
    user = request.user
    visible = list(permissions.places_visible_to(user).select_related("ics").order_by("name"))
    planning = {p.pk for p in visible if plans.may_plan(user, p)}
    mine = Milestone.objects.filter(place__in=[p.pk for p in visible]).filter(
        Q(owner=user) | Q(owner__isnull=True, place__in=planning)
    )
    return _render_due(
        request, milestones=mine, drift_places=[p.pk for p in visible], planning=planning, show_place=len(visible) > 1
    )


def place_due(request, place):
    """Every open milestone of the place's plans, whoever owns it, and its drifted roles."""
    place = place_for(request, place)
    planning = {place.pk} if plans.may_plan(request.user, place) else set()
    return _render_due(
        request,
        milestones=Milestone.objects.filter(place=place),
        drift_places=[place.pk],
        planning=planning,
        show_place=False,
        place=place,
    )


@dashboard_section
def due_panel(request, place, year) -> str:
    """On the place's dashboard: what is due in its plans and how many roles have drifted, briefly,
    with links to the full lists."""
    today = timezone.localdate()
    due = plans.due(Milestone.objects.filter(place=place), today, limit=PANEL_ROWS)
    drift_counts = drift.drift_counts([place.pk], today)
    may_plan = plans.may_plan(request.user, place)
    context = {
        "place": place,
        "today": today,
        "due": due,
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
    path("places/<slug:place>/plans/new/", tranche_new, name="tranche_new"),
    path("places/<slug:place>/plans/<int:pk>/", plan_detail, name="plan_detail"),
    path("places/<slug:place>/due/", place_due, name="place_due"),
    path("milestones/new/", milestone_new, name="milestone_new"),
    path("milestones/<int:pk>/edit/", milestone_edit, name="milestone_edit"),
    path("milestones/<int:pk>/done/", milestone_done, name="milestone_done"),
    path("due/", my_due, name="my_due"),
]
