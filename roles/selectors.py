"""Reads shared by pages, the admin and (later) exports. Each does its joins once."""

from __future__ import annotations

import functools
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from django.db.models import Case, Count, DateField, Exists, F, OuterRef, Q, Subquery, Sum, Value, When, Window
from django.db.models.functions import Coalesce, ExtractYear, Greatest, Least, RowNumber
from django.utils import timezone

from .costs import FIRST_YEAR, LAST_YEAR, Cost, FinancialYear, cost_in_year, peak_sessions
from .formatting import field_value, money, sessions
from .models import (
    AdvertRound,
    Budget,
    BudgetStage,
    Place,
    Role,
    RoleMove,
    RoleStatus,
    RoleType,
    TemplateOmission,
    TemplateRole,
    normalise_title,
    stage_of,
)

COUNTED_STAGES = (BudgetStage.COMMITTED, BudgetStage.PIPELINE)


def links_in_order(model, relation: str, owners) -> defaultdict[int, list[int]]:
    """For each row of `model` among `owners` (ids, or a query of them), the ids of the rows its many-to-many
    `relation` links it to, in those rows' own order (their model's `ordering`, then id): read as
    (owner, target) values, not as a query set built per row. Rows that link nothing get an empty list."""
    field = model._meta.get_field(relation)
    source, target = field.m2m_field_name(), field.m2m_reverse_field_name()
    ordering = [
        f"-{target}__{name[1:]}" if name.startswith("-") else f"{target}__{name}"
        for name in field.related_model._meta.ordering
    ]
    links = field.remote_field.through.objects.filter(**{f"{source}__in": owners})
    linked: defaultdict[int, list[int]] = defaultdict(list)
    for owner, pk in links.order_by(*ordering, f"{target}_id").values_list(f"{source}_id", f"{target}_id"):
        linked[owner].append(pk)
    return linked


def budget_years(place: Place) -> list[FinancialYear]:
    return list(on_costs_by_year(place))


def on_costs_by_year(place: Place) -> dict[FinancialYear, Decimal]:
    """The years the place has a budget for, in order, each with its on-cost percentage: one query, for a
    page that asks for the years twice (`default_year`, `year_choices`) and for one year's on-costs."""
    rows = place.budgets.order_by("financial_year").values_list("financial_year", "on_cost_percent")
    return {FinancialYear(year): percent or Decimal(0) for year, percent in rows}


def default_year(place: Place, today=None, *, budgeted: list[FinancialYear] | None = None) -> FinancialYear:
    """The current financial year, or the latest with a budget when the current has none (`budgeted`:
    the place's budget years, when read already)."""
    current = FinancialYear.containing(today or timezone.localdate())
    budgeted = budget_years(place) if budgeted is None else budgeted
    if not budgeted or current in budgeted:
        return current
    return budgeted[-1]


def year_choices(
    place: Place, selected: FinancialYear, *, budgeted: list[FinancialYear] | None = None
) -> list[FinancialYear]:
    """Years worth offering: those with a budget (`budgeted`, when read already), those any of the
    place's roles run in, the current one, and the one shown. Two queries, however many roles (one
    when given the budget years)."""
    current = FinancialYear.current()
    budgeted = budget_years(place) if budgeted is None else budgeted
    return sorted(set(budgeted) | role_years(place, current=current) | {current, selected})


def _financial_year_of(column: str):
    """The start year of the financial year a date column falls in, worked out in the database."""
    return ExtractYear(column) - Case(When(**{f"{column}__month__lt": 4}, then=Value(1)), default=Value(0))


def role_years(place: Place, *, current: FinancialYear) -> set[FinancialYear]:
    """Every financial year any of the place's roles runs in, whatever its status. A role with no
    end date runs on to the current year. One row is read per distinct span of years, not per role."""
    spans = (
        Role.objects.filter(place=place)
        .annotate(first=_financial_year_of("start_date"), last=_financial_year_of("end_date"))
        .order_by()
        .values_list("first", "last")
        .distinct()
    )
    years: set[int] = set()
    for first, last in spans:
        last = max(first, current.start_year) if last is None else last
        years.update(range(max(first, FIRST_YEAR), min(last, LAST_YEAR) + 1))
    return {FinancialYear(year) for year in years}


@dataclass
class RoleLine:
    role: Role
    cost: Cost
    stage: str


@dataclass
class Group:
    label: str
    key: str
    count: int = 0
    sessions: Decimal = Decimal(0)
    cost: Decimal = Decimal("0.00")


@dataclass
class Dashboard:
    place: Place
    year: FinancialYear
    budget: Budget | None
    lines: list[RoleLine]
    committed: Cost
    pipeline: Cost
    proposed: Cost
    sessions_used: Decimal
    sessions_with_proposals: Decimal
    by_status: list[Group] = field(default_factory=list)
    by_function: list[Group] = field(default_factory=list)
    by_type: list[Group] = field(default_factory=list)

    @property
    def spent_or_reserved(self) -> Decimal:
        return self.committed.total + self.pipeline.total

    @property
    def headroom(self) -> Decimal | None:
        return None if self.budget is None else self.budget.amount - self.spent_or_reserved

    @property
    def headroom_after_proposals(self) -> Decimal | None:
        return None if self.headroom is None else self.headroom - self.proposed.total

    @property
    def is_over_budget(self) -> bool:
        return self.headroom is not None and self.headroom < 0

    @property
    def proposals_would_overspend(self) -> bool:
        return self.headroom_after_proposals is not None and self.headroom_after_proposals < 0

    @property
    def is_over_session_cap(self) -> bool:
        cap = self.budget.session_cap if self.budget else None
        return cap is not None and self.sessions_used > cap

    @property
    def proposals_would_exceed_cap(self) -> bool:
        cap = self.budget.session_cap if self.budget else None
        return cap is not None and self.sessions_with_proposals > cap

    @property
    def used_percent(self) -> int | None:
        if not self.budget or not self.budget.amount:
            return None
        return int(self.spent_or_reserved * 100 / self.budget.amount)

    @property
    def headroom_percent(self) -> int | None:
        """Headroom as a share of the budget, 0 to 100 (over budget: 100, the bar full and red)."""
        if not self.budget or not self.budget.amount:
            return None
        if self.is_over_budget:
            return 100
        return max(0, min(100, int(self.headroom * 100 / self.budget.amount)))

    @property
    def headroom_level(self) -> str:
        """ "over" (spent past the budget), "low" (under 10% of it left) or "ok"."""
        if self.is_over_budget:
            return "over"
        if self.budget and self.budget.amount and self.headroom * 10 < self.budget.amount:
            return "low"
        return "ok"


class RoleFigures(NamedTuple):
    """What the dashboard and the budget guard read of a role: its state and what it costs. Read as
    plain rows, not model objects (`place_dashboard`), a place of 1,000 roles adds up in a few ms."""

    pk: int
    status: str
    held_from: str
    role_type: str
    sessions_per_week: Decimal
    rate_per_session: Decimal
    start_date: object
    end_date: object

    @property
    def budget_stage(self) -> str:
        return stage_of(self.status, self.held_from)

    def cost_in(self, year: FinancialYear, on_cost_percent: Decimal = Decimal(0)) -> Cost:
        return cost_in_year(
            sessions=self.sessions_per_week,
            rate_per_session=self.rate_per_session,
            start=self.start_date,
            end=self.end_date,
            year=year,
            on_cost_percent=on_cost_percent,
        )


@dataclass(frozen=True)
class FunctionName:
    pk: int
    name: str
    slug: str


def place_dashboard(*, place: Place, year: FinancialYear) -> Dashboard:
    """Budget, committed, pipeline, proposed and headroom for a place in one financial year, with
    its roles by status, type and function (`place_dashboards`: no role is read one by one, so
    `lines` is empty; `dashboard_with_lines` gives them)."""
    return place_dashboards(places=[place], year=year)[place.pk]


def running_in(year: FinancialYear, prefix: str = "") -> Q:
    """Roles running on some day of `year`."""
    return Q(**{f"{prefix}start_date__lte": year.end}) & ~Q(**{f"{prefix}end_date__lt": year.start})


def days_in(year: FinancialYear, prefix: str = "") -> dict:
    """The first and last day a role runs inside `year`, worked out in the database."""
    start, end = Value(year.start, output_field=DateField()), Value(year.end, output_field=DateField())
    return {
        "first": Greatest(f"{prefix}start_date", start),
        "last": Least(Coalesce(f"{prefix}end_date", end), end),
    }


def function_positions(prefix: str = "") -> dict:
    """For a role-function link: how many functions its role serves (`of`) and where this one comes
    among them in the functions' order (`position`, 0 first), as `split_evenly` shares them."""
    through = Role.functions.through
    of_role = through.objects.filter(role_id=OuterRef(f"{prefix}role_id")).order_by().values("role_id")
    before = of_role.filter(
        Q(function__order__lt=OuterRef(f"{prefix}function__order"))
        | Q(
            function__order=OuterRef(f"{prefix}function__order"), function__name__lt=OuterRef(f"{prefix}function__name")
        )
    )
    return {
        "of": Subquery(of_role.annotate(c=Count("pk")).values("c")),
        "position": Coalesce(Subquery(before.annotate(c=Count("pk")).values("c")), 0),
    }


def place_dashboards(*, places, year: FinancialYear) -> dict[int, Dashboard]:
    """Each place's dashboard for `year`, in three queries whatever the number of places and roles:
    the budgets; the roles running in the year grouped by what their figures depend on (place,
    status, held from, type, sessions, rate, the first and last day they run in the year, and how
    many functions they serve), with each group's count; and their links to functions grouped the
    same way with where the function comes among the role's. The rules are applied once a group:
    `cost_in_year` rounds each role to the penny, so n roles of one shape cost n times one;
    `split_evenly` shares each role between its functions; `peak_sessions` takes a group as one
    interval of n times the sessions. `lines` is left empty."""
    ids = [place.pk for place in places]
    budgets = {b.place_id: b for b in Budget.objects.filter(place__in=ids, financial_year=year.start_year)}
    on_cost = {place_id: budget.on_cost_percent for place_id, budget in budgets.items()}
    through = Role.functions.through
    serves = through.objects.filter(role_id=OuterRef("pk")).order_by().values("role_id")
    shapes = (
        Role.objects.filter(place__in=ids)
        .filter(running_in(year))
        .annotate(**days_in(year), serves=Coalesce(Subquery(serves.annotate(c=Count("pk")).values("c")), 0))
        .values(
            "place_id",
            "status",
            "held_from",
            "role_type",
            "sessions_per_week",
            "rate_per_session",
            "first",
            "last",
            "serves",
        )
        .annotate(n=Count("pk"))
        .order_by()
    )
    links = _function_links(ids, year, days_in(year, "role__"), "role__rate_per_session", "first", "last")
    money: dict[int, dict[str, Cost]] = defaultdict(lambda: defaultdict(Cost.zero))
    intervals: dict[int, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    statuses: dict[int, dict[str, Group]] = defaultdict(dict)
    types: dict[int, dict[str, Group]] = defaultdict(dict)
    functions: dict[int, dict[int | None, Group]] = defaultdict(dict)

    @functools.cache  # a role's figures come again with each function it serves
    def cost(place_id, sessions, rate, first, last) -> Cost:
        return cost_in_year(
            sessions=sessions,
            rate_per_session=rate,
            start=first,
            end=last,
            year=year,
            on_cost_percent=on_cost.get(place_id, Decimal(0)),
        )

    for shape in shapes:
        place_id, n, sessions = shape["place_id"], shape["n"], shape["sessions_per_week"]
        one = cost(place_id, sessions, shape["rate_per_session"], shape["first"], shape["last"])
        stage = stage_of(shape["status"], shape["held_from"])
        money[place_id][stage] = money[place_id][stage] + Cost(pay=one.pay * n, on_cost=one.on_cost * n, days=0)
        intervals[place_id][stage].append((sessions * n, shape["first"], shape["last"]))
        status, kind = RoleStatus(shape["status"]), RoleType(shape["role_type"])
        _add(statuses[place_id], status, status.label, status.value, n, sessions * n, one.total * n)
        if stage != BudgetStage.NONE:
            _add(types[place_id], kind, kind.label, kind.value, n, sessions * n, one.total * n)
        if stage in COUNTED_STAGES and not shape["serves"]:
            _add(functions[place_id], None, *UNASSIGNED, n, sessions * n, one.total * n)
    _add_served(
        functions,
        links,
        lambda link: cost(
            link["role__place_id"],
            link["role__sessions_per_week"],
            link["role__rate_per_session"],
            link["first"],
            link["last"],
        ),
    )
    boards = {}
    for place in places:
        spent, runs = money[place.pk], intervals[place.pk]
        counted = [*runs[BudgetStage.COMMITTED], *runs[BudgetStage.PIPELINE]]
        by_function = functions[place.pk]
        unassigned = by_function.pop(None, None)
        boards[place.pk] = Dashboard(
            place=place,
            year=year,
            budget=budgets.get(place.pk),
            lines=[],
            committed=spent[BudgetStage.COMMITTED],
            pipeline=spent[BudgetStage.PIPELINE],
            proposed=spent[BudgetStage.PROPOSED],
            sessions_used=peak_sessions(counted, year),
            sessions_with_proposals=peak_sessions([*counted, *runs[BudgetStage.PROPOSED]], year),
            by_status=[statuses[place.pk][s] for s in RoleStatus if s in statuses[place.pk]],
            by_type=[types[place.pk][t] for t in RoleType if t in types[place.pk]],
            by_function=sorted(by_function.values(), key=lambda g: (-g.cost, g.label))
            + ([unassigned] if unassigned else []),
        )
    return boards


UNASSIGNED = ("No function given", "none")  # the label and key of roles that serve no function


def _add(groups: dict, key, label: str, slug: str, n: int, sessions: Decimal, amount: Decimal = Decimal(0)) -> None:
    group = groups.setdefault(key, Group(label=label, key=slug))
    group.count += n
    group.sessions += sessions
    group.cost += amount


def _function_links(ids: list[int], year: FinancialYear, annotations: dict | None = None, *fields: str):
    """The places' role-function links running in `year`, grouped by what a function's share of a
    role depends on (place, status, held from, sessions, the function, how many the role serves and
    where this one comes) and by `fields`, with each group's count `n`."""
    return (
        Role.functions.through.objects.filter(role__place__in=ids)
        .filter(running_in(year, "role__"))
        .annotate(**(annotations or {}), **function_positions())
        .values(
            "role__place_id",
            "role__status",
            "role__held_from",
            "role__sessions_per_week",
            "function_id",
            "function__name",
            "function__slug",
            "of",
            "position",
            *fields,
        )
        .annotate(n=Count("pk"))
        .order_by()
    )


def _add_served(functions: dict, links, cost_of=None) -> None:
    """Add to `functions[place id][function id]` each counted role's share of its sessions (and of its
    cost, `cost_of(link)`, when given): `split_evenly` between the functions it serves, the role
    counted under each."""
    shares = functools.cache(split_evenly)  # groups of one shape share their split
    for link in links:
        if stage_of(link["role__status"], link["role__held_from"]) not in COUNTED_STAGES:
            continue
        n, sessions, of, position = link["n"], link["role__sessions_per_week"], link["of"], link["position"]
        amount = shares(cost_of(link).total, of)[position] * n if cost_of else Decimal(0)
        _add(
            functions[link["role__place_id"]],
            link["function_id"],
            link["function__name"],
            link["function__slug"],
            n,
            shares(sessions, of)[position] * n,
            amount,
        )


def function_sessions(*, places, year: FinancialYear) -> dict[int, list[Group]]:
    """Each place's roles and sessions a week per priority function in `year`, counted as its
    dashboard's `by_function` counts them (`_add_served`) but without their cost (`cost` stays 0),
    "No function given" last: the ICS's functions page. Two queries whose rows grow with the shapes
    of roles (status, sessions, functions), not with the roles."""
    ids = [place.pk for place in places]
    functions: dict[int, dict[int | None, Group]] = defaultdict(dict)
    _add_served(functions, _function_links(ids, year))
    unserved = (
        Role.objects.filter(place__in=ids)
        .filter(running_in(year))
        .exclude(Exists(Role.functions.through.objects.filter(role_id=OuterRef("pk"))))
        .values("place_id", "status", "held_from", "sessions_per_week")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for shape in unserved:
        if stage_of(shape["status"], shape["held_from"]) in COUNTED_STAGES:
            n = shape["n"]
            _add(functions[shape["place_id"]], None, *UNASSIGNED, n, shape["sessions_per_week"] * n)
    served = {}
    for place in places:
        by_function = functions[place.pk]
        unassigned = by_function.pop(None, None)
        served[place.pk] = sorted(by_function.values(), key=lambda g: g.label) + ([unassigned] if unassigned else [])
    return served


def dashboard_with_lines(*, place: Place, year: FinancialYear) -> Dashboard:
    """`place_dashboard` with a line per role (its cost and stage), for the budget guard, which asks
    what the place's other roles take: the roles running in the year read as `RoleFigures`."""
    budget = place.budgets.filter(financial_year=year.start_year).first()
    running = Role.objects.filter(place=place).filter(running_in(year))
    roles = [RoleFigures(*values) for values in running.order_by("title", "pk").values_list(*RoleFigures._fields)]
    functions: dict[int, list[FunctionName]] = defaultdict(list)
    links = (
        Role.functions.through.objects.filter(role__in=running.values("pk"))
        .order_by("function__order", "function__name")
        .values_list("role_id", "function_id", "function__name", "function__slug")
    )
    for role_id, *function in links:
        functions[role_id].append(FunctionName(*function))
    return dashboard_of(place=place, year=year, budget=budget, roles=roles, functions_of=functions)


def dashboard_of(
    *, place: Place, year: FinancialYear, budget: Budget | None, roles, stage_by_role=None, functions_of=None
) -> Dashboard:
    """`place_dashboard`'s figures from rows already read: `roles` are those running in `year`
    (`Role`s with functions prefetched, or `RoleFigures` with `functions_of` mapping each role's id
    to its functions); `stage_by_role` maps a role's id to its budget stage where it is not the
    role's own (a board pack as of a past date). Exports over many places read once and call this
    per place."""
    on_cost = budget.on_cost_percent if budget else Decimal(0)
    stage_by_role = stage_by_role or {}
    lines = [
        RoleLine(role=r, cost=r.cost_in(year, on_cost), stage=stage_by_role.get(r.pk, r.budget_stage)) for r in roles
    ]

    def total(stage) -> Cost:
        result = Cost.zero()
        for line in lines:
            if line.stage == stage:
                result = result + line.cost
        return result

    def intervals(stages):
        return [(ln.role.sessions_per_week, ln.role.start_date, ln.role.end_date) for ln in lines if ln.stage in stages]

    def functions(role) -> list:
        return functions_of.get(role.pk, []) if functions_of is not None else list(role.functions.all())

    return Dashboard(
        place=place,
        year=year,
        budget=budget,
        lines=lines,
        committed=total(BudgetStage.COMMITTED),
        pipeline=total(BudgetStage.PIPELINE),
        proposed=total(BudgetStage.PROPOSED),
        sessions_used=peak_sessions(intervals(COUNTED_STAGES), year),
        sessions_with_proposals=peak_sessions(intervals((*COUNTED_STAGES, BudgetStage.PROPOSED)), year),
        by_status=_grouped(lines, RoleStatus, lambda role: role.status, counted_only=False),
        by_function=_by_function(lines, functions),
        by_type=_grouped(lines, RoleType, lambda role: role.role_type, counted_only=True),
    )


def _grouped(lines: list[RoleLine], choices, key, *, counted_only: bool) -> list[Group]:
    """Roles, sessions and cost per value of `key` (a role's status or type), in `choices` order."""
    groups = {choice.value: Group(label=choice.label, key=choice.value) for choice in choices}
    for line in lines:
        if counted_only and line.stage == BudgetStage.NONE:
            continue
        group = groups[key(line.role)]
        group.count += 1
        group.sessions += line.role.sessions_per_week
        group.cost += line.cost.total
    return [g for g in groups.values() if g.count]


def _by_function(lines: list[RoleLine], functions_of) -> list[Group]:
    """Roles and spend per priority function, for roles that count (committed or pipeline).

    A role serving several functions shares its cost and sessions equally between them, the odd
    penny going to the first, so the column adds up to the total; its count appears under each.
    """
    groups: dict[int, Group] = {}
    unassigned = Group(*UNASSIGNED)
    for line in lines:
        if line.stage not in COUNTED_STAGES:
            continue
        functions = functions_of(line.role)
        if not functions:
            targets = [unassigned]
        else:
            targets = [groups.setdefault(f.pk, Group(label=f.name, key=f.slug)) for f in functions]
        costs = split_evenly(line.cost.total, len(targets))
        session_shares = split_evenly(line.role.sessions_per_week, len(targets))
        for group, cost, session_share in zip(targets, costs, session_shares, strict=True):
            group.count += 1
            group.sessions += session_share
            group.cost += cost
    ordered = sorted(groups.values(), key=lambda g: (-g.cost, g.label))
    if unassigned.count:
        ordered.append(unassigned)
    return ordered


def split_evenly(amount: Decimal, parts: int) -> list[Decimal]:
    """`amount` in `parts` hundredths-exact shares that add up to it: 10.00 / 3 = 3.34, 3.33, 3.33."""
    pennies = int((Decimal(amount) * 100).to_integral_value())
    base, extra = divmod(pennies, parts)
    return [Decimal(base + (1 if i < extra else 0)) / 100 for i in range(parts)]


# --- The board of roles --------------------------------------------------------------------

BOARD_COLUMNS = [
    RoleStatus.PROPOSED,
    RoleStatus.APPROVED,
    RoleStatus.ADVERTISED,
    RoleStatus.SHORTLISTING,
    RoleStatus.INTERVIEWING,
    RoleStatus.OFFERED,
    RoleStatus.CONTRACTED,
    RoleStatus.IN_POST,
    RoleStatus.ON_HOLD,
    RoleStatus.NOT_APPOINTED,
    RoleStatus.ENDED,
    RoleStatus.WITHDRAWN,
]


# Cards shown in each column of the board; the rest of a column is one click away (`column_cards`).
BOARD_CARDS = 8
# Cards on a page of one column.
COLUMN_PAGE = 50
# What a card reads of its role (and what `roles.extensions.ROLE_LINKS` may read): not the
# description and the other long fields no card shows.
CARD_FIELDS = (
    "place",
    "title",
    "role_type",
    "sessions_per_week",
    "start_date",
    "end_date",
    "status",
    "held_from",
    "created_at",
)


@dataclass
class Card:
    role: Role
    since: object  # date the role entered its state
    days_in_state: int
    next_label: str
    next_date: object


@dataclass
class Column:
    """A state on the board: its first cards, and how many roles and sessions are in it in all."""

    status: RoleStatus
    cards: list[Card]
    count: int = 0
    sessions: Decimal = Decimal(0)

    @property
    def more(self) -> int:
        return self.count - len(self.cards)


def next_key_date(role: Role, today) -> tuple[str, object]:
    """The next date that matters for a role in its state (milestone plans add to this later).
    `role.closes_on` is its latest advert round's closing date (annotated by `_board_roles`)."""
    if role.status == RoleStatus.ADVERTISED and role.closes_on:
        return ("Applications close", role.closes_on)
    if role.status in (RoleStatus.APPROVED, RoleStatus.OFFERED, RoleStatus.CONTRACTED) and role.start_date >= today:
        return ("Starts", role.start_date)
    if role.status == RoleStatus.IN_POST and role.end_date:
        return ("Contract ends", role.end_date)
    if role.status == RoleStatus.CONTRACTED:
        return ("Due in post from", role.start_date)
    return ("", None)


def _board_roles(place: Place):
    """The place's roles for cards, each with the time of its last move and its latest advert
    round's closing date (subqueries, so the row count stays one per role and no rows are
    prefetched)."""
    last_move = (
        RoleMove.objects.filter(role=OuterRef("pk"), action__in=[RoleMove.Action.CREATED, RoleMove.Action.MOVED])
        .order_by("-at")
        .values("at")[:1]
    )
    closes_on = AdvertRound.objects.filter(role=OuterRef("pk")).order_by("-number").values("closes_on")[:1]
    return (
        Role.objects.filter(place=place)
        .only(*CARD_FIELDS)
        .annotate(last_move=Subquery(last_move), closes_on=Subquery(closes_on))
    )


def _card(role: Role, place: Place, today) -> Card:
    role.place = place
    since = timezone.localtime(role.last_move or role.created_at).date()
    label, when = next_key_date(role, today)
    return Card(role=role, since=since, days_in_state=(today - since).days, next_label=label, next_date=when)


def role_board(*, place: Place, today=None, per_column: int = BOARD_CARDS) -> list[Column]:
    """The place's roles in a column per state: each column's first `per_column` cards by title,
    with how long each has been there, and the column's count and sessions. Two queries whatever
    the number of roles: each column's first roles with its totals (windows over the states, no
    other work per role), then those roles' cards."""
    today = today or timezone.localdate()
    columns = {status: Column(status=status, cards=[]) for status in BOARD_COLUMNS}
    in_column = {"partition_by": [F("status")]}
    first = (
        Role.objects.filter(place=place)
        .annotate(
            place_in_column=Window(RowNumber(), order_by=[F("title"), F("pk")], **in_column),
            column_count=Window(Count("pk"), **in_column),
            column_sessions=Window(Sum("sessions_per_week"), **in_column),
        )
        .filter(place_in_column__lte=per_column)
        .values_list("pk", "status", "column_count", "column_sessions")
    )
    shown = []
    for pk, status, count, column_sessions in first:
        column = columns[RoleStatus(status)]
        column.count, column.sessions = count, column_sessions
        shown.append(pk)
    for role in _board_roles(place).filter(pk__in=shown).order_by("title", "pk"):
        columns[RoleStatus(role.status)].cards.append(_card(role, place, today))
    return list(columns.values())


def column_cards(*, place: Place, status: str, today=None) -> _LazyCards:
    """Every card in one column of the board, by title, as a lazy sequence a paginator can slice
    (a page reads only its own roles)."""
    today = today or timezone.localdate()
    return _LazyCards(_board_roles(place).filter(status=status).order_by("title", "pk"), place, today)


class _LazyCards:
    def __init__(self, queryset, place, today):
        self.queryset, self.place, self.today = queryset, place, today

    def count(self) -> int:
        return self.queryset.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        return [_card(role, self.place, self.today) for role in self.queryset[index]]


def role_costs(role: Role) -> list[tuple[FinancialYear, Cost]]:
    """What a role costs in each financial year it runs (to the current year when it has no end),
    with each year's on-cost from that year's budget."""
    on_costs = dict(role.place.budgets.values_list("financial_year", "on_cost_percent"))
    year = FinancialYear.containing(role.start_date)
    last = FinancialYear.containing(role.end_date) if role.end_date else max(year, FinancialYear.current())
    costs = []
    while year <= last:
        costs.append((year, role.cost_in(year, on_costs.get(year.start_year, 0))))
        year = year.next()
    return costs


BUDGET_FIELDS = ("amount", "session_cap", "on_cost_percent", "notes")


def budget_history(place: Place, limit: int = 20) -> list[dict]:
    """Changes to a place's budgets, newest first: who, when, which year, and each figure before and
    after (a deleted budget keeps its last figures here). One query, whatever the number of changes."""
    records = list(
        Budget.history.filter(place_id=place.pk).select_related("history_user").order_by("history_date", "history_id")
    )
    last_seen: dict[int, object] = {}
    changes = []
    for record in records:
        previous = last_seen.get(record.id)
        last_seen[record.id] = record
        rows = []
        for name in BUDGET_FIELDS:
            model_field = Budget._meta.get_field(name)
            old = field_value(model_field, getattr(previous, name) if previous is not None else None)
            new = field_value(model_field, getattr(record, name))
            if record.history_type == "-":  # deleted: its last figures, gone
                old, new = new, "—"
            if old != new:
                rows.append({"field": model_field.verbose_name, "old": old, "new": new})
        if rows:
            changes.append(
                {
                    "at": record.history_date,
                    "by": record.history_user,
                    "year": FinancialYear(record.financial_year),
                    "kind": {"+": "Set", "~": "Changed", "-": "Deleted"}[record.history_type],
                    "changes": rows,
                }
            )
    return list(reversed(changes))[:limit]


# --- The budget guard ---------------------------------------------------------------------


@dataclass
class Shortfall:
    year: FinancialYear
    kind: str  # "money" or "sessions"
    needed: Decimal
    available: Decimal
    message: str


@dataclass
class BudgetCheck:
    shortfalls: list[Shortfall] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.shortfalls


def _years_touched(role: Role, budget_years_: list[int]) -> list[FinancialYear]:
    first = FinancialYear.containing(role.start_date)
    if role.end_date:
        last = FinancialYear.containing(role.end_date)
    else:
        last = max([first, *[FinancialYear(y) for y in budget_years_]])
    years, year = [], first
    while year <= last:
        years.append(year)
        year = year.next()
    return years


def budget_check(*, role: Role, stage_after: str) -> BudgetCheck:
    """Would `role`, with the values it holds now and counted as `stage_after`, fit its place's budget?

    For each financial year the role touches: the money the other committed and pipeline roles
    take, plus this role's cost, must not exceed the budget (landing exactly on it is fine); and
    the peak sessions a week must not exceed the cap. Only a change that adds cost or sessions is
    refused, so a place already over budget can still move its roles on. A year with no budget is
    a warning, not a refusal.
    """
    check = BudgetCheck()
    if stage_after not in COUNTED_STAGES:
        return check
    place = role.place
    budgets = {b.financial_year: b for b in place.budgets.all()}
    unbudgeted = []
    for year in _years_touched(role, list(budgets)):
        budget = budgets.get(year.start_year)
        if budget is None:
            unbudgeted.append(year)
            continue
        board = dashboard_with_lines(place=place, year=year)
        mine = next((line for line in board.lines if line.role.pk == role.pk), None)
        counted_before = mine is not None and mine.stage in COUNTED_STAGES
        before = mine.cost.total if counted_before else Decimal("0.00")
        others = board.spent_or_reserved - before
        available = budget.amount - others
        needed = role.cost_in(year, budget.on_cost_percent).total
        if needed > before and needed > available:
            check.shortfalls.append(
                Shortfall(
                    year,
                    "money",
                    needed,
                    available,
                    f"{year}: needs {money(needed)}, {money(available)} available "
                    f"(budget {money(budget.amount)}, other roles {money(others)}).",
                )
            )
        if budget.session_cap is not None and role.runs_in(year):
            intervals = [
                (ln.role.sessions_per_week, ln.role.start_date, ln.role.end_date)
                for ln in board.lines
                if ln.stage in COUNTED_STAGES and ln.role.pk != role.pk
            ]
            peak = peak_sessions([*intervals, (role.sessions_per_week, role.start_date, role.end_date)], year)
            if peak > budget.session_cap and peak > board.sessions_used:
                check.shortfalls.append(
                    Shortfall(
                        year,
                        "sessions",
                        peak,
                        budget.session_cap,
                        f"{year}: up to {sessions(peak)} sessions a week against a cap of "
                        f"{sessions(budget.session_cap)}.",
                    )
                )
    check.warnings = [_no_budget_warning(place, run) for run in _runs(unbudgeted)]
    return check


def _runs(years: list[FinancialYear]) -> list[list[FinancialYear]]:
    """Consecutive years in runs: 2023, 2024, 2026 -> [[2023, 2024], [2026]]."""
    runs: list[list[FinancialYear]] = []
    for year in years:
        if runs and runs[-1][-1].next() == year:
            runs[-1].append(year)
        else:
            runs.append([year])
    return runs


def _no_budget_warning(place: Place, run: list[FinancialYear]) -> str:
    if len(run) == 1:
        return f"{place} has no budget for {run[0]}, so that year was not checked."
    return f"{place} has no budget for {run[0]} to {run[-1]}, so those {len(run)} years were not checked."


# --- Template comparison ------------------------------------------------------------------


class Variation:
    ADOPTED = "adopted"
    RENAMED = "renamed"
    ADDED = "added"
    NOT_ADOPTED = "not_adopted"

    LABELS = {
        ADOPTED: "Adopted as recommended",
        RENAMED: "Renamed",
        ADDED: "Added locally",
        NOT_ADOPTED: "Not adopted",
    }


@dataclass
class ComparisonRow:
    kind: str
    template_role: TemplateRole | None
    role: Role | None
    omission: TemplateOmission | None = None

    @property
    def type_changed(self) -> bool:
        return bool(self.template_role and self.role and self.template_role.role_type != self.role.role_type)

    @property
    def reason(self) -> str:
        if self.role is not None:
            return self.role.variation_reason
        return self.omission.reason if self.omission else ""

    @property
    def needs_reason(self) -> bool:
        return self.kind != Variation.ADOPTED or self.type_changed

    @property
    def anchor(self) -> str:
        """The row's id on the comparison page: its role's, or (not adopted) its template role's."""
        return f"row-role-{self.role.pk}" if self.role is not None else f"row-template-{self.template_role.pk}"


@dataclass
class TemplateComparison:
    place: Place
    rows: list[ComparisonRow]

    def of_kind(self, kind: str) -> list[ComparisonRow]:
        return [r for r in self.rows if r.kind == kind]

    @property
    def type_changes(self) -> list[ComparisonRow]:
        return [r for r in self.rows if r.type_changed]

    @property
    def counts(self) -> dict[str, int]:
        counts = {kind: len(self.of_kind(kind)) for kind in Variation.LABELS}
        counts["type_changed"] = len(self.type_changes)
        return counts

    @property
    def sections(self) -> list[tuple[str, str, list[ComparisonRow]]]:
        return [(kind, label, self.of_kind(kind)) for kind, label in Variation.LABELS.items()]

    def where(self, anchor: str) -> tuple[str, int] | None:
        """The section a row is in and its place there (0 first), found by its `anchor`."""
        for kind, _, rows in self.sections:
            for index, row in enumerate(rows):
                if row.anchor == anchor:
                    return kind, index
        return None


class RoleKey(NamedTuple):
    """What the comparison reads of each of a place's roles to place it in a section; the rows a
    page shows are then read whole (`comparison_roles_read`)."""

    pk: int
    title: str
    template_role_id: int | None
    role_type: str


def template_comparison(*, place: Place) -> TemplateComparison:
    """Each of the ICS's template roles against the place's roles, and the place's own additions.

    A role derived from a template role is "renamed" when its title says something different
    once cosmetic differences are set aside (see `normalise_title`). Withdrawn roles do not count
    as adopting a template role, and roles that predate the ICS model are left out. Each row's
    role is a `RoleKey`: read the rows a page shows whole with `comparison_roles_read`.
    """
    templates = list(TemplateRole.objects.filter(ics=place.ics).order_by("order", "title"))
    roles = [
        RoleKey(*values)
        for values in Role.objects.filter(place=place, predates_ics_model=False)
        .exclude(status=RoleStatus.WITHDRAWN)
        .order_by("title", "pk")
        .values_list("pk", "title", "template_role_id", "role_type")
    ]
    omissions = {o.template_role_id: o for o in TemplateOmission.objects.filter(place=place)}
    return compare_with_template(place=place, templates=templates, roles=roles, omissions=omissions)


def comparison_roles_read(rows: list[ComparisonRow]) -> list[ComparisonRow]:
    """`rows` with each role read whole, in one query whatever the number of rows."""
    roles = Role.objects.in_bulk([row.role.pk for row in rows if row.role is not None])
    for row in rows:
        if row.role is not None:
            row.role = roles[row.role.pk]
    return rows


def template_standing(role: Role) -> str:
    """How the template comparison counts `role`, in its words, so the role's page says the same:
    left out (predates the ICS model, or withdrawn), or adopted, renamed or added locally."""
    if role.predates_ics_model:
        return "Predates the ICS model, so it is not compared with the ICS template"
    if role.status == RoleStatus.WITHDRAWN:
        return "Withdrawn, so it no longer counts in the template comparison"
    template = role.template_role
    if template is None or template.ics_id != role.place.ics_id:
        return Variation.LABELS[Variation.ADDED]
    same = normalise_title(role.title) == normalise_title(template.title)
    return Variation.LABELS[Variation.ADOPTED if same else Variation.RENAMED]


def compare_with_template(*, place: Place, templates, roles, omissions) -> TemplateComparison:
    """`template_comparison` from rows already read: the ICS's template roles in order, the place's
    roles that count, ordered by title (each a `Role` or a `RoleKey`), and its omissions by template
    role id. A role derived from another ICS's template role counts as added locally."""
    by_template = defaultdict(list)
    for role in roles:
        by_template[role.template_role_id].append(role)
    rows: list[ComparisonRow] = []
    for template in templates:
        derived = by_template.get(template.pk, [])
        if not derived:
            rows.append(ComparisonRow(Variation.NOT_ADOPTED, template, None, omissions.get(template.pk)))
        says = normalise_title(template.title)
        for role in derived:
            same = normalise_title(role.title) == says
            rows.append(ComparisonRow(Variation.ADOPTED if same else Variation.RENAMED, template, role))
    ours = {template.pk for template in templates}
    for role in roles:
        if role.template_role_id not in ours:
            rows.append(ComparisonRow(Variation.ADDED, None, role))
    return TemplateComparison(place=place, rows=rows)
