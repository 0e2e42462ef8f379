"""The HR recruiter's admin: rounds, applications, offers and contracts of their own places only, every
step through the recruitment services, and no candidate's name for someone scoring them anonymously.

Bexley and Greenwich, two places of South East London, each with a role shortlisting (`RoundSetup`)
and an HR recruiter of its own.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext

from recruitment import services
from recruitment.models import (
    Application,
    ApplicationEvent,
    ApplicationStatus,
    Contract,
    Criterion,
    EqualityAnswers,
    InterviewSlot,
    Offer,
    PanelMember,
    Score,
)
from roles.models import AccessKind, AdvertRound, Declaration, Person, RoleStatus
from tests.factories import ICSFactory, PlaceFactory, member
from tests.helpers import admin_form_body
from tests.recruiting import RoundSetup, panel_user

A = ApplicationStatus
S = RoleStatus
pytestmark = pytest.mark.django_db

APPLICATIONS = "/admin/recruitment/application/"
ROUNDS = "/admin/roles/advertround/"
OFFERS = "/admin/recruitment/offer/"
CONTRACT_ADD = "/admin/recruitment/contract/add/"
PEOPLE = "/admin/roles/person/"


def change_url(obj) -> str:
    return f"/admin/{obj._meta.app_label}/{obj._meta.model_name}/{obj.pk}/change/"


@pytest.fixture
def world():
    sel = ICSFactory(name="South East London", short_name="SEL", slug="sel")
    bexley = RoundSetup(PlaceFactory(ics=sel, name="Bexley", slug="bexley"))
    greenwich = RoundSetup(PlaceFactory(ics=sel, name="Greenwich", slug="greenwich"))
    return SimpleNamespace(sel=sel, bexley=bexley, greenwich=greenwich)


def listed(response) -> list:
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


def said(response) -> list[str]:
    """The messages the page shows (`act` follows the redirect back to the list)."""
    return [str(message) for message in response.context["messages"]]


def act(client, url, action, rows, **extra):
    """Run an admin action on `rows` from the list at `url`, as its form would."""
    data = {"action": action, "_selected_action": [str(row.pk) for row in rows], **extra}
    return client.post(url, data, follow=True)


def shortlisted_and_closed(setup, count=2) -> list[Application]:
    """The round with `count` applications, all shortlisted, and shortlisting closed (interviewing)."""
    applications = setup.add(count)
    services.applications_shortlist(applications=applications, shortlisted=True, by=setup.recruiter)
    services.shortlist_close(round=setup.round, by=setup.recruiter)
    return applications


def accepted_offer(setup) -> Offer:
    first = shortlisted_and_closed(setup, 1)[0]
    services.interview_held(application=first, by=setup.recruiter)
    offer = services.offer_make(application=first, by=setup.recruiter)
    return services.offer_accept(offer=offer, by=setup.recruiter)


# --- Only their own places ----------------------------------------------------------------------------


def test_a_recruiter_sees_only_the_rounds_of_their_places(client, world):
    client.force_login(world.bexley.recruiter)

    assert listed(client.get(ROUNDS)) == [world.bexley.round]


def test_a_recruiter_sees_only_the_applications_of_their_places(client, world):
    mine = world.bexley.add(2)
    world.greenwich.add(2, start=10)
    client.force_login(world.bexley.recruiter)

    response = client.get(APPLICATIONS)

    assert set(listed(response)) == set(mine)
    assert "Dr Test Applicant 10" not in response.content.decode()


def test_the_rounds_list_counts_each_rounds_applications_in_constant_queries(client, world):
    """The list's "applications" column is read for the page's rows in one query (not counted for every
    round in scope in the query that picks the page): a round with three, a round with none."""
    world.bexley.add(3)
    client.force_login(admin_user := member(AccessKind.ICS_ADMIN, ics=world.sel, username="sel-admin"))
    assert admin_user.is_staff
    response = client.get(ROUNDS)
    counts = {row.role.place.slug: row.n_applications for row in listed(response)}
    assert counts == {"bexley": 3, "greenwich": 0}
    page = response.content.decode()
    assert re.search(r'<td class="field-applications">3</td>', page) and '<td class="field-applications">0</td>' in page

    RoundSetup.again(world.greenwich.place, 2).add(1)
    with CaptureQueriesContext(connection) as more:
        response = client.get(ROUNDS)
    assert sorted(row.n_applications for row in listed(response)) == [0, 1, 3]
    with CaptureQueriesContext(connection) as fewer:
        client.get(ROUNDS + "?q=nothing-matches")
    assert len(more) <= len(fewer) + 2  # the rows' offers and their counts: one query each, whatever the rows


def test_a_recruiters_place_filter_names_only_their_places(client, world):
    client.force_login(world.bexley.recruiter)

    response = client.get(APPLICATIONS)

    places = next(spec for spec in response.context["cl"].filter_specs if spec.parameter_name == "place")
    assert [label for _, label in places.lookup_choices] == ["Bexley"]
    assert "Greenwich" not in response.content.decode()


def test_filtering_by_another_places_id_shows_nothing(client, world):
    world.greenwich.add(1)
    client.force_login(world.bexley.recruiter)

    response = client.get(f"{APPLICATIONS}?place={world.greenwich.place.pk}")

    assert listed(response) == []


def test_another_places_round_and_application_are_404(client, world):
    theirs = world.greenwich.add(1)[0]
    client.force_login(world.bexley.recruiter)

    assert client.get(change_url(world.greenwich.round)).status_code == 404
    assert client.get(change_url(theirs)).status_code == 404
    assert client.get(change_url(world.bexley.round)).status_code == 200


def test_an_ics_administrator_sees_every_place_of_their_ics(client, world):
    world.bexley.add(1)
    world.greenwich.add(1, start=5)
    client.force_login(member(AccessKind.ICS_ADMIN, ics=world.sel, username="sel_admin"))

    assert len(listed(client.get(APPLICATIONS))) == 2
    assert set(listed(client.get(ROUNDS))) == {world.bexley.round, world.greenwich.round}


def test_a_place_team_member_has_no_recruitment_admin(client, world):
    client.force_login(world.bexley.team)

    assert client.get(APPLICATIONS).status_code == 302  # to the admin's login: not staff


# --- A constant number of queries ---------------------------------------------------------------------------


def _bulk_applications(setup, count, start=0):
    people = Person.objects.bulk_create(
        Person(name=f"Bulk Applicant {n}", email=f"bulk{n}@example.org") for n in range(start, start + count)
    )
    Application.objects.bulk_create(
        Application(round=setup.round, person=p, candidate_number=start + n + 1, received_on=dt.date(2022, 3, 1))
        for n, p in enumerate(people)
    )


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def test_the_application_list_makes_the_same_queries_for_10_and_1000_applications(client, world):
    client.force_login(world.bexley.recruiter)
    _bulk_applications(world.bexley, 10)
    few = _queries(client, APPLICATIONS)

    _bulk_applications(world.bexley, 990, start=10)
    many = _queries(client, APPLICATIONS)

    assert Application.objects.count() == 1000
    assert few == many


def test_the_round_list_makes_the_same_queries_for_2_and_40_rounds(client, world):
    client.force_login(member(AccessKind.ICS_ADMIN, ics=world.sel, username="sel_admin"))
    few = _queries(client, ROUNDS)
    for number in range(2, 21):
        for setup in (world.bexley, world.greenwich):
            AdvertRound.objects.create(
                role=setup.role, number=number, opens_on=dt.date(2022, 6, 1), closes_on=dt.date(2022, 6, 30)
            )

    many = _queries(client, ROUNDS)

    assert AdvertRound.objects.count() == 40
    assert few == many


def test_the_rounds_page_makes_the_same_queries_for_10_and_100_applications(client, world):
    client.force_login(world.bexley.recruiter)
    _bulk_applications(world.bexley, 10)
    client.get(change_url(world.bexley.round))  # the first page of a session reads more than the rest
    few = _queries(client, change_url(world.bexley.round))

    _bulk_applications(world.bexley, 90, start=10)
    many = _queries(client, change_url(world.bexley.round))

    assert few == many


def test_the_rounds_page_makes_the_same_queries_for_1_and_8_panel_members_and_names_them(client, world):
    client.force_login(world.bexley.recruiter)
    url = change_url(world.bexley.round)
    PanelMember.objects.create(round=world.bexley.round, person=Person.objects.create(name="Dr Panel 0"))
    client.get(url)  # the first page of a session reads more than the rest
    few = _queries(client, url)

    for n in range(1, 8):
        PanelMember.objects.create(round=world.bexley.round, person=Person.objects.create(name=f"Dr Panel {n}"))
    many = _queries(client, url)
    page = client.get(url).content.decode()

    assert few == many
    # Each row's chosen person, named in its autocomplete box (read once for the whole panel).
    assert all(re.search(rf'<option value="\d+" selected>Dr Panel {n}</option>', page) for n in range(8))


def test_an_applications_page_makes_the_same_queries_however_long_its_history(client, world):
    application = world.bexley.add(1)[0]
    client.force_login(world.bexley.recruiter)
    client.get(change_url(application))
    short = _queries(client, change_url(application))
    for _ in range(3):
        services.applications_shortlist(applications=[application], shortlisted=False, by=world.bexley.recruiter)
        services.application_reinstate(application=application, by=world.bexley.recruiter, reason="On reflection.")

    long = _queries(client, change_url(application))

    assert application.events.count() == 7
    assert short == long


# --- Time to hire ------------------------------------------------------------------------------------------


def test_an_old_open_round_is_flagged_over_its_time_to_hire_target(client, world):
    """Advertised on 21 Feb 2022 and still open: long past the ICS's eight weeks."""
    client.force_login(world.bexley.recruiter)

    page = client.get(ROUNDS).content.decode()

    flag = re.search(r'<td class="field-breached"><img src="[^"]+" alt="(\w+)"', page)
    assert flag and flag.group(1) == "True"
    assert '<td class="field-target_days">56</td>' in page


def test_a_round_started_within_target_is_not_flagged(client, world):
    offer = accepted_offer(world.bexley)
    Contract.objects.create(
        offer=offer,
        contract_type="sessional",
        starts_on=dt.date(2022, 4, 1),  # 39 days after the advert opened
        ends_on=dt.date(2024, 3, 31),
        signed_on=dt.date(2022, 3, 25),
        sessions_per_week=Decimal("1"),
        rate_per_session=Decimal("16400"),
    )
    client.force_login(world.bexley.recruiter)

    page = client.get(ROUNDS).content.decode()

    assert re.search(r'<td class="field-breached"><img src="[^"]+" alt="False"', page)
    assert '<td class="field-days_to_hire">39</td>' in page


# --- Actions call the services ------------------------------------------------------------------------------


def test_shortlisting_in_the_admin_moves_the_application_and_writes_its_history(client, world):
    first, second = world.bexley.add(2)
    client.force_login(world.bexley.recruiter)

    response = act(client, APPLICATIONS, "shortlist", [first, second])

    assert response.redirect_chain == [(APPLICATIONS, 302)]
    assert said(response) == ["2 applications shortlisted."]
    assert set(Application.objects.values_list("status", flat=True)) == {A.SHORTLISTED}
    event = ApplicationEvent.objects.filter(application=first, kind=ApplicationEvent.Kind.MOVED).get()
    assert (event.from_status, event.to_status, event.by) == (A.RECEIVED, A.SHORTLISTED, world.bexley.recruiter)


def test_a_refused_action_changes_nothing_and_says_why(client, world):
    """One of the two arrived late and was never accepted: neither is shortlisted."""
    on_time = world.bexley.add(1)[0]
    late = world.bexley.add(1, start=2, received_on=dt.date(2022, 3, 7))[0]
    client.force_login(world.bexley.recruiter)

    response = act(client, APPLICATIONS, "shortlist", [on_time, late])

    assert said(response) == [
        "Nothing was changed: Candidate 2 arrived on 7 Mar 2022, after the closing date: accept the late "
        "application first, or decide not to shortlist it."
    ]
    assert set(Application.objects.values_list("status", flat=True)) == {A.RECEIVED}
    assert not ApplicationEvent.objects.filter(kind=ApplicationEvent.Kind.MOVED).exists()


def test_a_late_application_is_accepted_and_then_shortlisted(client, world):
    late = world.bexley.add(1, received_on=dt.date(2022, 3, 7))[0]
    client.force_login(world.bexley.recruiter)

    assert said(act(client, APPLICATIONS, "accept_late", [late])) == ["1 late application accepted."]
    assert said(act(client, APPLICATIONS, "shortlist", [late])) == ["1 application shortlisted."]
    late.refresh_from_db()
    assert late.late_accepted_at is not None and late.status == A.SHORTLISTED


def test_reinstating_asks_for_a_reason_first(client, world):
    application = world.bexley.add(1)[0]
    services.applications_shortlist(applications=[application], shortlisted=False, by=world.bexley.recruiter)
    client.force_login(world.bexley.recruiter)

    asked = act(client, APPLICATIONS, "reinstate", [application])
    empty = act(client, APPLICATIONS, "reinstate", [application], apply="1", reason="")
    done = act(client, APPLICATIONS, "reinstate", [application], apply="1", reason="Scored wrongly at first.")

    assert asked.status_code == 200 and "Reinstated because" in asked.content.decode()
    assert empty.status_code == 400
    assert said(done) == ["1 application reinstated."]
    application.refresh_from_db()
    assert application.status == A.RECEIVED
    assert application.events.get(kind=ApplicationEvent.Kind.REINSTATED).reason == "Scored wrongly at first."


def test_an_interview_cannot_be_recorded_while_shortlisting(client, world):
    application = world.bexley.add(1)[0]
    services.applications_shortlist(applications=[application], shortlisted=True, by=world.bexley.recruiter)
    client.force_login(world.bexley.recruiter)

    response = act(client, APPLICATIONS, "interview_held", [application])

    assert said(response) == [
        "Nothing was changed: Recording an interview needs “Frailty including Care Homes” to be interviewing or "
        "offered; it is shortlisting."
    ]
    application.refresh_from_db()
    assert application.status == A.SHORTLISTED


def test_interview_offer_and_acceptance_are_recorded_in_the_admin(client, world):
    first, second = shortlisted_and_closed(world.bexley)
    client.force_login(world.bexley.recruiter)

    act(client, APPLICATIONS, "interview_held", [first, second])
    too_many = act(client, APPLICATIONS, "make_offer", [first, second], apply="1")
    offered = act(client, APPLICATIONS, "make_offer", [first], apply="1", reason="Subject to references.")
    offer = Offer.objects.get()
    accepted = act(client, OFFERS, "accept", [offer])

    assert said(too_many) == ["Make an offer (one candidate): choose exactly one, not 2."]
    assert said(offered) == ["Offer made."]
    assert said(accepted) == ["1 offer accepted."]
    offer.refresh_from_db()
    assert (offer.application, offer.status, offer.notes) == (first, Offer.Status.ACCEPTED, "Subject to references.")
    world.bexley.role.refresh_from_db()
    assert world.bexley.role.status == S.OFFERED


def test_a_declined_offer_closes_the_round_as_not_appointed(client, world):
    first = shortlisted_and_closed(world.bexley, 1)[0]
    services.interview_held(application=first, by=world.bexley.recruiter)
    offer = services.offer_make(application=first, by=world.bexley.recruiter)
    client.force_login(world.bexley.recruiter)

    response = act(client, OFFERS, "decline_not_appointed", [offer], apply="1", reason="Took a post elsewhere.")

    assert said(response) == ["1 offer recorded as declined."]
    offer.refresh_from_db()
    world.bexley.role.refresh_from_db()
    assert offer.status == Offer.Status.DECLINED
    assert world.bexley.role.status == S.NOT_APPOINTED


def test_withdrawing_asks_for_an_optional_reason(client, world):
    application = world.bexley.add(1)[0]
    client.force_login(world.bexley.recruiter)

    response = act(client, APPLICATIONS, "withdraw", [application], apply="1", reason="")

    assert said(response) == ["1 application withdrawn."]
    application.refresh_from_db()
    assert application.status == A.WITHDRAWN


def test_a_recruiter_cannot_act_on_another_places_application_by_forging_its_id(client, world):
    theirs = world.greenwich.add(1)[0]
    client.force_login(world.bexley.recruiter)

    act(client, APPLICATIONS, "shortlist", [theirs])

    theirs.refresh_from_db()
    assert theirs.status == A.RECEIVED


@pytest.mark.parametrize("forged", ["abc", "99999999999999999999999"])
def test_an_action_on_an_impossible_id_changes_nothing(client, world, forged):
    application = world.bexley.add(1)[0]
    client.force_login(world.bexley.recruiter)

    response = client.post(APPLICATIONS, {"action": "shortlist", "_selected_action": [forged]}, follow=True)

    assert response.status_code == 200
    assert said(response) == ["Items must be selected in order to perform actions on them. No items have been changed."]
    application.refresh_from_db()
    assert application.status == A.RECEIVED


def test_an_application_is_read_only_with_its_history_and_scores(client, world):
    application = world.bexley.add(1)[0]
    scorer = panel_user(world.bexley.round, "Dr Sam Scorer")
    services.scores_save(application=application, values={world.bexley.criteria[0].pk: 3}, by=scorer)
    client.force_login(world.bexley.recruiter)

    response = client.get(change_url(application))

    page = response.content.decode()
    assert response.context["has_change_permission"] is False
    assert 'name="_save"' not in page
    assert "Dr Test Applicant 1" in page and "GMC 7000001" in page
    assert "Dr Sam Scorer" in page  # the score, read only
    assert client.post(change_url(application), {"statement": "Changed"}).status_code == 403


# --- The round's page ------------------------------------------------------------------------------------


def test_the_advert_is_saved_through_the_service_with_its_history(client, world):
    client.force_login(world.bexley.recruiter)
    data = admin_form_body(client.get(change_url(world.bexley.round)))
    data.update(advert_text="Lead frailty care across Bexley.", pay_shown="£16,400 a year per session")

    response = client.post(change_url(world.bexley.round), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    world.bexley.round.refresh_from_db()
    assert world.bexley.round.advert_text == "Lead frailty care across Bexley."
    assert world.bexley.round.history.latest().history_user == world.bexley.recruiter
    assert world.bexley.round.opens_on == dt.date(2022, 2, 21)  # the dates are the advertise move's


def test_a_criterion_is_added_on_the_rounds_page(client, world):
    client.force_login(world.bexley.recruiter)
    data = admin_form_body(client.get(change_url(world.bexley.round)))
    prefix = "criteria"
    total = int(data[f"{prefix}-TOTAL_FORMS"])
    data.update(
        {
            f"{prefix}-TOTAL_FORMS": str(total + 1),
            f"{prefix}-{total}-stage": "shortlisting",
            f"{prefix}-{total}-title": "Quality improvement",
            f"{prefix}-{total}-weight": "1",
            f"{prefix}-{total}-min_score": "0",
            f"{prefix}-{total}-max_score": "4",
            f"{prefix}-{total}-order": "3",
        }
    )

    response = client.post(change_url(world.bexley.round), data)

    assert response.status_code == 302
    assert world.bexley.round.criteria.filter(title="Quality improvement").exists()


def test_criteria_of_a_stage_are_fixed_once_scored(client, world):
    application = world.bexley.add(1)[0]
    scorer = panel_user(world.bexley.round, "Dr Sam Scorer")
    leadership = world.bexley.criteria[0]
    services.scores_save(application=application, values={leadership.pk: 3}, by=scorer)
    client.force_login(world.bexley.recruiter)
    data = admin_form_body(client.get(change_url(world.bexley.round)))
    index = next(k.split("-")[1] for k, v in data.items() if k.endswith("-id") and v == str(leadership.pk))
    total = int(data["criteria-TOTAL_FORMS"])
    data.update({f"criteria-{index}-weight": "9", f"criteria-{index}-DELETE": "on"})
    data.update(
        {
            "criteria-TOTAL_FORMS": str(total + 1),
            f"criteria-{total}-stage": "shortlisting",
            f"criteria-{total}-title": "Added after scoring",
            f"criteria-{total}-weight": "1",
            f"criteria-{total}-min_score": "0",
            f"criteria-{total}-max_score": "4",
            f"criteria-{total}-order": "9",
        }
    )

    response = client.post(change_url(world.bexley.round), data)

    assert response.status_code == 200
    assert "Shortlisting has been scored: its criteria are fixed now" in response.content.decode()
    leadership.refresh_from_db()
    assert leadership.weight == 2
    assert not Criterion.objects.filter(title="Added after scoring").exists()


def test_a_panel_member_is_added_on_the_rounds_page(client, world):
    scorer = member(AccessKind.PLACE_TEAM, place=world.bexley.place, username="dr-pat")
    person = Person.objects.create(name="Dr Pat Panel", email="pat@example.nhs.uk", user=scorer)
    client.force_login(world.bexley.recruiter)
    data = admin_form_body(client.get(change_url(world.bexley.round)))
    data.update({"panel-TOTAL_FORMS": "1", "panel-0-person": str(person.pk), "panel-0-part": "chair"})

    response = client.post(change_url(world.bexley.round), data)

    assert response.status_code == 302
    assert PanelMember.objects.get(round=world.bexley.round).person == person


def test_the_panel_search_finds_people_with_a_sign_in(client, world):
    panel_user(world.greenwich.round, "Dr Lee Greenwich")  # has a sign-in
    Person.objects.create(name="Dr Lee Nobody", email="nobody@example.org")  # has none
    client.force_login(world.bexley.recruiter)

    response = client.get(
        "/admin/autocomplete/",
        {"app_label": "recruitment", "model_name": "panelmember", "field_name": "person", "term": "Dr Lee"},
    )

    assert [row["text"] for row in response.json()["results"]] == ["Dr Lee Greenwich"]


def test_a_booked_interview_slot_cannot_be_deleted(client, world):
    first = shortlisted_and_closed(world.bexley, 1)[0]
    start = dt.datetime(2022, 3, 22, 10, tzinfo=dt.UTC)
    slot = InterviewSlot.objects.create(
        round=world.bexley.round, starts_at=start, ends_at=start + dt.timedelta(hours=1)
    )
    services.interview_book(application=first, slot=slot, by=world.bexley.recruiter)
    client.force_login(world.bexley.recruiter)
    data = admin_form_body(client.get(change_url(world.bexley.round)))
    data["interview_slots-0-DELETE"] = "on"

    client.post(change_url(world.bexley.round), data)

    first.refresh_from_db()
    assert first.interview_slot == slot


def test_the_rounds_page_lists_its_applications_with_links(client, world):
    application = world.bexley.add(1)[0]
    client.force_login(world.bexley.recruiter)

    page = client.get(change_url(world.bexley.round)).content.decode()

    assert change_url(application) in page
    assert "Dr Test Applicant 1" in page


def test_the_rounds_page_links_to_the_application_import(client, world):
    client.force_login(world.bexley.recruiter)

    page = client.get(change_url(world.bexley.round)).content.decode()

    assert f"/admin/roles/advertround/{world.bexley.round.pk}/import/" in page


def test_rounds_are_neither_added_nor_deleted_in_the_admin(client, world):
    client.force_login(member(AccessKind.ICS_ADMIN, ics=world.sel, username="sel_admin"))

    assert client.get(f"{ROUNDS}add/").status_code == 403
    assert client.post(f"/admin/roles/advertround/{world.bexley.round.pk}/delete/", {"post": "yes"}).status_code == 403


# --- Contracts ------------------------------------------------------------------------------------------


def contract_post(offer, **overrides) -> dict:
    data = {
        "offer": str(offer.pk),
        "contract_type": "sessional",
        "starts_on": "2022-05-03",
        "ends_on": "2024-03-31",
        "signed_on": "2022-04-20",
        "sessions_per_week": "",
        "rate_per_session": "",
        "override_reason": "",
        "_save": "Save",
    }
    data.update(overrides)
    return data


def test_a_contract_recorded_in_the_admin_moves_the_role_to_contracted(client, world):
    offer = accepted_offer(world.bexley)
    client.force_login(world.bexley.recruiter)

    response = client.post(CONTRACT_ADD, contract_post(offer))

    assert response.status_code == 302, response.context["adminform"].form.errors
    contract = Contract.objects.get()
    assert contract.offer == offer and contract.recorded_by == world.bexley.recruiter
    assert contract.rate_per_session == Decimal("16400")  # the role's own
    world.bexley.role.refresh_from_db()
    assert world.bexley.role.status == S.CONTRACTED
    assert world.bexley.role.appointee == offer.application.person
    offer.application.refresh_from_db()
    assert offer.application.status == A.APPOINTED


def test_a_contract_over_budget_is_refused_on_the_form_and_nothing_is_recorded(client, world):
    offer = accepted_offer(world.bexley)
    client.force_login(member(AccessKind.ICS_ADMIN, ics=world.sel, username="sel_admin"))

    response = client.post(CONTRACT_ADD, contract_post(offer, rate_per_session="900000"))

    assert response.status_code == 409
    errors = " ".join(response.context["adminform"].form.non_field_errors())
    assert "budget" in errors.lower()
    assert not Contract.objects.exists()
    world.bexley.role.refresh_from_db()
    assert world.bexley.role.status == S.OFFERED


def test_an_ics_administrator_records_a_contract_over_budget_with_a_reason(client, world):
    offer = accepted_offer(world.bexley)
    client.force_login(member(AccessKind.ICS_ADMIN, ics=world.sel, username="sel_admin"))

    response = client.post(
        CONTRACT_ADD, contract_post(offer, rate_per_session="900000", override_reason="Agreed by the ICS board.")
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    world.bexley.role.refresh_from_db()
    assert world.bexley.role.status == S.CONTRACTED
    assert world.bexley.role.rate_per_session == Decimal("900000")


def test_the_contract_form_offers_only_accepted_offers_of_the_recruiters_places(client, world):
    mine = accepted_offer(world.bexley)
    theirs = accepted_offer(world.greenwich)
    client.force_login(world.bexley.recruiter)

    form = client.get(CONTRACT_ADD).context["adminform"].form
    refused = client.post(CONTRACT_ADD, contract_post(theirs))

    assert list(form.fields["offer"].queryset) == [mine]
    assert "offer" in refused.context["adminform"].form.errors
    assert not Contract.objects.exists()


def test_a_contract_is_not_changed_or_deleted_afterwards(client, world):
    offer = accepted_offer(world.bexley)
    client.force_login(world.bexley.recruiter)
    client.post(CONTRACT_ADD, contract_post(offer))
    contract = Contract.objects.get()

    assert client.get(change_url(contract)).context["has_change_permission"] is False
    assert client.post(change_url(contract), contract_post(offer, ends_on="2025-03-31")).status_code == 403
    assert client.post(f"/admin/recruitment/contract/{contract.pk}/delete/", {"post": "yes"}).status_code == 403


# --- Anonymity -------------------------------------------------------------------------------------------


@pytest.fixture
def admin_on_the_panel(world):
    """An ICS administrator who also sits on Bexley's panel, whose shortlisting is still anonymous."""
    user = member(AccessKind.ICS_ADMIN, ics=world.sel, username="sel_admin", first_name="Ann", last_name="Admin")
    person = Person.objects.create(name="Ann Admin", email="ann.admin@example.nhs.uk", user=user)
    PanelMember.objects.create(round=world.bexley.round, person=person)
    return user


def test_an_admin_on_an_anonymous_panel_never_sees_its_applicants(client, world, admin_on_the_panel):
    application = world.bexley.add(1)[0]
    elsewhere = world.greenwich.add(1, start=5)[0]
    client.force_login(admin_on_the_panel)

    listing = client.get(APPLICATIONS)
    people = client.get(PEOPLE)
    round_page = client.get(change_url(world.bexley.round))

    assert listed(listing) == [elsewhere]
    assert client.get(change_url(application)).status_code == 404
    assert client.get(change_url(application.person)).status_code == 404
    assert application.person not in listed(people)
    for response in (listing, people, round_page):
        assert "Dr Test Applicant 1" not in response.content.decode()
        assert "Test Practice 1" not in response.content.decode()


def test_an_admin_on_the_panel_sees_the_applicants_once_shortlisting_closes(client, world, admin_on_the_panel):
    application = shortlisted_and_closed(world.bexley, 1)[0]
    client.force_login(admin_on_the_panel)

    assert listed(client.get(APPLICATIONS)) == [application]
    assert client.get(change_url(application)).status_code == 200


def test_an_interest_declared_in_an_anonymous_round_is_hidden_from_its_panel(client, world, admin_on_the_panel):
    application = world.bexley.add(1)[0]
    declared_by = panel_user(world.bexley.round, "Dr Dee Clare")
    services.interest_declare(application=application, by=declared_by, interest="Same practice")
    declaration = Declaration.objects.get()

    client.force_login(admin_on_the_panel)
    hidden = client.get("/admin/roles/declaration/")
    client.force_login(world.bexley.recruiter)
    shown = client.get("/admin/roles/declaration/")

    assert listed(hidden) == [] and "Dr Test Applicant 1" not in hidden.content.decode()
    assert listed(shown) == [declaration]
    assert client.post(change_url(declaration), {"interest": "Changed"}).status_code == 403


# --- People ---------------------------------------------------------------------------------------------


def test_a_recruiter_looks_up_the_people_of_their_places_only(client, world):
    mine = world.bexley.add(1)[0]
    theirs = world.greenwich.add(1, start=5)[0]
    client.force_login(world.bexley.recruiter)

    people = listed(client.get(PEOPLE, {"q": "Test Applicant"}))

    assert people == [mine.person]
    assert client.get(change_url(theirs.person)).status_code == 404
    assert client.get(change_url(mine.person)).context["has_change_permission"] is False


# --- What is not in the admin ------------------------------------------------------------------------------


@pytest.mark.parametrize("model", [EqualityAnswers, Score, ApplicationEvent, Criterion, PanelMember, InterviewSlot])
def test_scores_histories_and_equality_answers_have_no_admin_of_their_own(model):
    assert model not in admin.site._registry


def test_equality_answers_appear_on_no_admin_page(client, world):
    application = world.bexley.add(1)[0]
    EqualityAnswers.objects.create(application=application, ethnic_group="mixed")
    client.force_login(member(AccessKind.ICS_ADMIN, ics=world.sel, username="sel_admin"))

    page = client.get(change_url(application)).content.decode()

    assert "equality" not in page.lower() and "Mixed or multiple" not in page


@pytest.mark.parametrize(
    "url", [ROUNDS, APPLICATIONS, OFFERS, "/admin/recruitment/contract/", PEOPLE, "/admin/roles/declaration/"]
)
def test_every_recruitment_changelist_renders_for_a_superuser(client, world, url):
    accepted_offer(world.bexley)
    client.force_login(member(AccessKind.ICS_ADMIN, ics=world.sel, username="root", is_superuser=True))

    assert client.get(url).status_code == 200
