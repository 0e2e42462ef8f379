"""Reads shared by pages, the admin and (later) exports. Each does its joins once."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from .costs import Cost, FinancialYear, peak_sessions, to_pennies
from .models import (
    Budget,
    BudgetStage,
    Function,
    Place,
    Role,
    RoleStatus,
    RoleType,
    TemplateOmission,
    TemplateRole,
    normalise_title,
)

COUNTED_STAGES = (BudgetStage.COMMITTED, BudgetStage.PIPELINE)


def budget_years(place: Place) -> list[FinancialYear]:
    return [FinancialYear(y) for y in place.budgets.order_by("financial_year").values_list("financial_year", flat=True)]


def default_year(place: Place, today=None) -> FinancialYear:
    """The current financial year, or the latest with a budget when the current has none."""
    current = FinancialYear.containing(today or timezone.localdate())
    years = budget_years(place)
    if not years or current in years:
        return current
    return years[-1]


def year_choices(place: Place, selected: FinancialYear) -> list[FinancialYear]:
    """Years worth offering: those with a budget, the current one, and the one shown."""
    years = set(budget_years(place)) | {FinancialYear.current(), selected}
    return sorted(years)


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


def place_dashboard(*, place: Place, year: FinancialYear) -> Dashboard:
    """Budget, committed, pipeline, proposed and headroom for a place in one financial year."""
    budget = place.budgets.filter(financial_year=year.start_year).first()
    on_cost = budget.on_cost_percent if budget else Decimal(0)
    roles = list(
        Role.objects.filter(place=place)
        .filter(start_date__lte=year.end)
        .exclude(end_date__lt=year.start)
        .select_related("spatial_level")
        .prefetch_related("functions")
        .order_by("title")
    )
    lines = [RoleLine(role=r, cost=r.cost_in(year, on_cost), stage=r.budget_stage) for r in roles]

    def total(stage) -> Cost:
        result = Cost.zero()
        for line in lines:
            if line.stage == stage:
                result = result + line.cost
        return result

    def intervals(stages):
        return [(ln.role.sessions_per_week, ln.role.start_date, ln.role.end_date) for ln in lines if ln.stage in stages]

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
        by_status=_by_status(lines),
        by_function=_by_function(lines),
        by_type=_by_type(lines),
    )


def _by_status(lines: list[RoleLine]) -> list[Group]:
    groups = {s.value: Group(label=s.label, key=s.value) for s in RoleStatus}
    for line in lines:
        group = groups[line.role.status]
        group.count += 1
        group.sessions += line.role.sessions_per_week
        group.cost += line.cost.total
    return [g for g in groups.values() if g.count]


def _by_type(lines: list[RoleLine]) -> list[Group]:
    groups = {t.value: Group(label=t.label, key=t.value) for t in RoleType}
    for line in lines:
        if line.stage == BudgetStage.NONE:
            continue
        group = groups[line.role.role_type]
        group.count += 1
        group.sessions += line.role.sessions_per_week
        group.cost += line.cost.total
    return [g for g in groups.values() if g.count]


def _by_function(lines: list[RoleLine]) -> list[Group]:
    """Roles and spend per priority function, for roles that count (committed or pipeline).

    A role serving several functions shares its cost and sessions equally between them, so the
    column adds up to the total; its count appears under each function.
    """
    groups: dict[int, Group] = {}
    unassigned = Group(label="No function given", key="none")
    for line in lines:
        if line.stage not in COUNTED_STAGES:
            continue
        functions = list(line.role.functions.all())
        if not functions:
            targets = [unassigned]
        else:
            targets = [groups.setdefault(f.pk, Group(label=f.name, key=f.slug)) for f in functions]
        share = Decimal(len(targets))
        for group in targets:
            group.count += 1
            group.sessions += line.role.sessions_per_week / share
            group.cost += line.cost.total / share
    ordered = sorted(groups.values(), key=lambda g: (-g.cost, g.label))
    if unassigned.count:
        ordered.append(unassigned)
    for group in ordered:
        group.cost = to_pennies(group.cost)
        group.sessions = group.sessions.quantize(Decimal("0.01"))
    return ordered


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


def template_comparison(*, place: Place) -> TemplateComparison:
    """Each of the ICS's template roles against the place's roles, and the place's own additions.

    A role derived from a template role is "renamed" when its title says something different
    once cosmetic differences are set aside (see `normalise_title`). Withdrawn roles do not count
    as adopting a template role, and roles that predate the ICS model are left out.
    """
    templates = list(TemplateRole.objects.filter(ics=place.ics).order_by("order", "title"))
    roles = list(
        Role.objects.filter(place=place, predates_ics_model=False)
        .exclude(status=RoleStatus.WITHDRAWN)
        .select_related("template_role", "place")
        .order_by("title")
    )
    omissions = {o.template_role_id: o for o in TemplateOmission.objects.filter(place=place)}
    by_template = defaultdict(list)
    for role in roles:
        if role.template_role_id and role.template_role.ics_id == place.ics_id:
            by_template[role.template_role_id].append(role)
    rows: list[ComparisonRow] = []
    for template in templates:
        derived = by_template.get(template.pk, [])
        if not derived:
            rows.append(ComparisonRow(Variation.NOT_ADOPTED, template, None, omissions.get(template.pk)))
        for role in derived:
            same = normalise_title(role.title) == normalise_title(template.title)
            rows.append(ComparisonRow(Variation.ADOPTED if same else Variation.RENAMED, template, role))
    for role in roles:
        if not role.template_role_id or role.template_role.ics_id != place.ics_id:
            rows.append(ComparisonRow(Variation.ADDED, None, role))
    return TemplateComparison(place=place, rows=rows)


def functions_in_order() -> list[Function]:
    return list(Function.objects.order_by("order", "name"))
