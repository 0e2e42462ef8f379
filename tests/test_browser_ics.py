"""The ICS's view across its places through Chromium against the live server, on the demo data.

Ida, South East London's ICS administrator (`ics-admin`), signs in, opens the ICS pages, chooses
2022/23 and reads the overview (Bexley's £417,000 budget and the bars beside the table), then opens
the template adoption matrix (Bexley's renamed and not adopted roles) and downloads it. Each ICS page
passes axe-core's WCAG 2.2 AA rules (the site walk of tests/test_accessibility.py reaches these pages
only once the navigation links them), and no page breaks the Content-Security-Policy. The screenshots
go to test-artifacts/ (git-ignored).
"""

from __future__ import annotations

from io import BytesIO, StringIO

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.management import call_command
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from governance.models import ExportLog
from tests.browser import screenshot
from tests.conftest import DEMO_PASSWORD
from tests.test_accessibility import describe, findings

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page: Page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).not_to_have_url(f"{live_server.url}/accounts/login/")


def test_the_ics_administrator_reads_the_overview_and_the_adoption_matrix(page: Page, live_server):
    call_command("load_demo", "--password", DEMO_PASSWORD, stdout=StringIO())
    problems = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None)

    sign_in(page, live_server, "ics-admin")
    page.goto(f"{live_server.url}/governance/ics/")
    expect(page).to_have_url(f"{live_server.url}/governance/ics/sel/")
    expect(page.get_by_role("heading", name="Our Healthier South East London", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="ICS", exact=True)).to_have_attribute("aria-current", "page")
    page.get_by_label("Financial year").select_option("2022")  # sends the form (data-autosubmit)
    expect(page).to_have_url(f"{live_server.url}/governance/ics/sel/?year=2022")

    table = page.locator("#ics-overview")
    bexley = table.locator("#place-bexley")
    expect(bexley.get_by_role("link", name="£417,000.00 budget of Bexley")).to_be_visible()
    expect(table.locator("#ics-totals")).to_contain_text("£417,000.00")
    expect(page.get_by_role("img", name="Bexley: committed")).to_be_visible()
    assert page.locator("#ics-bars svg.ics-bar rect.seg-committed").count() >= 1
    screenshot(page, "ics-overview")

    bexley.get_by_role("link", name="Bexley", exact=True).click()
    expect(page).to_have_url(f"{live_server.url}/places/bexley/?year=2022")
    expect(page.locator("#fig-budget")).to_have_text("£417,000.00")
    page.go_back()

    page.get_by_role("link", name="Template adoption").click()
    matrix = page.locator("#adoption-matrix")
    expect(matrix.get_by_role("columnheader", name="Bexley")).to_be_visible()
    renamed = matrix.locator("tr", has_text="Patient and Public Engagement").locator('td[data-place="bexley"]')
    expect(renamed).to_contain_text("Renamed")
    expect(renamed).to_contain_text("Resident Participation and engagement")
    not_adopted = matrix.locator("tr", has_text="Other roles e.g. Frailty").locator('td[data-place="bexley"] a')
    expect(not_adopted).to_have_attribute("title", "A placeholder in the template; " + _rest_of_reason())
    expect(matrix.locator("#additions")).to_contain_text("Frailty including Care Homes")
    screenshot(page, "ics-adoption")

    with page.expect_download() as waiting:
        page.get_by_role("button", name="Excel (XLSX)").click()
    book = load_workbook(BytesIO(open(waiting.value.path(), "rb").read()))
    assert "Template adoption matrix" in book.sheetnames
    assert ExportLog.objects.get().what == "ics_adoption"

    not_adopted.click()
    expect(page).to_have_url(f"{live_server.url}/places/bexley/template/#row-template-" + _frailty_pk())
    assert problems == []


def _rest_of_reason() -> str:
    from roles.models import TemplateOmission

    reason = TemplateOmission.objects.get(place__slug="bexley", template_role__title="Other roles e.g. Frailty").reason
    return reason.removeprefix("A placeholder in the template; ")


def _frailty_pk() -> str:
    from roles.models import TemplateRole

    return str(TemplateRole.objects.get(ics__slug="sel", title="Other roles e.g. Frailty").pk)


PAGES = [
    ("ics-functions", "/governance/ics/sel/functions/?year=2022"),
    ("ics-search", "/governance/ics/sel/search/?q=care&status=in_post"),
    ("ics-compare", "/governance/ics/sel/compare/?places=bexley&places=greenwich"),
    ("ics-search-refused", "/governance/ics/sel/search/?status=hired"),
]


def test_every_ics_page_passes_axe(page: Page, live_server):
    call_command("load_demo", "--password", DEMO_PASSWORD, stdout=StringIO())
    problems = []
    page.on("console", lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None)
    axe = Axe()
    sign_in(page, live_server, "ics-admin")
    for name, path in [
        ("ics-overview", "/governance/ics/sel/?year=2022"),
        ("ics-adoption", "/governance/ics/sel/adoption/"),
        *PAGES,
    ]:
        page.goto(f"{live_server.url}{path}")
        problems += describe(path, findings(page, axe))
        if name in dict(PAGES):
            screenshot(page, name)
    assert problems == [], "\n".join(problems)
