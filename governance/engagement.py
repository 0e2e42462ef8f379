"""The engagement log (Table 2 of the Bexley proposals): every write to events and feedback points,
and the reads their pages, the role page and the template comparison share.

An event is a date and a group or organisation; its feedback points say what was done about each
(a role added, renamed, retyped, or the point noted) and link the roles it shaped. The rules:

| action   | roles of the event's place | template roles of its ICS                      |
|----------|----------------------------|------------------------------------------------|
| added    | at least one               | optional                                       |
| renamed  | at least one               | optional: the template role it was renamed from |
| retyped  | at least one               | optional: the template role whose type it left  |
| noted    | optional                   | optional                                       |

A role of another place or a template role of another ICS is refused, however its id arrived.

Each write checks who is asking (`access.may_edit_engagement`: the place team and ICS
administrators), takes the place's row lock as every writer does, writes only the fields it is
given, keeps field history with who made the change (django-simple-history), refuses an edit made
on a form loaded before someone else's change (409: the version is the row's latest history row,
`version_of`), and raises
`roles.services.ChangeRefused` with nothing written when a rule is broken. An event with feedback
points is not deleted: its points are deleted first, one by one, so that no link between feedback
and a role goes without its own history row.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db import transaction
from django.db.models import Count, Max, Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils.html import format_html

from roles.formatting import day
from roles.models import Place, Role, TemplateRole
from roles.services import ChangeRefused, MoveNotAllowed

from .access import may_edit_engagement
from .models import EngagementEvent, FeedbackPoint

Action = FeedbackPoint.Action


class StaleEngagement(ChangeRefused):
    """The event or point changed after the form was loaded: nothing is saved, nothing merged."""

    status = 409


EVENT_FIELDS = ("held_on", "group", "notes")
POINT_FIELDS = ("text", "order", "action", "action_note", "roles", "template_roles")
NEEDS_A_ROLE = {
    Action.ADDED: "A point that added a role links the role it added: choose it under “Roles it shaped”.",
    Action.RENAMED: "A point that renamed a role links the role as it is now called: choose it under "
    "“Roles it shaped” (and the template role it was renamed from, if there is one).",
    Action.RETYPED: "A point that changed a role's type links that role: choose it under “Roles it shaped” "
    "(and the template role whose type it differs from, if there is one).",
}


# --- Rules ---------------------------------------------------------------------------------------


def point_problems(*, place: Place, action: str, roles: Iterable[Role], template_roles: Iterable[TemplateRole]) -> dict:
    """What is wrong with a point's action and links, by field (empty when nothing is). The one
    statement of the rules in the module's table: the form shows these, the service refuses them."""
    problems: dict[str, str] = {}
    roles, template_roles = list(roles), list(template_roles)
    if action not in Action.values:
        problems["action"] = "Choose what was done about the point: role added, renamed, type changed, or noted."
    foreign = sorted(role.title for role in roles if role.place_id != place.pk)
    if foreign:
        problems["roles"] = f"Link roles of {place.name} only: {', '.join(foreign)} is not one of them."
    elif action in NEEDS_A_ROLE and not roles:
        problems["roles"] = NEEDS_A_ROLE[action]
    foreign = sorted(template.title for template in template_roles if template.ics_id != place.ics_id)
    if foreign:
        problems["template_roles"] = (
            f"Link template roles of {place.ics.name} only: {', '.join(foreign)} is not one of them."
        )
    return problems


def _refuse_invalid(obj, exclude: list[str]) -> None:
    try:
        obj.full_clean(exclude=exclude, validate_constraints=False)
    except ValidationError as error:
        problems = [
            f"{obj._meta.get_field(name).verbose_name.capitalize()}: {' '.join(messages)}"
            if name != "__all__"
            else " ".join(messages)
            for name, messages in error.message_dict.items()
        ]
        raise ChangeRefused("Nothing was saved: " + " ".join(problems)) from error


def _must_edit(by, place: Place) -> None:
    if by is not None and not may_edit_engagement(by, place):
        raise MoveNotAllowed(
            f"Your account may read {place}'s engagement log but not change it: its place team and "
            "ICS administrators keep it."
        )


def _lock_place(place: Place) -> Place:
    return Place.objects.select_for_update(of=("self",)).select_related("ics").get(pk=place.pk)


def version_of(row: EngagementEvent | FeedbackPoint) -> int:
    """The row's version: the id of its latest history row (every save and every change of links
    writes one), which an edit form carries so that the service can refuse a stale edit."""
    return row.history.aggregate(latest=Max("history_id"))["latest"] or 0


def _refuse_stale(row, version: int | None, what: str) -> None:
    if version is not None and version != version_of(row):
        raise StaleEngagement(
            f"{what} was changed by someone else after you opened this form, so nothing was saved: "
            "reload the page and make your change again."
        )


def _unknown(values: dict, allowed: tuple[str, ...], what: str) -> None:
    unknown = set(values) - set(allowed)
    if unknown:
        raise ValueError(f"{what} edits cannot set {', '.join(sorted(unknown))}")


# --- Events --------------------------------------------------------------------------------------


@transaction.atomic
def event_save(
    *, place: Place, values: dict, by, event: EngagementEvent | None = None, version: int | None = None
) -> EngagementEvent:
    """Add an engagement event to `place`, or edit one of its events (loaded at `version`, if given),
    writing only the fields given."""
    _unknown(values, EVENT_FIELDS, "engagement event")
    place = _lock_place(place)
    _must_edit(by, place)
    if event is None:
        event = EngagementEvent(place=place)
    else:
        event = EngagementEvent.objects.select_for_update(of=("self",)).filter(pk=event.pk, place=place).first()
        if event is None:
            raise ChangeRefused(f"That engagement event is not in {place}'s log (any more): look at the log again.")
        _refuse_stale(event, version, f"“{event}”")
    for name, value in values.items():
        setattr(event, name, value.strip() if isinstance(value, str) else value)
    _refuse_invalid(event, exclude=["place"])
    event._history_user = by
    if event.pk:
        if values:
            event.save(update_fields=list(values))
    else:
        event.save()
    return event


@transaction.atomic
def event_delete(*, event: EngagementEvent, by) -> None:
    """Delete an event that has no feedback points (delete its points first)."""
    place = _lock_place(event.place)
    _must_edit(by, place)
    event = EngagementEvent.objects.select_for_update(of=("self",)).filter(pk=event.pk, place=place).first()
    if event is None:
        raise ChangeRefused("That engagement event was already deleted: look at the log again.")
    count = event.points.count()
    if count:
        raise ChangeRefused(
            f"“{event}” still has {count} feedback point{'s' if count != 1 else ''}: delete "
            f"{'them' if count != 1 else 'it'} first, then the event. Nothing was deleted."
        )
    event._history_user = by
    event.delete()


# --- Feedback points -----------------------------------------------------------------------------


@transaction.atomic
def point_save(
    *, event: EngagementEvent, values: dict, by, point: FeedbackPoint | None = None, version: int | None = None
) -> FeedbackPoint:
    """Add a feedback point to `event`, or edit one of its points (loaded at `version`, if given),
    writing only the fields given. A new point without an `order` goes last."""
    _unknown(values, POINT_FIELDS, "feedback point")
    values = dict(values)
    place = _lock_place(event.place)
    _must_edit(by, place)
    event = EngagementEvent.objects.select_for_update(of=("self",)).filter(pk=event.pk, place=place).first()
    if event is None:
        raise ChangeRefused(f"That engagement event is not in {place}'s log (any more): look at the log again.")
    if point is None:
        point = FeedbackPoint(event=event)
        if values.get("order") is None:
            values["order"] = (event.points.aggregate(last=Max("order"))["last"] or 0) + 1
    else:
        point = FeedbackPoint.objects.select_for_update(of=("self",)).filter(pk=point.pk, event=event).first()
        if point is None:
            raise ChangeRefused(f"That feedback point is not one of “{event}”'s (any more): look at the log again.")
        _refuse_stale(point, version, "The point")
    roles = values.pop("roles", None)
    template_roles = values.pop("template_roles", None)
    for name, value in values.items():
        setattr(point, name, value.strip() if isinstance(value, str) else value)
    _refuse_invalid(point, exclude=["event"])

    def linked(given, name: str):  # the links the point will have: those given, or those it keeps
        return given if given is not None else (list(getattr(point, name).all()) if point.pk else [])

    problems = point_problems(
        place=place,
        action=point.action,
        roles=linked(roles, "roles"),
        template_roles=linked(template_roles, "template_roles"),
    )
    if problems:
        raise ChangeRefused("Nothing was saved: " + " ".join(problems.values()))
    point._history_user = by
    if point.pk:
        if values:
            point.save(update_fields=list(values))
    else:
        point.save()
    if roles is not None:
        point.roles.set(roles)
    if template_roles is not None:
        point.template_roles.set(template_roles)
    return point


@transaction.atomic
def point_delete(*, point: FeedbackPoint, by) -> None:
    place = _lock_place(point.event.place)
    _must_edit(by, place)
    point = FeedbackPoint.objects.select_for_update(of=("self",)).filter(pk=point.pk, event__place=place).first()
    if point is None:
        raise ChangeRefused("That feedback point was already deleted: look at the log again.")
    point._history_user = by
    point.delete()


# --- Reads ---------------------------------------------------------------------------------------


@dataclass
class Linked:
    """A role or template role a feedback point shaped, as the log shows it: its id and title, and
    (a role) the `path` of its page, which the log's view gives it."""

    pk: int
    title: str
    path: str = ""


def _with_links(events: list[EngagementEvent]) -> None:
    """Give each point of `events` (their `point_list`) its `role_list` and `template_list`, read as
    (id, title) rows in two queries: a place's points may link hundreds of roles."""
    roles: dict[int, list[Linked]] = defaultdict(list)
    templates: dict[int, list[Linked]] = defaultdict(list)
    ids = [event.pk for event in events]
    for point_id, pk, title in (
        FeedbackPoint.roles.through.objects.filter(feedbackpoint__event__in=ids)
        .order_by("role__title", "role_id")
        .values_list("feedbackpoint_id", "role_id", "role__title")
    ):
        roles[point_id].append(Linked(pk, title))
    for point_id, pk, title in (
        FeedbackPoint.template_roles.through.objects.filter(feedbackpoint__event__in=ids)
        .order_by("templaterole__order", "templaterole__title", "templaterole_id")
        .values_list("feedbackpoint_id", "templaterole_id", "templaterole__title")
    ):
        templates[point_id].append(Linked(pk, title))
    for event in events:
        for point in event.point_list:
            point.role_list, point.template_list = roles[point.pk], templates[point.pk]


EVENTS_PER_PAGE = 25  # a place's log may hold hundreds of events and points


@dataclass
class Log:
    """A page of a place's engagement log as its page shows it: the events with their points, and
    how many of the place's points (on every page) led to each action."""

    place: Place
    page: Page  # of events, each with its `point_list`, each point with its `role_list` and `template_list` (`Linked`)
    newest_first: bool
    counts: list[tuple[str, str, int]]  # (action, label, number of points) for every action, in the actions' order

    @property
    def events(self) -> list[EngagementEvent]:
        return self.page.object_list

    @property
    def points(self) -> list[FeedbackPoint]:
        return [point for event in self.events for point in event.point_list]


def _events(place: Place, newest_first: bool) -> QuerySet[EngagementEvent]:
    order = ["-held_on", "-pk"] if newest_first else ["held_on", "pk"]
    return EngagementEvent.objects.filter(place=place).order_by(*order)


def engagement_log(place: Place, *, newest_first: bool = False, page=None) -> Log:
    """A page of the place's events (`page`: its number; the first, or the last when past the end)
    with their points, roles and template roles, and the counts of the whole log, in six queries
    whatever their number; oldest first as Table 2 is, or newest first."""
    shown = Paginator(_events(place, newest_first), EVENTS_PER_PAGE).get_page(page)
    points = Prefetch("points", queryset=FeedbackPoint.objects.order_by("order", "pk"), to_attr="point_list")
    shown.object_list = list(shown.object_list.prefetch_related(points))
    _with_links(shown.object_list)
    counted = dict(
        FeedbackPoint.objects.filter(event__place=place).order_by().values_list("action").annotate(n=Count("pk"))
    )
    return Log(place, shown, newest_first, [(value, label, counted.get(value, 0)) for value, label in Action.choices])


def log_path(place: Place, event_id: int | None = None) -> str:
    """The place's log; with an event, the page of it that shows the event, at the event."""
    url = reverse("governance:engagement", args=[place.slug])
    return f"{url}?event={event_id}#event-{event_id}" if event_id else url


def page_of_event(event: EngagementEvent, *, newest_first: bool = False) -> int:
    """The page of the log (`engagement_log`'s pages) that shows `event`."""
    if newest_first:
        before = Q(held_on__gt=event.held_on) | Q(held_on=event.held_on, pk__gt=event.pk)
    else:
        before = Q(held_on__lt=event.held_on) | Q(held_on=event.held_on, pk__lt=event.pk)
    return EngagementEvent.objects.filter(place_id=event.place_id).filter(before).count() // EVENTS_PER_PAGE + 1


def points_for_role(role: Role) -> list[FeedbackPoint]:
    """The feedback points linked to `role`, oldest first, with their events (one query)."""
    return list(
        FeedbackPoint.objects.filter(roles=role)
        .select_related("event")
        .order_by("event__held_on", "event__pk", "order", "pk")
    )


def comparison_notes(place: Place) -> dict[tuple[str, int], list[str]]:
    """For the template comparison: each role and template role of the place's feedback points, with
    a line per point ("Feedback: 9 Dec 2021, Governing Body Bexley Lead GPs: Addition of Frailty
    role and aligning with care homes"), oldest first, in one query."""
    rows = (
        FeedbackPoint.objects.filter(event__place=place)
        .order_by("event__held_on", "event__pk", "order", "pk")
        .values_list("pk", "text", "event_id", "event__held_on", "event__group", "roles", "template_roles")
    )
    notes: dict[tuple[str, int], list[str]] = {}
    lines: dict[int, str] = {}
    events: dict[int, str] = {}  # each event's link and name, made once: a place's points may be hundreds
    for pk, text, event_id, held_on, group, role_id, template_id in rows:
        if event_id not in events:
            events[event_id] = format_html('<a href="{}">{}, {}</a>', log_path(place, event_id), day(held_on), group)
        if pk not in lines:
            lines[pk] = format_html("Feedback: {}: {}", events[event_id], text)
        for key in (("role", role_id), ("template", template_id)):
            if key[1] is not None and lines[pk] not in notes.setdefault(key, []):
                notes[key].append(lines[pk])
    return notes
