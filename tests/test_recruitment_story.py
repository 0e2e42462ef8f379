"""A Bexley role recruited from advert to contract through the recruitment pages, checking the
role's state, the dashboard's committed figure and the audit trail at each step."""

from __future__ import annotations

import datetime as dt
import tempfile

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from recruitment import services
from recruitment.models import Application, ApplicationStatus, Criterion, Offer, PanelMember
from recruitment.selectors import ranking
from roles import selectors
from roles.costs import FinancialYear
from roles.models import AdvertRound, Declaration, Person, Role, RoleMove, RoleStatus

A = ApplicationStatus
S = RoleStatus
pytestmark = pytest.mark.django_db

ROLE = "Resident Participation and engagement"  # Bexley: advertised, round 2 from 4 to 22 Apr 2022
CSV_ROWS = [
    "name,email,profession,received_on,statement,employer,registration",
    "Dr Quinn Example,quinn.example@example.org,Doctor: general practitioner,20/04/2022,"
    "Chairs our PPG and the PCN's patient forum.,Example Surgery,GMC 0000101",
    "Rowan Sample,rowan.sample@example.org,Social care professional,2022-04-21,"
    "Leads co-production with residents in adult social care.,London Borough of Example,",
    "Dr Sky Specimen,sky.specimen@example.org,Nurse,22/04/2022,"
    "Community nurse; ran the borough's resident health panels.,Specimen Community Trust,NMC 00B0103C",
    "Ari Madeup,ari.madeup@example.org,Voluntary and community sector,25/04/2022,"
    "Runs a residents' association; arrived after the deadline.,Madeup Residents Trust,",
]
CSV = "\n".join(CSV_ROWS) + "\n"


def committed(place, year=2022):
    return selectors.place_dashboard(place=place, year=FinancialYear(year)).committed.total


def trail(role):
    return list(
        RoleMove.objects.filter(role=role, action=RoleMove.Action.MOVED)
        .order_by("at", "pk")
        .values_list("from_status", "to_status", "by__username")
    )


def panel_member(round_, username, name, part=PanelMember.Part.MEMBER):
    user = get_user_model().objects.create_user(username=username, password="x-panel-2022")
    person = Person.objects.create(name=name, email=f"{username}@example.nhs.uk", user=user)
    PanelMember.objects.create(round=round_, person=person, part=part)
    return user


def test_a_bexley_role_from_advert_to_contract(demo, client, mailoutbox, django_capture_on_commit_callbacks):
    User = get_user_model()
    recruiter = User.objects.get(username="hr-recruiter")
    role = Role.objects.get(place__slug="bexley", title=ROLE)
    place = role.place
    round_ = role.advert_rounds.order_by("-number").first()
    assert (role.status, round_.number, round_.closes_on) == (S.ADVERTISED, 2, dt.date(2022, 4, 22))
    committed_before = committed(place)
    moves_before = trail(role)

    # 1. Applications imported from a CSV: all four, the last flagged late.
    with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as handle:
        handle.write(CSV)
    call_command("import_applications", str(round_.pk), handle.name, "--as", "hr-recruiter")
    applications = list(round_.applications.select_related("person").order_by("candidate_number"))
    assert [a.person.name for a in applications] == [
        "Dr Quinn Example",
        "Rowan Sample",
        "Dr Sky Specimen",
        "Ari Madeup",
    ]
    assert [a.is_late for a in applications] == [False, False, False, True]
    quinn, rowan, sky, ari = applications
    role.refresh_from_db()
    assert role.status == S.ADVERTISED and trail(role) == moves_before
    assert committed(place) == committed_before

    # The round's criteria and panel (set by the recruiter in the admin).
    shortlist_criteria = [
        Criterion.objects.create(round=round_, title="Engagement with residents", weight=2, max_score=4),
        Criterion.objects.create(round=round_, title="System working", weight=1, max_score=4),
    ]
    interview_criterion = Criterion.objects.create(
        round=round_, stage=Criterion.Stage.INTERVIEW, title="Vision for the role", weight=1, max_score=5
    )
    chair = panel_member(round_, "panel-chair", "Dr Chair Person", PanelMember.Part.CHAIR)
    member = panel_member(round_, "panel-two", "Lay Member")

    # 2. Shortlisting starts (the advert closed on 22 Apr 2022).
    client.force_login(recruiter)
    response = client.post(reverse("recruitment:round_step", args=[round_.pk, "start-shortlisting"]))
    assert response.status_code == 302
    role.refresh_from_db()
    assert role.status == S.SHORTLISTING
    assert trail(role)[-1] == ("advertised", "shortlisting", "hr-recruiter")
    assert committed(place) == committed_before

    # 3. Anonymised shortlisting: the panel scores candidate numbers; no name reaches them.
    client.force_login(member)
    page = client.get(reverse("recruitment:panel_round", args=[round_.pk]))
    assert page.status_code == 200
    for application in applications:
        assert application.person.name not in page.content.decode()
        assert application.person.email not in page.content.decode()
    assert client.get(reverse("recruitment:round_detail", args=[round_.pk])).status_code == 404  # not the place's
    for user, marks in (
        (chair, {quinn: (4, 3), rowan: (3, 3), sky: (4, 4)}),
        (member, {quinn: (3, 3), rowan: (2, 2), sky: (4, 3)}),
    ):
        for application, (first, second) in marks.items():
            services.scores_save(
                application=application,
                values={shortlist_criteria[0].pk: first, shortlist_criteria[1].pk: second},
                by=user,
            )

    # 4. The recruiter shortlists three, rejects the late one, and closes the shortlist.
    client.force_login(recruiter)
    response = client.post(
        reverse("recruitment:round_shortlist", args=[round_.pk]),
        {"applications": [quinn.pk, rowan.pk, sky.pk], "decision": "shortlist"},
    )
    assert response.status_code == 302
    client.post(
        reverse("recruitment:round_shortlist", args=[round_.pk]),
        {"applications": [ari.pk], "decision": "reject", "reason": "Arrived after the closing date."},
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("recruitment:round_step", args=[round_.pk, "close-shortlist"]))
    assert response.status_code == 302
    role.refresh_from_db()
    assert role.status == S.INTERVIEWING
    assert trail(role)[-1] == ("shortlisting", "interviewing", "hr-recruiter")
    told = {m.to[0] for m in mailoutbox}
    assert told == {a.person.email for a in applications}  # each told the shortlisting outcome
    assert committed(place) == committed_before

    # 5. Interviews; the chair declares an interest in Rowan (same team) and is left out of Rowan's total.
    client.force_login(chair)
    assert client.get(reverse("recruitment:panel_round", args=[round_.pk])).status_code == 200
    services.interest_declare(application=rowan, by=chair, interest="Line-manages the candidate.")
    declaration = Declaration.objects.get(person__user=chair, about_person=rowan.person)
    assert declaration.action == Declaration.Action.EXCLUDED_FROM_SCORING
    for user, marks in ((chair, {quinn: 4, sky: 3}), (member, {quinn: 4, rowan: 3, sky: 5})):
        for application, value in marks.items():
            services.scores_save(application=application, values={interview_criterion.pk: value}, by=user)
    client.force_login(recruiter)
    for application in (quinn, rowan, sky):
        assert client.post(reverse("recruitment:application_act", args=[application.pk, "held"])).status_code == 302
    page = client.get(reverse("recruitment:round_detail", args=[round_.pk])).content.decode()
    assert "Dr Chair Person declared an interest: their scores are not counted." in page
    role.refresh_from_db()
    assert role.status == S.INTERVIEWING and committed(place) == committed_before

    ranked = ranking(round_, Criterion.Stage.INTERVIEW)
    order = [row.application.pk for row in ranked.rows if row.application.status == A.INTERVIEWED]
    assert order[:2] == [quinn.pk, sky.pk]  # Quinn 4.00, Sky 4.00 (tie, lower number first), Rowan 3.00

    # 6. An offer to the best-ranked; declined; the next ranked is offered and accepts.
    response = client.post(reverse("recruitment:application_act", args=[quinn.pk, "offer"]))
    assert response.status_code == 302
    role.refresh_from_db()
    assert role.status == S.OFFERED and trail(role)[-1] == ("interviewing", "offered", "hr-recruiter")
    offer = Offer.objects.get(round=round_, application=quinn)
    response = client.post(
        reverse("recruitment:offer_answer", args=[offer.pk, "decline"]),
        {"then": "next", "reason": "Took another post."},
    )
    assert response.status_code == 302
    next_offer = Offer.objects.get(round=round_, status=Offer.Status.MADE)
    assert next_offer.application_id == sky.pk
    assert client.post(reverse("recruitment:offer_answer", args=[next_offer.pk, "accept"])).status_code == 302
    again = client.post(reverse("recruitment:offer_answer", args=[next_offer.pk, "accept"]))
    assert again.status_code == 400  # a second acceptance of one offer
    role.refresh_from_db()
    assert role.status == S.OFFERED and committed(place) == committed_before

    # 7. The signed contract: the role is contracted to Sky, and its cost moves to committed.
    response = client.post(
        reverse("recruitment:contract_record", args=[round_.pk]),
        {
            "offer": next_offer.pk,
            "contract_type": "fixed_term",
            "starts_on": "2022-07-01",
            "ends_on": "2024-03-31",
            "signed_on": "2022-06-01",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    role.refresh_from_db()
    assert role.status == S.CONTRACTED
    assert role.appointee.pk == sky.person_id and role.appointee_name == "Dr Sky Specimen"
    assert trail(role)[-1] == ("offered", "contracted", "hr-recruiter")
    assert committed(place) == committed_before + role.cost_in(FinancialYear(2022)).total
    statuses = dict(Application.objects.filter(round=round_).values_list("person__name", "status"))
    assert statuses == {
        "Dr Quinn Example": A.NOT_APPOINTED,
        "Rowan Sample": A.NOT_APPOINTED,
        "Dr Sky Specimen": A.APPOINTED,
        "Ari Madeup": A.NOT_SHORTLISTED,
    }
    assert AdvertRound.objects.get(pk=round_.pk).outcome == AdvertRound.Outcome.APPOINTED
    assert [to for _, to, _ in trail(role)[len(moves_before) :]] == [
        "shortlisting",
        "interviewing",
        "offered",
        "contracted",
    ]
