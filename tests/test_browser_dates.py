"""Dates that cannot be misread, told through Chromium set to US English: a Bexley team member
types 1 October day first, as anyone in the UK would, and the role starts on 1 October, not on
10 January; a date typed month first is refused with the day first in the message, beside a box that
shows dates day first. The year list offers every year Bexley's roles run in."""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import Browser, expect

from roles.models import Role
from tests.browser import log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def us_page(browser: Browser):
    """A page in a browser whose language and clock are American."""
    context = browser.new_context(locale="en-US", timezone_id="America/New_York")
    yield context.new_page()
    context.close()


def test_a_us_english_browser_types_uk_dates_and_they_are_read_day_first(us_page, live_server, demo):
    page = us_page
    log_in(page, live_server, "bexley-team")
    assert page.evaluate("navigator.language") == "en-US"

    # Every year Bexley's roles run in is offered, not only the years with a budget: the new model's
    # roles run to 31 Mar 2024. Nothing runs in 2025/26 yet.
    options = page.locator("#year option").all_inner_texts()
    assert "2023/24" in options and "2025/26" not in options

    page.goto(f"{live_server.url}/places/bexley/roles/new/")
    form = page.locator("#role-form")
    start = form.get_by_label("Start date")
    expect(start).to_have_attribute("type", "text")
    expect(form).to_contain_text("Day/month/year, e.g. 27/01/2022.")
    form.locator("#id_title").fill("Part-year Lead")
    form.locator("#id_role_type").select_option(label="Clinical / Care")
    form.locator("#id_spatial_level").select_option(label="Place (LCP)")
    form.locator("#id_sessions_per_week").fill("2")
    form.locator("#id_rate_per_session").fill("16000")
    start.press_sequentially("01102025")  # what became 10 January in the browser's own date box
    form.get_by_label("End date").press_sequentially("31/03/2026")
    form.get_by_role("button", name="Add role", exact=True).click()

    role = Role.objects.get(place__slug="bexley", title="Part-year Lead")
    expect(page).to_have_url(f"{live_server.url}/places/bexley/roles/{role.pk}/")
    assert (role.start_date, role.end_date) == (date(2025, 10, 1), date(2026, 3, 31))
    expect(page.locator("dl")).to_contain_text("1 Oct 2025 to 31 Mar 2026")
    row_2025 = page.locator("#role-costs tbody tr", has_text="2025/26")
    expect(row_2025.locator("td").nth(2)).to_have_text("£15,956.16")

    # The edit form shows the dates day first, whatever the browser's language.
    page.goto(f"{live_server.url}/places/bexley/roles/{role.pk}/edit/")
    form = page.locator("#role-form")
    expect(form.get_by_label("Start date")).to_have_value("01/10/2025")
    expect(form.get_by_label("End date")).to_have_value("31/03/2026")

    # Typed month first, as an American would: refused, the message writing the date day first.
    form.get_by_label("End date").fill("")
    form.get_by_label("End date").press_sequentially("03/31/2026")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        form.get_by_role("button", name="Save").click()
    assert posted.value.status == 400
    end_box = page.locator("#id_end_date")
    expect(end_box).to_have_value("03/31/2026")  # kept, to put right
    error = end_box.locator("xpath=ancestor::div[contains(@class,'mb-3')][1]").locator(".invalid-feedback")
    expect(error).to_have_text("“03/31/2026” has no month 31: type the day first, e.g. 31/03/2026.")
    screenshot(page, "role-form-date-typed-month-first")
    role.refresh_from_db()
    assert role.end_date == date(2026, 3, 31)

    # The year the new role runs in is now one choice away on the dashboard.
    page.get_by_role("link", name="Dashboard", exact=True).click()
    page.locator("#year").select_option(label="2025/26")
    expect(page).to_have_url(re.compile(r"[?&]year=2025(&|$)"))
    expect(page.locator("#year option:checked")).to_have_text("2025/26")
