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
    """The drifted roles of `places`, each with `drift_kind`: the first row of the table it matches
    (the table's conditions are written here only)."""
    current_closes = AdvertRound.objects.filter(role=OuterRef("pk")).order_by("-number").values("closes_on")[:1]
    stale_before = today - dt.timedelta(days=STALE_ADVERT_DAYS)
    return (
        Role.objects.filter(place__in=places)
        .annotate(
            current_closes_on=Subquery(current_closes),
            drift_kind=Case(
                When(Q(status__in=[S.IN_POST, S.CONTRACTED], end_date__lt=today), then=Value("past_end")),
                When(Q(status=S.CONTRACTED, start_date__lt=today), then=Value("not_in_post")),
                When(Q(status=S.ADVERTISED, current_closes_on__lt=stale_before), then=Value("advert_stale")),
                default=None,
                output_field=CharField(),
            ),
            drift_since=Case(  # the day each kind of drift began (`Drift.since`)
                When(drift_kind="past_end", then=F("end_date")),
                When(drift_kind="not_in_post", then=F("start_date")),
                When(drift_kind="advert_stale", then=F("current_closes_on")),
                output_field=DateField(),
            ),
        )
        .filter(drift_kind__isnull=False)
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
