"""Bexley's Table 4 plan through Chromium against the live server, on the demo data.

Bea of the Bexley place team signs in, opens Plans and the demo's tranche "Tranche 1: Bexley place
roles (Table 4)", sees its timeline (an SVG picture with a title and a description) and the same
milestones in a table, and marks "Roles Commence" done with one click: the message, the table and the
picture all say it is done. The full-page screenshot goes to test-artifacts/ (git-ignored) for a person
to look at; docs/screenshots/plan-timeline.png is a copy of it.
"""

from __future__ import annotations

import datetime as dt
import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import Page, expect

from recruitment import demo, plans
from recruitment.models import Milestone, PlanStep, PlanTemplate, Tranche
from roles.formatting import day
from roles.models import Place, Role
from tests.browser import log_in, screenshot
from tests.conftest import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TRANCHE = "Tranche 1: Bexley place roles (Table 4)"
# Table 4 of the Bexley paper as steps from Monday 31 Jan 2022, and those done by the demo's 4 Apr 2022.
TABLE_4 = [(title, when, offset, length) for title, when, offset, length, _owner in demo.TABLE_4]
DONE_BY_4_APRIL = {title for title, *_ in TABLE_4[:2] + TABLE_4[3:6] + TABLE_4[7:11]}


def bexley_plan() -> Tranche:
    """The demo's Table 4 tranche; built here the same way if this copy of the demo does not make it yet."""
    bexley = Place.objects.get(slug="bexley")
    found = Tranche.objects.filter(place=bexley, name=TRANCHE).first()
    if found:
        return found
    template, _ = PlanTemplate.objects.get_or_create(name="Bexley's Table 4 (test copy)", defaults={"ics": bexley.ics})
    if not template.steps.exists():
        for order, (title, when, offset, length) in enumerate(TABLE_4, start=1):
            PlanStep.objects.create(
                template=template, title=title, when_kind=when, offset_days=offset, length_days=length, order=order
            )
    roles = list(Role.objects.filter(place=bexley, predates_ics_model=False))
    tranche = plans.tranche_start(
        place=bexley, name=TRANCHE, template=template, starts_on=dt.date(2022, 1, 31), by=None, roles=roles
    )
    team = get_user_model().objects.get(username="bexley-team")
    for milestone in tranche.milestones.all():
        if milestone.title in DONE_BY_4_APRIL:
            plans.milestone_done(milestone=milestone, by=team, on=milestone.due_on)
    return tranche


def test_the_place_team_reads_the_table_4_timeline_and_marks_a_milestone_done(page: Page, live_server):
    call_command("load_demo", "--password", DEMO_PASSWORD, stdout=StringIO())
    tranche = bexley_plan()
    today = timezone.localdate()
    problems = []  # scripts that failed, and anything the Content-Security-Policy refused
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None)

    log_in(page, live_server, "bexley-team")
    page.get_by_role("link", name="Plans", exact=True).click()
    expect(page).to_have_url(f"{live_server.url}/recruitment/places/bexley/plans/")
    page.locator("#tranches").get_by_role("link", name=TRANCHE).click()
    expect(page).to_have_url(f"{live_server.url}/recruitment/places/bexley/plans/{tranche.pk}/")

    # The picture: visible, named by its title, described by its summary, a row per milestone, today's line.
    picture = page.get_by_role("img", name=f"{TRANCHE}: timeline")
    expect(picture).to_be_visible()
    expect(picture.locator("desc")).to_contain_text("13 milestones from 31 Jan 2022 to 8 Apr 2022")
    expect(picture.locator("g.milestone")).to_have_count(13)
    expect(picture.locator("g.today line")).to_have_count(1)
    expect(picture.locator("g.today")).to_contain_text(f"Today, {day(today)}")

    # The text alternative: the same milestones in words, as the paper writes their times.
    table = page.locator("#milestones")
    expect(table.locator("tbody tr")).to_have_count(13)
    expect(table.locator("tbody tr td:nth-child(2)")).to_have_text(
        [
            "w/c 31 Jan 2022",
            "18 Feb 2022",
            "TBC",
            "21 Feb 2022",
            "24 Feb 2022",
            "4 Mar 2022",
            "TBC",
            "7-11 Mar 2022",
            "14-25 Mar 2022",
            "31 Mar 2022",
            "w/c 28 Mar 2022",
            "w/c 4 Apr 2022",
            "4 Apr 2022",
        ]
    )
    commence = table.locator("tr", has_text="Roles Commence")
    expect(commence).to_contain_text("Late")

    # One click marks it done: the message, the table and the picture say so.
    commence.get_by_role("button", name="Mark done: Roles Commence").click()
    expect(page).to_have_url(f"{live_server.url}/recruitment/places/bexley/plans/{tranche.pk}/")
    expect(page.locator(".alert-success")).to_contain_text(f"“Roles Commence” is marked done on {day(today)}.")
    commence = page.locator("#milestones tr", has_text="Roles Commence")
    expect(commence).to_contain_text(f"Done on {day(today)}")
    expect(commence.get_by_role("button", name="Undo done: Roles Commence")).to_be_visible()
    done_row = page.locator("svg.timeline-svg g.milestone-done", has_text="4 Apr 2022 · Done on")
    expect(done_row).to_have_count(1)
    screenshot(page, "plan-timeline")

    assert Milestone.objects.get(tranche=tranche, title="Roles Commence").done_on == today
    assert problems == []
    assert re.search(r"\d+ of 13 done", page.locator("#plan-progress").inner_text())
