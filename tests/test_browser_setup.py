"""Greenwich's roles set up from the ICS template in one flow, through Chromium against the live server.

Gemma of the Greenwich place team (Greenwich has no roles yet) opens "Add a role", follows "Set them
up from the ICS template", and types Bexley's Table 3 into the one page: the shared terms once (1
session a week at the ICS's rate, 4 Apr 2022 to 31 Mar 2024), Bexley's titles for the template roles
it renamed, 2 sessions for the LCP lead, the placeholder "Other roles e.g. Frailty" left out with the
reason, and the four roles Bexley added. She checks (nothing saved), then adds the 22 roles, lands on
the template comparison, and it reads as Bexley's does. Then, on the role form, choosing a template
role fills in its title, type and functions.
"""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from playwright.sync_api import Page, expect

from roles.demo import BEXLEY_ROLES, NOT_ADOPTED
from roles.models import AccessKind, Function, Membership, Place, Role, RoleStatus
from tests.browser import screenshot
from tests.conftest import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROWS = """el => Array.from(el.querySelectorAll('tbody tr[data-kind]')).map(
  tr => [tr.dataset.kind, tr.cells[0].innerText.trim(), tr.cells[1].innerText.trim()])"""


def greenwich_team() -> None:
    user = get_user_model().objects.create_user("greenwich-team", password=DEMO_PASSWORD, first_name="Gemma")
    Membership.objects.create(user=user, kind=AccessKind.PLACE_TEAM, place=Place.objects.get(slug="greenwich"))


def log_in(page: Page, live_server, username: str, lands_on: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{live_server.url}{lands_on}")


def comparison(page: Page, live_server, slug: str):
    page.goto(f"{live_server.url}/places/{slug}/template/")
    counts = page.locator("#comparison-counts").inner_text()
    return counts, page.locator("main").evaluate(ROWS)


def test_the_place_team_sets_up_greenwich_like_bexley_in_one_flow(page: Page, live_server):
    call_command("load_demo", "--password", DEMO_PASSWORD, stdout=StringIO())
    greenwich_team()
    problems = []  # scripts that failed, and anything the Content-Security-Policy refused
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None)

    log_in(page, live_server, "greenwich-team", "/places/greenwich/")
    page.goto(f"{live_server.url}/places/greenwich/roles/new/")
    page.get_by_role("link", name="Set them up from the ICS template").click()
    expect(page).to_have_url(f"{live_server.url}/places/greenwich/roles/setup/")

    form = page.locator("#setup-form")
    form.get_by_label("Roles start on").fill("04/04/2022")
    form.get_by_label("Roles end on (fixed term; optional)").fill("31/03/2024")
    for title, _type, template, sessions, *_rest in BEXLEY_ROLES:
        if template and title != template:
            form.get_by_label(f"Title in Greenwich for “{template}”").fill(title)
        if template and sessions != "1":
            form.get_by_label(f"Sessions per week for “{template}”").fill(sessions)
    for template, reason in NOT_ADOPTED.items():
        form.get_by_label(f"Adopt “{template}”?").select_option(label="Leave out")
        form.get_by_label(f"Why, for “{template}”").fill(reason)
    added = [row for row in BEXLEY_ROLES if row[2] is None]
    for number, (title, role_type, _t, _s, _st, _start, functions, reason, _d) in enumerate(added, start=1):
        form.get_by_label(f"Title of added role {number}", exact=True).fill(title)
        form.get_by_label(f"Type of added role {number}", exact=True).select_option(value=role_type)
        names = [f.name for f in Function.objects.filter(slug__in=functions)]
        form.get_by_label(f"Functions of added role {number}", exact=True).select_option(label=names)
        form.get_by_label(f"Why added role {number} was added", exact=True).fill(reason)

    page.get_by_role("button", name="Check (nothing is saved)").click()
    expect(page.locator("#setup-report")).to_contain_text(
        "22 roles would be added to Greenwich as proposed; 1 template role left out, reason would be recorded; "
        "nothing was saved (a dry run)."
    )
    assert not Role.objects.filter(place__slug="greenwich").exists()

    page.get_by_role("button", name="Add the roles").click()
    expect(page).to_have_url(f"{live_server.url}/places/greenwich/template/")
    expect(page.locator(".alert-success")).to_contain_text("22 roles added to Greenwich as proposed")
    assert Role.objects.filter(place__slug="greenwich", status=RoleStatus.PROPOSED).count() == 22
    assert Role.objects.get(place__slug="greenwich", title="LCP Clinical/Care Professional Lead").sessions_per_week == 2
    screenshot(page, "setup-greenwich-comparison")

    greenwich = comparison(page, live_server, "greenwich")
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/accounts/login/")
    log_in(page, live_server, "bexley-team", "/places/bexley/")
    bexley = comparison(page, live_server, "bexley")
    assert greenwich == bexley
    assert len(greenwich[1]) == 23  # 22 roles and the template role left out
    assert problems == []


def test_choosing_the_template_role_fills_in_the_role_form(page: Page, live_server):
    call_command("load_demo", "--password", DEMO_PASSWORD, stdout=StringIO())
    greenwich_team()
    problems = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None)
    log_in(page, live_server, "greenwich-team", "/places/greenwich/")
    page.goto(f"{live_server.url}/places/greenwich/roles/new/")

    page.get_by_label("Derived from template role").select_option(label="Medicines Optimisation")
    expect(page.get_by_label("Title")).to_have_value("Medicines Optimisation")
    expect(page.get_by_label("Type")).to_have_value("clinical")
    expect(page.get_by_label("Quality assurance and safety")).to_be_checked()
    expect(page.get_by_label("Care pathway transformation / innovation")).to_be_checked()
    expect(page.get_by_label("Workforce resilience")).not_to_be_checked()

    # A title she typed is kept when she changes her mind about the template role.
    page.get_by_label("Title").fill("Medicines and Pharmacy Lead")
    page.get_by_label("Derived from template role").select_option(label="Mental Health")
    expect(page.get_by_label("Title")).to_have_value("Medicines and Pharmacy Lead")
    expect(page.get_by_label("Type")).to_have_value("clinical_care")
    assert problems == []


def test_the_setup_and_import_pages_pass_axe(page: Page, live_server):
    from axe_playwright_python.sync_playwright import Axe

    call_command("load_demo", "--password", DEMO_PASSWORD, stdout=StringIO())
    greenwich_team()
    log_in(page, live_server, "greenwich-team", "/places/greenwich/")
    axe = Axe()
    options = {
        "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]},
        "resultTypes": ["violations"],
    }
    found = {}
    for path in ("roles/setup/", "roles/import/", "roles/new/"):
        page.goto(f"{live_server.url}/places/greenwich/{path}")
        violations = axe.run(page, options=options).response["violations"]
        serious = [(v["id"], len(v["nodes"])) for v in violations if v["impact"] in ("serious", "critical")]
        if serious:
            found[path] = serious
    # A refused setup shows its problems: that page too.
    page.goto(f"{live_server.url}/places/greenwich/roles/setup/")
    page.get_by_role("button", name="Add the roles").click()
    violations = axe.run(page, options=options).response["violations"]
    serious = [(v["id"], len(v["nodes"])) for v in violations if v["impact"] in ("serious", "critical")]
    if serious:
        found["setup refused"] = serious
    assert found == {}
