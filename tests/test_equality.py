"""Equality monitoring: counted only in aggregate, small numbers suppressed, never shown to panels."""

from __future__ import annotations

import re

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given, settings
from hypothesis import strategies as st

from recruitment.equality import NOT_ANSWERED, SUPPRESSED, Cell, equality_report, suppress
from recruitment.models import PREFER_NOT, Application, ApplicationStatus, EqualityAnswers, PanelMember
from roles.models import AccessKind
from tests.factories import PlaceFactory, UserFactory, member
from tests.recruiting import PersonFactory, RoundSetup, panel_user

A = ApplicationStatus


def shown(column) -> dict[str, str]:
    return {key: cell.shown for key, cell in column.items()}


# --- Suppression: the pure rule ----------------------------------------------------------------------------


def test_counts_of_five_or_more_and_their_total_are_shown():
    column = suppress({"female": 7, "male": 12})

    assert shown(column) == {"female": "7", "male": "12"}
    assert column.total == Cell(19)


@pytest.mark.parametrize("small", [1, 2, 3, 4])
def test_a_count_of_1_to_4_is_hidden(small):
    column = suppress({"female": small, "male": 6, "other": 9})

    assert column["female"].value is None
    assert column["female"].shown == SUPPRESSED


def test_a_zero_is_shown_as_zero():
    column = suppress({"female": 6, "male": 8, "other": 0})

    assert column["other"] == Cell(0)
    assert column["other"].shown == "0"


def test_one_hidden_count_hides_the_next_smallest_count_too_so_the_total_cannot_give_it_away():
    column = suppress({"female": 20, "male": 9, "other": 0, PREFER_NOT: 3, NOT_ANSWERED: 11})

    assert shown(column) == {"female": "20", "male": "*", "other": "0", PREFER_NOT: "*", NOT_ANSWERED: "11"}
    assert column.total == Cell(43)


def test_a_tie_for_the_next_smallest_count_hides_the_first_in_row_order():
    column = suppress({"female": 8, "male": 8, "other": 2})

    assert shown(column) == {"female": "*", "male": "8", "other": "*"}


def test_two_hidden_counts_need_no_more_hidden():
    column = suppress({"female": 2, "male": 3, "other": 10})

    assert shown(column) == {"female": "*", "male": "*", "other": "10"}


def test_hidden_counts_that_are_all_1_hide_the_next_smallest_too():
    # Two hidden cells adding up to 2 would each have to be 1.
    column = suppress({"female": 1, "male": 1, "other": 8, PREFER_NOT: 9})

    assert shown(column) == {"female": "*", "male": "*", "other": "*", PREFER_NOT: "9"}


def test_a_column_of_fewer_than_5_people_is_hidden_whole_its_total_and_zeros_included():
    column = suppress({"female": 3, "male": 0, "other": 0})

    assert all(cell.value is None for cell in column.values())
    assert column.total.value is None
    assert column.total.shown == SUPPRESSED


def test_a_column_with_nobody_in_it_shows_its_zeros():
    column = suppress({"female": 0, "male": 0})

    assert shown(column) == {"female": "0", "male": "0"}
    assert column.total == Cell(0)


def test_a_negative_count_is_refused():
    with pytest.raises(ValueError, match="cannot be negative"):
        suppress({"female": -1})


# --- Suppression: properties -------------------------------------------------------------------------------

KEYS = ["a", "b", "c", "d", "e", "f", "g"]
columns = st.lists(st.integers(min_value=0, max_value=15), min_size=1, max_size=7).map(
    lambda counts: dict(zip(KEYS, counts, strict=False))
)


@given(columns)
def test_no_count_from_1_to_4_is_ever_shown(counts):
    column = suppress(counts)

    for cell in [*column.values(), column.total]:
        assert cell.value is None or not 1 <= cell.value <= 4
        assert cell.shown not in {"1", "2", "3", "4", "<5"}


@given(columns)
def test_what_is_shown_is_the_true_count(counts):
    column = suppress(counts)

    assert list(column) == list(counts)
    assert all(cell.value in (None, counts[key]) for key, cell in column.items())
    assert column.total.value in (None, sum(counts.values()))


@given(columns)
def test_with_a_total_shown_no_hidden_count_is_alone_or_all_ones(counts):
    column = suppress(counts)

    hidden = [counts[key] for key, cell in column.items() if cell.suppressed and counts[key] > 0]
    if column.total.value is not None and hidden:
        assert len(hidden) >= 2
        assert sum(hidden) > len(hidden)


def _spreads(total: int, parts: int, low: int, high: int):
    """Every way of writing `total` as `parts` counts, each from `low` to `high`."""
    if parts == 0:
        if total == 0:
            yield ()
        return
    for first in range(low, min(high, total) + 1):
        for rest in _spreads(total - first, parts - 1, low, high):
            yield (first, *rest)


def _possible(column, low: int, high: int) -> dict[str, set[int]] | None:
    """What each hidden cell could hold, to a reader who knows the total, the shown cells and that
    each hidden cell is from `low` to `high`; None when nothing fits."""
    hidden = [key for key, cell in column.items() if cell.suppressed]
    missing = column.total.value - sum(cell.value for cell in column.values() if not cell.suppressed)
    possible = {key: set() for key in hidden}
    for spread in _spreads(missing, len(hidden), low, high):
        for key, value in zip(hidden, spread, strict=True):
            possible[key].add(value)
    return possible if any(possible.values()) else None


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=12), min_size=1, max_size=6))
def test_no_hidden_count_can_be_worked_out_from_the_total_and_the_shown_counts(values):
    """A reader knows the total, the shown counts, and that a hidden count is at least 1 (0 is shown as
    0, unless the rule had to hide one); a wary reader may even take every hidden count to be under 5.
    Where what they assume is true, each hidden count could still be more than one number."""
    counts = dict(zip(KEYS, values, strict=False))
    column = suppress(counts)
    hidden = [counts[key] for key, cell in column.items() if cell.suppressed]
    if column.total.value is None or not hidden:
        return
    at_least_1 = _possible(column, 1, column.total.value)
    readings = [at_least_1 if at_least_1 is not None else _possible(column, 0, column.total.value)]
    if all(1 <= value <= 4 for value in hidden):  # the wary reader is right: it must not help them
        readings.append(_possible(column, 1, 4))
    for possible in filter(None, readings):
        assert all(len(values) >= 2 for values in possible.values()), (values, possible)


# --- The report --------------------------------------------------------------------------------------------


@pytest.fixture
def setup(place):
    return RoundSetup(place)


def answer(application, **answers):
    return EqualityAnswers.objects.create(application=application, **answers)


def table(report, question):
    return next(t for t in report.tables if t.question == question)


def grid(report, question) -> dict[str, tuple[str, ...]]:
    """Row label -> the cells shown per stage, with the totals as "Total"."""
    t = table(report, question)
    return {
        **{row.label: tuple(cell.shown for cell in row.cells) for row in t.rows},
        "Total": tuple(cell.shown for cell in t.totals),
    }


def set_status(applications, status):
    Application.objects.filter(pk__in=[a.pk for a in applications]).update(status=status)


def test_the_report_counts_30_applicants_per_answer_and_stage(setup):
    apps = setup.add(30)
    for a in apps[:12]:
        answer(a, sex="female", disability="no")
    for a in apps[12:22]:
        answer(a, sex="male", disability="no")
    for a in apps[22:27]:
        answer(a, sex=PREFER_NOT, disability="yes")
    answer(apps[27], age_band="40_49")  # answered one question, left sex blank
    # apps[28] and apps[29] gave no answers at all
    set_status(apps[:6], A.SHORTLISTED)
    set_status(apps[12:17], A.INTERVIEWED)
    set_status(apps[17:18], A.APPOINTED)
    set_status(apps[18:19], A.WITHDRAWN)

    report = equality_report(Application.objects.filter(round=setup.round))

    assert [label for _, label in report.stages] == ["Applied", "Shortlisted", "Appointed"]
    assert [t.question for t in report.tables] == ["age_band", "sex", "ethnic_group", "disability"]
    assert grid(report, "sex") == {
        "Female": ("12", "6", "*"),
        "Male": ("10", "6", "*"),
        "Another term": ("0", "0", "*"),
        # 3 not answered is hidden, so the next smallest, 5 preferring not to say, is hidden too.
        "Prefer not to say": ("*", "0", "*"),
        "Not answered": ("*", "0", "*"),
        # One appointment: the whole appointed column is hidden.
        "Total": ("30", "12", "*"),
    }


def test_the_report_counts_the_true_numbers_behind_what_it_shows(setup):
    apps = setup.add(30)
    for a in apps[:10]:
        answer(a, ethnic_group="asian")
    for a in apps[10:20]:
        answer(a, ethnic_group="white")
    for a in apps[20:30]:
        answer(a, ethnic_group="black")

    ethnic = table(equality_report(Application.objects.filter(round=setup.round)), "ethnic_group")

    applied = {row.key: row.cells[0].value for row in ethnic.rows}
    assert applied == {"asian": 10, "black": 10, "mixed": 0, "white": 10, "other": 0, PREFER_NOT: 0, NOT_ANSWERED: 0}
    assert [cell.value for cell in ethnic.totals] == [30, 0, 0]


def test_a_stage_with_fewer_than_5_people_hides_its_whole_column(setup):
    apps = setup.add(10)
    for a in apps:
        answer(a, age_band="30_39")
    set_status(apps[:3], A.SHORTLISTED)

    assert grid(equality_report(Application.objects.filter(round=setup.round)), "age_band")["30 to 39"] == (
        "10",
        "*",
        "0",
    )


def test_the_report_takes_four_queries_for_10_applications_or_100(setup):
    def queries_for_report():
        with CaptureQueriesContext(connection) as captured:
            equality_report(Application.objects.filter(round=setup.round))
        return len(captured)

    apps = setup.add(10)
    for a in apps[:5]:
        answer(a, sex="female", age_band="under_30")
    ten = queries_for_report()
    more = setup.add(90, start=11)
    EqualityAnswers.objects.bulk_create(
        EqualityAnswers(application=a, sex="male", ethnic_group="white", disability="no") for a in more[:60]
    )
    set_status(more[:20], A.SHORTLISTED)

    assert queries_for_report() == ten == 4


def test_equality_answers_are_not_in_the_admin():
    assert not admin.site.is_registered(EqualityAnswers)


# --- The pages ---------------------------------------------------------------------------------------------

INLINE = re.compile(r"<[^>]*\sstyle\s*=|<style[\s>]|<script(?![^>]*\ssrc=)[^>]*>|<[^>]*\son[a-z]+\s*=", re.IGNORECASE)


def round_url(round_) -> str:
    return f"/recruitment/rounds/{round_.pk}/equality/"


def test_the_recruiter_sees_the_report_with_no_applicant_named_or_addressed(client, setup):
    apps = setup.add(12)
    for a in apps:
        answer(a, sex="female", age_band="50_59", ethnic_group="white", disability="no")
    client.force_login(setup.recruiter)

    response = client.get(round_url(setup.round))

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="equality-sex"' in html
    assert "Why some numbers are hidden" in html
    for application in Application.objects.filter(round=setup.round).select_related("person"):
        assert application.person.name not in html
        assert application.person.email not in html
    assert "Test Applicant" not in html
    assert "@example.org" not in html
    assert "Statement of applicant" not in html
    assert not INLINE.search(html), INLINE.findall(html)


@pytest.mark.parametrize("kind", [AccessKind.PLACE_TEAM, AccessKind.SECRETARIAT])
def test_others_who_see_the_place_see_the_aggregate_too(client, setup, kind):
    setup.add(6)
    client.force_login(member(kind, place=setup.place))

    assert client.get(round_url(setup.round)).status_code == 200
    assert client.get(f"/recruitment/places/{setup.place.slug}/equality/").status_code == 200


def test_an_ics_administrator_and_a_superuser_see_the_report(client, setup):
    client.force_login(member(AccessKind.ICS_ADMIN, ics=setup.place.ics))
    assert client.get(round_url(setup.round)).status_code == 200

    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    assert client.get(round_url(setup.round)).status_code == 200


def test_a_panel_member_is_refused_the_rounds_report(client, setup):
    setup.add(6)
    client.force_login(panel_user(setup.round, "Pat Panel"))

    response = client.get(round_url(setup.round))

    assert response.status_code == 403
    assert "never shown to panels" in response.content.decode()


def test_a_place_team_member_on_the_panel_is_refused_the_round_and_it_is_left_out_of_the_place_report(client, setup):
    apps = setup.add(8)
    for a in apps:
        answer(a, sex="male")
    person = PersonFactory(name="Terry Team", email="terry.team@example.nhs.uk", user=setup.team)
    PanelMember.objects.create(round=setup.round, person=person)
    client.force_login(setup.team)

    assert client.get(round_url(setup.round)).status_code == 403
    response = client.get(f"/recruitment/places/{setup.place.slug}/equality/")
    assert response.status_code == 200
    assert 'id="panel-rounds-left-out"' in response.content.decode()
    assert [cell.value for cell in table(response.context["report"], "sex").totals] == [0, 0, 0]
    assert round_url(setup.round) not in response.content.decode()


def test_the_place_report_counts_the_places_rounds_and_links_each(client, setup):
    apps = setup.add(8)
    for a in apps:
        answer(a, sex="male")
    client.force_login(setup.recruiter)

    response = client.get(f"/recruitment/places/{setup.place.slug}/equality/")

    assert response.status_code == 200
    assert grid(response.context["report"], "sex")["Male"] == ("8", "0", "0")
    assert round_url(setup.round) in response.content.decode()
    assert not INLINE.search(response.content.decode())


def test_someone_from_another_place_finds_nothing(client, setup):
    other = PlaceFactory(name="Greenwich", slug="greenwich")
    client.force_login(member(AccessKind.HR_RECRUITER, place=other))

    assert client.get(round_url(setup.round)).status_code == 404
    assert client.get(f"/recruitment/places/{setup.place.slug}/equality/").status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "/recruitment/rounds/999999/equality/",
        "/recruitment/rounds/99999999999999999999999/equality/",
        "/recruitment/rounds/x/equality/",
        "/recruitment/places/nowhere/equality/",
    ],
)
def test_a_round_or_place_that_does_not_exist_is_404(client, setup, url):
    client.force_login(setup.recruiter)

    assert client.get(url).status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(client, setup):
    response = client.get(round_url(setup.round))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_place_report_links_its_rounds_50_a_page(client, setup):
    from recruitment.equality_views import ROUNDS_PER_PAGE
    from roles.models import AdvertRound

    for number in range(2, ROUNDS_PER_PAGE + 6):  # the setup's round is number 1
        AdvertRound.objects.create(
            role=setup.round.role, number=number, opens_on=setup.round.opens_on, closes_on=setup.round.closes_on
        )
    client.force_login(setup.recruiter)
    url = f"/recruitment/places/{setup.place.slug}/equality/"

    first, last = client.get(url).content.decode(), client.get(url + "?page=2").content.decode()

    assert len(re.findall(r'href="/recruitment/rounds/\d+/equality/"', first)) == ROUNDS_PER_PAGE
    assert len(re.findall(r'href="/recruitment/rounds/\d+/equality/"', last)) == 5
    assert "Page 1 of 2" in first and 'href="?page=2#each-round"' in first
    assert client.get(url + "?page=x").status_code == 200
