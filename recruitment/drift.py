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
import functools
import operator
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Case, CharField, Count, DateField, F, OuterRef, Q, Subquery, Value, When

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


def _drifting(places, today: dt.date):
    """The drifted roles of `places`, each with `drift_kind` and `drift_since`: the first row of the table it
    matches (the table's conditions are written here only) and the day that drift began.

    Each row's condition is written once into each place that needs it (the filter, the kind, the day), rather
    than the day and the filter being worked out from the kind: Django copies an annotation's whole SQL into
    every expression naming it, so the kind's CASE (with the current round's subquery) was written five times
    over, and the query cost more to build than to run."""
    current_closes = AdvertRound.objects.filter(role=OuterRef("pk")).order_by("-number").values("closes_on")[:1]
    stale_before = today - dt.timedelta(days=STALE_ADVERT_DAYS)
    table = (  # (kind, the roles it matches, the day it began); the status first, the subquery only if needed
        ("past_end", Q(status__in=[S.IN_POST, S.CONTRACTED]) & Q(end_date__lt=today), F("end_date")),
        ("not_in_post", Q(status=S.CONTRACTED) & Q(start_date__lt=today), F("start_date")),
        ("advert_stale", Q(status=S.ADVERTISED) & Q(current_closes_on__lt=stale_before), F("current_closes_on")),
    )
    return (
        Role.objects.filter(place__in=places)
        .annotate(current_closes_on=Subquery(current_closes))
        .filter(functools.reduce(operator.or_, (matches for _, matches, _ in table)))
        .annotate(
            drift_kind=Case(
                *(When(matches, then=Value(kind)) for kind, matches, _ in table), default=None, output_field=CharField()
            ),
            drift_since=Case(*(When(matches, then=since) for _, matches, since in table), output_field=DateField()),
        )
    )


def drifting_roles(places, today: dt.date):
    """The drifted roles of `places` (a queryset or a list of places or ids), oldest drift first, as a
    queryset to count, slice or page (`as_drift` gives each its words)."""
    return _drifting(places, today).select_related("place__ics").order_by("drift_since", "place__name", "title", "pk")


def as_drift(role: Role, today: dt.date) -> Drift:
    """`role`'s drift (`role.drift_kind` from `_drifting`) in words, with the move that resolves it."""
    end, kind = role.end_date, role.drift_kind
    if kind == "past_end" and role.status == S.IN_POST:
        return Drift(role, kind, f"In post, and its end date ({day(end)}) has passed.", end, S.ENDED)
    if kind == "past_end":
        problem = (
            f"Contracted, and its end date ({day(end)}) has passed without it going in post: "
            "put it in post, then end it."
        )
        return Drift(role, kind, problem, end, S.IN_POST)
    if kind == "not_in_post":
        problem = f"Contracted to start on {day(role.start_date)}, and not yet in post."
        return Drift(role, kind, problem, role.start_date, S.IN_POST)
    closes = role.current_closes_on
    problem = f"The advert closed on {day(closes)}, {(today - closes).days} days ago, and shortlisting has not started."
    return Drift(role, kind, problem, closes, S.SHORTLISTING)


def drifted(places, today: dt.date, *, limit: int | None = None) -> list[Drift]:
    """The drifted roles of `places` (a queryset or a list of places or ids), oldest drift first; only
    the first `limit` when given."""
    return [as_drift(role, today) for role in drifting_roles(places, today)[:limit]]


def drift_counts(places, today: dt.date) -> list[tuple[str, int]]:
    """How many roles of `places` have drifted, of each kind in the table's order (kinds with none left
    out), counted in the database: one query, whatever the number of roles."""
    tally = dict(_drifting(places, today).order_by().values_list("drift_kind").annotate(n=Count("pk")))
    return [(label, tally[kind]) for kind, label in KINDS.items() if tally.get(kind)]


def drift_counts_by_place(places, today: dt.date) -> dict[int, list[tuple[str, int]]]:
    """`drift_counts` for each of `places` (ids), in one query: place id -> [(kind's label, how many)]."""
    tally: dict[int, dict[str, int]] = defaultdict(dict)
    counted = _drifting(places, today).order_by().values_list("place_id", "drift_kind").annotate(n=Count("pk"))
    for place_id, kind, n in counted:
        tally[place_id][kind] = n
    return {
        place_id: [(label, kinds[kind]) for kind, label in KINDS.items() if kinds.get(kind)]
        for place_id, kinds in tally.items()
    }
