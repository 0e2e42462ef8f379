"""The ICS's view across its places (issue 13): the overview, the template adoption matrix, the
functions coverage, the search and the comparison of places. Reads, and the adoption export's log row.

Who sees these pages: an ICS's administrators, and the secretariat of an ICS-level board (a
secretariat whose scope is the whole ICS, or its ICS-wide unit, where the ICS's own boards sit);
superusers see every ICS. Anyone else, a place team member included, is answered 404, as for a
place they cannot see. Inside an ICS each page shows only the places `roles.permissions` lets the
user see (`places_visible_to`), so a secretariat scoped to the ICS-wide unit sees that unit only.

Every figure is the place pages' own rule, computed where it is written, from rows read for all the
places at once: a constant number of queries whatever the number of places and roles.

- Committed, pipeline, proposed, headroom, the cap, roles by status and the spend by function:
  `roles.selectors.place_dashboards`, the place dashboard's own figures for many places at once
  (roles grouped in the database by what their figures depend on; `cost_in_year`, `stage_of`,
  `peak_sessions` and `split_evenly` applied once a group).
- Recruitment in flight and time to hire (`recruitment.selectors.HireTimes.breached`): advert rounds
  grouped by place, opening date, outcome and the accepted offer's contract start.
- What has drifted (`recruitment.drift.drift_counts_by_place`): drifted roles counted by place and kind.
- Functions coverage: the same dashboards' spend by function.
- Template adoption (`roles.selectors.compare_with_template`): the template roles, the roles that
  count (six columns) and the omissions.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from recruitment import access as recruitment_access
from recruitment import drift
from recruitment.selectors import hire_times_of, with_confirmed_start
from roles import permissions
from roles.costs import FinancialYear
from roles.models import (
    ICS,
    AdvertRound,
    Budget,
    Function,
    Place,
    Role,
    RoleStatus,
    RoleType,
    TemplateOmission,
    TemplateRole,
    normalise_title,
)
from roles.selectors import (
    ComparisonRow,
    Dashboard,
    Group,
    TemplateComparison,
    Variation,
    compare_with_template,
    function_sessions,
    place_dashboards,
)

from . import packs, renderers, reports

# --- Who sees the ICS pages ---------------------------------------------------------------------------------


def icss_overseen_by(user) -> QuerySet[ICS]:
    """The ICSs whose pages the user may open (`roles.permissions.icss_overseen_by`)."""
    return permissions.icss_overseen_by(user)


def places_shown(user, ics: ICS) -> list[Place]:
    """The ICS's places the user may see, boroughs by name and the ICS-wide unit last."""
    return list(permissions.places_visible_to(user).filter(ics=ics).order_by("is_system_wide", "name"))


def compared_places(places: list[Place]) -> list[Place]:
    """The places compared with the ICS's template: an ICS-wide unit has no place template to adopt."""
    return [place for place in places if not place.is_system_wide]


# --- Years ---------------------------------------------------------------------------------------------------


def budget_years(places: list[Place]) -> list[FinancialYear]:
    """The financial years any of the places has a budget for, in order (one query)."""
    years = (
        Budget.objects.filter(place__in=[p.pk for p in places])
        .order_by("financial_year")
        .values_list("financial_year", flat=True)
        .distinct()
    )
    return [FinancialYear(year) for year in years]


def default_year(budgeted: list[FinancialYear], today: dt.date | None = None) -> FinancialYear:
    """The current financial year, or the latest a place has a budget for when no place has one for
    the current year (as `roles.selectors.default_year` chooses for one place)."""
    current = FinancialYear.containing(today or timezone.localdate())
    if not budgeted or current in budgeted:
        return current
    return budgeted[-1]


def year_choices(budgeted: list[FinancialYear], selected: FinancialYear) -> list[FinancialYear]:
    return sorted(set(budgeted) | {FinancialYear.current(), selected})


# --- Shared reads ---------------------------------------------------------------------------------------------


# --- The overview ---------------------------------------------------------------------------------------------


@dataclass
class Hiring:
    """A place's recruitment: rounds open now, and the time to hire of the rounds opened in the year."""

    in_flight: int = 0  # advert rounds open now
    in_flight_over: int = 0  # of those, past the ICS's target with no start yet
    opened: int = 0  # rounds opened in the year
    started: int = 0  # of those, with the appointee's start confirmed
    days_to_start: int = 0  # their days from the advert opening to the start, added up
    over_target: int = 0  # rounds opened in the year that are over the target (`HireTimes.breached`)

    @property
    def mean_days(self) -> Decimal | None:
        return Decimal(self.days_to_start) / self.started if self.started else None

    @property
    def mean_weeks(self) -> Decimal | None:
        mean = self.mean_days
        return None if mean is None else (mean / 7).quantize(Decimal("0.1"))

    def __add__(self, other: Hiring) -> Hiring:
        return Hiring(*(getattr(self, f) + getattr(other, f) for f in self.__dataclass_fields__))


@dataclass
class PlaceRow:
    place: Place
    board: Dashboard  # the place dashboard's figures (`lines` left empty: no role is read one by one)
    hiring: Hiring
    drifts: list[tuple[str, int]]  # (what has drifted, how many roles), in `recruitment.drift`'s order

    @property
    def drifted(self) -> int:
        return sum(count for _, count in self.drifts)


@dataclass
class Totals:
    """The ICS's sums of its places' figures. Headroom and budget add up the places that have a
    budget for the year (None when none has); the sessions add up each place's peak."""

    budget: Decimal | None
    committed: Decimal
    pipeline: Decimal
    proposed: Decimal
    headroom: Decimal | None
    sessions_used: Decimal
    session_cap: Decimal | None
    by_status: list[Group]
    hiring: Hiring
    drifted: int

    @property
    def spent_or_reserved(self) -> Decimal:
        return self.committed + self.pipeline

    @property
    def is_over_budget(self) -> bool:
        return self.headroom is not None and self.headroom < 0


@dataclass
class Overview:
    ics: ICS
    year: FinancialYear
    today: dt.date
    rows: list[PlaceRow]
    totals: Totals

    @property
    def target_weeks(self) -> int:
        return self.ics.time_to_hire_target_weeks


def _add(values) -> Decimal | None:
    present = [v for v in values if v is not None]
    return sum(present, Decimal(0)) if present else None


def place_hiring(*, places: list[Place], year: FinancialYear, ics: ICS, user, today: dt.date) -> dict[int, Hiring]:
    """Each place's rounds in flight and time to hire, one query: the rounds open now or opened in
    `year`, grouped by place, opening date, outcome and the accepted offer's contract start (a round
    has at most one accepted offer). Rounds whose candidates the user scores anonymously are left
    out, as the place's recruitment page leaves them out."""
    rounds = (
        with_confirmed_start(
            AdvertRound.objects.filter(role__place__in=[p.pk for p in places])
            .filter(Q(outcome=AdvertRound.Outcome.OPEN) | Q(opens_on__gte=year.start, opens_on__lte=year.end))
            .exclude(pk__in=recruitment_access.anonymous_rounds_for(user).values("pk"))
        )
        .values("role__place_id", "opens_on", "outcome", "starts_on")
        .annotate(n=Count("pk"))
        .order_by()
    )
    target_days = ics.time_to_hire_target_weeks * 7
    hiring: dict[int, Hiring] = defaultdict(Hiring)
    for group in rounds:
        found, n = hiring[group["role__place_id"]], group["n"]
        times = hire_times_of(
            opens_on=group["opens_on"],
            outcome=group["outcome"],
            starts_on=group["starts_on"],
            target_days=target_days,
            today=today,
        )
        if group["outcome"] == AdvertRound.Outcome.OPEN:
            found.in_flight += n
            if times.to_start is None and times.breached:
                found.in_flight_over += n
        if year.start <= group["opens_on"] <= year.end:
            found.opened += n
            found.over_target += n if times.breached else 0
            if times.to_start is not None:
                found.started += n
                found.days_to_start += times.to_start * n
    return hiring


def place_drifts(*, places: list[Place], today: dt.date) -> dict[int, list[tuple[str, int]]]:
    """What has drifted in each place (`recruitment.drift.drift_counts_by_place`: one query)."""
    counts = drift.drift_counts_by_place([p.pk for p in places], today)
    return {place.pk: counts.get(place.pk, []) for place in places}


def overview(*, ics: ICS, places: list[Place], year: FinancialYear, user, today: dt.date | None = None) -> Overview:
    """A row per place (the ICS-wide unit last) with its dashboard figures for `year`, its recruitment
    and what has drifted, and the ICS's totals. Four queries whatever the number of places and roles."""
    today = today or timezone.localdate()
    boards = place_dashboards(places=places, year=year)
    hiring = place_hiring(places=places, year=year, ics=ics, user=user, today=today)
    drifts = place_drifts(places=places, today=today)
    rows = [PlaceRow(p, boards[p.pk], hiring.get(p.pk, Hiring()), drifts[p.pk]) for p in places]
    by_status: dict[str, Group] = {}
    for row in rows:
        for group in row.board.by_status:
            total = by_status.setdefault(group.key, Group(label=group.label, key=group.key))
            total.count += group.count
            total.sessions += group.sessions
            total.cost += group.cost
    totals = Totals(
        budget=_add(r.board.budget.amount if r.board.budget else None for r in rows),
        committed=sum((r.board.committed.total for r in rows), Decimal("0.00")),
        pipeline=sum((r.board.pipeline.total for r in rows), Decimal("0.00")),
        proposed=sum((r.board.proposed.total for r in rows), Decimal("0.00")),
        headroom=_add(r.board.headroom for r in rows),
        sessions_used=sum((r.board.sessions_used for r in rows), Decimal(0)),
        session_cap=_add(r.board.budget.session_cap if r.board.budget else None for r in rows),
        by_status=[by_status[s] for s in RoleStatus.values if s in by_status],
        hiring=sum((r.hiring for r in rows), Hiring()),
        drifted=sum(r.drifted for r in rows),
    )
    return Overview(ics=ics, year=year, today=today, rows=rows, totals=totals)


# --- The picture: committed, pipeline and headroom side by side ------------------------------------------------


@dataclass(frozen=True)
class Segment:
    kind: str  # "committed", "pipeline" or "headroom"
    x: Decimal  # where it starts, as a percentage of the bar
    width: Decimal


@dataclass
class Bar:
    row: PlaceRow
    segments: list[Segment]
    budget_at: Decimal | None  # where the budget ends, as a percentage (None: no budget)

    @property
    def over(self) -> bool:
        return self.row.board.is_over_budget


def bars(rows: list[PlaceRow]) -> list[Bar]:
    """Each place's committed, pipeline and headroom as segments of one bar, all bars on one scale
    (the largest budget or spend), for an SVG whose rectangles take their x and width as attributes."""
    scale = max([max(r.board.budget.amount if r.board.budget else 0, r.board.spent_or_reserved) for r in rows] or [0])

    def percent(amount) -> Decimal:
        return (Decimal(amount) * 100 / scale).quantize(Decimal("0.1")) if scale else Decimal(0)

    drawn = []
    for row in rows:
        board, x, segments = row.board, Decimal(0), []
        parts = [("committed", board.committed.total), ("pipeline", board.pipeline.total)]
        if board.headroom is not None and board.headroom > 0:
            parts.append(("headroom", board.headroom))
        for kind, amount in parts:
            width = percent(amount)
            if width > 0:
                segments.append(Segment(kind, x, width))
                x += width
        drawn.append(Bar(row, segments, percent(board.budget.amount) if board.budget else None))
    return drawn


# --- Functions coverage ------------------------------------------------------------------------------------------


@dataclass
class Coverage:
    roles: int = 0
    sessions: Decimal = Decimal(0)


@dataclass
class FunctionRow:
    function: Function | None  # None: roles with no function given
    cells: list[Coverage]  # one per place, in the places' order
    total: Coverage

    @property
    def label(self) -> str:
        return self.function.name if self.function else "No function given"


@dataclass
class FunctionsCoverage:
    year: FinancialYear
    places: list[Place]
    rows: list[FunctionRow]
    total_sessions: Decimal

    def share(self, row: FunctionRow) -> Decimal | None:
        """The row's part of all the ICS's sessions, 0 to 1."""
        return row.total.sessions / self.total_sessions if self.total_sessions else None

    @property
    def gaps(self) -> list[tuple[Function, list[Place]]]:
        """Each priority function some place gives no role, and those places (the system's gaps)."""
        found = [
            (row.function, [p for p, cell in zip(self.places, row.cells, strict=True) if not cell.roles])
            for row in self.rows
            if row.function is not None
        ]
        return [(function, missing) for function, missing in found if missing]


def functions_coverage(*, places: list[Place], year: FinancialYear) -> FunctionsCoverage:
    """For each of the ten priority functions, the roles and sessions a week each place gives it in
    `year`: the roles that count (committed or pipeline), a role serving several functions sharing
    its sessions between them as the dashboard's spend by function does (`split_evenly`, the odd
    hundredth to the first function in order) and counted under each: the dashboards' spend by
    function without its cost (`roles.selectors.function_sessions`), read for all the places at once,
    and the functions."""
    functions = list(Function.objects.all())
    served = function_sessions(places=places, year=year)
    slugs = {function.slug: function.pk for function in functions}
    cells: dict[tuple[int | None, int], Coverage] = {}
    for place in places:
        for group in served[place.pk]:
            cells[slugs.get(group.key), place.pk] = Coverage(group.count, group.sessions)
    rows = []
    for function in [*functions, None]:
        key = function.pk if function else None
        row_cells = [cells.get((key, p.pk), Coverage()) for p in places]
        total = Coverage(sum(c.roles for c in row_cells), sum((c.sessions for c in row_cells), Decimal(0)))
        if function is not None or total.roles:
            rows.append(FunctionRow(function, row_cells, total))
    total_sessions = sum((row.total.sessions for row in rows), Decimal(0))
    return FunctionsCoverage(year=year, places=places, rows=rows, total_sessions=total_sessions)


# --- Template adoption ---------------------------------------------------------------------------------------------


ADOPTION_ORDER = (Variation.ADOPTED, Variation.RENAMED, Variation.NOT_ADOPTED)
CELL_LABELS = reports.ADOPTION_LABELS


@dataclass
class Cell:
    """How one place took up one template role: the comparison's rows for it (its roles derived from
    the template role, or the one "not adopted" row)."""

    place: Place
    template_role: TemplateRole
    rows: list[ComparisonRow]

    @property
    def kind(self) -> str:
        """Adopted if any of its roles keeps the template's title, else renamed, else not adopted."""
        kinds = {row.kind for row in self.rows}
        return next((kind for kind in ADOPTION_ORDER if kind in kinds), Variation.NOT_ADOPTED)

    @property
    def label(self) -> str:
        return CELL_LABELS[self.kind]

    @property
    def roles(self) -> list[Role]:
        return [row.role for row in self.rows if row.role is not None]

    @property
    def type_changed(self) -> bool:
        return any(row.type_changed for row in self.rows)

    @property
    def reason(self) -> str:
        """Why it differs from the template, in the place's words ("" when adopted as recommended)."""
        return "\n".join(row.reason for row in self.rows if row.needs_reason and row.reason)


@dataclass
class AdoptionMatrix:
    ics: ICS
    places: list[Place]
    templates: list[TemplateRole]
    comparisons: dict[int, TemplateComparison]  # by place id
    _rows_of: dict[tuple[int, int], list[ComparisonRow]] = field(default_factory=dict, repr=False)

    def __post_init__(self):
        for place_id, comparison in self.comparisons.items():
            for row in comparison.rows:
                if row.template_role is not None:
                    self._rows_of.setdefault((place_id, row.template_role.pk), []).append(row)

    def cell(self, template: TemplateRole, place: Place) -> Cell:
        return Cell(place=place, template_role=template, rows=self._rows_of.get((place.pk, template.pk), []))

    @property
    def rows(self) -> list[tuple[TemplateRole, list[Cell]]]:
        return [(template, [self.cell(template, place) for place in self.places]) for template in self.templates]

    def additions(self, place: Place) -> list[ComparisonRow]:
        return self.comparisons[place.pk].of_kind(Variation.ADDED)

    @property
    def columns(self) -> list[tuple[Place, dict[str, int], list[ComparisonRow]]]:
        """Each place with its counts (as the comparison page counts) and its local additions."""
        return [(p, self.comparisons[p.pk].counts, self.additions(p)) for p in self.places]


ADOPTION_FIELDS = ("pk", "place_id", "title", "template_role_id", "role_type", "variation_reason")


class AdoptionRole(NamedTuple):
    """A role as the matrix and its exports read it: the six columns they show (`ADOPTION_FIELDS`),
    as values rather than a model row each (an ICS has thousands)."""

    pk: int
    place_id: int
    title: str
    template_role_id: int | None
    role_type: str
    variation_reason: str

    def get_role_type_display(self) -> str:
        return RoleType(self.role_type).label


def adoption_matrix(*, ics: ICS, places: list[Place]) -> AdoptionMatrix:
    """The ICS's template roles against each place's roles (`compare_with_template`, the comparison
    page's rule) for the places compared (not the ICS-wide unit): three queries, whatever the number
    of places and roles. A role is read by the six columns the matrix shows (`AdoptionRole`)."""
    compared = compared_places(places)
    ids = [p.pk for p in compared]
    templates = list(TemplateRole.objects.filter(ics=ics).order_by("order", "title"))
    roles = (
        Role.objects.filter(place__in=ids, predates_ics_model=False)
        .exclude(status=RoleStatus.WITHDRAWN)
        .order_by("title", "pk")
        .values_list(*ADOPTION_FIELDS)
    )
    roles_of: dict[int, list[AdoptionRole]] = defaultdict(list)
    for values in roles:
        role = AdoptionRole(*values)
        roles_of[role.place_id].append(role)
    omissions: dict[int, dict[int, TemplateOmission]] = defaultdict(dict)
    for omission in TemplateOmission.objects.filter(place__in=ids):
        omissions[omission.place_id][omission.template_role_id] = omission
    comparisons = {
        place.pk: compare_with_template(
            place=place, templates=templates, roles=roles_of[place.pk], omissions=omissions[place.pk]
        )
        for place in compared
    }
    return AdoptionMatrix(ics=ics, places=compared, templates=templates, comparisons=comparisons)


# --- Search across places ---------------------------------------------------------------------------------------

SEARCH_PAGE = 25


def person_in_post(role: Role) -> str:
    """The name the ICS's search shows for a role: its appointee's while the role is in post, else
    nothing (docs/decisions.md: "The ICS's search names people in post, nobody else")."""
    return role.appointee_name if role.status == RoleStatus.IN_POST else ""


def search_roles(
    *,
    places: list[Place],
    text: str = "",
    status: str = "",
    role_type: str = "",
    function: Function | None = None,
    place: Place | None = None,
) -> QuerySet[Role]:
    """The roles of `places` whose title holds `text` (any case), or, for a role in post, whose
    appointee's name does; narrowed by status, type, function and place. Ordered by place and title,
    with what a result shows joined or prefetched: a page of it costs the same few queries whatever
    the number of places and roles."""
    roles = Role.objects.filter(place__in=[place.pk] if place else [p.pk for p in places])
    if text:
        roles = roles.filter(Q(title__icontains=text) | Q(status=RoleStatus.IN_POST, appointee_name__icontains=text))
    if status:
        roles = roles.filter(status=status)
    if role_type:
        roles = roles.filter(role_type=role_type)
    if function is not None:
        roles = roles.filter(pk__in=Role.functions.through.objects.filter(function=function).values("role_id"))
    return roles.select_related("place").prefetch_related("functions").order_by("place__name", "title", "pk")


# --- Places compared ---------------------------------------------------------------------------------------------


@dataclass
class CompareRow:
    """One line of the side-by-side comparison: a template role, or a title added locally, and what
    each place has for it (its roles, or the "not adopted" row)."""

    label: str
    template_role: TemplateRole | None
    cells: list[list[ComparisonRow]]  # per place, in the places' order


@dataclass
class PlacesCompared:
    places: list[Place]
    template_rows: list[CompareRow]
    added_rows: list[CompareRow]
    comparisons: dict[int, TemplateComparison] = field(default_factory=dict)


COMPARE_FIELDS = (*ADOPTION_FIELDS, "status", "sessions_per_week")


def compare_places(*, ics: ICS, places: list[Place]) -> PlacesCompared:
    """The role sets of two or more of the ICS's places side by side: a line per template role (in
    the ICS's order), then a line per title added locally (titles matched as the template comparison
    matches them, `normalise_title`), each place's roles in its column. Three queries."""
    ids = [p.pk for p in places]
    templates = list(TemplateRole.objects.filter(ics=ics).order_by("order", "title"))
    roles_of: dict[int, list[Role]] = defaultdict(list)
    for role in (
        Role.objects.filter(place__in=ids, predates_ics_model=False)
        .exclude(status=RoleStatus.WITHDRAWN)
        .only(*COMPARE_FIELDS)
        .order_by("title", "pk")
    ):
        roles_of[role.place_id].append(role)
    omissions: dict[int, dict[int, TemplateOmission]] = defaultdict(dict)
    for omission in TemplateOmission.objects.filter(place__in=ids):
        omissions[omission.place_id][omission.template_role_id] = omission
    comparisons = {
        p.pk: compare_with_template(place=p, templates=templates, roles=roles_of[p.pk], omissions=omissions[p.pk])
        for p in places
    }
    template_rows = [
        CompareRow(
            template.title,
            template,
            [[row for row in comparisons[p.pk].rows if row.template_role is template] for p in places],
        )
        for template in templates
    ]
    added: dict[str, CompareRow] = {}
    for index, place in enumerate(places):
        for row in comparisons[place.pk].of_kind(Variation.ADDED):
            line = added.setdefault(
                normalise_title(row.role.title), CompareRow(row.role.title, None, [[] for _ in places])
            )
            line.cells[index].append(row)
    added_rows = sorted(added.values(), key=lambda line: line.label.lower())
    return PlacesCompared(places=places, template_rows=template_rows, added_rows=added_rows, comparisons=comparisons)


# --- The adoption export (its one write: the ExportLog row, as `governance.packs.board_pack` writes it) ---------


def adoption_pack(*, ics: ICS, places: list[Place], as_of: dt.date) -> reports.Pack:
    """The adoption matrix as a pack of the board pack's declared tables (`governance.reports`): the
    matrix itself (a table per eight places), and a row per cell and local addition with its reason."""
    scope = reports.Scope.of_ics(ics)
    matrix = adoption_matrix(ics=ics, places=places)
    detail = reports.ADOPTION
    tables = [
        *reports.adoption_matrix_tables(matrix),
        reports.Table(
            report=detail, columns=detail.columns_for(scope), rows=detail.rows(scope, as_of, None, matrix.places)
        ),
    ]
    return reports.Pack(scope=scope, as_of=as_of, made_at=timezone.now(), tables=tables)


def adoption_filename(ics: ICS, as_of: dt.date, fmt: str) -> str:
    return f"template-adoption-{ics.slug}-{as_of:%Y-%m-%d}.{renderers.EXTENSIONS[fmt]}"


def adoption_export(*, ics: ICS, places: list[Place], fmt: str, by, today: dt.date | None = None):
    """The adoption matrix in `fmt` ("xlsx", "csv" or "pdf"), logged as an `ExportLog` row ("ics_adoption").
    Returns (file name, file): a spooled temporary file at its start, for the view to stream and close.
    The caller has checked that `by` may see the ICS's pages and chose `places` by what they may see."""
    if fmt not in renderers.RENDERERS:
        raise ValueError(f"“{str(fmt)[:20]}” is not a format: choose xlsx, csv or pdf.")
    as_of = today or timezone.localdate()
    pack = adoption_pack(ics=ics, places=places, as_of=as_of)
    file = packs.rendered_and_logged(
        pack,
        fmt,
        by=by,
        what="ics_adoption",
        place=None,
        ics=ics,
        scope_name=f"{ics} – template adoption",
        as_of=as_of,
        via="page",
    )
    return adoption_filename(ics, as_of, fmt), file
