"""The board pack's tables, declared once: every format (`governance.renderers`) reads these.

A `Report` names its columns (`Column(key, heading, kind)`) and yields rows of Python values:
`Decimal` for money and sessions, `date` for dates, `int` for counts, `bool` for yes/no, and the
suppression mark "*" where a count may not be shown. A `Scope` is one place or a whole ICS; an
ICS-wide pack covers every place of the ICS, its ICS-wide unit included, and every table gets a
"Place" first column.

Tables, in the order of a board paper:

| table              | from                                                                      |
|--------------------|---------------------------------------------------------------------------|
| roles              | `Role` with its status as of the date from the audit trail (`RoleMove`)   |
| template comparison| `roles.selectors.compare_with_template` (the comparison page's rule)      |
| engagement         | `EngagementEvent` / `FeedbackPoint` (Table 2's shape)                     |
| milestone plan     | `recruitment.Milestone`, status by `recruitment.timeline.status_at`       |
| budget by year     | `roles.selectors.dashboard_of` (committed, pipeline, headroom)            |
| budget by function | the same dashboard's `by_function`, for the year holding the date         |
| recruitment        | `recruitment.selectors.with_confirmed_start` / `hire_times_of`            |
| equality           | `recruitment.equality.equality_report` (suppressed there, never here)     |
| professional mix   | people in post (`Role.appointee` -> `Person.profession`) and open roles   |
| decisions          | `Decision` with its votes; Part 2 only for `access.may_see_private`       |

"As of" a date: a role's status is its last audit row at or before the end of that day, and a role
with audit rows only after it (created later) is left out; a role with no audit rows at all counts
from its creation. Budgets count each role at its stage as of the date. Engagement, meetings and
advert rounds after the date are left out; a milestone done after the date is shown as not yet done.
Application counts and appointees are as they stand now (they have no dated trail to rewind).

Each table reads a constant number of queries whatever the number of places and roles: rows for
every place of the scope are read at once and grouped in Python.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Exists, F, OuterRef, Prefetch, Subquery
from django.utils import timezone

from recruitment.equality import equality_report
from recruitment.models import Application, ApplicationStatus, Milestone, shown_when
from recruitment.selectors import hire_times_of, pipeline_counts, with_confirmed_start
from recruitment.timeline import label_of, status_at
from roles.costs import FinancialYear
from roles.formatting import day
from roles.models import (
    ICS,
    AdvertRound,
    Budget,
    Place,
    Profession,
    Role,
    RoleMove,
    RoleStatus,
    RoleType,
    SpatialLevel,
    TemplateOmission,
    TemplateRole,
    stage_of,
)
from roles.selectors import Variation, compare_with_template, dashboard_of, links_in_order

from . import access, rules
from .models import Decision, EngagementEvent, FeedbackPoint, Vote

TEXT, INTEGER, MONEY, SESSIONS, DATE, PERCENT, YES_NO, COUNT = (
    "text",
    "integer",
    "money",
    "sessions",
    "date",
    "percent",
    "yes_no",
    "count",  # an integer, or the suppression mark "*"
)
KINDS = frozenset({TEXT, INTEGER, MONEY, SESSIONS, DATE, PERCENT, YES_NO, COUNT})
# How wide a column is (characters) unless it says otherwise.
DEFAULT_WIDTHS = {TEXT: 24, INTEGER: 9, MONEY: 13, SESSIONS: 9, DATE: 11, PERCENT: 8, YES_NO: 6, COUNT: 9}

TITLE = "Clinical & Care Professional Leadership: board pack"


@dataclass(frozen=True)
class Column:
    key: str
    heading: str
    kind: str = TEXT
    width: int = 0  # characters; 0 takes the kind's default

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"{self.kind!r} is not a column kind: use one of {sorted(KINDS)}.")

    @property
    def chars(self) -> int:
        return self.width or DEFAULT_WIDTHS[self.kind]


PLACE_COLUMN = Column("place", "Place", TEXT, 22)


@dataclass(frozen=True)
class Scope:
    """What a pack covers: one place, or a whole ICS (every place of it, the ICS-wide unit too)."""

    ics: ICS
    place: Place | None = None

    @classmethod
    def of_place(cls, place: Place) -> Scope:
        return cls(ics=place.ics, place=place)

    @classmethod
    def of_ics(cls, ics: ICS) -> Scope:
        return cls(ics=ics)

    @property
    def is_ics_wide(self) -> bool:
        return self.place is None

    @property
    def name(self) -> str:
        return str(self.place) if self.place else f"{self.ics} (all places)"

    @property
    def slug(self) -> str:
        return self.place.slug if self.place else self.ics.slug

    def places(self) -> list[Place]:
        if self.place is not None:
            return [self.place]
        return list(Place.objects.filter(ics=self.ics).order_by("is_system_wide", "name"))


Row = tuple
Rows = Iterable[tuple[str, Row]]  # (place name, the row's values) pairs, in order


@dataclass(frozen=True)
class Report:
    key: str
    title: str
    columns: tuple[Column, ...]
    rows_of: Callable[[list[Place], Scope, dt.date, object], Rows] = field(repr=False)
    note: str = ""

    def columns_for(self, scope: Scope) -> tuple[Column, ...]:
        return (PLACE_COLUMN, *self.columns) if scope.is_ics_wide else self.columns

    def rows(self, scope: Scope, as_of: dt.date, viewer, places: list[Place] | None = None) -> list[Row]:
        """The table's rows for `scope` as of `as_of`, as `viewer` may see them (None: an operator,
        who sees everything). ICS-wide, each row starts with its place's name."""
        places = places if places is not None else scope.places()
        rows = self.rows_of(places, scope, as_of, viewer)
        if scope.is_ics_wide:
            return [(place_name, *row) for place_name, row in rows]
        return [row for _place_name, row in rows]


@dataclass
class Table:
    report: Report
    columns: tuple[Column, ...]
    rows: list[Row]


@dataclass
class Pack:
    """A board pack's contents, ready for a renderer."""

    scope: Scope
    as_of: dt.date
    made_at: dt.datetime
    tables: list[Table]

    @property
    def row_count(self) -> int:
        return sum(len(t.rows) for t in self.tables)

    @property
    def subtitle(self) -> str:
        return f"{self.scope.name}, as of {day(self.as_of)}"


# --- Shared reads --------------------------------------------------------------------------------


def end_of(as_of: dt.date) -> dt.datetime:
    """The first moment after `as_of`, in local time: rows dated before it count as of the date."""
    return timezone.make_aware(dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time.min))


def roles_as_of(places: list[Place], as_of: dt.date, roles=None) -> list[Role]:
    """The places' roles that existed at the end of `as_of`, each with `status_then` and
    `stage_then` (its budget stage then), in one query (plus the queryset's own prefetches)."""
    cutoff = end_of(as_of)
    last = RoleMove.objects.filter(role=OuterRef("pk"), at__lt=cutoff).order_by("-at", "-pk")
    queryset = (roles if roles is not None else Role.objects.all()).filter(place__in=[p.pk for p in places])
    queryset = queryset.annotate(
        status_then=Subquery(last.values("to_status")[:1]),
        from_then=Subquery(last.values("from_status")[:1]),
        has_moves=Exists(RoleMove.objects.filter(role=OuterRef("pk"))),
    ).order_by("title", "pk")
    kept = []
    for role in queryset:
        if role.status_then is None:
            if role.has_moves or role.created_at >= cutoff:
                continue  # created after the date
            role.status_then = role.status
        held_from = role.held_from if role.status == RoleStatus.ON_HOLD else ""
        if role.status_then == RoleStatus.ON_HOLD and role.from_then and role.from_then != RoleStatus.ON_HOLD:
            held_from = role.from_then
        role.stage_then = stage_of(role.status_then, held_from)
        kept.append(role)
    return kept


# Several tables read the same roles (roles, template, budgets, mix): `pack_of` reads them once for all
# of them, with everything any of them reads, and a table asked for on its own reads them itself.
_PACK_READS: ContextVar[dict | None] = ContextVar("pack_reads", default=None)
ROLES_READ = Role.objects.select_related("appointee__profession")


def _linked(ids: list[int], relation: str) -> dict[int, list]:
    """For each of the roles `ids`, the rows its many-to-many `relation` ("functions",
    "eligible_professions") links it to, in their order: the rows read once, the links as values."""
    rows = {row.pk: row for row in Role._meta.get_field(relation).related_model.objects.all()}
    linked: dict[int, list] = defaultdict(list)
    for role_id, pks in links_in_order(Role, relation, ids).items():
        linked[role_id] = [rows[pk] for pk in pks]
    return linked


def _with_lists(roles: list[Role]) -> list[Role]:
    """Give each role its spatial level, its `function_list` and its `eligible_list` from the reference
    rows read once, and its links read as (role, id) values: an ICS's pack has thousands of roles and
    links, and a model row made for each (a prefetch, a join) was a tenth of the pack's time."""
    levels = {level.pk: level for level in SpatialLevel.objects.all()}
    ids = [role.pk for role in roles]
    function_list, eligible_list = _linked(ids, "functions"), _linked(ids, "eligible_professions")
    level_field = Role._meta.get_field("spatial_level")
    for role in roles:
        level_field.set_cached_value(role, levels.get(role.spatial_level_id))
        role.function_list, role.eligible_list = function_list[role.pk], eligible_list[role.pk]
    return roles


def pack_roles(places: list[Place], as_of: dt.date) -> list[Role]:
    """`roles_as_of` the places, with what every table of the pack reads; once per pack."""
    reads = _PACK_READS.get()
    key = ("roles", tuple(p.pk for p in places), as_of)
    if reads is None or key not in reads:
        roles = _with_lists(roles_as_of(places, as_of, ROLES_READ.all()))
        if reads is None:
            return roles
        reads[key] = roles
    return reads[key]


def _by_place(rows: Iterable, place_of=lambda obj: obj.place_id) -> dict[int, list]:
    grouped: dict[int, list] = defaultdict(list)
    for row in rows:
        grouped[place_of(row)].append(row)
    return grouped


def _titles(objects) -> str:
    return "; ".join(str(obj) for obj in objects)


def _appointee(role: Role) -> str:
    if role.appointee_id:
        return role.appointee.name
    return role.appointee_name


# --- The tables ----------------------------------------------------------------------------------


def role_rows(places, scope, as_of, viewer) -> Rows:
    grouped = _by_place(pack_roles(places, as_of))
    for place in places:
        for role in grouped[place.pk]:
            in_post = role.status_then == RoleStatus.IN_POST
            yield (
                place.name,
                (
                    role.title,
                    role.get_role_type_display(),
                    role.sessions_per_week,
                    _titles(role.function_list),
                    str(role.spatial_level),
                    RoleStatus(role.status_then).label,
                    role.start_date,
                    role.end_date,
                    _appointee(role) if in_post else "",
                    not role.predates_ics_model,
                ),
            )


def _what_changed(row) -> str:
    if row.kind == Variation.ADOPTED:
        return "Type changed" if row.type_changed else Variation.LABELS[row.kind]
    label = Variation.LABELS[row.kind]
    return f"{label}; type changed" if row.type_changed else label


def comparison_rows(places, scope, as_of, viewer) -> Rows:
    templates = list(TemplateRole.objects.filter(ics=scope.ics).order_by("order", "title"))
    compared = [p for p in places if not p.is_system_wide]  # an ICS-wide unit has no place template
    compared_pks = {p.pk for p in compared}
    roles = [
        r
        for r in pack_roles(places, as_of)
        if r.place_id in compared_pks and not r.predates_ics_model and r.status_then != RoleStatus.WITHDRAWN
    ]
    roles_of = _by_place(roles)
    omissions = _by_place(TemplateOmission.objects.filter(place__in=[p.pk for p in compared]))
    for place in compared:
        comparison = compare_with_template(
            place=place,
            templates=templates,
            roles=roles_of[place.pk],
            omissions={o.template_role_id: o for o in omissions[place.pk]},
        )
        for row in comparison.rows:
            yield (
                place.name,
                (
                    row.template_role.title if row.template_role else "",
                    row.template_role.get_role_type_display() if row.template_role else "",
                    row.role.title if row.role else "",
                    row.role.get_role_type_display() if row.role else "",
                    _what_changed(row),
                    row.reason,
                ),
            )


def engagement_rows(places, scope, as_of, viewer) -> Rows:
    points = Prefetch(
        "points",
        queryset=FeedbackPoint.objects.order_by("order", "pk").prefetch_related(
            Prefetch("roles", queryset=Role.objects.only("pk", "title").order_by("title"), to_attr="role_list"),
            Prefetch("template_roles", to_attr="template_list"),
        ),
        to_attr="point_list",
    )
    events = (
        EngagementEvent.objects.filter(place__in=[p.pk for p in places], held_on__lte=as_of)
        .order_by("held_on", "pk")
        .prefetch_related(points)
    )
    grouped = _by_place(events)
    for place in places:
        for event in grouped[place.pk]:
            for point in event.point_list or [None]:
                shaped = [*point.role_list, *point.template_list] if point else []
                yield (
                    place.name,
                    (
                        event.held_on,
                        event.group,
                        point.text if point else "",
                        point.get_action_display() if point else "",
                        point.action_note if point else "",
                        _titles(shaped),
                    ),
                )


MILESTONE_READ = (
    "place_id",
    "tranche__name",
    "title",
    "when_kind",
    "starts_on",
    "ends_on",
    "falls_due_on",
    "done_on",
    "owner__first_name",
    "owner__last_name",
    "owner__username",
)


def milestone_rows(places, scope, as_of, viewer) -> Rows:
    # A place may have 20,000 milestones: read as values, with the day each falls due as stored from
    # the model's rule (`Milestone.falls_due_on`), and given a status by the timeline's rule on those
    # values. A milestone done after the date is not yet done on it.
    # Ordered by ids and dates, as the model orders them (newest tranche first, then single
    # milestones), not through the model's ordering, which sorts every row by the names of its place,
    # ICS and tranche: 350 ms of a 390 ms query at 28,000 rows.
    rows = (
        Milestone.objects.filter(place__in=[p.pk for p in places])
        .order_by(F("tranche__created_at").desc(nulls_last=True), "tranche_id", "order", "starts_on", "pk")
        .values_list(*MILESTONE_READ)
    )
    grouped = _by_place(rows, place_of=lambda row: row[0])
    # The same times and statuses recur across a plan's milestones: each is worded once.
    when = functools.cache(shown_when)

    @functools.cache
    def status(due_on, done_then):
        return label_of(status_at(done_on=done_then, due_on=due_on, today=as_of), done_then)

    for place in places:
        for _, tranche, title, kind, starts_on, ends_on, due_on, done_on, first, last, username in grouped[place.pk]:
            done_then = done_on if done_on and done_on <= as_of else None
            owner = (f"{first} {last}".strip() or username) if username else ""
            shown = when(kind, starts_on, ends_on)
            yield place.name, (tranche or "", title, shown, due_on, owner, status(due_on, done_then), done_then)


def _budget_reads(places, as_of):
    """The roles (by place) and budgets the two budget tables read; once per pack."""
    reads = _PACK_READS.get()
    key = ("budgets", tuple(p.pk for p in places), as_of)
    if reads is None or key not in reads:
        roles = pack_roles(places, as_of)
        budgets = {(b.place_id, b.financial_year): b for b in Budget.objects.filter(place__in=[p.pk for p in places])}
        found = (_by_place(roles), budgets, {})  # the third: each place's dashboard of a year, once made
        if reads is None:
            return found
        reads[key] = found
    return reads[key]


def _dashboard(place, year, reads):
    """`place`'s dashboard for `year` from `_budget_reads`: made once for both budget tables (the table by
    function shows the current year's, which the table by year has made)."""
    roles_of, budgets, made = reads
    if (place.pk, year) not in made:
        made[place.pk, year] = _dashboard_of(place, year, roles_of[place.pk], budgets)
    return made[place.pk, year]


def _dashboard_of(place, year, roles, budgets):
    running = [r for r in roles if r.runs_in(year)]
    return dashboard_of(
        place=place,
        year=year,
        budget=budgets.get((place.pk, year.start_year)),
        roles=running,
        stage_by_role={r.pk: r.stage_then for r in running},
        functions_of={r.pk: r.function_list for r in running},
    )


def budget_year_rows(places, scope, as_of, viewer) -> Rows:
    reads = _budget_reads(places, as_of)
    budgets = reads[1]
    current = FinancialYear.containing(as_of)
    for place in places:
        years = sorted({FinancialYear(y) for (p, y) in budgets if p == place.pk} | {current})
        for year in years:
            board = _dashboard(place, year, reads)
            yield (
                place.name,
                (
                    year.label,
                    board.budget.amount if board.budget else None,
                    board.committed.pay,
                    board.committed.on_cost,
                    board.pipeline.pay,
                    board.pipeline.on_cost,
                    board.spent_or_reserved,
                    board.headroom,
                    board.proposed.total,
                ),
            )


def budget_function_rows(places, scope, as_of, viewer) -> Rows:
    reads = _budget_reads(places, as_of)
    year = FinancialYear.containing(as_of)
    for place in places:
        board = _dashboard(place, year, reads)
        for group in board.by_function:
            yield place.name, (year.label, group.label, group.count, group.sessions, group.cost)


STAGE_COLUMNS = [status for status in ApplicationStatus]


# What the recruitment table reads of each round, as values: the pack of an ICS has 1,300 rounds, and a round
# with its role, place and ICS as model rows, its offers and contracts prefetched and its times worked out
# stage by stage (`hire_times`) cost four times what this does. Time to hire needs only the round's dates,
# outcome and confirmed start (`hire_times_of`, the rule `hire_times` applies).
ROUND_READ = (
    "role__place_id",
    "role__title",
    "number",
    "opens_on",
    "closes_on",
    "outcome",
    "starts_on",
    "role__place__ics__time_to_hire_target_weeks",
    "n_applications",
    *(f"n_{status.value}" for status in STAGE_COLUMNS),
)


def recruitment_rows(places, scope, as_of, viewer) -> Rows:
    outcomes = {value: str(label) for value, label in AdvertRound.Outcome.choices}  # `get_outcome_display`
    rounds = (
        with_confirmed_start(AdvertRound.objects.filter(role__place__in=[p.pk for p in places], opens_on__lte=as_of))
        .annotate(**pipeline_counts())
        .order_by("role__title", "number")
        .values_list(*ROUND_READ)
    )
    grouped = _by_place(rounds, lambda row: row[0])
    for place in places:
        for _, title, number, opens_on, closes_on, outcome, starts_on, weeks, *counts in grouped[place.pk]:
            times = hire_times_of(
                opens_on=opens_on, outcome=outcome, starts_on=starts_on, target_days=weeks * 7, today=as_of
            )
            yield (
                place.name,
                (
                    title,
                    number,
                    opens_on,
                    closes_on,
                    outcomes.get(outcome, outcome),
                    *counts,  # applications in all, then by where each stands
                    times.to_start,
                    times.elapsed,
                    times.target_days,
                    times.breached,
                ),
            )


def equality_rows(places, scope, as_of, viewer) -> Rows:
    """Aggregated over the whole scope (ICS-wide: every place together, never per place, so the
    numbers stay as large as they can); suppression is `recruitment.equality`'s."""
    applications = Application.objects.filter(round__role__place__in=[p.pk for p in places], round__opens_on__lte=as_of)
    report = equality_report(applications)
    for table in report.tables:
        for row in (*table.rows, None):
            label, cells = ("Total", table.totals) if row is None else (row.label, row.cells)
            yield scope.name, (table.label, label, *(cell.shown if cell.suppressed else cell.value for cell in cells))


# The groups of the professional mix, from `roles.Profession`'s slugs; any other profession is "Other".
MIX_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("GP", ("gp",)),
    ("Nurse", ("nurse",)),
    ("Pharmacist", ("pharmacist",)),
    ("AHP", ("ahp",)),
    ("Psychologist", ("psychologist",)),
    ("Social care", ("social-care",)),
    ("Voluntary sector", ("voluntary-sector",)),
    ("Other", ()),
)
NOT_RECORDED = "Profession not recorded"
OPEN_TO_CARE = "Roles open to care professionals"


def _group_of(profession: Profession | None) -> str:
    if profession is None:
        return NOT_RECORDED
    return next((label for label, slugs in MIX_GROUPS if profession.slug in slugs), "Other")


def open_to_care(role: Role, eligible: list[Profession]) -> bool:
    """Open to care professionals: a Care or Clinical / Care role, or one open to a non-clinical profession."""
    return role.role_type in (RoleType.CARE, RoleType.CLINICAL_CARE) or any(not p.is_clinical for p in eligible)


def mix_rows(places, scope, as_of, viewer) -> Rows:
    professions = list(Profession.objects.all())
    grouped = _by_place(pack_roles(places, as_of))
    labels = [label for label, _ in MIX_GROUPS] + [NOT_RECORDED]
    for place in places:
        live = [r for r in grouped[place.pk] if r.status_then not in (RoleStatus.WITHDRAWN, RoleStatus.ENDED)]
        in_post = [r for r in live if r.status_then == RoleStatus.IN_POST]
        people = defaultdict(int)
        for role in in_post:
            people[_group_of(role.appointee.profession if role.appointee_id else None)] += 1
        open_to = defaultdict(int)
        for role in live:
            eligible = role.eligible_list
            if not eligible:  # any profession the role's type allows
                clinical_only = role.role_type == RoleType.CLINICAL
                eligible = [p for p in professions if p.is_clinical or not clinical_only]
            for label in {_group_of(p) for p in eligible}:
                open_to[label] += 1
        total = len(in_post)
        for label in labels:
            if label == NOT_RECORDED and not people[label]:
                continue
            share = Decimal(people[label]) / total if total else None
            yield place.name, (label, people[label], share, open_to[label] if label != NOT_RECORDED else None)
        care_roles = [r for r in live if open_to_care(r, r.eligible_list)]
        care_in_post = sum(1 for r in care_roles if r.status_then == RoleStatus.IN_POST)
        yield (
            place.name,
            (OPEN_TO_CARE, care_in_post, Decimal(care_in_post) / total if total else None, len(care_roles)),
        )


def tally_text(decision: Decision, votes: list[Vote]) -> str:
    """The vote as `governance.rules.tally` counts it (excluded votes and the casting vote included)."""
    board = decision.item.meeting.board
    try:
        return rules.tally(board=board, votes=votes, casting_vote=decision.casting_vote).sentence
    except rules.CastingVoteRefused:  # a casting vote recorded before the rule could refuse it: count without
        return rules.tally(board=board, votes=votes).sentence + " (casting vote recorded: see the minutes)"


def decision_rows(places, scope, as_of, viewer) -> Rows:
    decisions = (
        Decision.objects.filter(
            item__meeting__board__place__in=[p.pk for p in places], item__meeting__held_on__lte=as_of
        )
        .select_related("item__meeting__board__place")  # the place: who may read a Part 2 decision
        .prefetch_related(Prefetch("votes", queryset=Vote.objects.select_related("organisation")))
        .order_by("item__meeting__held_on", "item__meeting__part", "item__number", "pk")
    )
    grouped = _by_place(decisions, lambda d: d.item.meeting.board.place_id)
    # The roles each authorises, by title, read as values: an ICS's decisions authorise 1,500 roles, and a
    # prefetch made a model row and a related manager for each (most of this table's time).
    authorised: dict[int, list[str]] = defaultdict(list)
    links = Decision.roles.through.objects.filter(decision_id__in=[d.pk for ds in grouped.values() for d in ds])
    for decision_id, title in links.order_by("role__title", "role_id").values_list("decision_id", "role__title"):
        authorised[decision_id].append(title)
    for place in places:
        for decision in grouped[place.pk]:
            meeting = decision.item.meeting
            if meeting.is_private and viewer is not None and not access.may_see_private(viewer, meeting.board):
                continue
            votes = list(decision.votes.all())
            yield (
                place.name,
                (
                    meeting.held_on,
                    meeting.board.name,
                    meeting.get_part_display(),
                    str(decision.item),
                    decision.text,
                    decision.get_outcome_display(),
                    tally_text(decision, votes) if decision.by_vote else "Not voted",
                    decision.get_casting_vote_display() if decision.casting_vote else "",
                    "INQUORATE" if decision.inquorate else "",
                    "; ".join(authorised[decision.pk]),
                ),
            )


REPORTS: tuple[Report, ...] = (
    Report(
        "roles",
        "Roles",
        (
            Column("title", "Role", TEXT, 36),
            Column("type", "Type", TEXT, 14),
            Column("sessions", "Sessions a week", SESSIONS),
            Column("functions", "Function(s)", TEXT, 32),
            Column("level", "Spatial level", TEXT, 16),
            Column("status", "Status", TEXT, 14),
            Column("start", "Start", DATE),
            Column("end", "End", DATE),
            Column("appointee", "Appointee (in post)", TEXT, 22),
            Column("ics_model", "ICS model", YES_NO, 7),
        ),
        role_rows,
        note="Status as of the date, from each role's audit trail; roles created later are left out. "
        "ICS model: No for a contract from before the ICS template (e.g. an interim CCG lead).",
    ),
    Report(
        "template",
        "Against the ICS template",
        (
            Column("template_role", "Template role", TEXT, 34),
            Column("template_type", "Template type", TEXT, 14),
            Column("role", "Place role", TEXT, 34),
            Column("role_type", "Place type", TEXT, 14),
            Column("change", "What changed", TEXT, 20),
            Column("reason", "Reason", TEXT, 48),
        ),
        comparison_rows,
    ),
    Report(
        "engagement",
        "Engagement and feedback",
        (
            Column("date", "Date", DATE),
            Column("group", "Group or organisation", TEXT, 30),
            Column("feedback", "Feedback", TEXT, 48),
            Column("action", "Action", TEXT, 16),
            Column("done", "What was done", TEXT, 30),
            Column("roles", "Roles shaped", TEXT, 30),
        ),
        engagement_rows,
    ),
    Report(
        "milestones",
        "Milestone plan",
        (
            Column("tranche", "Tranche", TEXT, 20),
            Column("milestone", "Milestone", TEXT, 40),
            Column("when", "When", TEXT, 18),
            Column("due", "Due", DATE),
            Column("owner", "Owner", TEXT, 18),
            Column("status", "Status", TEXT, 20),
            Column("done", "Done on", DATE),
        ),
        milestone_rows,
    ),
    Report(
        "budget_years",
        "Budget by financial year",
        (
            Column("year", "Financial year", TEXT, 10),
            Column("budget", "Budget", MONEY),
            Column("committed_pay", "Committed: pay", MONEY),
            Column("committed_on_cost", "Committed: on-costs", MONEY),
            Column("pipeline_pay", "Pipeline: pay", MONEY),
            Column("pipeline_on_cost", "Pipeline: on-costs", MONEY),
            Column("counted", "Committed and pipeline", MONEY),
            Column("headroom", "Headroom", MONEY),
            Column("proposed", "Proposed (not counted)", MONEY),
        ),
        budget_year_rows,
        note="Each role counted at its stage as of the date; on-costs from each year's budget.",
    ),
    Report(
        "budget_functions",
        "Budget by function",
        (
            Column("year", "Financial year", TEXT, 10),
            Column("function", "Function", TEXT, 40),
            Column("roles", "Roles", INTEGER),
            Column("sessions", "Sessions a week", SESSIONS),
            Column("cost", "Committed and pipeline", MONEY),
        ),
        budget_function_rows,
        note="The financial year holding the date; a role serving several functions is shared equally between them.",
    ),
    Report(
        "recruitment",
        "Recruitment progress",
        (
            Column("role", "Role", TEXT, 32),
            Column("round", "Round", INTEGER, 6),
            Column("opens", "Opened", DATE),
            Column("closes", "Closes", DATE),
            Column("outcome", "Outcome", TEXT, 13),
            Column("applications", "Applications", INTEGER),
            *(Column(f"n_{s.value}", s.label, INTEGER) for s in STAGE_COLUMNS),
            Column("to_start", "Days to start", INTEGER),
            Column("elapsed", "Days so far", INTEGER),
            Column("target", "Target (days)", INTEGER),
            Column("over", "Over target", YES_NO),
        ),
        recruitment_rows,
        note="Applications counted by where they stand now; time to hire from the advert opening.",
    ),
    Report(
        "equality",
        "Equality monitoring (in aggregate)",
        (
            Column("question", "Question", TEXT, 24),
            Column("answer", "Answer", TEXT, 30),
            Column("applied", "Applied", COUNT),
            Column("shortlisted", "Shortlisted", COUNT),
            Column("appointed", "Appointed", COUNT),
        ),
        equality_rows,
        note="* marks a number not shown: small numbers are suppressed so nobody can be identified.",
    ),
    Report(
        "mix",
        "Professional mix",
        (
            Column("group", "Profession", TEXT, 36),
            Column("in_post", "People in post", INTEGER),
            Column("share", "Share in post", PERCENT),
            Column("open", "Roles open to them", INTEGER),
        ),
        mix_rows,
        note=f"“{OPEN_TO_CARE}”: Care or Clinical / Care roles, or roles open to a non-clinical profession.",
    ),
    Report(
        "decisions",
        "Board decisions",
        (
            Column("date", "Meeting", DATE),
            Column("board", "Board", TEXT, 24),
            Column("part", "Part", TEXT, 14),
            Column("item", "Item", TEXT, 28),
            Column("decision", "Decision", TEXT, 40),
            Column("outcome", "Outcome", TEXT, 11),
            Column("votes", "Votes", TEXT, 26),
            Column("casting", "Casting vote", TEXT, 11),
            Column("inquorate", "Inquorate", TEXT, 12),
            Column("roles", "Roles authorised", TEXT, 30),
        ),
        decision_rows,
        note="INQUORATE marks a decision recorded although the meeting was not quorate.",
    ),
)
REPORTS_BY_KEY = {report.key: report for report in REPORTS}


def pack_of(*, scope: Scope, as_of: dt.date, viewer) -> Pack:
    """Every table of the pack for `scope` as of `as_of`, as `viewer` may see it (None: everything)."""
    places = scope.places()
    token = _PACK_READS.set({})
    try:
        tables = [
            Table(report=report, columns=report.columns_for(scope), rows=report.rows(scope, as_of, viewer, places))
            for report in REPORTS
        ]
    finally:
        _PACK_READS.reset(token)
    return Pack(scope=scope, as_of=as_of, made_at=timezone.now(), tables=tables)


# ======== ICS template adoption (governance.ics, issue 13): appended; the tables above are unchanged ========
# The adoption matrix's export: the matrix itself (a column per place, so its columns are declared for the
# places exported, `adoption_matrix_report`) and a row per cell and local addition with its reason
# (`ADOPTION`). Both read `governance.ics.adoption_matrix`, the matrix page's own selector, as it stands on
# the day of the export.


def _adoption_matrix(scope: Scope, places: list[Place]):
    from .ics import adoption_matrix  # governance.ics builds its exports from these definitions: no import cycle

    return adoption_matrix(ics=scope.ics, places=places)


# Titles a matrix cell names before "and N more" (the table by place lists them all, a row each), so that
# a place with hundreds of roles of its own still makes a cell a PDF page can hold.
CELL_TITLES, ADDED_TITLES = 3, 10


def _short_list(titles: list[str], most: int) -> str:
    shown = "; ".join(titles[:most])
    return shown + (f"; and {len(titles) - most} more" if len(titles) > most else "")


def _cell_text(cell) -> str:
    """A matrix cell in words: "Adopted", "Renamed: <its title>", "Not adopted"; a type change said."""
    text = cell.label
    if cell.kind == Variation.RENAMED:
        text += ": " + _short_list([role.title for role in cell.roles], CELL_TITLES)
    return f"{text} (type changed)" if cell.type_changed else text


# How the matrix words what a place did with a template role (and, in the table by place, a local addition).
ADOPTION_LABELS = {
    Variation.ADOPTED: "Adopted",
    Variation.RENAMED: "Renamed",
    Variation.NOT_ADOPTED: "Not adopted",
    Variation.ADDED: Variation.LABELS[Variation.ADDED],
}


def _row_text(row) -> str:
    """One role's (or the not-adopted row's) standing, as the matrix words it."""
    text = ADOPTION_LABELS[row.kind]
    return f"{text} (type changed)" if row.type_changed else text


def adoption_rows(places, scope, as_of, viewer) -> Rows:
    """A row per place and template role for each of the place's roles derived from it (or the one
    "not adopted" row), then the place's local additions: the matrix's cells, every role in its own row."""
    matrix = _adoption_matrix(scope, places)
    cells_of: dict[int, list] = defaultdict(list)
    for _template, cells in matrix.rows:
        for cell in cells:
            cells_of[cell.place.pk].append(cell)
    for place in matrix.places:
        for cell in cells_of[place.pk]:
            template = cell.template_role
            for row in cell.rows:
                role = row.role
                yield (
                    place.name,
                    (
                        template.title,
                        template.get_role_type_display(),
                        _row_text(row),
                        role.title if role else "",
                        role.get_role_type_display() if role else "",
                        row.reason,
                    ),
                )
        for row in matrix.additions(place):
            role = row.role
            yield place.name, ("", "", _row_text(row), role.title, role.get_role_type_display(), row.reason)


ADOPTION = Report(
    "adoption",
    "Template adoption by place",
    (
        Column("template_role", "Template role", TEXT, 34),
        Column("template_type", "Template type", TEXT, 14),
        Column("adoption", "Adoption", TEXT, 24),
        Column("role", "Place role", TEXT, 34),
        Column("role_type", "Place type", TEXT, 14),
        Column("reason", "Reason", TEXT, 48),
    ),
    adoption_rows,
    note="Each place's roles against the template roles they derive from (a row each; a row for a template "
    "role not adopted), then its local additions; the reason is the place's own.",
)


# Places a matrix table holds: a PDF page (A4 landscape) fits this many beside the template role's title.
ADOPTION_MATRIX_PLACES = 8


def adoption_matrix_report(places: list[Place], title: str = "Template adoption matrix") -> Report:
    """The matrix as a table: the template roles down the side, a column per place of `places`."""
    return Report(
        "adoption_matrix",
        title,
        (
            Column("template_role", "Template role", TEXT, 34),
            Column("template_type", "Type", TEXT, 14),
            *(Column(f"place_{place.slug}", place.name, TEXT, 18) for place in places),
        ),
        lambda places, scope, as_of, viewer: [],  # rows from the matrix already read: `adoption_matrix_rows`
        note="Adopted (as recommended), Renamed (the place's title) or Not adopted; "
        "the last row lists each place's local additions.",
    )


def adoption_matrix_rows(matrix, places: list[Place]) -> list[Row]:
    """The matrix's rows for the columns of `places` (some of `matrix.places`)."""
    shown = {place.pk for place in places}
    rows: list[Row] = [
        (template.title, template.get_role_type_display(), *(_cell_text(c) for c in cells if c.place.pk in shown))
        for template, cells in matrix.rows
    ]
    additions = [_short_list([row.role.title for row in matrix.additions(place)], ADDED_TITLES) for place in places]
    rows.append((Variation.LABELS[Variation.ADDED], "", *additions))
    return rows


def adoption_matrix_tables(matrix) -> list[Table]:
    """The matrix as tables of at most `ADOPTION_MATRIX_PLACES` places each (one table for a small ICS),
    so that every format can lay it out, the PDF included."""
    places = matrix.places
    parts = [places[n : n + ADOPTION_MATRIX_PLACES] for n in range(0, len(places), ADOPTION_MATRIX_PLACES)] or [[]]
    tables = []
    for n, part in enumerate(parts):
        first = n * ADOPTION_MATRIX_PLACES + 1
        title = (
            "Template adoption matrix"
            if len(parts) == 1
            else f"Adoption matrix, places {first}–{first + len(part) - 1}"
        )
        report = adoption_matrix_report(part, title)
        tables.append(Table(report=report, columns=report.columns, rows=adoption_matrix_rows(matrix, part)))
    return tables
