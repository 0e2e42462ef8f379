"""The secretariat's board pack through Chromium against the live server, on the demo data.

Sam of Bexley's secretariat signs in, reads the Bexley Strategic Board's Part 2 meeting of 27 Jan 2022
(the quorum, the decision endorsing the role set and the roles it authorises), then clicks "Board
packs" and "Download" with PDF chosen: two clicks give a board paper holding Bexley's figures. The
screenshots go to test-artifacts/ (git-ignored).
"""

from __future__ import annotations

from io import BytesIO, StringIO

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from governance.models import ExportLog
from tests.browser import log_in, screenshot
from tests.conftest import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_secretariat_reads_the_decision_and_downloads_the_board_pack_in_two_clicks(page: Page, live_server):
    call_command("load_demo", "--password", DEMO_PASSWORD, stdout=StringIO())
    problems = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None)

    log_in(page, live_server, "secretariat")
    page.get_by_role("link", name="Boards", exact=True).click()
    page.get_by_role("link", name="Bexley Strategic Board").click()
    page.get_by_role("link", name="27 Jan 2022").click()
    expect(page.get_by_text("Quorate: 11 of 14 voting organisations represented (7 needed)")).to_be_visible()
    expect(page.get_by_text("Endorse the Bexley role set")).to_be_visible()
    expect(page.get_by_role("link", name="Frailty including Care Homes").first).to_be_visible()
    screenshot(page, "governance-meeting")

    page.get_by_role("link", name="Board packs", exact=True).click()  # click 1
    page.get_by_label("PDF").check()
    with page.expect_download() as waiting:
        page.get_by_role("button", name="Download").click()  # click 2
    download = waiting.value
    assert download.suggested_filename.startswith("board-pack-bexley-") and download.suggested_filename.endswith(".pdf")
    text = "\n".join(p.extract_text() for p in PdfReader(BytesIO(open(download.path(), "rb").read())).pages)
    assert "Clinical & Care Professional Leadership: board pack" in text
    assert "Bexley" in text and "£417,000.00" in text and "Frailty including Care Homes" in text
    assert "Page 1 of" in text
    log = ExportLog.objects.get()
    assert (log.by.username, log.format, log.via, log.place.slug) == ("secretariat", "pdf", "page", "bexley")
    screenshot(page, "governance-board-pack")
    assert problems == []
