"""The place dashboard: which year it opens on, its figures and its warnings."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from roles.costs import FinancialYear
from roles.models import RoleStatus
from roles.selectors import default_year, place_dashboard
from tests.factories import BudgetFactory, RoleFactory

pytestmark = pytest.mark.django_db


def test_dashboard_opens_on_the_current_year_when_it_has_a_budget(place):
    BudgetFactory(place=place, financial_year=2021)
    BudgetFactory(place=place, financial_year=2026)
    assert default_year(place, today=dt.date(2026, 11, 23)) == FinancialYear(2026)


def test_dashboard_opens_on_the_latest_budget_year_when_the_current_has_none(place):
    BudgetFactory(place=place, financial_year=2021)
    BudgetFactory(place=place, financial_year=2022)
    assert default_year(place, today=dt.date(2026, 11, 23)) == FinancialYear(2022)


def test_dashboard_opens_on_the_current_year_when_there_is_no_budget_at_all(place):
    assert default_year(place, today=dt.date(2026, 11, 23)) == FinancialYear(2026)


def test_committed_pipeline_proposed_and_headroom(place):
    BudgetFactory(place=place, financial_year=2021, amount=Decimal("217000"), session_cap=Decimal("11"))
    july = dt.date(2021, 7, 1)
    RoleFactory(place=place, status=RoleStatus.IN_POST, sessions_per_week=2, start_date=july, end_date=None)
    RoleFactory(
        place=place, status=RoleStatus.ENDED, sessions_per_week=1, start_date=july, end_date=dt.date(2021, 9, 30)
    )
    RoleFactory(place=place, status=RoleStatus.ADVERTISED, sessions_per_week=1, start_date=july, end_date=None)
    RoleFactory(place=place, status=RoleStatus.PROPOSED, sessions_per_week=3, start_date=july, end_date=None)
    RoleFactory(place=place, status=RoleStatus.WITHDRAWN, sessions_per_week=5, start_date=july, end_date=None)
    board = place_dashboard(place=place, year=FinancialYear(2021))
    assert board.committed.total == Decimal("24622.47") + Decimal("4133.70")  # 2 x 274 days; 1 x 92 days
    assert board.pipeline.total == Decimal("12311.23")
    assert board.proposed.total == Decimal("36933.70")
    assert board.headroom == Decimal("217000") - Decimal("24622.47") - Decimal("4133.70") - Decimal("12311.23")
    assert board.headroom_after_proposals == board.headroom - Decimal("36933.70")
    assert board.sessions_used == Decimal(4)  # the ended role overlapped the others from July to September
    assert board.sessions_with_proposals == Decimal(7)
    assert not board.is_over_budget and not board.is_over_session_cap


def test_on_costs_are_shown_apart_from_pay(place):
    BudgetFactory(place=place, financial_year=2022, amount=Decimal("100000"), on_cost_percent=Decimal("25"))
    RoleFactory(
        place=place,
        status=RoleStatus.IN_POST,
        sessions_per_week=1,
        start_date=dt.date(2022, 4, 1),
        end_date=dt.date(2023, 3, 31),
    )
    board = place_dashboard(place=place, year=FinancialYear(2022))
    assert (board.committed.pay, board.committed.on_cost, board.committed.total) == (
        Decimal("16400.00"),
        Decimal("4100.00"),
        Decimal("20500.00"),
    )


def test_spend_by_function_shares_a_role_between_its_functions(place):
    from roles.models import Function

    BudgetFactory(place=place, financial_year=2022)
    strategy, people = Function.objects.get(slug="system-strategy"), Function.objects.get(slug="workforce-resilience")
    role = RoleFactory(place=place, status=RoleStatus.IN_POST, sessions_per_week=2)
    role.functions.set([strategy, people])
    RoleFactory(place=place, status=RoleStatus.IN_POST).functions.set([strategy])
    groups = {g.label: g for g in place_dashboard(place=place, year=FinancialYear(2022)).by_function}
    assert groups[strategy.name].cost == Decimal("32800.00")
    assert groups[strategy.name].count == 2
    assert groups[people.name].cost == Decimal("16400.00")
    assert groups[people.name].sessions == Decimal("1.00")


def test_over_budget_shows_a_warning_with_the_figures(team_client, place):
    BudgetFactory(place=place, financial_year=2022, amount=Decimal("16399.99"))
    RoleFactory(place=place, status=RoleStatus.CONTRACTED, sessions_per_week=1)
    response = team_client.get(reverse("roles:dashboard", args=["bexley"]) + "?year=2022")
    html = response.content.decode()
    assert 'id="over-budget"' in html
    assert "−£0.01" in html


def test_exactly_on_budget_is_not_a_warning(team_client, place):
    BudgetFactory(place=place, financial_year=2022, amount=Decimal("16400.00"))
    RoleFactory(place=place, status=RoleStatus.CONTRACTED, sessions_per_week=1)
    html = team_client.get(reverse("roles:dashboard", args=["bexley"]) + "?year=2022").content.decode()
    assert 'id="over-budget"' not in html
    assert '<div class="figure " id="fig-headroom">£0.00</div>' in html


def test_proposals_that_would_overspend_are_flagged_but_are_not_over_budget(team_client, place):
    BudgetFactory(place=place, financial_year=2022, amount=Decimal("20000"))
    RoleFactory(place=place, status=RoleStatus.APPROVED, sessions_per_week=1)
    RoleFactory(place=place, status=RoleStatus.PROPOSED, sessions_per_week=1)
    html = team_client.get(reverse("roles:dashboard", args=["bexley"]) + "?year=2022").content.decode()
    assert 'id="proposals-overspend"' in html and 'id="over-budget"' not in html


def test_over_the_session_cap_is_flagged(team_client, place):
    BudgetFactory(place=place, financial_year=2022, amount=Decimal("999999"), session_cap=Decimal("2"))
    RoleFactory(place=place, status=RoleStatus.IN_POST, sessions_per_week=2)
    RoleFactory(place=place, status=RoleStatus.OFFERED, sessions_per_week=1)
    html = team_client.get(reverse("roles:dashboard", args=["bexley"]) + "?year=2022").content.decode()
    assert 'id="over-cap"' in html


def test_a_year_without_a_budget_says_so(team_client, place):
    html = team_client.get(reverse("roles:dashboard", args=["bexley"]) + "?year=2030").content.decode()
    assert "No budget is set for Bexley in 2030/31" in html


@pytest.mark.parametrize("year", ["abc", "2022/25", "22"])
def test_a_malformed_year_is_a_400_that_says_what_to_type(team_client, year):
    response = team_client.get(reverse("roles:dashboard", args=["bexley"]), {"year": year})
    assert response.status_code == 400
    assert "use 2022 or 2022/23" in response.content.decode()


def test_bexley_demo_figures(client, demo):
    """The seed: £217k and an 11-session cap in 2021/22, every interim lead within it."""
    from roles.models import Place

    bexley = Place.objects.get(slug="bexley")
    board = place_dashboard(place=bexley, year=FinancialYear(2021))
    assert board.budget.amount == Decimal("217000.00")
    assert board.sessions_used == Decimal(11)
    assert not board.is_over_session_cap
    # 11 sessions from 1 July 2021 for 274 days, each role rounded to the penny.
    assert board.committed.total == Decimal("135423.58")
    board = place_dashboard(place=bexley, year=FinancialYear(2022))
    assert board.budget.amount == Decimal("417000.00")
    assert board.headroom == Decimal("417000.00") - board.committed.total - board.pipeline.total


def test_spend_by_function_adds_up_to_the_total_to_the_penny(place):
    from roles.models import Function

    BudgetFactory(place=place, financial_year=2021)
    three = list(Function.objects.all()[:3])
    for _ in range(3):  # 1 session from 1 Jul 2021: £12,311.23 each, split three ways
        RoleFactory(
            place=place, status=RoleStatus.IN_POST, start_date=dt.date(2021, 7, 1), end_date=dt.date(2022, 3, 31)
        ).functions.set(three)
    board = place_dashboard(place=place, year=FinancialYear(2021))
    assert sum(g.cost for g in board.by_function) == board.committed.total == Decimal("36933.69")
    assert sum(g.sessions for g in board.by_function) == Decimal(3)


def test_split_evenly_hands_out_the_odd_pennies():
    from roles.selectors import split_evenly

    assert split_evenly(Decimal("10.00"), 3) == [Decimal("3.34"), Decimal("3.33"), Decimal("3.33")]
    assert split_evenly(Decimal("1"), 2) == [Decimal("0.50"), Decimal("0.50")]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_dashboard_added_up_by_groups_in_the_database_equals_the_sum_over_each_role(place, seed):
    """`place_dashboard` groups roles by what their figures depend on; `dashboard_with_lines` (the
    budget guard's) works role by role. On the same varied roles they must agree to the penny."""
    import random

    from roles.models import Function, RoleType
    from roles.selectors import dashboard_with_lines

    rng = random.Random(seed)
    BudgetFactory(place=place, financial_year=2022, amount=Decimal("500000"), on_cost_percent=Decimal("13.8"))
    functions = list(Function.objects.all())
    # Shared dates and figures, so that many roles fall in one group, and some dates of their own.
    starts = [dt.date(2021, 4, 1), dt.date(2022, 4, 4), dt.date(2022, 10, 1)]
    for n in range(60):
        start = rng.choice(starts) if n % 4 else dt.date(2021, 1, 1) + dt.timedelta(days=rng.randrange(900))
        status = rng.choice(list(RoleStatus))
        role = RoleFactory(
            place=place,
            title=f"Role {n}",
            status=status,
            held_from=rng.choice(["", RoleStatus.ADVERTISED, RoleStatus.IN_POST])
            if status == RoleStatus.ON_HOLD
            else "",
            role_type=rng.choice([RoleType.CLINICAL, RoleType.CLINICAL_CARE]),
            sessions_per_week=Decimal(rng.choice(["1", "1.5", "3.25"])),
            rate_per_session=Decimal(rng.choice(["16400", "12345.67"])),
            start_date=start,
            end_date=rng.choice([None, dt.date(2023, 3, 31), start + dt.timedelta(days=rng.randrange(30, 700))]),
        )
        role.functions.set(rng.sample(functions[:4], rng.choice([0, 1, 2, 3])))

    grouped = place_dashboard(place=place, year=FinancialYear(2022))
    by_role = dashboard_with_lines(place=place, year=FinancialYear(2022))

    assert len(by_role.lines) > 20
    for figure in ("committed", "pipeline", "proposed", "sessions_used", "sessions_with_proposals", "headroom"):
        assert getattr(grouped, figure) == getattr(by_role, figure), figure
    for breakdown in ("by_status", "by_type", "by_function"):
        assert [(g.label, g.count, g.sessions, g.cost) for g in getattr(grouped, breakdown)] == [
            (g.label, g.count, g.sessions, g.cost) for g in getattr(by_role, breakdown)
        ], breakdown
