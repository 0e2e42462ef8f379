"""Stories told through Chromium against the live server, on the seed demo data.

Each test logs in through the login form as a demo user and does what that user would do.
Full-page screenshots go to test-artifacts/ (git-ignored) for a person to look at.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from roles.costs import FinancialYear, cost_in_year
from roles.formatting import money
from roles.models import Budget, Role, RoleStatus
from tests.browser import log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MINUS = "\u2212"  # how the `money` filter writes a negative figure
MONEY = re.compile(rf"^({MINUS}?)£(\d{{1,3}}(?:,\d{{3}})*\.\d{{2}})$")


def parse_money(text: str) -> Decimal:
    """A figure as the `money` filter writes it ("£12,311.23", "−£1,234.00") read back as a Decimal.

    Anything else (a hyphen for a minus, a missing £, no pence) fails, so the page's format is checked too.
    """
    match = MONEY.match(text.strip())
    assert match, f"{text!r} is not a money figure like £12,311.23 or {MINUS}£1,234.00"
    amount = Decimal(match.group(2).replace(",", ""))
    return -amount if match.group(1) else amount


def figure(page: Page, selector: str) -> Decimal:
    return parse_money(page.locator(selector).inner_text())


def test_place_team_member_logs_in_filters_roles_creates_one_and_sees_headroom_change(page: Page, live_server, demo):
    log_in(page, live_server, "bexley-team")

    # 2022/23 is the latest year with a budget, and the current year has none, so it is shown first.
    expect(page.locator("#year option:checked")).to_have_text("2022/23")
    expect(page.locator("#fig-budget")).to_have_text("£417,000.00")
    proposed_before = figure(page, "#fig-proposed")
    headroom_after_before = figure(page, "#fig-headroom-after")
    screenshot(page, "dashboard-bexley")

    # Roles tab, filtered to the roles in post.
    page.get_by_role("link", name="Roles", exact=True).click()
    expect(page).to_have_url(f"{live_server.url}/places/bexley/roles/")
    filters = page.locator("#role-filter")
    filters.get_by_label("Status").select_option(label="In post")
    filters.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"[?&]status=in_post(&|$)"))
    # 12 of the new model's roles plus the two CCG roles that continued (Urgent Care lead, Safeguarding GP).
    expect(page.locator("#role-count")).to_have_text("14 roles")
    rows = page.locator("#role-table tbody tr")
    expect(rows).to_have_count(14)
    badges = page.locator("#role-table tbody td .badge[class*='status-']")
    expect(badges).to_have_count(14)
    assert set(badges.all_inner_texts()) == {"In post"}
    screenshot(page, "role-list-in-post")

    # A text search on its own: any status, "Frailty".
    filters.get_by_label("Status").select_option(label="Any status")
    filters.get_by_label("Search").fill("Frailty")
    filters.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"[?&]q=Frailty(&|$)"))
    expect(page.locator("#role-count")).to_have_text("1 role")
    expect(page.locator("#role-table tbody a")).to_have_text(["Frailty including Care Homes"])

    # Add a proposed role from the list.
    page.get_by_role("link", name="Add a role").click()
    expect(page).to_have_url(f"{live_server.url}/places/bexley/roles/new/")
    form = page.locator("#role-form")
    form.locator("#id_title").fill("Digital Lead")
    form.locator("#id_role_type").select_option(label="Clinical / Care")
    form.locator("#id_spatial_level").select_option(label="Place (LCP)")
    form.locator("#id_sessions_per_week").fill("2")
    expect(form.locator("#id_rate_per_session")).to_have_value(re.compile(r"^16400(\.00)?$"))
    form.locator("#id_start_date").fill("01/10/2022")
    form.locator("#id_end_date").fill("31/03/2024")
    form.get_by_role("button", name="Add role", exact=True).click()

    role = Role.objects.get(place__slug="bexley", title="Digital Lead")
    expect(page).to_have_url(f"{live_server.url}/places/bexley/roles/{role.pk}/")
    expect(page.get_by_role("alert")).to_contain_text("“Digital Lead” was added as a proposed role.")
    expect(page.get_by_role("heading", name="Digital Lead")).to_be_visible()
    expect(page.locator(".status-proposed").first).to_have_text("Proposed")
    expect(page.locator("#audit-trail")).to_contain_text("Created")
    expect(page.locator("#role-sessions")).to_have_text("2 (0.2 WTE)")
    assert role.status == RoleStatus.PROPOSED
    assert (role.start_date, role.end_date) == (date(2022, 10, 1), date(2024, 3, 31))

    # Back on the dashboard the proposal adds exactly its 2022/23 cost to "Proposed" and takes it off
    # the headroom left if every proposal were approved.
    on_cost = Budget.objects.get(place__slug="bexley", financial_year=2022).on_cost_percent
    added = cost_in_year(
        sessions=Decimal(2),
        rate_per_session=Decimal(16400),
        start=date(2022, 10, 1),
        end=date(2024, 3, 31),
        year=FinancialYear(2022),
        on_cost_percent=on_cost,
    ).total
    assert added > 0
    page.get_by_role("link", name="Dashboard", exact=True).click()
    expect(page).to_have_url(f"{live_server.url}/places/bexley/")
    expect(page.locator("#year option:checked")).to_have_text("2022/23")
    assert figure(page, "#fig-proposed") == proposed_before + added
    assert figure(page, "#fig-headroom-after") == headroom_after_before - added
    expect(page.locator("#fig-headroom-after")).to_have_text(money(headroom_after_before - added))


def test_secretariat_sees_the_dashboard_but_no_add_button(page: Page, live_server, demo):
    log_in(page, live_server, "secretariat")
    expect(page.get_by_role("heading", name="Bexley", exact=True)).to_be_visible()
    expect(page.locator("#fig-budget")).to_have_text("£417,000.00")
    # The dashboard's own links are there (so the check below is not vacuous), the add link is not.
    expect(page.get_by_role("link", name="All Bexley roles")).to_be_visible()
    expect(page.get_by_role("link", name="Add a role")).to_have_count(0)

    page.get_by_role("link", name="Roles", exact=True).click()
    expect(page.locator("#role-count")).to_have_text(re.compile(r"^\d+ roles$"))
    expect(page.get_by_role("link", name="Add a role")).to_have_count(0)

    response = page.goto(f"{live_server.url}/places/bexley/roles/new/")
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", name="You cannot do that here")).to_be_visible()
    expect(page.locator("#role-form")).to_have_count(0)


def test_validation_errors_are_shown_and_nothing_is_saved(page: Page, live_server, demo):
    roles_before = Role.objects.count()
    log_in(page, live_server, "bexley-team")
    page.goto(f"{live_server.url}/places/bexley/roles/new/")
    form = page.locator("#role-form")
    form.locator("#id_title").fill("Too Much Lead")
    form.locator("#id_role_type").select_option(label="Clinical")
    form.locator("#id_spatial_level").select_option(label="Place (LCP)")
    form.locator("#id_sessions_per_week").fill("12")
    form.locator("#id_start_date").fill("01/04/2023")
    form.locator("#id_end_date").fill("01/03/2023")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        form.get_by_role("button", name="Add role", exact=True).click()
    assert posted.value.status == 400

    expect(page).to_have_url(f"{live_server.url}/places/bexley/roles/new/")
    expect(page.locator(".alert-danger")).to_contain_text("Nothing was saved")
    sessions_error = page.locator("#id_sessions_per_week").locator("xpath=ancestor::div[contains(@class,'mb-3')][1]")
    expect(sessions_error.locator(".invalid-feedback")).to_contain_text("at most 10")
    end_error = page.locator("#id_end_date").locator("xpath=ancestor::div[contains(@class,'mb-3')][1]")
    expect(end_error.locator(".invalid-feedback")).to_contain_text("before the start date")
    # What was typed is kept, so it can be put right.
    expect(page.locator("#id_title")).to_have_value("Too Much Lead")
    expect(page.locator("#id_sessions_per_week")).to_have_value("12")
    screenshot(page, "role-form-errors")

    assert Role.objects.count() == roles_before
    assert not Role.objects.filter(title="Too Much Lead").exists()


def test_template_comparison_page_for_screenshots(page: Page, live_server, demo):
    log_in(page, live_server, "bexley-team")
    page.get_by_role("link", name="Against the ICS template").click()
    expect(page).to_have_url(f"{live_server.url}/places/bexley/template/")
    expect(page.locator("#comparison-counts")).to_contain_text("added locally")
    expect(page.locator("#section-added")).to_contain_text("Added locally")
    screenshot(page, "template-comparison-bexley")
