"""Milestone plans: every write to tranches and milestones, and the reads their pages share.

A place starts a tranche from a plan template (steps as offsets from a start date) and adjusts it;
moving a milestone can shift the later ones by the same number of days. Each write checks that the
user may change the place (`roles.permissions.can_edit_catalogue`, or runs its recruitment), locks
the place row as every writer does, and keeps field history (django-simple-history on `Milestone`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Count, F, Max, Min, OuterRef, Q, QuerySet, Subquery, Value, Window
from django.db.models.functions import Coalesce, RowNumber
from django.utils import timezone

from roles import permissions
from roles.formatting import day
from roles.models import Place
from roles.services import ChangeRefused, MoveNotAllowed

from .models import Milestone, PlanTemplate, Tranche, When


class StaleMilestone(ChangeRefused):
    """The milestone changed after the form was loaded: nothing is saved, nothing merged."""

    status = 409


MILESTONE_FIELDS = ("title", "when_kind", "starts_on", "ends_on", "owner", "notes", "roles", "order", "tranche")


def may_plan(user, place: Place) -> bool:
    """Place teams, ICS administrators and the place's HR recruiters keep its plans."""
    return permissions.can_edit_catalogue(user, place) or permissions.may_recruit(user, place)


def _must_plan(by, place: Place) -> None:
    if by is not None and not may_plan(by, place):
        raise MoveNotAllowed(f"Your account may not change {place}'s milestone plans.")


def _lock_place(place: Place) -> Place:
    return Place.objects.select_for_update(of=("self",)).select_related("ics").get(pk=place.pk)


def owners_for(place: Place) -> QuerySet:
    """Who may own a milestone of the place: people with access to it."""
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(memberships__place=place) | Q(memberships__ics_id=place.ics_id))
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


def _clean(milestone: Milestone) -> None:
    try:
        milestone.full_clean(exclude=["place", "tranche", "owner"], validate_constraints=False)
    except ValidationError as error:
        problems = [
            f"{name}: {' '.join(msgs)}" if name != "__all__" else " ".join(msgs)
            for name, msgs in error.message_dict.items()
        ]
        raise ChangeRefused("; ".join(problems)) from error
    if milestone.owner_id and not owners_for(milestone.place).filter(pk=milestone.owner_id).exists():
        raise ChangeRefused(f"The owner must be someone with access to {milestone.place}: choose another.")
    if milestone.tranche_id and milestone.tranche.place_id != milestone.place_id:
        raise ChangeRefused("Choose a tranche of this milestone's own place.")


@transaction.atomic
def milestone_save(*, place: Place, values: dict, by, milestone: Milestone | None = None) -> Milestone:
    """Add a milestone to `place`, or edit one, writing only the fields given."""
    unknown = set(values) - set(MILESTONE_FIELDS)
    if unknown:
        raise ValueError(f"milestone edits cannot set {', '.join(sorted(unknown))}")
    place = _lock_place(place)
    _must_plan(by, place)
    if milestone is None:
        milestone = Milestone(place=place)
    else:
        milestone = Milestone.objects.select_for_update(of=("self",)).get(pk=milestone.pk, place=place)
    roles = values.pop("roles", None)
    for name, value in values.items():
        setattr(milestone, name, value)
    if milestone.when_kind == When.TBC:
        milestone.starts_on = milestone.ends_on = None
    elif milestone.when_kind != When.RANGE:
        milestone.ends_on = None
    _clean(milestone)
    if roles is not None and any(role.place_id != place.pk for role in roles):
        raise ChangeRefused("A milestone concerns roles of its own place only.")
    milestone.version += 1 if milestone.pk else 0
    milestone._history_user = by
    milestone.save()
    if roles is not None:
        milestone.roles.set(roles)
    return milestone


@transaction.atomic
def milestone_edit(
    *, milestone: Milestone, values: dict, version: int, by, shift_later: bool = False
) -> list[Milestone]:
    """Save an edit made on a form loaded at `version`: refused (409) if the milestone changed since.
    With `shift_later` and a new date, the later milestones of its plan move by the same number of
    days first (`milestone_move`). Returns the milestones that moved (none without a shift)."""
    place = _lock_place(milestone.place)
    current = Milestone.objects.select_for_update(of=("self",)).get(pk=milestone.pk, place=place)
    if current.version != version:
        raise StaleMilestone(
            f"“{current.title}” was changed by someone else since you opened this form: reload it and make "
            "your change again."
        )
    moved = []
    starts_on = values.get("starts_on")
    if shift_later and starts_on and current.starts_on and starts_on != current.starts_on:
        moved = milestone_move(milestone=current, starts_on=starts_on, by=by, shift_later=True)
        current.refresh_from_db()
    milestone_save(place=place, values=values, by=by, milestone=current)
    return moved


@transaction.atomic
def milestone_done(*, milestone: Milestone, by, on: dt.date | None = None, done: bool = True) -> Milestone:
    """Mark a milestone done (today unless `on` is given), or not done again."""
    place = _lock_place(milestone.place)
    _must_plan(by, place)
    milestone = Milestone.objects.select_for_update(of=("self",)).get(pk=milestone.pk)
    on = on or timezone.localdate()
    if done and milestone.done_on:
        raise ChangeRefused(f"“{milestone.title}” was already marked done on {milestone.done_on:%d %b %Y}.")
    milestone.done_on = on if done else None
    _clean(milestone)
    milestone.version += 1
    milestone._history_user = by
    milestone.save(update_fields=["done_on", "version"])
    return milestone


def later_than(milestone: Milestone) -> QuerySet[Milestone]:
    """The milestones of the same plan that come after this one and could shift with it."""
    same_plan = Milestone.objects.filter(place_id=milestone.place_id, tranche_id=milestone.tranche_id)
    return same_plan.exclude(pk=milestone.pk).filter(
        done_on__isnull=True, starts_on__gt=milestone.starts_on or dt.date.min
    )


@transaction.atomic
def milestone_move(*, milestone: Milestone, starts_on: dt.date, by, shift_later: bool = False) -> list[Milestone]:
    """Move a dated milestone to start on `starts_on` (a range keeps its length); with `shift_later`,
    the later milestones of its plan not yet done move by the same number of days. A week commencing
    stays on a Monday: a shift that is not whole weeks moves it to the Monday of the week it lands in."""
    place = _lock_place(milestone.place)
    _must_plan(by, place)
    milestone = Milestone.objects.select_for_update(of=("self",)).get(pk=milestone.pk)
    if milestone.when_kind == When.TBC or milestone.starts_on is None:
        raise ChangeRefused(f"“{milestone.title}” is still TBC: give it a date first.")
    delta = starts_on - milestone.starts_on
    moved = [milestone]
    if shift_later:
        moved += list(later_than(milestone).select_for_update(of=("self",)).order_by("pk"))
    for row in moved:
        row.starts_on = row.starts_on + delta
        if row.ends_on:
            row.ends_on = row.ends_on + delta
        if row.when_kind == When.WEEK:
            row.starts_on -= dt.timedelta(days=row.starts_on.weekday())
        _clean(row)
        row.version += 1
        row._history_user = by
        row.save(update_fields=["starts_on", "ends_on", "version"])
    return moved


@transaction.atomic
def tranche_start(*, place: Place, name: str, template: PlanTemplate, starts_on: dt.date, by, roles=()) -> Tranche:
    """A new tranche of `place` with the template's milestones, dated from `starts_on`."""
    place = _lock_place(place)
    _must_plan(by, place)
    if not name.strip():
        raise ChangeRefused("Give the tranche a name, e.g. “Tranche 1: place roles, 2022”.")
    if Tranche.objects.filter(place=place, name=name.strip()).exists():
        raise ChangeRefused(f"{place} already has a tranche called “{name.strip()}”: choose another name.")
    if template.ics_id and template.ics_id != place.ics_id:
        raise ChangeRefused("Choose a plan template of this place's own ICS.")
    if any(role.place_id != place.pk for role in roles):
        raise ChangeRefused("A tranche holds roles of its own place only.")
    tranche = Tranche.objects.create(place=place, name=name.strip())
    tranche.roles.set(roles)
    for step in template.steps.all():
        when = step.when_kind
        start = None if when == When.TBC else starts_on + dt.timedelta(days=step.offset_days)
        if when == When.WEEK and start:
            start -= dt.timedelta(days=start.weekday())
        end = start + dt.timedelta(days=step.length_days) if when == When.RANGE and start else None
        milestone = Milestone(
            place=place,
            tranche=tranche,
            title=step.title,
            when_kind=when,
            starts_on=start,
            ends_on=end,
            order=step.order,
        )
        _clean(milestone)
        milestone._history_user = by
        milestone.save()
        milestone.roles.set(roles)
    return tranche


# --- Reads ---------------------------------------------------------------------------------------------------


DUE_LISTS = {"overdue": "Overdue", "this-week": "Due this week", "coming-up": "Coming up"}
HORIZON_DAYS = 28  # "coming up" reaches this far ahead


@dataclass
class DueList:
    """One list of what is due: its first rows (all of them when not limited) and how many it has."""

    key: str  # a key of DUE_LISTS
    rows: list[Milestone]
    count: int

    @property
    def heading(self) -> str:
        return DUE_LISTS[self.key]

    @property
    def more(self) -> int:
        return self.count - len(self.rows)


@dataclass
class Due:
    """What is due for someone or somewhere, as of `today`."""

    today: dt.date
    lists: list[DueList]

    def _rows(self, key: str) -> list[Milestone]:
        return next(due_list.rows for due_list in self.lists if due_list.key == key)

    @property
    def overdue(self) -> list[Milestone]:
        return self._rows("overdue")

    @property
    def this_week(self) -> list[Milestone]:
        return self._rows("this-week")

    @property
    def coming_up(self) -> list[Milestone]:
        return self._rows("coming-up")

    @property
    def count(self) -> int:
        return sum(due_list.count for due_list in self.lists)


def open_due(milestones: QuerySet[Milestone], today: dt.date, horizon_days: int = HORIZON_DAYS) -> QuerySet:
    """The open milestones that fall due by the horizon or have started, each with `due_list`: overdue
    (fell due before today), this-week (falls due within 7 days, or has started) or coming-up (starts
    within `horizon_days`); oldest first. TBC ones are never due."""
    return (
        milestones.filter(
            done_on__isnull=True,
            falls_due_on__isnull=False,
            starts_on__lte=today + dt.timedelta(days=horizon_days),
        )
        .annotate(
            due_list=models.Case(
                models.When(falls_due_on__lt=today, then=Value("overdue")),
                models.When(
                    Q(falls_due_on__lte=today + dt.timedelta(days=7)) | Q(starts_on__lte=today),
                    then=Value("this-week"),
                ),
                default=Value("coming-up"),
                output_field=models.CharField(),
            )
        )
        .select_related("place", "tranche", "owner")
        .order_by("starts_on", "pk")
    )


def due(
    milestones: QuerySet[Milestone], today: dt.date | None = None, *, horizon_days: int = HORIZON_DAYS, limit=None
) -> Due:
    """`open_due` split into its three lists, each with its count and its first `limit` rows (every row
    when `limit` is None), in one query however many milestones are due."""
    today = today or timezone.localdate()
    rows = open_due(milestones, today, horizon_days)
    if limit is not None:
        in_list = {"partition_by": [F("due_list")]}
        rows = rows.annotate(
            list_count=Window(Count("pk"), **in_list),
            position=Window(RowNumber(), order_by=[F("starts_on").asc(), F("pk").asc()], **in_list),
        ).filter(position__lte=limit)
    grouped: dict[str, list[Milestone]] = {key: [] for key in DUE_LISTS}
    for row in rows:
        grouped[row.due_list].append(row)
    return Due(
        today=today,
        lists=[
            DueList(key, found, found[0].list_count if limit is not None and found else len(found))
            for key, found in grouped.items()
        ],
    )


@dataclass
class PlanSummary:
    """A tranche's progress, counted in the database (`summaries`): what is done and late, the days its
    dated milestones span, and the open milestone that falls due next."""

    tranche: Tranche
    total: int
    done: int
    late: int
    first: dt.date | None
    last: dt.date | None
    role_count: int
    next: Milestone | None = None

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0

    @property
    def dates(self) -> str:
        if self.first is None:
            return "No dates yet"
        return f"{day(self.first)} to {day(self.last)}"


def with_progress(tranches: QuerySet[Tranche], today: dt.date) -> QuerySet[Tranche]:
    """`tranches` with their milestones counted: `total`, `done_count`, `late_count` (open and fallen due
    before `today`), `first_day` and `last_day` (a range's last day, else the day it falls due), and
    `role_count`."""
    roles = (
        Tranche.roles.through.objects.filter(tranche=OuterRef("pk"))
        .order_by()
        .values("tranche")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return tranches.annotate(
        total=Count("milestones"),
        done_count=Count("milestones", filter=Q(milestones__done_on__isnull=False)),
        late_count=Count("milestones", filter=Q(milestones__done_on__isnull=True, milestones__falls_due_on__lt=today)),
        first_day=Min("milestones__starts_on"),
        last_day=Max(Coalesce("milestones__ends_on", "milestones__falls_due_on")),
        role_count=Coalesce(Subquery(roles), 0),
    )


def summaries(tranches, today: dt.date) -> list[PlanSummary]:
    """A `PlanSummary` for each of `tranches` (a page of them), in their order, in two queries however
    many milestones they hold: the counts, then each tranche's next milestone."""
    order = [t.pk for t in tranches]
    counted = {t.pk: t for t in with_progress(Tranche.objects.filter(pk__in=order).order_by(), today)}
    shown = [counted[pk] for pk in order]
    upcoming = (
        Milestone.objects.filter(tranche__in=[t.pk for t in shown], done_on__isnull=True, falls_due_on__isnull=False)
        .annotate(
            position=Window(
                RowNumber(), partition_by=[F("tranche_id")], order_by=[F("falls_due_on"), F("order"), F("pk")]
            )
        )
        .filter(position=1)
    )
    next_of = {m.tranche_id: m for m in upcoming}
    return [
        PlanSummary(t, t.total, t.done_count, t.late_count, t.first_day, t.last_day, t.role_count, next_of.get(t.pk))
        for t in shown
    ]
