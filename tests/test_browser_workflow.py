"""The workflow told through Chromium against the live server, on the seed demo data.

Bea Bexley (bexley-team) takes a proposed role through approval and advertising: the approval is
refused until the role description is signed off, then the role is approved and advertised, and the
role page and the board show where it stands. Set up as tests/test_browser.py is; full-page
screenshots go to test-artifacts/ (git-ignored) for a person to look at.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import Page, expect

from roles.models import AdvertRound, Role, RoleMove, RoleStatus
from tests.browser import log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TITLE = "Estates/ IT Infrastructure"


def day(date: dt.date) -> str:
    """A date as the pages write it ("j M Y")."""
    return f"{date.day} {date:%b %Y}"


def submit_move(page: Page, label: str) -> int:
    """Press the move page's button; the status the POST was answered with."""
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.locator("#move-form").get_by_role("button", name=label, exact=True).click()
    return posted.value.status


def test_place_team_member_approves_and_advertises_a_proposed_role(page: Page, live_server, demo):
    # Table 4 of the Bexley paper: roles advertised 21 Feb 2022, applications closed 4 Mar 2022.
    opens, closes = dt.date(2022, 2, 21), dt.date(2022, 3, 4)
    signed_off = dt.date(2022, 2, 18)  # Table 4: role descriptions agreed and signed off
    role = Role.objects.get(place__slug="bexley", title=TITLE)
    assert role.status == RoleStatus.PROPOSED and role.description_signed_off_on is None
    role_url = f"{live_server.url}/places/bexley/roles/{role.pk}/"
    log_in(page, live_server, "bexley-team")

    # Find the role from the Roles tab.
    page.get_by_role("link", name="Roles", exact=True).click()
    page.locator("#role-filter").get_by_label("Search").fill("Estates")
    page.locator("#role-filter").get_by_role("button", name="Filter").click()
    page.locator("#role-table").get_by_role("link", name=TITLE).click()
    expect(page).to_have_url(role_url)
    expect(page.get_by_role("heading", name=TITLE)).to_be_visible()
    moves = page.locator("#role-moves")

    # Approving it is refused: there is no signed-off role description yet.
    moves.get_by_role("link", name="Approve", exact=True).click()
    expect(page).to_have_url(f"{role_url}move/approved/")
    page.get_by_label("Reason (optional)").fill("Borough Strategic Board endorsed the role set")
    assert submit_move(page, "Approve") == 400
    expect(page.locator(".alert-danger")).to_contain_text(
        f"“{TITLE}” needs a signed-off role description before it is approved"
    )
    role.refresh_from_db()
    assert role.status == RoleStatus.PROPOSED
    assert not RoleMove.objects.filter(role=role, to_status=RoleStatus.APPROVED).exists()

    # Give it a description and a sign-off date.
    page.locator("#move-form").get_by_role("link", name="Cancel").click()
    expect(page).to_have_url(role_url)
    moves.get_by_role("link", name="Edit").click()
    form = page.locator("#role-form")
    form.locator("#id_description").fill("Leads estates and digital infrastructure for the Bexley LCP.")
    form.locator("#id_description_signed_off_on").fill(signed_off.strftime("%d/%m/%Y"))
    form.get_by_role("button", name="Save").click()
    expect(page).to_have_url(role_url)
    expect(page.locator(".alert-success")).to_contain_text(f"“{TITLE}” was saved.")
    expect(page.locator(".badge", has_text="signed off")).to_have_text(f"signed off {day(signed_off)}")

    # Approve it from the role page, with a reason.
    moves.get_by_role("link", name="Approve", exact=True).click()
    page.get_by_label("Reason (optional)").fill("Borough Strategic Board endorsed the role set")
    assert submit_move(page, "Approve") == 302
    expect(page).to_have_url(role_url)
    expect(page.locator(".alert-success")).to_contain_text(f"“{TITLE}” is now approved.")

    # Advertise it through the move page, with the opening and closing dates.
    moves.get_by_role("link", name="Advertise", exact=True).click()
    expect(page).to_have_url(f"{role_url}move/advertised/")
    expect(page.locator("#id_opens_on")).to_have_attribute("type", "text")  # typed day first in any browser
    page.locator("#id_opens_on").fill(opens.strftime("%d/%m/%Y"))
    page.locator("#id_closes_on").fill(closes.strftime("%d/%m/%Y"))
    assert submit_move(page, "Advertise") == 302
    expect(page).to_have_url(role_url)
    expect(page.locator(".alert-success")).to_contain_text(f"“{TITLE}” is now advertised.")

    # The role page: its status, the advert round and the audit trail.
    expect(page.locator("h2 + div [class*='status-']")).to_have_text("Advertised")
    expect(page.locator("#advert-rounds tbody tr")).to_have_count(1)
    expect(page.locator("#advert-rounds tbody tr td")).to_have_text(["1", day(opens), day(closes), "Open"])
    trail = page.locator("#audit-trail tbody tr")
    mine = trail.filter(has_text="Bea Bexley")
    expect(mine).to_have_count(3)
    advertised, approved, edited = mine.nth(0), mine.nth(1), mine.nth(2)  # newest first
    expect(advertised.locator("td").nth(2).locator(".badge")).to_have_text(["Approved", "Advertised"])
    expect(approved.locator("td").nth(2).locator(".badge")).to_have_text(["Proposed", "Approved"])
    expect(approved).to_contain_text("Borough Strategic Board endorsed the role set")
    expect(edited.locator("td").nth(2)).to_have_text("Edited")
    expect(edited).to_contain_text(f"Role description signed off on: — → {day(signed_off)}")
    screenshot(page, "workflow-role-advertised")

    role.refresh_from_db()
    assert role.status == RoleStatus.ADVERTISED
    assert list(AdvertRound.objects.filter(role=role).values_list("number", "opens_on", "closes_on", "outcome")) == [
        (1, opens, closes, AdvertRound.Outcome.OPEN)
    ]
    assert list(
        RoleMove.objects.filter(role=role, by__username="bexley-team", action="moved")
        .order_by("at")
        .values_list("from_status", "to_status")
    ) == [(RoleStatus.PROPOSED, RoleStatus.APPROVED), (RoleStatus.APPROVED, RoleStatus.ADVERTISED)]

    # The board: the card is in the Advertised column, and only there.
    page.get_by_role("link", name="Board", exact=True).click()
    expect(page).to_have_url(f"{live_server.url}/places/bexley/board/")
    card = page.locator(f'article.role-card[data-role="{role.pk}"]')
    expect(card).to_have_count(1)
    expect(page.locator("#column-advertised article.role-card", has_text=TITLE)).to_have_count(1)
    expect(card).to_contain_text(f"Applications close {day(closes)}")
    expect(page.locator("#column-proposed")).not_to_contain_text(TITLE)
    expect(page.locator("#column-approved")).not_to_contain_text(TITLE)
    expect(page.locator("#column-advertised .column-count")).to_have_text(
        str(Role.objects.filter(place__slug="bexley", status=RoleStatus.ADVERTISED).count())
    )
    assert re.fullmatch(r"\d+ days? in this state", card.locator(".days-in-state").inner_text())
    screenshot(page, "workflow-board")
    # The board scrolls sideways at this width: the later columns, for a person to look at too.
    page.locator("#board").evaluate("board => { board.scrollLeft = board.scrollWidth; }")
    screenshot(page, "workflow-board-scrolled")

    # Last, so that a failure here leaves the checks and screenshots above done: the advert's dates in
    # the audit trail are labelled and written as the rest of the page writes them.
    page.get_by_role("link", name=TITLE).click()
    expect(page).to_have_url(role_url)
    details = page.locator("#audit-trail tbody tr", has_text="Bea Bexley").nth(0).locator("td").nth(3)
    expect(details).to_contain_text(f"Advert opens: {day(opens)}")
    expect(details).to_contain_text(f"Applications close: {day(closes)}")
