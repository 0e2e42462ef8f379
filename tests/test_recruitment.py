"""Recruitment's services, pages and rules: each bad input refused with nothing half-written."""

from __future__ import annotations

import ast
import csv
import datetime as dt
import io
import re
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from recruitment import selectors, services
from recruitment.models import (
    Application,
    ApplicationEvent,
    ApplicationStatus,
    ContractType,
    Criterion,
    InterviewSlot,
    Offer,
    Score,
)
from roles.models import AccessKind, Person, RoleMove, RoleStatus
from roles.services import ChangeRefused, MoveDetails, role_move
from tests.factories import PlaceFactory, RoleFactory, member
from tests.recruiting import RoundSetup, panel_user

A = ApplicationStatus
S = RoleStatus
pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent


# --- Layering --------------------------------------------------------------------------------------


def _imports(app: str) -> set[str]:
    found = set()
    for path in (ROOT / app).rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module.split(".")[0])
    return found


def test_no_app_imports_a_layer_above_it():
    assert not _imports("roles") & {"recruitment", "governance"}
    assert "governance" not in _imports("recruitment")


# --- Applications and shortlisting ------------------------------------------------------------------


@pytest.fixture
def setup(place):
    return RoundSetup(place)


def test_an_applicant_already_in_the_round_is_refused_not_doubled(setup):
    setup.add(2)
    with pytest.raises(ChangeRefused, match="Already applied"):
        setup.add(1, start=2)
    assert setup.round.applications.count() == 2
    assert Person.objects.filter(email="applicant2@example.org").count() == 1


def test_a_person_is_found_again_by_email_across_rounds(setup, place):
    first = setup.add(1)[0]
    other = RoundSetup.__new__(RoundSetup)
    other.role = RoleFactory(place=place, status=S.SHORTLISTING)
    other.round = other.role.advert_rounds.create(
        number=1, opens_on=dt.date(2022, 2, 21), closes_on=dt.date(2022, 3, 4)
    )
    other.recruiter = setup.recruiter
    again = RoundSetup.add(other, 1)[0]
    assert again.person_id == first.person_id


def test_a_late_application_needs_accepting_before_it_is_shortlisted(setup):
    late = setup.add(1, received_on=dt.date(2022, 3, 7))[0]
    assert late.is_late and late.awaits_late_accept
    with pytest.raises(ChangeRefused, match="accept the late application first"):
        services.applications_shortlist(applications=[late], shortlisted=True, by=setup.recruiter)
    late.refresh_from_db()
    assert late.status == A.RECEIVED
    services.application_accept_late(application=late, by=setup.recruiter)
    services.applications_shortlist(applications=[late], shortlisted=True, by=setup.recruiter)
    late.refresh_from_db()
    assert late.status == A.SHORTLISTED
    kinds = list(late.events.values_list("kind", flat=True))
    assert kinds == [ApplicationEvent.Kind.RECEIVED, ApplicationEvent.Kind.LATE_ACCEPTED, ApplicationEvent.Kind.MOVED]


def test_a_rejected_application_is_reinstated_with_a_reason_to_where_it_was(setup):
    application = setup.add(1)[0]
    services.applications_shortlist(applications=[application], shortlisted=False, by=setup.recruiter)
    with pytest.raises(ChangeRefused, match="reason is required"):
        services.application_reinstate(application=application, by=setup.recruiter, reason="  ")
    services.application_reinstate(
        application=application, by=setup.recruiter, reason="Scored against the wrong criteria."
    )
    application.refresh_from_db()
    assert application.status == A.RECEIVED
    last = application.events.order_by("-pk").first()
    assert (last.kind, last.from_status, last.to_status, last.reason) == (
        ApplicationEvent.Kind.REINSTATED,
        A.NOT_SHORTLISTED,
        A.RECEIVED,
        "Scored against the wrong criteria.",
    )


def test_closing_the_shortlist_needs_every_application_decided(setup):
    first, second = setup.add(2)
    services.applications_shortlist(applications=[first], shortlisted=True, by=setup.recruiter)
    with pytest.raises(ChangeRefused, match="Candidate 2"):
        services.shortlist_close(round=setup.round, by=setup.recruiter)
    setup.round.refresh_from_db()
    setup.role.refresh_from_db()
    assert setup.round.shortlist_closed_at is None and setup.role.status == S.SHORTLISTING


def test_a_place_team_member_follows_but_cannot_shortlist(setup, client):
    application = setup.add(1)[0]
    client.force_login(setup.team)
    assert client.get(reverse("recruitment:round_detail", args=[setup.round.pk])).status_code == 200
    response = client.post(
        reverse("recruitment:round_shortlist", args=[setup.round.pk]),
        {"applications": [application.pk], "decision": "shortlist"},
    )
    assert response.status_code == 403
    application.refresh_from_db()
    assert application.status == A.RECEIVED


def test_another_places_recruiter_gets_404(setup, client):
    setup.add(1)
    other = member(AccessKind.HR_RECRUITER, place=PlaceFactory(), username="hr-elsewhere")
    client.force_login(other)
    for url in (
        reverse("recruitment:round_detail", args=[setup.round.pk]),
        reverse("recruitment:application_detail", args=[setup.round.applications.get().pk]),
        reverse("recruitment:round_export", args=[setup.round.pk]),
        reverse("recruitment:place_rounds", args=[setup.place.slug]),
    ):
        assert client.get(url).status_code == 404, url


def test_a_forged_shortlist_post_with_an_impossible_id_is_a_400(setup, client):
    setup.add(1)
    client.force_login(setup.recruiter)
    for forged in ("99999999999999999999999", "abc", "-1"):
        response = client.post(
            reverse("recruitment:round_shortlist", args=[setup.round.pk]),
            {"applications": [forged], "decision": "shortlist"},
        )
        assert response.status_code == 400
    assert setup.round.applications.get().status == A.RECEIVED


# --- Scoring -----------------------------------------------------------------------------------------


def test_a_score_outside_the_range_is_refused_and_nothing_is_saved(setup):
    application = setup.add(1)[0]
    scorer = panel_user(setup.round, "Dr Pat Panel")
    with pytest.raises(ChangeRefused, match="scored from 0 to 4"):
        services.scores_save(
            application=application, values={setup.criteria[0].pk: 3, setup.criteria[1].pk: 9}, by=scorer
        )
    assert not Score.objects.exists()


def test_a_scorer_not_on_the_panel_is_refused(setup):
    application = setup.add(1)[0]
    with pytest.raises(ChangeRefused, match="panel members"):
        services.scores_save(application=application, values={setup.criteria[0].pk: 3}, by=setup.recruiter)
    assert not Score.objects.exists()


def test_ranking_weights_means_and_leaves_out_a_declared_interest(setup):
    first, second = setup.add(2)
    pat = panel_user(setup.round, "Dr Pat Panel")
    lee = panel_user(setup.round, "Lee Lay")
    leadership, system = setup.criteria
    services.scores_save(application=first, values={leadership.pk: 4, system.pk: 2}, by=pat)
    services.scores_save(application=first, values={leadership.pk: 2, system.pk: 2}, by=lee)
    services.scores_save(application=second, values={leadership.pk: 4, system.pk: 4}, by=pat)
    services.scores_save(application=second, values={leadership.pk: 1, system.pk: 1}, by=lee)
    services.interest_declare(application=second, by=lee, interest="Same practice")
    rows = {r.application.pk: r for r in selectors.ranking(setup.round, Criterion.Stage.SHORTLISTING).rows}
    assert rows[first.pk].total == 3 * 2 + 2 * 1  # means 3 and 2, weights 2 and 1
    assert rows[second.pk].total == 4 * 2 + 4 * 1  # Lee's 1s are not counted
    assert rows[second.pk].left_out == ["Lee Lay"] and rows[second.pk].scorers == 1
    assert (rows[second.pk].rank, rows[first.pk].rank) == (1, 2)
    with pytest.raises(ChangeRefused, match="declared an interest"):
        services.scores_save(application=second, values={leadership.pk: 2}, by=lee)


# --- Interviews ----------------------------------------------------------------------------------------


def _to_interviews(setup, count=2):
    applications = setup.add(count)
    services.applications_shortlist(applications=applications, shortlisted=True, by=setup.recruiter)
    services.shortlist_close(round=setup.round, by=setup.recruiter)
    return applications


def test_a_slot_is_never_double_booked(setup):
    first, second = _to_interviews(setup)
    start = timezone.make_aware(dt.datetime(2022, 3, 22, 10))
    slot = InterviewSlot.objects.create(round=setup.round, starts_at=start, ends_at=start + dt.timedelta(minutes=45))
    services.interview_book(application=first, slot=slot, by=setup.recruiter)
    with pytest.raises(ChangeRefused, match="already booked for Candidate 1"):
        services.interview_book(application=second, slot=slot, by=setup.recruiter)
    second.refresh_from_db()
    assert second.interview_slot is None


def test_the_interview_invitation_is_an_ics_with_the_slot(
    setup, client, mailoutbox, django_capture_on_commit_callbacks
):
    first, _ = _to_interviews(setup)
    start = timezone.make_aware(dt.datetime(2022, 3, 22, 10))
    slot = InterviewSlot.objects.create(
        round=setup.round, starts_at=start, ends_at=start + dt.timedelta(minutes=45), room="Civic Offices, room 3"
    )
    panel_user(setup.round, "Dr Pat Panel")
    with django_capture_on_commit_callbacks(execute=True):
        services.interview_book(application=first, slot=slot, by=setup.recruiter)
    assert {m.to[0] for m in mailoutbox} >= {first.person.email}
    assert all(m.attachments and m.attachments[0][0] == "interview.ics" for m in mailoutbox)
    client.force_login(setup.recruiter)
    response = client.get(reverse("recruitment:slot_ics", args=[slot.pk]))
    body = response.content.decode()
    assert response["Content-Type"].startswith("text/calendar")
    assert "BEGIN:VEVENT" in body and "DTSTART" in body and "Civic Offices" in body
    assert "Dr Test Applicant 1" in body  # names are shown once shortlisting has closed


def test_an_offer_for_a_role_not_interviewing_is_refused(setup):
    application = setup.add(1)[0]
    with pytest.raises(ChangeRefused, match="interviewing"):
        services.offer_make(application=application, by=setup.recruiter)
    assert not Offer.objects.exists()
    setup.role.refresh_from_db()
    assert setup.role.status == S.SHORTLISTING


def test_a_second_acceptance_of_one_offer_is_refused(setup):
    first, _ = _to_interviews(setup)
    services.interview_held(application=first, by=setup.recruiter)
    offer = services.offer_make(application=first, by=setup.recruiter)
    services.offer_accept(offer=offer, by=setup.recruiter)
    with pytest.raises(ChangeRefused, match="only an open offer"):
        services.offer_accept(offer=offer, by=setup.recruiter)
    assert Offer.objects.get().status == Offer.Status.ACCEPTED


def test_a_declined_offer_with_no_one_next_closes_the_round_not_appointed(setup):
    first, second = _to_interviews(setup)
    services.interview_held(application=first, by=setup.recruiter)
    offer = services.offer_make(application=first, by=setup.recruiter)
    assert services.offer_decline(offer=offer, by=setup.recruiter) is None  # second was never interviewed
    setup.role.refresh_from_db()
    assert setup.role.status == S.NOT_APPOINTED
    assert set(Application.objects.values_list("status", flat=True)) == {A.NOT_APPOINTED}


# --- The role's moves keep to the round's steps (the registered check) ------------------------------------------


def test_the_board_cannot_contract_a_role_whose_round_has_applications_without_an_accepted_offer(setup):
    _to_interviews(setup, 1)
    type(setup.role).objects.filter(pk=setup.role.pk).update(status=S.OFFERED)
    with pytest.raises(ChangeRefused, match="accepted offer"):
        role_move(
            role=setup.role,
            to=S.CONTRACTED,
            by=setup.team,
            details=MoveDetails(
                appointee_name="Someone Else", contract_start=dt.date(2022, 5, 3), contract_end=dt.date(2024, 3, 31)
            ),
        )
    setup.role.refresh_from_db()
    assert setup.role.status == S.OFFERED and not setup.role.appointee_name


def test_the_board_cannot_start_interviews_before_the_shortlist_closes(setup):
    setup.add(1)
    with pytest.raises(ChangeRefused, match="shortlist closes"):
        role_move(role=setup.role, to=S.INTERVIEWING, by=setup.team)
    assert not RoleMove.objects.filter(to_status=S.INTERVIEWING).exists()


def test_a_role_recruited_outside_the_service_moves_as_before(setup):
    role_move(role=setup.role, to=S.INTERVIEWING, by=setup.team)  # its round has no applications
    setup.role.refresh_from_db()
    assert setup.role.status == S.INTERVIEWING


# --- Pages ---------------------------------------------------------------------------------------------------


def test_the_role_page_shows_the_rounds_pipeline_and_the_board_links_to_it(setup, client):
    setup.add(3)
    client.force_login(setup.team)
    page = client.get(setup.role.get_absolute_url()).content.decode()
    assert 'id="role-pipeline"' in page and reverse("recruitment:round_detail", args=[setup.round.pk]) in page
    board = client.get(reverse("roles:board", args=[setup.place.slug])).content.decode()
    assert reverse("recruitment:role_rounds", args=[setup.role.pk]) in board
    response = client.get(reverse("recruitment:role_rounds", args=[setup.role.pk]))
    assert response.status_code == 302 and response.url == reverse("recruitment:round_detail", args=[setup.round.pk])


def test_the_export_escapes_formula_cells(setup, client):
    application = setup.add(1)[0]
    Application.objects.filter(pk=application.pk).update(statement='=HYPERLINK("http://evil.example")')
    Person.objects.filter(pk=application.person_id).update(employer="@SUM(A1)")
    client.force_login(setup.recruiter)
    response = client.get(reverse("recruitment:round_export", args=[setup.round.pk]))
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0]["statement"].startswith("'=") and rows[0]["employer"] == "'@SUM(A1)"


def test_time_to_hire_is_flagged_over_the_icss_target(setup):
    times = selectors.hire_times(
        selectors.rounds_with_times(type(setup.round).objects.filter(pk=setup.round.pk)).get(), dt.date(2022, 4, 30)
    )
    assert times.target_days == 56 and times.elapsed == 68 and times.breached  # 21 Feb to 30 Apr 2022


def test_the_round_page_shows_the_time_per_stage_that_the_round_re_read_gives(setup, client):
    """The page reads the offers it lists once and times the round from them: its stages and time to hire
    are those of the round read afresh (`rounds_with_times`)."""
    first, _ = _to_interviews(setup)
    services.interview_held(application=first, by=setup.recruiter)
    offer = services.offer_make(application=first, by=setup.recruiter)
    services.offer_accept(offer=offer, by=setup.recruiter)
    services.contract_sign(
        offer=offer,
        contract_type=ContractType.FIXED_TERM,
        starts_on=dt.date(2022, 5, 3),
        ends_on=dt.date(2024, 3, 31),
        signed_on=dt.date(2022, 4, 20),
        by=setup.recruiter,
    )
    expected = selectors.hire_times(
        selectors.rounds_with_times(type(setup.round).objects.filter(pk=setup.round.pk)).get()
    )
    client.force_login(setup.recruiter)

    page = client.get(reverse("recruitment:round_detail", args=[setup.round.pk])).content.decode()

    table = page.split('id="time-per-stage"', 1)[1].split("</table>", 1)[0]
    days = re.findall(r'<td class="num">([^<]*)</td>', table)
    assert days == [str(s.days) if s.days is not None else "–" for s in expected.stages]
    assert "Acceptance to contract" in table and "20 Apr 2022" in table
    assert f"{expected.to_start} days to start" in page


def _bulk_applications(setup, count):
    people = Person.objects.bulk_create(
        Person(name=f"Bulk Applicant {n}", email=f"bulk{n}-of-{count}@example.org") for n in range(count)
    )
    Application.objects.bulk_create(
        Application(round=setup.round, person=p, candidate_number=n + 1, received_on=dt.date(2022, 3, 1))
        for n, p in enumerate(people)
    )


@pytest.mark.parametrize("url_name", ["recruitment:round_detail", "recruitment:place_rounds"])
def test_round_pages_make_the_same_queries_for_10_and_1000_applications(url_name, place, client):
    counts = []
    for count in (10, 1000):
        setup = RoundSetup(PlaceFactory(name=f"Borough of {count}", slug=f"borough-{count}"))
        _bulk_applications(setup, count)
        client.force_login(setup.recruiter)
        arg = setup.round.pk if url_name.endswith("detail") else setup.place.slug
        client.get(reverse(url_name, args=[arg]))  # caches filled (content types) as on a running server
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse(url_name, args=[arg])).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_a_place_team_member_on_an_anonymous_panel_gets_403_on_the_round_pages(setup, client):
    application = setup.add(1)[0]
    person = Person.objects.create(name="Team Scorer", email="team.scorer@example.nhs.uk", user=setup.team)
    setup.round.panel.create(person=person)
    client.force_login(setup.team)
    for url in (
        reverse("recruitment:round_detail", args=[setup.round.pk]),
        reverse("recruitment:application_detail", args=[application.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 403 and application.person.name not in response.content.decode()
    listing = client.get(reverse("recruitment:place_rounds", args=[setup.place.slug])).content.decode()
    assert reverse("recruitment:round_detail", args=[setup.round.pk]) not in listing


def test_a_booking_before_the_shortlist_closes_keeps_the_candidate_anonymous_in_the_panels_invitation(
    setup, mailoutbox, django_capture_on_commit_callbacks
):
    first = setup.add(1)[0]
    services.applications_shortlist(applications=[first], shortlisted=True, by=setup.recruiter)
    panel_user(setup.round, "Dr Pat Panel")
    start = timezone.make_aware(dt.datetime(2022, 3, 22, 10))
    slot = InterviewSlot.objects.create(round=setup.round, starts_at=start, ends_at=start + dt.timedelta(minutes=45))
    with django_capture_on_commit_callbacks(execute=True):
        services.interview_book(application=first, slot=slot, by=setup.recruiter)
    panel_mail = next(m for m in mailoutbox if first.person.email not in m.to)
    assert "Candidate 1" in panel_mail.body and first.person.name not in panel_mail.body
    invitation = panel_mail.attachments[0][1]
    invitation = invitation.decode() if isinstance(invitation, bytes) else invitation
    assert first.person.name not in invitation and first.person.email not in invitation
    candidate_mail = next(m for m in mailoutbox if first.person.email in m.to)
    assert first.person.name in candidate_mail.body


def test_closing_the_round_unfilled_during_shortlisting_tells_everyone_and_moves_the_role(setup):
    first, second = setup.add(2)
    services.applications_shortlist(applications=[first], shortlisted=True, by=setup.recruiter)
    services.round_close_unfilled(round=setup.round, by=setup.recruiter, reason="The board paused the role.")
    setup.role.refresh_from_db()
    assert setup.role.status == S.NOT_APPOINTED
    statuses = dict(setup.round.applications.values_list("candidate_number", "status"))
    assert statuses == {1: A.NOT_APPOINTED, 2: A.NOT_SHORTLISTED}


def test_a_round_closed_with_no_start_recorded_has_no_time_so_far(db):
    """A round closed before these records (the demo's appointed rounds) does not count days to today."""
    from recruitment.selectors import hire_times, rounds_with_times
    from roles.models import AdvertRound
    from tests.factories import RoleFactory

    role = RoleFactory()
    round_ = AdvertRound.objects.create(
        role=role, number=1, opens_on=dt.date(2022, 2, 21), closes_on=dt.date(2022, 3, 4)
    )
    today = dt.date(2026, 11, 29)
    open_times = hire_times(rounds_with_times(AdvertRound.objects.filter(pk=round_.pk)).get(), today=today)
    assert open_times.elapsed == (today - dt.date(2022, 2, 21)).days and open_times.breached
    AdvertRound.objects.filter(pk=round_.pk).update(outcome=AdvertRound.Outcome.APPOINTED)
    closed = hire_times(rounds_with_times(AdvertRound.objects.filter(pk=round_.pk)).get(), today=today)
    assert closed.elapsed is None and not closed.breached
