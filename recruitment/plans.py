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
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from roles import permissions
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


@dataclass
class Due:
    """What is due for someone or somewhere, as of `today`."""

    today: dt.date
    overdue: list[Milestone]
    this_week: list[Milestone]
    coming_up: list[Milestone]


def due(milestones: QuerySet[Milestone], today: dt.date | None = None, *, horizon_days: int = 28) -> Due:
    """Open milestones split into overdue, due within 7 days, and coming up within `horizon_days`,
    in one query (TBC ones are never due)."""
    today = today or timezone.localdate()
    rows = list(
        milestones.filter(
            done_on__isnull=True, starts_on__isnull=False, starts_on__lte=today + dt.timedelta(days=horizon_days)
        )
        .select_related("place", "tranche", "owner")
        .order_by("starts_on", "pk")
    )
    overdue, this_week, coming = [], [], []
    for row in rows:
        if row.due_on < today:
            overdue.append(row)
        elif row.due_on <= today + dt.timedelta(days=7) or row.starts_on <= today:
            this_week.append(row)
        else:  # starts within the horizon (the query's condition), though a week or range may end after it
            coming.append(row)
    return Due(today=today, overdue=overdue, this_week=this_week, coming_up=coming)
