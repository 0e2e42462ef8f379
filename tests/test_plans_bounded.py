"""Plans, what's due and recruitment rounds at a place with many of them (issue 12): each page shows the
first rows with the counts and links to the rest, its figures counted in the database agree with the
rules written in Python, and it reads the same number of queries however many rows there are."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from recruitment import drift, plan_views, plans, selectors
from recruitment.models import Milestone, Tranche, When
from roles.models import AccessKind, AdvertRound, Membership, RoleStatus
from tests.factories import PlaceFactory, RoleFactory, member
from tests.test_plans import count_queries, plan_with

pytestmark = pytest.mark.django_db

D = dt.date
TODAY = timezone.localdate()


@pytest.fixture
def team(place):
    return member(AccessKind.PLACE_TEAM, place=place, first_name="Bea", last_name="Bexley")


def when_rows(place, kinds_and_days):
    """Milestones of `place` from (kind, days from today, range length, done) rows."""
    made = []
    for n, (kind, offset, length, done) in enumerate(kinds_and_days):
        starts_on = None if kind == When.TBC else TODAY + dt.timedelta(days=offset)
        if kind == When.WEEK:
            starts_on -= dt.timedelta(days=starts_on.weekday())
        ends_on = starts_on + dt.timedelta(days=length) if kind == When.RANGE else None
        made.append(
            Milestone.objects.create(
                place=place,
                title=f"Step {n}",
                when_kind=kind,
                starts_on=starts_on,
                ends_on=ends_on,
                done_on=TODAY if done else None,
                order=n,
            )
        )
    return made


# --- falls_due_on keeps the model's rule ------------------------------------------------------------------


ROWS = st.lists(
    st.tuples(st.sampled_from(list(When)), st.integers(-60, 60), st.integers(0, 20), st.booleans()),
    min_size=1,
    max_size=12,
)


class TestFallsDueOn(TestCase):
    @given(rows=ROWS)
    def test_stored_day_is_the_models_rule_and_the_lists_split_as_python_splits_them(self, rows):
        place = PlaceFactory()
        made = when_rows(place, rows)
        for milestone in Milestone.objects.filter(place=place):
            assert milestone.falls_due_on == milestone.due_on

        due = plans.due(Milestone.objects.filter(place=place), TODAY, limit=2)
        whole = plans.due(Milestone.objects.filter(place=place), TODAY)
        expected = {"overdue": [], "this-week": [], "coming-up": []}
        for m in sorted(made, key=lambda m: (m.starts_on or D.max, m.pk)):
            if m.done_on or m.due_on is None or m.starts_on > TODAY + dt.timedelta(days=28):
                continue
            if m.due_on < TODAY:
                expected["overdue"].append(m.pk)
            elif m.due_on <= TODAY + dt.timedelta(days=7) or m.starts_on <= TODAY:
                expected["this-week"].append(m.pk)
            else:
                expected["coming-up"].append(m.pk)
        for limited, full in zip(due.lists, whole.lists, strict=True):
            assert [m.pk for m in full.rows] == expected[full.key]
            assert limited.count == full.count == len(expected[full.key])
            assert [m.pk for m in limited.rows] == expected[full.key][:2]
            assert limited.more == max(len(expected[full.key]) - 2, 0)


def test_moving_a_milestone_moves_the_day_it_falls_due(place, team):
    tranche = plan_with(place, team, 4)
    week = tranche.milestones.get(when_kind=When.WEEK)
    plans.milestone_move(milestone=week, starts_on=week.starts_on + dt.timedelta(days=14), by=team)

    week.refresh_from_db()
    assert week.falls_due_on == week.starts_on + dt.timedelta(days=4)


# --- The plans page ---------------------------------------------------------------------------------------


def test_the_plans_page_shows_25_tranches_a_page_with_figures_counted_as_the_milestones_say(client, place, team):
    tranches = [plan_with(place, team, 8, f"Tranche {n}") for n in range(27)]
    done = tranches[-1].milestones.order_by("order").first()
    plans.milestone_done(milestone=done, by=team, on=TODAY)
    client.force_login(team)

    first = client.get(reverse("recruitment:place_plans", args=[place.slug]))
    second = client.get(reverse("recruitment:place_plans", args=[place.slug]) + "?page=2")

    assert [s.tranche.pk for s in first.context["summaries"]] == [t.pk for t in reversed(tranches)][:25]
    assert [s.tranche.pk for s in second.context["summaries"]] == [tranches[1].pk, tranches[0].pk]
    assert "27 tranches, newest first: 1 to 25 shown" in first.content.decode()
    newest = first.context["summaries"][0]
    ms = list(tranches[-1].milestones.all())
    open_dated = [m for m in ms if not m.done_on and m.due_on]
    assert (newest.total, newest.done, newest.late, newest.role_count) == (
        8,
        1,
        sum(1 for m in ms if m.is_late(TODAY)),
        2,
    )
    assert newest.first == min(m.starts_on for m in ms if m.starts_on)
    assert newest.last == max(m.ends_on or m.due_on for m in ms if m.starts_on)
    assert newest.next == min(open_dated, key=lambda m: (m.due_on, m.order, m.pk))


def test_the_plans_page_shows_the_first_of_each_list_and_links_to_the_whole_list(client, place, team):
    when_rows(place, [(When.DATE, -n - 1, 0, False) for n in range(plan_views.PLACE_DUE_ROWS + 3)])
    client.force_login(team)

    page = client.get(reverse("recruitment:place_plans", args=[place.slug])).content.decode()

    due_url = reverse("recruitment:place_due", args=[place.slug])
    assert f'href="{due_url}?list=overdue">See all {plan_views.PLACE_DUE_ROWS + 3} overdue</a> (3 more' in page


def test_the_whole_list_comes_a_page_at_a_time(client, place, team):
    made = when_rows(place, [(When.DATE, -n - 1, 0, False) for n in range(plan_views.DUE_PAGE_ROWS + 5)])
    client.force_login(team)
    url = reverse("recruitment:place_due", args=[place.slug])

    second = client.get(url + "?list=overdue&page=2")

    oldest_first = sorted(made, key=lambda m: (m.starts_on, m.pk))
    assert [m.pk for m in second.context["due_list"].rows] == [m.pk for m in oldest_first[-5:]]
    assert "101 to 105 of 105" in second.content.decode()
    assert 'href="?list=overdue&amp;page=1"' in second.content.decode()


@pytest.mark.parametrize("query", ["?list=everything", "?list=%00", "?list=" + "x" * 5000])
def test_a_list_that_does_not_exist_is_a_bad_request_naming_the_lists(client, place, team, query):
    client.force_login(team)

    response = client.get(reverse("recruitment:place_due", args=[place.slug]) + query)

    assert response.status_code == 400
    if "%00" not in query:  # a NUL byte is refused before the view, with its own message
        assert "overdue, this-week, coming-up, drifted" in response.content.decode()


def test_drifted_roles_beyond_the_first_are_a_link_away(client, place, team):
    for n in range(plan_views.DUE_ROWS + 2):
        RoleFactory(
            place=place,
            title=f"Past end {n}",
            status=RoleStatus.IN_POST,
            start_date=D(2021, 4, 1),
            end_date=D(2022, 3, 31) + dt.timedelta(days=n),
        )
    client.force_login(team)
    url = reverse("recruitment:place_due", args=[place.slug])

    page = client.get(url).content.decode()
    whole = client.get(url + "?list=drifted")

    assert f"See all {plan_views.DUE_ROWS + 2} drifted roles" in page
    assert [d.role.title for d, _ in whole.context["drifts"]] == [
        d.role.title for d in drift.drifted([place.pk], TODAY)
    ]
    assert len(whole.context["drifts"]) == plan_views.DUE_ROWS + 2


@pytest.mark.parametrize("name", ["recruitment:place_plans", "recruitment:place_due", "recruitment:my_due"])
def test_the_due_pages_read_the_same_queries_for_few_or_many_tranches_and_milestones(client, place, team, name):
    client.force_login(team)
    url = reverse(name, args=[] if name == "recruitment:my_due" else [place.slug])
    plan_with(place, team, 5)
    when_rows(place, [(When.DATE, -1, 0, False), (When.WEEK, 3, 0, False)])
    few = count_queries(client, url)

    for n in range(30):
        plan_with(place, team, 12, f"Tranche {n}")
    when_rows(place, [(When.DATE, -n, 0, False) for n in range(40)])

    assert count_queries(client, url) == few
    assert count_queries(client, url + "?list=overdue&page=2") <= few


# --- The place's recruitment rounds --------------------------------------------------------------------------


def test_rounds_come_50_a_page_and_over_target_counts_every_round(client, place, team):
    rounds = []
    for n in range(53):
        role = RoleFactory(place=place, title=f"Role {n:02}", status=RoleStatus.ADVERTISED)
        opens_on = TODAY - dt.timedelta(days=10 + n * 3)
        rounds.append(
            AdvertRound.objects.create(role=role, number=1, opens_on=opens_on, closes_on=opens_on + dt.timedelta(7))
        )
    client.force_login(team)
    url = reverse("recruitment:place_rounds", args=[place.slug])

    first, second = client.get(url), client.get(url + "?page=2")

    assert [r.pk for r, _ in first.context["rows"]] == [r.pk for r in rounds[:50]]
    assert [r.pk for r, _ in second.context["rows"]] == [r.pk for r in rounds[50:]]
    every = selectors.rounds_with_times(AdvertRound.objects.filter(role__place=place))
    expected = sum(1 for r in every if selectors.hire_times(r, TODAY).breached)
    assert expected > 0
    assert first.context["breaches"] == second.context["breaches"] == expected
    assert f"{expected} rounds over target" in first.content.decode()


def test_the_rounds_page_reads_the_same_queries_for_few_or_many_rounds(client, place, team):
    client.force_login(team)
    url = reverse("recruitment:place_rounds", args=[place.slug])

    def add(n):
        for _ in range(n):
            role = RoleFactory(place=place, status=RoleStatus.ADVERTISED)
            AdvertRound.objects.create(role=role, number=1, opens_on=TODAY, closes_on=TODAY + dt.timedelta(7))

    add(2)
    few = count_queries(client, url)
    add(60)
    assert count_queries(client, url) == few


# --- Checkboxes written in Python ---------------------------------------------------------------------------


def test_role_checkboxes_keep_crispys_markup_escape_titles_and_show_the_error(client, place, team):
    RoleFactory(place=place, title='<b>Bold</b> & "quoted"')
    client.force_login(team)
    other = PlaceFactory(slug="other-place", ics=place.ics)
    Membership.objects.create(user=team, kind=AccessKind.PLACE_TEAM, place=other)
    foreign = RoleFactory(place=other)

    response = client.post(
        reverse("recruitment:tranche_new", args=[place.slug]),
        {"name": "T", "template": "", "starts_on": "1/2/2022", "roles": [str(foreign.pk)]},
    )

    page = response.content.decode()
    assert response.status_code == 400
    assert "&lt;b&gt;Bold&lt;/b&gt; &amp; &quot;quoted&quot;" in page
    assert "<b>Bold</b>" not in page
    assert 'class="form-check-input is-invalid" name="roles"' in page
    assert "invalid-feedback" in page and "Choose roles of" in page
    assert not Tranche.objects.filter(place=place).exists()


def test_a_role_checklist_reads_each_roles_id_and_title_and_still_refuses_another_places_role(db):
    from django.core.exceptions import ValidationError
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from roles.forms import role_checklist

    place, other = PlaceFactory(name="Manchester"), PlaceFactory(name="Salford")
    RoleFactory(place=place, title="Frailty Lead"), RoleFactory(place=place, title="Carers Lead")
    elsewhere = RoleFactory(place=other, title="Salford Frailty Lead")
    field = role_checklist(place.roles.all(), label="Roles", of=place.name)
    with CaptureQueriesContext(connection) as captured:
        choices = [choice for choice in field.choices]  # as a widget reads them (no count)
    assert choices == [(r.pk, r.title) for r in place.roles.order_by("title", "pk")]
    (query,) = captured.captured_queries
    assert query["sql"].split(" FROM ")[0].count(",") == 1  # the id and the title, no whole rows
    assert [r.title for r in field.clean([str(choices[0][0])])] == ["Carers Lead"]
    with pytest.raises(ValidationError, match=f"Choose roles of Manchester only: {elsewhere.pk} is not one of them"):
        field.clean([str(elsewhere.pk)])
