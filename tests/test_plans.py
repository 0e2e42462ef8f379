"""Milestone plans: how times are written, starting a tranche from a template, moving milestones,
what is due and what has drifted, the timeline picture, and the pages with their bad input and access."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from recruitment import demo, plans
from recruitment.drift import drifted
from recruitment.models import Milestone, PlanStep, PlanTemplate, Tranche, When, shown_when, when_problems
from recruitment.timeline import timeline_svg
from roles.models import AccessKind, AdvertRound, Membership, RoleStatus
from tests.factories import PlaceFactory, RoleFactory, member
from tests.test_security import INLINE

pytestmark = pytest.mark.django_db

D = dt.date
TODAY = timezone.localdate()
SVG = "{http://www.w3.org/2000/svg}"

# Table 4 of the Bexley paper as steps from Monday 31 Jan 2022: (title, when, offset, length).
TABLE_4 = [(title, when, offset, length) for title, when, offset, length, _owner in demo.TABLE_4]
TABLE_4_AS_WRITTEN = [
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


def table_4_template(ics=None) -> PlanTemplate:
    template = PlanTemplate.objects.create(name=f"Table 4 ({ics})", ics=ics)
    for order, (title, when, offset, length) in enumerate(TABLE_4, start=1):
        PlanStep.objects.create(
            template=template, title=title, when_kind=when, offset_days=offset, length_days=length, order=order
        )
    return template


@pytest.fixture
def team(place):
    return member(AccessKind.PLACE_TEAM, place=place, first_name="Bea", last_name="Bexley")


@pytest.fixture
def other_place(place):
    return PlaceFactory(name="Greenwich", slug="greenwich", ics=place.ics)


@pytest.fixture
def tranche(place, team):
    roles = [RoleFactory(place=place, title=f"Role {n}") for n in range(3)]
    return plans.tranche_start(
        place=place,
        name="Tranche 1",
        template=table_4_template(place.ics),
        starts_on=D(2022, 1, 31),
        by=team,
        roles=roles,
    )


def milestones(tranche) -> list[Milestone]:
    return list(tranche.milestones.order_by("order"))


def named(tranche, title) -> Milestone:
    return tranche.milestones.get(title=title)


def edit_body(milestone, **changes) -> dict:
    body = {
        "title": milestone.title,
        "when_kind": milestone.when_kind,
        "starts_on": milestone.starts_on.isoformat() if milestone.starts_on else "",
        "ends_on": milestone.ends_on.isoformat() if milestone.ends_on else "",
        "owner": milestone.owner_id or "",
        "notes": milestone.notes,
        "roles": [r.pk for r in milestone.roles.all()],
        "version": milestone.version,
    }
    body.update(changes)
    return body


def snapshot(tranche) -> list[tuple]:
    return [
        (m.title, m.when_kind, m.starts_on, m.ends_on, m.owner_id, m.done_on, m.version) for m in milestones(tranche)
    ]


# --- How times are written -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "starts_on", "ends_on", "written"),
    [
        (When.WEEK, D(2022, 1, 31), None, "w/c 31 Jan 2022"),
        (When.RANGE, D(2022, 3, 7), D(2022, 3, 11), "7-11 Mar 2022"),
        (When.RANGE, D(2022, 3, 14), D(2022, 3, 25), "14-25 Mar 2022"),
        (When.TBC, None, None, "TBC"),
        (When.TBC, D(2022, 3, 1), None, "TBC"),
        (When.DATE, D(2022, 2, 18), None, "18 Feb 2022"),
        (When.RANGE, D(2022, 2, 28), D(2022, 3, 4), "28 Feb - 4 Mar 2022"),
        (When.RANGE, D(2022, 12, 29), D(2023, 1, 6), "29 Dec 2022 - 6 Jan 2023"),
        (When.RANGE, D(2022, 3, 7), D(2022, 3, 7), "7 Mar 2022"),
    ],
)
def test_times_are_written_as_the_seed_papers_write_them(kind, starts_on, ends_on, written):
    assert shown_when(kind, starts_on, ends_on) == written


def test_a_range_that_ends_before_it_starts_and_a_week_not_on_a_monday_are_refused_with_the_fix():
    assert when_problems(When.RANGE, D(2022, 3, 11), D(2022, 3, 7)) == {
        "ends_on": "The range ends before it starts: move one of the dates."
    }
    assert when_problems(When.WEEK, D(2022, 2, 1), None) == {
        "starts_on": "A week commencing starts on a Monday; Tuesday 1 Feb 2022 is not one."
    }


# --- Starting and moving a plan ---------------------------------------------------------------------------------


def test_a_tranche_started_from_table_4_gets_its_dates(tranche):
    rows = milestones(tranche)

    assert [m.shown_when for m in rows] == TABLE_4_AS_WRITTEN
    assert [m.title for m in rows] == [title for title, *_ in TABLE_4]
    assert all(m.place_id == tranche.place_id and m.roles.count() == 3 for m in rows)
    assert not any(m.done_on for m in rows)


def test_a_week_step_landing_mid_week_starts_on_that_weeks_monday(place, team):
    template = PlanTemplate.objects.create(name="One week")
    PlanStep.objects.create(template=template, title="Contracts", when_kind=When.WEEK, offset_days=3)

    tranche = plans.tranche_start(place=place, name="T", template=template, starts_on=D(2022, 3, 28), by=team)

    assert tranche.milestones.get().shown_when == "w/c 28 Mar 2022"


def test_moving_a_milestone_with_shift_later_moves_the_later_open_ones_and_keeps_weeks_on_mondays(tranche, team):
    plans.milestone_done(milestone=named(tranche, "Roles advertised"), by=team, on=D(2022, 2, 21))
    shortlisting = named(tranche, "Shortlisting")

    moved = plans.milestone_move(milestone=shortlisting, starts_on=D(2022, 3, 10), by=team, shift_later=True)

    assert len(moved) == 6
    assert [m.shown_when for m in milestones(tranche)] == [
        "w/c 31 Jan 2022",
        "18 Feb 2022",
        "TBC",
        "21 Feb 2022",  # done: stays
        "24 Feb 2022",  # earlier: stays
        "4 Mar 2022",
        "TBC",
        "10-14 Mar 2022",  # the range keeps its length
        "17-28 Mar 2022",
        "3 Apr 2022",
        "w/c 28 Mar 2022",  # 31 Mar is in the week of Monday 28 Mar
        "w/c 4 Apr 2022",
        "7 Apr 2022",
    ]
    assert all(m.starts_on.weekday() == 0 for m in milestones(tranche) if m.when_kind == When.WEEK)


def test_moving_a_milestone_without_shift_later_moves_it_alone(tranche, team):
    before = {m.title: m.shown_when for m in milestones(tranche) if m.title != "Interviews"}

    plans.milestone_move(milestone=named(tranche, "Interviews"), starts_on=D(2022, 3, 21), by=team)

    assert named(tranche, "Interviews").shown_when == "21 Mar - 1 Apr 2022"
    assert {m.title: m.shown_when for m in milestones(tranche) if m.title != "Interviews"} == before


# --- What is due, and what has drifted ----------------------------------------------------------------------


def test_due_splits_open_milestones_into_overdue_this_week_and_coming_up(tranche, team):
    plans.milestone_done(milestone=named(tranche, "Deadline for applications"), by=team, on=D(2022, 3, 4))

    due = plans.due(Milestone.objects.filter(place=tranche.place), D(2022, 3, 9))

    assert [m.title for m in due.overdue] == [
        "Task & Finish Group Launched",
        "Role Descriptions agreed and signed off",
        "Roles advertised",
        "Borough Strategic Board – Update",
    ]
    assert [m.title for m in due.this_week] == ["Shortlisting"]  # falls due Friday 11 Mar
    assert [m.title for m in due.coming_up] == [
        "Interviews",
        "Contracts",
        "Borough Strategic Board",
        "Transition Arrangements Developed",
        "Roles Commence",
    ]


def test_due_on_the_day_interviews_start_counts_them_this_week_and_never_lists_tbc(tranche):
    due = plans.due(Milestone.objects.filter(place=tranche.place), D(2022, 3, 14))

    assert "Interviews" in [m.title for m in due.this_week]  # started, though it falls due on 25 Mar
    listed = due.overdue + due.this_week + due.coming_up
    assert "Local Care Partnership Forum" not in [m.title for m in listed]


@pytest.fixture
def drifting(place, other_place):
    """Roles of Bexley in each kind of drift as of 20 Apr 2022, and some that have not drifted."""
    S = RoleStatus
    made = {
        "in post past end": RoleFactory(
            place=place, status=S.IN_POST, start_date=D(2021, 4, 1), end_date=D(2022, 3, 31)
        ),
        "contracted not in post": RoleFactory(
            place=place, status=S.CONTRACTED, start_date=D(2022, 4, 4), end_date=D(2023, 3, 31)
        ),
        "contracted past end": RoleFactory(
            place=place, status=S.CONTRACTED, start_date=D(2021, 4, 1), end_date=D(2022, 3, 31)
        ),
        "stale advert": RoleFactory(place=place, status=S.ADVERTISED),
        "fresh advert": RoleFactory(place=place, status=S.ADVERTISED),
        "re-advertised": RoleFactory(place=place, status=S.ADVERTISED),
        "in post on time": RoleFactory(place=place, status=S.IN_POST, end_date=D(2023, 3, 31)),
        "contracted, starts later": RoleFactory(place=place, status=S.CONTRACTED, start_date=D(2022, 5, 1)),
        "other place": RoleFactory(
            place=other_place, status=S.IN_POST, start_date=D(2021, 4, 1), end_date=D(2022, 3, 31)
        ),
    }
    AdvertRound.objects.create(role=made["stale advert"], number=1, opens_on=D(2022, 2, 21), closes_on=D(2022, 3, 4))
    AdvertRound.objects.create(role=made["fresh advert"], number=1, opens_on=D(2022, 3, 21), closes_on=D(2022, 4, 10))
    AdvertRound.objects.create(role=made["re-advertised"], number=1, opens_on=D(2022, 1, 3), closes_on=D(2022, 1, 14))
    AdvertRound.objects.create(role=made["re-advertised"], number=2, opens_on=D(2022, 4, 1), closes_on=D(2022, 4, 15))
    return made


def test_drift_lists_each_drifted_role_once_with_the_move_that_resolves_it(place, drifting, django_assert_num_queries):
    with django_assert_num_queries(1):
        found = drifted([place.pk], D(2022, 4, 20))

    assert [(d.role, d.kind, d.to, d.move_label) for d in found] == [
        (drifting["stale advert"], "advert_stale", RoleStatus.SHORTLISTING, "Start shortlisting"),
        (drifting["in post past end"], "past_end", RoleStatus.ENDED, "End"),
        (drifting["contracted past end"], "past_end", RoleStatus.IN_POST, "In post"),
        (drifting["contracted not in post"], "not_in_post", RoleStatus.IN_POST, "In post"),
    ]
    assert found[0].problem == "The advert closed on 4 Mar 2022, 47 days ago, and shortlisting has not started."
    assert found[1].problem == "In post, and its end date (31 Mar 2022) has passed."


def test_an_advert_closed_exactly_14_days_ago_has_not_drifted_yet(place, drifting):
    def stale(today):
        return [d.role for d in drifted([place.pk], today) if d.kind == "advert_stale"]

    assert stale(D(2022, 3, 18)) == []
    assert stale(D(2022, 3, 19)) == [drifting["stale advert"]]


# --- The timeline picture --------------------------------------------------------------------------------------


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # well-formed XML, or this raises


def test_the_timeline_is_well_formed_svg_with_a_text_alternative_and_todays_line(tranche, team):
    plans.milestone_done(milestone=named(tranche, "Roles advertised"), by=team, on=D(2022, 2, 21))

    root = parse(timeline_svg(milestones(tranche), D(2022, 3, 9), title="Tranche 1", ident="tl"))

    assert root.get("role") == "img"
    assert (root.get("aria-labelledby"), root.get("aria-describedby")) == ("tl-title", "tl-desc")
    assert root.find(f"{SVG}title").get("id") == "tl-title"
    assert root.find(f"{SVG}title").text == "Tranche 1"
    desc = root.find(f"{SVG}desc")
    assert desc.get("id") == "tl-desc"
    assert desc.text.startswith("13 milestones from 31 Jan 2022 to 8 Apr 2022: 1 done, 4 late, 6 pending")
    assert "2 still to be dated (TBC). Today is 9 Mar 2022." in desc.text
    today = root.find(f".//{SVG}g[@class='today']")
    assert today.get("data-date") == "2022-03-09"
    assert today.find(f"{SVG}line") is not None
    assert "Today, 9 Mar 2022" in "".join(today.itertext())
    rows = root.findall(f"{SVG}g")
    classes = [g.get("class") for g in rows if g.get("class", "").startswith("milestone")]
    assert classes.count("milestone milestone-done") == 1
    assert classes.count("milestone milestone-late") == 4
    assert classes.count("milestone milestone-tbc") == 2
    text = "".join(root.itertext())
    assert "21 Feb 2022 · Done on 21 Feb 2022" in text  # status in words, not colour alone
    assert "7-11 Mar 2022 · Pending" in text
    assert "18 Feb 2022 · Late" in text


def test_ranges_and_weeks_are_bars_dates_are_dots_and_tbc_is_a_hollow_ring(tranche):
    root = parse(timeline_svg(milestones(tranche), D(2022, 3, 9)))
    rows = {
        g.find(f"{SVG}title").text.split(":")[0]: g
        for g in root.findall(f"{SVG}g[@class]")
        if "milestone" in g.get("class")
    }

    assert rows["Shortlisting"].find(f"{SVG}rect") is not None
    assert rows["Task & Finish Group Launched"].find(f"{SVG}rect") is not None
    assert rows["Roles advertised"].find(f"{SVG}circle").get("fill") != "#ffffff"
    ring = rows["Local Care Partnership Forum"].find(f"{SVG}circle")
    assert (ring.get("fill"), ring.get("stroke-dasharray")) == ("#ffffff", "3 2")


def test_today_outside_the_plan_is_marked_at_the_edge_and_titles_are_escaped(place, team):
    milestone = plans.milestone_save(
        place=place,
        values={"title": "<script>alert('x')</script> & co", "when_kind": When.DATE, "starts_on": D(2022, 3, 1)},
        by=team,
    )

    svg = timeline_svg([milestone], D(2026, 11, 29))
    root = parse(svg)

    assert "<script>" not in svg
    assert "Today, 29 Nov 2026: after this plan →" in "".join(root.find(f".//{SVG}g[@class='today']").itertext())
    assert "<script>alert('x')</script> & co" in "".join(root.itertext())


def test_an_empty_plan_still_draws_a_picture():
    root = parse(timeline_svg([], D(2022, 3, 9)))

    assert "No milestones yet." in "".join(root.itertext())
    assert root.find(f".//{SVG}g[@class='today']") is not None


# --- The pages: access -------------------------------------------------------------------------------------------


@pytest.fixture
def users(place, other_place, team):
    return {
        "team": team,
        "ics admin": member(AccessKind.ICS_ADMIN, ics=place.ics),
        "hr recruiter": member(AccessKind.HR_RECRUITER, place=place),
        "secretariat": member(AccessKind.SECRETARIAT, place=place),
        "other place's team": member(AccessKind.PLACE_TEAM, place=other_place),
    }


def urls(tranche) -> dict[str, str]:
    slug, milestone = tranche.place.slug, named(tranche, "Shortlisting")
    return {
        "plans": reverse("recruitment:place_plans", args=[slug]),
        "plan": reverse("recruitment:plan_detail", args=[slug, tranche.pk]),
        "edit": reverse("recruitment:milestone_edit", args=[milestone.pk]),
        "new": reverse("recruitment:milestone_new") + f"?tranche={tranche.pk}",
        "due": reverse("recruitment:my_due"),
    }


READS = {"team": 200, "ics admin": 200, "hr recruiter": 200, "secretariat": 200, "other place's team": 404}
CHANGES = {"team": 200, "ics admin": 200, "hr recruiter": 200, "secretariat": 403, "other place's team": 404}


@pytest.mark.parametrize("kind", list(READS))
def test_who_reads_and_who_changes_a_plan(client, tranche, users, kind):
    client.force_login(users[kind])
    pages = urls(tranche)

    assert client.get(pages["plans"]).status_code == READS[kind]
    assert client.get(pages["plan"]).status_code == READS[kind]
    assert client.get(pages["edit"]).status_code == CHANGES[kind]
    assert client.get(pages["new"]).status_code == CHANGES[kind]
    assert client.get(pages["due"]).status_code == 200
    done = client.post(reverse("recruitment:milestone_done", args=[named(tranche, "Shortlisting").pk]))
    assert done.status_code == (302 if CHANGES[kind] == 200 else CHANGES[kind])
    assert named(tranche, "Shortlisting").is_done == (CHANGES[kind] == 200)


def test_signed_out_visitors_are_sent_to_log_in(client, tranche):
    response = client.get(urls(tranche)["plan"])

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_tranche_of_another_place_in_the_address_is_not_found(client, tranche, team, other_place):
    Tranche.objects.create(place=other_place, name="Greenwich tranche")
    client.force_login(team)

    assert client.get(reverse("recruitment:plan_detail", args=["greenwich", tranche.pk])).status_code == 404


# --- The pages: reading a plan --------------------------------------------------------------------------------------


def test_the_plan_page_shows_the_timeline_and_the_same_milestones_in_words(client, tranche, team):
    plans.milestone_done(milestone=named(tranche, "Roles advertised"), by=team, on=D(2022, 2, 21))
    plans.milestone_save(place=tranche.place, values={"owner": team}, by=team, milestone=named(tranche, "Interviews"))
    client.force_login(team)

    response = client.get(urls(tranche)["plan"])

    html = response.content.decode()
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="timeline-svg"' in html
    assert 'role="img"' in html
    table = response.context["rows"]
    assert [row.milestone.shown_when for row in table] == TABLE_4_AS_WRITTEN
    by_title = {row.milestone.title: row for row in table}
    assert by_title["Roles advertised"].status_text == "Done on 21 Feb 2022"
    assert by_title["Local Care Partnership Forum"].status_text == "Pending (date TBC)"
    assert by_title["Shortlisting"].status_text == ("Late" if TODAY > D(2022, 3, 11) else "Pending")
    assert by_title["Shortlisting"].roles_text == "All the tranche's roles (3)"
    assert "Bea Bexley" in html and "Nobody yet" in html
    assert 'aria-label="Mark done: Shortlisting"' in html
    assert 'aria-label="Undo done: Roles advertised"' in html


def test_a_reader_sees_no_buttons_to_change_the_plan(client, tranche, users):
    client.force_login(users["secretariat"])

    html = client.get(urls(tranche)["plan"]).content.decode()

    assert "Mark done" not in html
    assert "Add a milestone" not in html


def test_each_milestone_row_is_written_whole_and_every_text_in_it_escaped(client, place, team):
    """The rows are written by `milestone_rows` (Python, not a template per row): title, notes,
    when, owner, status and roles land in their cells, escaped, with the row's own buttons."""
    team.first_name, team.last_name = "Bea <b>", "O'Brien & Co"
    team.save()
    role = RoleFactory(place=place, title="GP lead <script>")
    empty = PlanTemplate.objects.create(name="No steps", ics=place.ics)
    tranche = plans.tranche_start(place=place, name="Tranche <1>", template=empty, starts_on=D(2022, 1, 31), by=team)
    milestone = plans.milestone_save(
        place=place,
        values={
            "tranche": tranche,
            "title": 'Shortlist "A" <i>',
            "when_kind": When.DATE,
            "starts_on": D(2022, 2, 18),
            "owner": team,
            "notes": "Room <4>\nBring CVs",
            "roles": [role],
        },
        by=team,
    )
    client.force_login(team)

    html = client.get(reverse("recruitment:plan_detail", args=[place.slug, tranche.pk])).content.decode()

    row = html[html.index(f'<tr id="milestone-{milestone.pk}"') :]
    row = row[: row.index("</tr>")]
    assert '<th scope="row" class="fw-normal">Shortlist &quot;A&quot; &lt;i&gt;' in row
    assert '<div class="small text-muted text-pre-line">Room &lt;4&gt;\nBring CVs</div>' in row
    assert '<td class="text-nowrap">18 Feb 2022</td>' in row
    assert "<td>Bea &lt;b&gt; O&#x27;Brien &amp; Co</td>" in row
    assert '<td class="small">GP lead &lt;script&gt;</td>' in row
    assert f'href="/recruitment/milestones/{milestone.pk}/edit/"' in row
    assert 'aria-label="Edit Shortlist &quot;A&quot; &lt;i&gt;"' in row
    assert 'aria-label="Mark done: Shortlist &quot;A&quot; &lt;i&gt;"' in row
    assert "<script>" not in html and "<i>" not in row

    second = plans.tranche_start(place=place, name="Tranche 2", template=empty, starts_on=D(2022, 1, 31), by=team)
    html = client.get(reverse("recruitment:plan_detail", args=[place.slug, second.pk])).content.decode()
    assert '<tr><td colspan="6" class="text-muted">No milestones yet.</td></tr>' in html


# --- The pages: changing a plan, and bad input -----------------------------------------------------------------


def test_marking_a_milestone_done_and_undoing_it(client, tranche, team):
    client.force_login(team)
    milestone = named(tranche, "Shortlisting")
    plan = urls(tranche)["plan"]

    response = client.post(reverse("recruitment:milestone_done", args=[milestone.pk]), {"next": plan})

    assert response.status_code == 302 and response["Location"] == plan
    assert named(tranche, "Shortlisting").done_on == TODAY
    client.post(reverse("recruitment:milestone_done", args=[milestone.pk]), {"done": "no"})
    assert named(tranche, "Shortlisting").done_on is None


def test_marking_done_twice_is_refused_with_the_services_message(client, tranche, team):
    client.force_login(team)
    milestone = named(tranche, "Shortlisting")
    plans.milestone_done(milestone=milestone, by=team, on=D(2022, 3, 11))

    response = client.post(reverse("recruitment:milestone_done", args=[milestone.pk]))

    assert response.status_code == 400
    assert "“Shortlisting” was already marked done on 11 Mar 2022." in response.content.decode()
    assert named(tranche, "Shortlisting").done_on == D(2022, 3, 11)


def test_marking_done_on_a_day_still_to_come_is_refused(client, tranche, team):
    client.force_login(team)
    milestone = named(tranche, "Shortlisting")

    tomorrow = TODAY + dt.timedelta(days=1)
    response = client.post(reverse("recruitment:milestone_done", args=[milestone.pk]), {"on": tomorrow.isoformat()})

    assert response.status_code == 400
    assert "is after today" in response.content.decode()
    assert not named(tranche, "Shortlisting").is_done


def test_marking_done_a_milestone_of_another_place_is_not_found_and_changes_nothing(client, team, other_place):
    theirs = Milestone.objects.create(place=other_place, title="Greenwich interviews", starts_on=D(2022, 3, 14))
    client.force_login(team)

    response = client.post(reverse("recruitment:milestone_done", args=[theirs.pk]))

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.done_on is None


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"when_kind": "range", "starts_on": "2022-03-11", "ends_on": "2022-03-07"}, "The range ends before it starts"),
        ({"when_kind": "week", "starts_on": "2022-03-08"}, "A week commencing starts on a Monday; Tuesday 8 Mar 2022"),
        ({"when_kind": "date", "starts_on": ""}, "Give the date (or choose “To be confirmed”)."),
        ({"when_kind": "date", "starts_on": "0001-01-01"}, "outside the years this service plans for"),
        ({"when_kind": "sometime"}, "Select a valid choice"),
        ({"owner": "99999999999999999999"}, "Choose the owner from the people with access to Bexley"),
        ({"owner": "abc"}, "Choose the owner from the people with access to Bexley"),
        ({"roles": ["99999999999999999999"]}, "is not a role"),
        ({"version": ""}, "This form is out of date"),
    ],
)
def test_bad_input_on_the_edit_form_is_refused_with_a_clear_error_and_nothing_changes(
    client, tranche, team, changes, problem
):
    client.force_login(team)
    milestone = named(tranche, "Shortlisting")
    before = snapshot(tranche)

    response = client.post(urls(tranche)["edit"], edit_body(milestone, **changes))

    assert response.status_code == 400
    assert problem in response.content.decode()
    assert snapshot(tranche) == before


def test_an_owner_from_another_place_is_refused(client, tranche, team, other_place):
    theirs = member(AccessKind.PLACE_TEAM, place=other_place, first_name="Gus")
    client.force_login(team)
    before = snapshot(tranche)

    response = client.post(urls(tranche)["edit"], edit_body(named(tranche, "Shortlisting"), owner=theirs.pk))

    assert response.status_code == 400
    assert "Choose the owner from the people with access to Bexley: that one is not among them." in (
        response.content.decode()
    )
    assert snapshot(tranche) == before


def test_a_role_of_another_place_is_refused(client, tranche, team, other_place):
    theirs = RoleFactory(place=other_place)
    client.force_login(team)
    before = snapshot(tranche)

    response = client.post(urls(tranche)["edit"], edit_body(named(tranche, "Shortlisting"), roles=[theirs.pk]))

    assert response.status_code == 400
    assert f"Choose roles of Bexley only: {theirs.pk} is not one of them." in response.content.decode()
    assert snapshot(tranche) == before


@pytest.mark.parametrize("pk", ["99999999999999999999", "0"])
def test_forged_milestone_ids_in_the_address_are_not_found(client, team, pk):
    client.force_login(team)

    assert client.get(f"/recruitment/milestones/{pk}/edit/").status_code == 404
    assert client.post(f"/recruitment/milestones/{pk}/done/").status_code == 404


@pytest.mark.parametrize("query", ["?tranche=abc", "?tranche=99999999999999999999", "?tranche=-1", "?place=nowhere"])
def test_forged_plans_for_a_new_milestone_are_not_found(client, tranche, team, query):
    client.force_login(team)

    assert client.get(reverse("recruitment:milestone_new") + query).status_code == 404


def test_a_new_milestone_with_no_plan_named_is_a_bad_request(client, team):
    client.force_login(team)

    assert client.get(reverse("recruitment:milestone_new")).status_code == 400


def test_editing_a_milestone_saves_only_what_the_form_edits(client, tranche, team):
    client.force_login(team)
    milestone = named(tranche, "Interviews")
    role = tranche.roles.order_by("pk").first()

    response = client.post(
        urls(tranche)["edit"].replace(str(named(tranche, "Shortlisting").pk), str(milestone.pk)),
        edit_body(milestone, title="Interviews (two panels)", owner=team.pk, notes="Room 4", roles=[role.pk]),
    )

    assert response.status_code == 302
    milestone.refresh_from_db()
    assert (milestone.title, milestone.owner, milestone.notes, list(milestone.roles.all())) == (
        "Interviews (two panels)",
        team,
        "Room 4",
        [role],
    )
    assert milestone.shown_when == "14-25 Mar 2022"
    assert milestone.version == 2


def test_the_edit_form_offers_to_move_the_later_milestones_and_does(client, tranche, team):
    client.force_login(team)
    milestone = named(tranche, "Shortlisting")

    form = client.get(urls(tranche)["edit"])
    assert "Also move the 5 later milestones by the same number of days" in form.content.decode()
    response = client.post(
        urls(tranche)["edit"],
        edit_body(milestone, starts_on="2022-03-14", ends_on="2022-03-18", shift_later="on"),
        follow=True,
    )

    assert "“Shortlisting” is saved. The 5 later milestones moved by 7 days too." in response.content.decode()
    assert [m.shown_when for m in milestones(tranche)][7:] == [
        "14-18 Mar 2022",
        "21 Mar - 1 Apr 2022",
        "7 Apr 2022",
        "w/c 4 Apr 2022",
        "w/c 11 Apr 2022",
        "11 Apr 2022",
    ]


def test_changing_the_date_without_the_box_moves_that_milestone_alone(client, tranche, team):
    client.force_login(team)
    later = [m.shown_when for m in milestones(tranche)][8:]

    client.post(urls(tranche)["edit"], edit_body(named(tranche, "Shortlisting"), starts_on="2022-03-08"))

    assert named(tranche, "Shortlisting").shown_when == "8-11 Mar 2022"
    assert [m.shown_when for m in milestones(tranche)][8:] == later


def test_an_edit_from_a_form_loaded_before_another_change_is_refused_as_stale(client, tranche, team):
    client.force_login(team)
    milestone = named(tranche, "Shortlisting")
    body = edit_body(milestone, title="Shortlisting (late)")
    plans.milestone_done(milestone=milestone, by=team, on=D(2022, 3, 11))
    before = snapshot(tranche)

    response = client.post(urls(tranche)["edit"], body)

    assert response.status_code == 409
    assert "was changed by someone else since you opened this form" in response.content.decode()
    assert snapshot(tranche) == before


def test_adding_a_milestone_to_a_tranche_puts_it_at_the_end(client, tranche, team):
    client.force_login(team)

    response = client.post(
        urls(tranche)["new"],
        {"title": "Induction", "when_kind": "range", "starts_on": "2022-04-04", "ends_on": "2022-04-08", "owner": ""},
    )

    assert response.status_code == 302
    added = milestones(tranche)[-1]
    assert (added.title, added.shown_when, added.tranche, added.order) == ("Induction", "4-8 Apr 2022", tranche, 14)


def test_adding_a_single_milestone_to_a_place(client, place, team):
    role = RoleFactory(place=place, title="Frailty lead")
    client.force_login(team)

    response = client.post(
        reverse("recruitment:milestone_new") + "?place=bexley",
        {"title": "Frailty lead's review", "when_kind": "week", "starts_on": "2022-06-06", "roles": [role.pk]},
    )

    assert response.status_code == 302
    milestone = Milestone.objects.get(title="Frailty lead's review")
    assert (milestone.tranche, milestone.shown_when, list(milestone.roles.all())) == (None, "w/c 6 Jun 2022", [role])
    assert (
        "Frailty lead&#x27;s review" in client.get(reverse("recruitment:place_plans", args=["bexley"])).content.decode()
    )


def test_starting_a_tranche_from_a_template_on_its_own_page(client, place, team):
    template = table_4_template(place.ics)
    role = RoleFactory(place=place)
    client.force_login(team)
    plans_page = client.get(reverse("recruitment:place_plans", args=["bexley"])).content.decode()
    form_page = client.get(reverse("recruitment:tranche_new", args=["bexley"]))
    assert f'href="{reverse("recruitment:tranche_new", args=["bexley"])}"' in plans_page
    assert 'name="roles"' not in plans_page  # the place's roles are listed on the form's own page only
    assert form_page.status_code == 200 and f'value="{role.pk}"' in form_page.content.decode()

    response = client.post(
        reverse("recruitment:tranche_new", args=["bexley"]),
        {"name": "Tranche 2", "template": template.pk, "starts_on": "2022-09-05", "roles": [role.pk]},
    )

    tranche = Tranche.objects.get(name="Tranche 2")
    assert response["Location"] == reverse("recruitment:plan_detail", args=["bexley", tranche.pk])
    assert milestones(tranche)[0].shown_when == "w/c 5 Sep 2022"
    assert milestones(tranche)[-1].shown_when == "7 Nov 2022"
    assert list(tranche.roles.all()) == [role]


def test_a_tranche_name_already_used_or_another_icss_template_is_refused(client, tranche, team):
    foreign = table_4_template(PlaceFactory().ics)
    client.force_login(team)
    body = {
        "name": "Tranche 1",
        "template": PlanTemplate.objects.get(ics=tranche.place.ics).pk,
        "starts_on": "2022-09-05",
    }

    taken = client.post(reverse("recruitment:tranche_new", args=["bexley"]), body)
    foreign_template = client.post(
        reverse("recruitment:tranche_new", args=["bexley"]), {**body, "name": "Tranche 9", "template": foreign.pk}
    )

    assert taken.status_code == 400
    assert "Bexley already has a tranche called “Tranche 1”: choose another name." in taken.content.decode()
    assert foreign_template.status_code == 400
    assert Tranche.objects.count() == 1


def test_a_reader_cannot_start_a_tranche(client, place, users):
    client.force_login(users["secretariat"])

    response = client.post(reverse("recruitment:tranche_new", args=["bexley"]), {"name": "Mine"})

    assert response.status_code == 403
    assert client.get(reverse("recruitment:tranche_new", args=["bexley"])).status_code == 403
    assert client.post(reverse("recruitment:place_plans", args=["bexley"]), {"name": "Mine"}).status_code == 405
    assert not Tranche.objects.exists()


# --- What's due: the page and the dashboard's panel -------------------------------------------------------------


def test_whats_due_lists_the_users_own_and_their_places_unowned_milestones(client, place, other_place, team, users):
    make = Milestone.objects.create
    make(place=place, title="Mine, overdue", starts_on=TODAY - dt.timedelta(days=3), owner=team)
    make(place=place, title="Nobody's, this week", starts_on=TODAY + dt.timedelta(days=2))
    make(place=place, title="Mine, coming up", starts_on=TODAY + dt.timedelta(days=20), owner=team)
    make(place=place, title="Someone else's", starts_on=TODAY, owner=users["secretariat"])
    make(place=place, title="Mine, done", starts_on=TODAY - dt.timedelta(days=3), owner=team, done_on=TODAY)
    make(place=other_place, title="Another place's", starts_on=TODAY)
    client.force_login(team)

    response = client.get(reverse("recruitment:my_due"))

    due = response.context["due"]
    assert [m.title for m in due.overdue] == ["Mine, overdue"]
    assert [m.title for m in due.this_week] == ["Nobody's, this week"]
    assert [m.title for m in due.coming_up] == ["Mine, coming up"]
    assert 'aria-label="Mark done: Mine, overdue"' in response.content.decode()


def test_a_reader_sees_their_own_milestones_due_but_no_button(client, place, users):
    Milestone.objects.create(place=place, title="Secretariat's", starts_on=TODAY, owner=users["secretariat"])
    Milestone.objects.create(place=place, title="Nobody's", starts_on=TODAY)
    client.force_login(users["secretariat"])

    response = client.get(reverse("recruitment:my_due"))

    assert [m.title for m in response.context["due"].this_week] == ["Secretariat's"]
    assert "Mark done" not in response.content.decode()


def test_whats_due_lists_drifted_roles_with_links_to_their_moves(client, place, team):
    role = RoleFactory(
        place=place, title="Cancer lead", status=RoleStatus.IN_POST, end_date=TODAY - dt.timedelta(days=1)
    )
    client.force_login(team)

    html = client.get(reverse("recruitment:my_due")).content.decode()

    assert "Cancer lead" in html
    assert reverse("roles:role_move", args=["bexley", role.pk, "ended"]) in html


def test_the_dashboard_shows_whats_due_with_one_click_to_mark_done(client, place, team):
    Milestone.objects.create(place=place, title="Shortlisting", starts_on=TODAY - dt.timedelta(days=1))
    for n in range(7):
        Milestone.objects.create(place=place, title=f"Step {n}", starts_on=TODAY + dt.timedelta(days=10 + n))
    RoleFactory(place=place, status=RoleStatus.IN_POST, end_date=TODAY - dt.timedelta(days=1))
    client.force_login(team)

    html = client.get(reverse("roles:dashboard", args=["bexley"])).content.decode()

    assert 'id="whats-due"' in html
    assert 'aria-label="Mark done: Shortlisting"' in html
    assert "and 2 more" in html
    assert "1 role drifted from its dates:" in html
    shortlisting = Milestone.objects.get(title="Shortlisting")
    response = client.post(
        reverse("recruitment:milestone_done", args=[shortlisting.pk]), {"next": "/places/bexley/#whats-due"}
    )
    assert response["Location"] == "/places/bexley/#whats-due"


# --- Queries: constant in the number of milestones -------------------------------------------------------------


def plan_with(place, team, count: int, name: str = "") -> Tranche:
    tranche = Tranche.objects.create(place=place, name=name or f"Plan of {count}")
    roles = [RoleFactory(place=place) for _ in range(2)]
    tranche.roles.set(roles)
    for n in range(count):
        milestone = Milestone.objects.create(
            place=place,
            tranche=tranche,
            title=f"Step {n}",
            when_kind=[When.DATE, When.RANGE, When.WEEK, When.TBC][n % 4],
            starts_on=None if n % 4 == 3 else TODAY - dt.timedelta(days=7 * (n % 4)) + dt.timedelta(days=n),
            owner=team if n % 2 else None,
            order=n,
        )
        if milestone.when_kind == When.WEEK:
            milestone.starts_on -= dt.timedelta(days=milestone.starts_on.weekday())
        if milestone.when_kind == When.RANGE:
            milestone.ends_on = milestone.starts_on + dt.timedelta(days=3)
        milestone.save()
        milestone.roles.set(roles[: 1 + n % 2])
    return tranche


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


@pytest.fixture
def small_and_large(place, team):
    """Bexley with a plan of 5 milestones, and a second place of the team's with one of 50."""
    large_place = PlaceFactory(name="Large", slug="large", ics=place.ics)
    Membership.objects.create(user=team, kind=AccessKind.PLACE_TEAM, place=large_place)
    return plan_with(place, team, 5), plan_with(large_place, team, 50)


@pytest.mark.parametrize("name", ["recruitment:plan_detail", "recruitment:place_plans", "roles:dashboard"])
def test_plan_pages_make_the_same_number_of_queries_for_5_or_50_milestones(client, team, small_and_large, name):
    client.force_login(team)

    def url(tranche):
        args = [tranche.place.slug, tranche.pk] if name == "recruitment:plan_detail" else [tranche.place.slug]
        return reverse(name, args=args)

    small, large = small_and_large
    assert count_queries(client, url(small)) == count_queries(client, url(large))


def test_whats_due_makes_the_same_number_of_queries_for_5_or_50_milestones(client, place, team):
    client.force_login(team)
    plan_with(place, team, 5)
    few = count_queries(client, reverse("recruitment:my_due"))

    plan_with(place, team, 45)

    assert count_queries(client, reverse("recruitment:my_due")) == few


def test_the_milestone_form_makes_the_same_number_of_queries_for_5_or_50_later_milestones(client, place, team):
    small, large = plan_with(place, team, 5), plan_with(place, team, 50)
    client.force_login(team)

    def edit(tranche):
        first = tranche.milestones.order_by("order").first()
        return reverse("recruitment:milestone_edit", args=[first.pk])

    assert count_queries(client, edit(small)) == count_queries(client, edit(large))


# --- The admin -------------------------------------------------------------------------------------------------


def step_rows(*steps) -> dict:
    body = {"steps-TOTAL_FORMS": str(len(steps)), "steps-INITIAL_FORMS": "0"}
    for n, (title, when, offset, length) in enumerate(steps):
        body.update(
            {
                f"steps-{n}-order": str(n + 1),
                f"steps-{n}-title": title,
                f"steps-{n}-when_kind": when,
                f"steps-{n}-offset_days": str(offset),
                f"steps-{n}-length_days": str(length),
            }
        )
    return body


def test_the_admin_tranche_page_reads_the_same_queries_for_5_or_40_owned_milestones(client, place, team, users):
    small, large = plan_with(place, team, 5, "Small"), plan_with(place, team, 40, "Large")
    client.force_login(users["ics admin"])

    def change(tranche):
        return reverse("admin:recruitment_tranche_change", args=[tranche.pk])

    client.get(change(small))  # caches a first request fills (content types)
    assert count_queries(client, change(small)) == count_queries(client, change(large))


def test_the_admin_shows_a_tranche_with_its_milestones_to_read(client, tranche, users):
    client.force_login(users["ics admin"])

    response = client.get(reverse("admin:recruitment_tranche_change", args=[tranche.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert "7-11 Mar 2022" in html
    assert reverse("recruitment:plan_detail", args=["bexley", tranche.pk]) in html
    assert client.post(reverse("admin:recruitment_tranche_change", args=[tranche.pk]), {}).status_code == 403


def test_another_icss_administrator_does_not_find_the_tranche(client, tranche):
    client.force_login(member(AccessKind.ICS_ADMIN, ics=PlaceFactory().ics))

    assert client.get(reverse("admin:recruitment_tranche_change", args=[tranche.pk])).status_code == 404


def test_an_ics_administrator_adds_a_plan_template_with_its_steps(client, place, users):
    client.force_login(users["ics admin"])
    body = {"ics": place.ics.pk, "name": "Short plan", "description": "", "_save": "Save"}

    response = client.post(
        reverse("admin:recruitment_plantemplate_add"),
        {**body, **step_rows(("Advertise", "date", 0, 0), ("Interviews", "range", 14, 4))},
    )

    assert response.status_code == 302
    template = PlanTemplate.objects.get(name="Short plan")
    assert [(s.title, s.when_kind, s.offset_days, s.length_days) for s in template.steps.all()] == [
        ("Advertise", "date", 0, 0),
        ("Interviews", "range", 14, 4),
    ]


def test_a_range_step_of_no_days_and_a_template_of_no_ics_are_refused(client, place, users):
    client.force_login(users["ics admin"])
    body = {"ics": place.ics.pk, "name": "Bad plan", "description": "", "_save": "Save"}

    no_days = client.post(
        reverse("admin:recruitment_plantemplate_add"), {**body, **step_rows(("Interviews", "range", 14, 0))}
    )
    no_ics = client.post(reverse("admin:recruitment_plantemplate_add"), {**body, "ics": "", **step_rows()})

    assert no_days.status_code == 200
    assert "A date range lasts more than one day" in no_days.content.decode()
    assert no_ics.status_code == 200
    assert "This field is required" in no_ics.content.decode()
    assert not PlanTemplate.objects.filter(name="Bad plan").exists()


def test_a_template_of_no_ics_is_read_by_ics_administrators_and_changed_by_superusers_only(client, users):
    shared = table_4_template(None)
    client.force_login(users["ics admin"])

    assert client.get(reverse("admin:recruitment_plantemplate_change", args=[shared.pk])).status_code == 200
    refused = client.post(reverse("admin:recruitment_plantemplate_change", args=[shared.pk]), {"name": "Mine"})
    assert refused.status_code == 403
    shared.refresh_from_db()
    assert shared.name == "Table 4 (None)"


def test_plan_pages_have_no_inline_script_style_or_event_handler(client, tranche, team):
    Milestone.objects.create(place=tranche.place, title="Single", starts_on=TODAY)
    client.force_login(team)
    pages = {**urls(tranche), "dashboard": reverse("roles:dashboard", args=["bexley"])}

    for name, url in pages.items():
        response = client.get(url)
        assert response.status_code == 200, name
        html = response.content.decode()
        found = {kind: pattern.findall(html) for kind, pattern in INLINE.items() if pattern.search(html)}
        assert not found, f"the {name} page has inline {found}, which the Content-Security-Policy blocks"
