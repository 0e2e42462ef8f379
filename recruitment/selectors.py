"""Reads that recruitment's pages, admin and exports share: rankings, pipelines, time to hire.

Totals and ranks are computed here and nowhere else: a criterion's score for a candidate is the mean
of the panel members' scores that count (a member who declared an interest in the candidate does
not count for them), the total is the sum of those means times each criterion's weight, and the
rank orders totals from the highest (equal totals share a rank).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone

from roles.models import AdvertRound, Declaration

from .models import Application, ApplicationStatus, Contract, Criterion, Offer, PanelMember, Score

A = ApplicationStatus
TWO_PLACES = Decimal("0.01")


@dataclass
class RankedApplication:
    application: Application
    means: dict[int, Decimal | None]  # criterion id -> mean of the counted scores
    total: Decimal
    scorers: int  # panel members whose scores count for this candidate
    left_out: list[str] = field(default_factory=list)  # panel members left out (declared an interest)
    rank: int = 0


@dataclass
class Ranking:
    stage: str
    criteria: list[Criterion]
    rows: list[RankedApplication]

    @property
    def most(self) -> Decimal:
        return sum((Decimal(c.max_score * c.weight) for c in self.criteria), Decimal(0))


def declared_pairs(round_: AdvertRound) -> set[tuple[int, int]]:
    """(declarer's person id, candidate's person id) for every interest declared in this round."""
    return set(
        Declaration.objects.concerning(round_)
        .filter(about_person__isnull=False)
        .values_list("person_id", "about_person_id")
    )


def ranking(round_: AdvertRound, stage: str, applications: QuerySet[Application] | None = None) -> Ranking:
    """The round's candidates at `stage`, best first, in five queries whatever their number."""
    apps = list((applications if applications is not None else round_.applications.all()).select_related("person"))
    return rankings(round_, [(stage, apps)])[0]


def rankings(
    round_: AdvertRound, stages: list[tuple[str, list[Application]]], panel: list[PanelMember] | None = None
) -> list[Ranking]:
    """Each stage's candidates (applications read already, each with its `person`), best first: a
    criterion's mean over the panel members who scored it and have declared no interest in the
    candidate, the weighted means added up. Four queries whatever the number of stages and
    candidates: the criteria, the panel (none when `panel`, the round's members with their `person`,
    is given), the declarations and the scores."""
    wanted = [stage for stage, _apps in stages]
    criteria_of: dict[str, list[Criterion]] = defaultdict(list)
    for criterion in round_.criteria.filter(stage__in=wanted):
        criteria_of[criterion.stage].append(criterion)
    if panel is None:
        panel = list(PanelMember.objects.filter(round=round_).select_related("person"))
    members = {m.pk: m for m in panel}
    conflicts = declared_pairs(round_)
    scores_of: dict[str, list[tuple]] = defaultdict(list)
    for stage, *score in Score.objects.filter(application__round=round_, criterion__stage__in=wanted).values_list(
        "criterion__stage", "application_id", "criterion_id", "panel_member_id", "value"
    ):
        scores_of[stage].append(score)
    return [_ranked(stage, apps, criteria_of[stage], members, conflicts, scores_of[stage]) for stage, apps in stages]


def _ranked(stage: str, apps: list[Application], criteria, members, conflicts, scores) -> Ranking:
    by_app: dict[int, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
    counted_by: dict[int, set[int]] = defaultdict(set)
    person_of = {a.pk: a.person_id for a in apps}
    for app_id, criterion_id, member_id, value in scores:
        if app_id not in person_of or member_id not in members:
            continue
        if (members[member_id].person_id, person_of[app_id]) in conflicts:
            continue
        by_app[app_id][criterion_id].append(value)
        counted_by[app_id].add(member_id)
    rows = []
    for application in apps:
        means = {}
        total = Decimal(0)
        for criterion in criteria:
            values = by_app[application.pk].get(criterion.pk, [])
            mean = (Decimal(sum(values)) / len(values)).quantize(TWO_PLACES, ROUND_HALF_UP) if values else None
            means[criterion.pk] = mean
            total += (mean or 0) * criterion.weight
        left_out = sorted(
            members[m].person.name for m in members if (members[m].person_id, application.person_id) in conflicts
        )
        rows.append(RankedApplication(application, means, total, len(counted_by[application.pk]), left_out))
    rows.sort(key=lambda r: (-r.total, r.application.candidate_number))
    rank, previous = 0, None
    for position, row in enumerate(rows, start=1):
        if row.total != previous:
            rank, previous = position, row.total
        row.rank = rank
    return Ranking(stage=stage, criteria=criteria, rows=rows)


# --- The pipeline ---------------------------------------------------------------------------------------


def status_counts(round_: AdvertRound) -> dict[str, int]:
    counts = dict(round_.applications.values_list("status").annotate(n=Count("pk")).order_by())
    return {status: counts.get(status, 0) for status in A.values}


# --- Time to hire and time per stage ----------------------------------------------------------------------


@dataclass
class Stage:
    name: str
    start: dt.date | None
    end: dt.date | None  # None: still going (counted to today)
    days: int | None


@dataclass
class HireTimes:
    """How long a round took, against the ICS's target (days from the advert opening)."""

    round: AdvertRound | None  # None when counted in groups (`hire_times_of`)
    target_days: int
    to_acceptance: int | None  # days from opening to the offer accepted
    to_start: int | None  # days from opening to the contract's confirmed start
    # days from opening to the start once known, else to today while the round is open; None for a round
    # closed with no confirmed start here (appointed before these records, or not appointed)
    elapsed: int | None
    stages: list[Stage]
    is_open: bool  # the round's outcome is still open

    @property
    def breached(self) -> bool:
        """Over target: the confirmed start is later than the target, or the target passed with no start."""
        if self.to_start is not None:
            return self.to_start > self.target_days
        return self.is_open and self.elapsed > self.target_days


def _date(value) -> dt.date | None:
    if value is None:
        return None
    return timezone.localdate(value) if isinstance(value, dt.datetime) else value


def hire_times(round_: AdvertRound, today: dt.date | None = None) -> HireTimes:
    """Time to hire and per stage for one round, with its role, place and ICS and its offers with their
    contracts as `offer_list`: read through `rounds_with_times`, or set by a page that lists the offers
    already (the round page)."""
    today = today or timezone.localdate()
    offers = sorted(round_.offer_list, key=lambda o: (o.made_at, o.pk))
    accepted = next((o for o in offers if o.status == Offer.Status.ACCEPTED), None)
    contract = getattr(accepted, "contract", None) if accepted else None
    first_offer = _date(offers[0].made_at) if offers else None
    accepted_on = _date(accepted.answered_at) if accepted else None
    shortlisted_on = _date(round_.shortlist_closed_at)
    marks = [
        ("Advert open", round_.opens_on, round_.closes_on),
        ("Shortlisting", round_.closes_on, shortlisted_on),
        ("Interviews", shortlisted_on, first_offer),
        ("Offer to acceptance", first_offer, accepted_on),
        ("Acceptance to contract", accepted_on, contract.signed_on if contract else None),
        ("Contract to start", contract.signed_on if contract else None, contract.starts_on if contract else None),
    ]
    stages = []
    for name, start, end in marks:
        if start is None:
            stages.append(Stage(name, None, None, None))
            continue
        finish = end or (today if round_.outcome == AdvertRound.Outcome.OPEN else None)
        stages.append(Stage(name, start, end, (finish - start).days if finish else None))
    target = round_.role.place.ics.time_to_hire_target_weeks * 7
    to_start, elapsed = days_to_start(
        opens_on=round_.opens_on,
        outcome=round_.outcome,
        starts_on=contract.starts_on if contract else None,
        today=today,
    )
    return HireTimes(
        round=round_,
        target_days=target,
        to_acceptance=(accepted_on - round_.opens_on).days if accepted_on else None,
        to_start=to_start,
        elapsed=elapsed,
        stages=stages,
        is_open=round_.outcome == AdvertRound.Outcome.OPEN,
    )


def days_to_start(*, opens_on: dt.date, outcome: str, starts_on: dt.date | None, today: dt.date):
    """A round's days from its advert opening to the appointee's start (None until a contract says
    when), and the days it has taken so far: to the start, or to today while the round is open
    (None for a round closed without a start)."""
    to_start = (starts_on - opens_on).days if starts_on else None
    if to_start is not None:
        return to_start, to_start
    if outcome == AdvertRound.Outcome.OPEN:
        return None, (today - opens_on).days
    return None, None


def hire_times_of(*, opens_on: dt.date, outcome: str, starts_on: dt.date | None, target_days: int, today) -> HireTimes:
    """`hire_times`'s figures for a round known by its opening date, outcome and confirmed start (no
    stages): what `HireTimes.breached` needs, for rounds counted in groups."""
    to_start, elapsed = days_to_start(opens_on=opens_on, outcome=outcome, starts_on=starts_on, today=today)
    return HireTimes(
        round=None,
        target_days=target_days,
        to_acceptance=None,
        to_start=to_start,
        elapsed=elapsed,
        stages=[],
        is_open=outcome == AdvertRound.Outcome.OPEN,
    )


def with_confirmed_start(rounds: QuerySet[AdvertRound]) -> QuerySet[AdvertRound]:
    """`rounds` with `starts_on`: the start its accepted offer's contract confirms (a round has at most
    one accepted offer), else None."""
    start = Contract.objects.filter(offer__round=OuterRef("pk"), offer__status=Offer.Status.ACCEPTED).values(
        "starts_on"
    )[:1]
    return rounds.annotate(starts_on=Subquery(start))


def over_target(rounds: QuerySet[AdvertRound], *, target_days: int, today: dt.date) -> int:
    """How many of `rounds` are over the time-to-hire target (`HireTimes.breached`), in one query:
    the rounds grouped by what the rule reads."""
    groups = with_confirmed_start(rounds).values("opens_on", "outcome", "starts_on").annotate(n=Count("pk")).order_by()
    return sum(
        group["n"]
        for group in groups
        if hire_times_of(
            opens_on=group["opens_on"],
            outcome=group["outcome"],
            starts_on=group["starts_on"],
            target_days=target_days,
            today=today,
        ).breached
    )


def pipeline_counts() -> dict:
    """A round's applications counted, in all (`n_applications`) and by where each stands (`n_<status>`):
    annotations for a queryset of rounds."""
    return {
        "n_applications": Count("applications", distinct=True),
        **{
            f"n_{status}": Count("applications", filter=Q(applications__status=status), distinct=True)
            for status in A.values
        },
    }


def rounds_for_hire_times(rounds: QuerySet[AdvertRound]) -> QuerySet[AdvertRound]:
    """Rounds ready for `hire_times`: with their role, place and ICS, and their offers with contracts, in a
    constant number of queries."""
    return rounds.select_related("role__place__ics").prefetch_related(
        # A list, not a queryset per round (`to_attr`): a list of rounds reads fifty.
        # Unsorted: `hire_times` sorts a round's offers itself. In the model's order (by round first) each offer
        # was joined to its round's role and place to sort by their names.
        Prefetch("offers", queryset=Offer.objects.select_related("contract").order_by(), to_attr="offer_list")
    )


def rounds_with_times(rounds: QuerySet[AdvertRound]) -> QuerySet[AdvertRound]:
    """Rounds ready for `hire_times` and the pipeline counts, in a constant number of queries."""
    return rounds_for_hire_times(rounds).annotate(**pipeline_counts())


def application_counts(round_ids) -> dict[int, int]:
    """How many applications each of the rounds `round_ids` has, in one query (rounds with none left out)."""
    return dict(
        Application.objects.filter(round_id__in=round_ids).values_list("round_id").annotate(n=Count("pk")).order_by()
    )
