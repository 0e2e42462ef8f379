"""A panel member scores through Chromium against the live server.

Dr Pat Panel sits on the panel of Bexley's frailty round, which is shortlisting anonymously, and
has no other access. She signs in, opens My panels and the round, reads candidate numbers and
statements (never a name), scores two candidates, declares an interest in the third, and the page
tells her each time what happened. Set up as tests/test_browser.py is; the full-page screenshot goes
to test-artifacts/ (git-ignored) for a person to look at.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from recruitment.models import Score
from roles.models import Declaration
from tests.browser import screenshot
from tests.factories import PASSWORD
from tests.recruiting import RoundSetup, panel_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in_as_panel_member(page: Page, live_server, username: str) -> None:
    """Through the login form; a panel member has no place, so they land on the home page."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{live_server.url}/")


def score(page: Page, number: int, leadership: str, system: str) -> None:
    card = page.locator(f"#candidate-{number}")
    card.get_by_label("Leadership experience (weight ×2, 0 to 4)").fill(leadership)
    card.get_by_label("System working (weight ×1, 0 to 4)").fill(system)
    card.get_by_role("button", name=f"Save scores for Candidate {number}").click()


def test_a_panel_member_scores_two_candidates_anonymously_and_declares_an_interest_in_a_third(
    page: Page, live_server, place
):
    setup = RoundSetup(place)
    applications = setup.add(3)
    pat = panel_user(setup.round, "Dr Pat Panel")
    hidden = [
        detail
        for a in applications
        for detail in (
            a.person.name,
            a.person.email,
            a.person.employer,
            a.person.registration,
            a.person.profession.name,
        )
    ]
    round_url = f"{live_server.url}{reverse('recruitment:panel_round', args=[setup.round.pk])}"
    problems = []  # scripts that failed, and anything the Content-Security-Policy refused
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None)

    log_in_as_panel_member(page, live_server, pat.username)
    page.get_by_role("link", name="score candidates on your panels").click()  # the home page sends her there
    expect(page.get_by_role("link", name="My panels")).to_be_visible()
    row = page.locator("#my-panels tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Frailty including Care Homes")
    expect(row).to_contain_text("Bexley")
    expect(row).to_contain_text("Shortlisting")
    expect(row).to_contain_text("0 of 3")
    screenshot(page, "my-panels")
    row.get_by_role("link", name="Frailty including Care Homes").click()

    # Candidate numbers and statements; no name, e-mail, employer, registration or profession.
    expect(page).to_have_url(round_url)
    expect(page.locator("#anonymous-note")).to_contain_text("Anonymised shortlisting")
    expect(page.locator("section.candidate h2")).to_have_text(["Candidate 1", "Candidate 2", "Candidate 3"])
    for application in applications:
        expect(page.locator(f"#candidate-{application.candidate_number} .statement")).to_have_text(
            application.statement
        )
    html = page.content()
    assert [detail for detail in hidden if detail in html] == []
    expect(page.locator("#my-progress")).to_contain_text("You have scored 0 of 3 candidates")

    # Two candidates scored: each time back at that candidate with a message.
    score(page, 1, "4", "3")
    expect(page).to_have_url(f"{round_url}#candidate-1")
    expect(page.locator(".alert-success")).to_have_text(re.compile(r"^\s*Your scores for Candidate 1 are saved\.\s*$"))
    expect(page.locator("#candidate-1 .badge")).to_have_text("Scored")
    score(page, 2, "2", "1")
    expect(page).to_have_url(f"{round_url}#candidate-2")
    expect(page.locator(".alert-success")).to_contain_text("Your scores for Candidate 2 are saved.")
    expect(page.locator("#candidate-1").get_by_label("Leadership experience (weight ×2, 0 to 4)")).to_have_value("4")
    expect(page.locator("#my-progress")).to_contain_text("You have scored 2 of 3 candidates")

    # An interest in the third: recorded, and her scores for them stop counting.
    third = page.locator("#candidate-3")
    third.get_by_text("Declare an interest in Candidate 3").click()
    third.get_by_label("What is the interest?").fill("Works at the same practice as me")
    third.get_by_role("button", name="Declare the interest").click()
    expect(page).to_have_url(f"{round_url}#candidate-3")
    expect(page.locator(".alert-success")).to_contain_text(
        "Your interest in Candidate 3 is recorded in the register of interests"
    )
    expect(third).to_contain_text("You declared an interest: your scores for this candidate are not counted")
    expect(third.locator("form")).to_have_count(0)
    expect(page.locator("#my-progress")).to_contain_text("You have scored 2 of 2 candidates")
    expect(page.locator("#my-progress")).to_contain_text("You declared an interest in 1")
    assert [detail for detail in hidden if detail in page.content()] == []
    screenshot(page, "panel-scoring")

    values = Score.objects.filter(panel_member__person__user=pat).order_by("application__candidate_number", "criterion")
    assert [(s.application.candidate_number, s.value) for s in values] == [(1, 4), (1, 3), (2, 2), (2, 1)]
    declaration = Declaration.objects.get()
    assert (declaration.about_person, declaration.action) == (
        applications[2].person,
        Declaration.Action.EXCLUDED_FROM_SCORING,
    )
    assert problems == []
