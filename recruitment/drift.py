"""Roles whose status has drifted from their dates, and the move that would put each right.

| what has drifted                                         | the move                                   |
|----------------------------------------------------------|--------------------------------------------|
| in post, past its end date                               | End                                        |
| contracted, past its end date (never put in post)        | In post (then End): contracted cannot end  |
| contracted, past its start date, not yet in post         | In post                                    |
| advertised, its current round closed over 14 days ago    | Start shortlisting                         |

A role is listed once, for the first row of the table it matches. One query, whatever the number of
roles: the current round's closing date is a subquery.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from django.db.models import OuterRef, Q, Subquery

from roles.formatting import day
from roles.models import MOVE_NEEDS, AdvertRound, Role, RoleStatus

S = RoleStatus
STALE_ADVERT_DAYS = 14


@dataclass(frozen=True)
class Drift:
    """One role that has drifted: what is wrong, since when, and the move that would resolve it."""

    role: Role
    kind: str  # "past_end", "not_in_post" or "advert_stale"
    problem: str
    since: dt.date
    to: str  # the status to move the role to (`roles:role_move`'s target)

    @property
    def move_label(self) -> str:
        return MOVE_NEEDS[self.to].label

    @property
    def kind_label(self) -> str:
        return KINDS[self.kind]


KINDS = {
    "past_end": "Past its end date",
    "not_in_post": "Past its start, not in post",
    "advert_stale": "Advert closed, no move",
}


def _drift(role: Role, today: dt.date) -> Drift | None:
    stale_before = today - dt.timedelta(days=STALE_ADVERT_DAYS)
    end = role.end_date
    if role.status == S.IN_POST and end and end < today:
        return Drift(role, "past_end", f"In post, and its end date ({day(end)}) has passed.", end, S.ENDED)
    if role.status == S.CONTRACTED and end and end < today:
        problem = (
            f"Contracted, and its end date ({day(end)}) has passed without it going in post: "
            "put it in post, then end it."
        )
        return Drift(role, "past_end", problem, end, S.IN_POST)
    if role.status == S.CONTRACTED and role.start_date < today:
        problem = f"Contracted to start on {day(role.start_date)}, and not yet in post."
        return Drift(role, "not_in_post", problem, role.start_date, S.IN_POST)
    closes = role.current_closes_on
    if role.status == S.ADVERTISED and closes and closes < stale_before:
        problem = (
            f"The advert closed on {day(closes)}, {(today - closes).days} days ago, and shortlisting has not started."
        )
        return Drift(role, "advert_stale", problem, closes, S.SHORTLISTING)
    return None


def drifted(places, today: dt.date) -> list[Drift]:
    """The drifted roles of `places` (a queryset or a list of places or ids), oldest drift first."""
    current_closes = AdvertRound.objects.filter(role=OuterRef("pk")).order_by("-number").values("closes_on")[:1]
    stale_before = today - dt.timedelta(days=STALE_ADVERT_DAYS)
    roles = (
        Role.objects.filter(place__in=places)
        .annotate(current_closes_on=Subquery(current_closes))
        .filter(
            Q(status__in=[S.IN_POST, S.CONTRACTED], end_date__lt=today)
            | Q(status=S.CONTRACTED, start_date__lt=today)
            | Q(status=S.ADVERTISED, current_closes_on__lt=stale_before)
        )
        .select_related("place__ics")
        .order_by("place__name", "title", "pk")
    )
    found = [drift for role in roles if (drift := _drift(role, today))]
    return sorted(found, key=lambda d: (d.since, d.role.place.name, d.role.title))


def counts(drifts: list[Drift]) -> list[tuple[str, int]]:
    """How many of each kind, in the table's order, leaving out kinds with none."""
    tally = Counter(d.kind for d in drifts)
    return [(label, tally[kind]) for kind, label in KINDS.items() if tally[kind]]
