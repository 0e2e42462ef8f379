"""The small things: the headroom bar shows headroom; the comparison returns to the row just saved
and shows whole reasons; the role page agrees with the comparison; status sorts in workflow order;
"Title" once in the sort list; the role list shows the cost in the chosen year."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from roles.costs import FinancialYear
from roles.filters import RoleFilter
from roles.models import RoleStatus
from roles.selectors import place_dashboard
from tests.factories import BudgetFactory, RoleFactory, TemplateRoleFactory

S = RoleStatus
YEAR = FinancialYear(2022)


@pytest.mark.parametrize(
    ("budget", "percent", "level"),
    [("32800", 50, "ok"), ("17500", 6, "low"), ("16400", 0, "low"), ("10000", 100, "over")],
)
def test_the_headroom_bar_shows_headroom_amber_under_ten_percent_red_when_over(place, budget, percent, level):
    # One role in post all 2022/23 at 1 session x £16,400: £16,400 committed.
    RoleFactory(place=place, status=S.IN_POST)
    BudgetFactory(place=place, financial_year=2022, amount=Decimal(budget))

    board = place_dashboard(place=place, year=YEAR)

    assert (board.headroom_percent, board.headroom_level) == (percent, level)


def test_the_dashboard_draws_the_headroom_bar_with_its_level(team_client, place):
    RoleFactory(place=place, status=S.IN_POST)
    BudgetFactory(place=place, financial_year=2022, amount=Decimal("16400"))

    html = team_client.get(reverse("roles:dashboard", args=["bexley"]), {"year": 2022}).content.decode()

    bar = re.search(r'<div class="progress[^"]*" id="headroom-bar"[^>]*>.*?</div>', html, re.S).group(0)
    assert 'data-level="low"' in bar and 'aria-valuenow="0"' in bar and "headroom-low" in bar
    assert '<rect width="0%"' in bar
    assert "0% of the budget left" in html


def test_saving_a_reason_returns_to_that_row_whose_anchor_exists(team_client, place):
    template = TemplateRoleFactory(ics=place.ics, title="Frailty")
    role = RoleFactory(place=place, title="Frailty and falls", template_role=template)
    long_reason = "Falls matter here. " * 40

    response = team_client.post(
        reverse("roles:role_variation_reason", args=["bexley", role.pk]),
        {"reason": long_reason, "version": role.version},
    )

    assert response.status_code == 302
    url, _, anchor = response.url.partition("#")
    assert anchor == f"row-role-{role.pk}"
    html = team_client.get(url).content.decode()
    assert f'id="{anchor}"' in html
    box = re.search(rf'<tr id="{anchor}".*?<textarea name="reason" rows="(\d+)"[^>]*>(.*?)</textarea>', html, re.S)
    assert box.group(2) == long_reason.strip() or box.group(2) == long_reason
    assert int(box.group(1)) * 45 >= len(long_reason)  # tall enough to show it whole


def test_a_role_that_predates_the_ics_model_is_not_called_added_locally(team_client, place):
    role = RoleFactory(place=place, title="CCG clinical lead", predates_ics_model=True)

    html = team_client.get(reverse("roles:role_detail", args=["bexley", role.pk])).content.decode()

    standing = re.search(r'<dd class="col-sm-8" id="role-template">(.*?)</dd>', html, re.S).group(1)
    assert "Predates the ICS model" in standing and "Added locally" not in standing
    comparison = team_client.get(reverse("roles:template_comparison", args=["bexley"])).content.decode()
    assert "CCG clinical lead" not in comparison


def titles(response) -> list[str]:
    return [t for t in re.findall(r'<td><a href="[^"]+">([^<]+)</a>', response.content.decode())]


def test_status_sorts_in_workflow_order(team_client, place):
    for title, status in [("A", S.WITHDRAWN), ("B", S.IN_POST), ("C", S.PROPOSED), ("D", S.ADVERTISED)]:
        RoleFactory(place=place, title=title, status=status)
    url = reverse("roles:role_list", args=["bexley"])

    assert titles(team_client.get(url, {"sort": "status"})) == ["C", "D", "B", "A"]
    assert titles(team_client.get(url, {"sort": "-status"})) == ["A", "B", "D", "C"]


def test_title_appears_once_in_the_sort_list():
    labels = [label for _, label in RoleFilter().form.fields["sort"].choices]
    assert labels.count("Title") == 1
    assert "Start date" in labels and "End date" in labels


def test_the_role_list_shows_the_cost_in_the_chosen_year(team_client, place):
    # 2 sessions x £16,000 from 1 Oct 2025 to 31 Mar 2026: £15,956.16 in 2025/26, nothing in 2026/27.
    import datetime as dt

    RoleFactory(
        place=place,
        sessions_per_week=Decimal("2"),
        rate_per_session=Decimal("16000"),
        start_date=dt.date(2025, 10, 1),
        end_date=dt.date(2026, 3, 31),
    )
    url = reverse("roles:role_list", args=["bexley"])

    html = team_client.get(url, {"year": "2025"}).content.decode()
    assert "Cost 2025/26" in html
    assert re.search(r'<td class="num cost-in-year">£15,956\.16</td>', html)
    assert re.search(
        r'<td class="num cost-in-year">£0\.00</td>', team_client.get(url, {"year": "2026"}).content.decode()
    )
    bad = team_client.get(url, {"year": "banana"})
    assert bad.status_code == 400
