"""The panel member's scoring pages: anonymity, their own scores, declared interests, and who gets in.

A panel member is a user whose `Person` sits on a round's panel; that is all the access these pages
need, and the only rounds they show. `RoundSetup` gives a Bexley round in shortlisting with two
criteria per stage (leadership ×2 and system working ×1, each 0 to 4); `panel_user` seats a user on
its panel. Hypothesis sends arbitrary text through the score and declare forms (profiles as in
tests/test_fuzz.py).
"""

from __future__ import annotations

import logging
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import event, given, note
from hypothesis import strategies as st

from recruitment import services
from recruitment.models import Application, ApplicationStatus, Criterion, Score
from recruitment.selectors import ranking
from roles.models import AdvertRound, Declaration, Profession
from tests.factories import PlaceFactory, UserFactory
from tests.helpers import fuzz
from tests.recruiting import RoundSetup, panel_user
from tests.test_security import INLINE

pytestmark = pytest.mark.django_db

A = ApplicationStatus


# --- Helpers --------------------------------------------------------------------------------------------


@pytest.fixture
def setup(place):
    return RoundSetup(place)


@pytest.fixture
def pat(setup):
    """Dr Pat Panel, on the Bexley round's panel and nothing else."""
    return panel_user(setup.round, "Dr Pat Panel")


def round_url(round_: AdvertRound) -> str:
    return reverse("recruitment:panel_round", args=[round_.pk])


def scores_url(round_: AdvertRound, application: Application) -> str:
    return reverse("recruitment:panel_scores", args=[round_.pk, application.pk])


def declare_url(round_: AdvertRound, application: Application) -> str:
    return reverse("recruitment:panel_declare", args=[round_.pk, application.pk])


def score_body(criteria: list[Criterion], *values) -> dict[str, str]:
    return {f"criterion_{c.pk}": str(v) for c, v in zip(criteria, values, strict=True)}


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def scores_of(user, application: Application) -> dict[str, int]:
    return dict(
        Score.objects.filter(application=application, panel_member__person__user=user).values_list(
            "criterion__title", "value"
        )
    )


def applicant_details(application: Application) -> list[str]:
    """What must not be on a scorer's page while shortlisting is anonymous."""
    person = application.person
    return [person.name, person.email, person.employer, person.registration, person.profession.name]


def close_shortlist(setup: RoundSetup, shortlisted: list[Application], others: list[Application]) -> None:
    """The recruiter decides every application and closes shortlisting: the role moves to interviewing."""
    services.applications_shortlist(applications=shortlisted, shortlisted=True, by=setup.recruiter)
    services.applications_shortlist(applications=others, shortlisted=False, by=setup.recruiter)
    services.shortlist_close(round=setup.round, by=setup.recruiter)
    setup.round.refresh_from_db()
    setup.role.refresh_from_db()


# --- Anonymised shortlisting ------------------------------------------------------------------------------


def test_during_shortlisting_the_page_shows_numbers_and_statements_and_nothing_else_about_anyone(setup, pat):
    applications = setup.add(4)
    assert Profession.objects.filter(slug="gp").exists()  # so the profession is a real thing to leak

    response = signed_in(pat).get(round_url(setup.round))

    assert response.status_code == 200
    html = response.content.decode()
    for application in applications:
        assert f'id="candidate-{application.candidate_number}"' in html
        assert f"Candidate {application.candidate_number}" in html
        assert application.statement in html
        for detail in applicant_details(application):
            assert detail not in html, f"{detail!r} is on the anonymous scoring page"
        assert application.person.phone == "" or application.person.phone not in html
    assert "Anonymised shortlisting" in html


def test_my_panels_and_a_refused_form_show_no_applicant_details_either(setup, pat):
    applications = setup.add(3)
    client = signed_in(pat)

    pages = [
        client.get(reverse("recruitment:my_panels")),
        client.post(scores_url(setup.round, applications[0]), score_body(setup.criteria, 9, 1)),
        client.post(declare_url(setup.round, applications[1]), {"interest": ""}),
    ]

    assert [p.status_code for p in pages] == [200, 400, 400]
    for page in pages:
        html = page.content.decode()
        for application in applications:
            for detail in applicant_details(application):
                assert detail not in html


def test_a_forged_request_asking_for_names_reveals_none(setup, pat):
    applications = setup.add(2)
    client = signed_in(pat)
    forged = {"names": "1", "anonymous": "0", "show": "person__name", "fields": "name,email,employer"}

    pages = [
        client.get(round_url(setup.round), forged),
        client.post(scores_url(setup.round, applications[0]), {**score_body(setup.criteria, 3, 2), **forged}),
    ]
    pages.append(client.get(pages[1].url))

    assert [p.status_code for p in pages] == [200, 302, 200]
    for page in (pages[0], pages[2]):
        html = page.content.decode()
        for application in applications:
            for detail in applicant_details(application):
                assert detail not in html


def test_after_shortlisting_closes_the_interview_stage_shows_the_shortlisted_by_name(setup, pat):
    first, second, third = setup.add(3)
    close_shortlist(setup, [first, third], [second])
    assert not setup.round.is_anonymous and setup.role.status == "interviewing"

    response = signed_in(pat).get(round_url(setup.round))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Interviews" in html
    assert 'Candidate 1 <span class="fw-normal">– Dr Test Applicant 1</span>' in html
    assert "Dr Test Applicant 3" in html
    assert "Dr Test Applicant 2" not in html  # not shortlisted: not interviewed, not scored
    # The interview criteria now, not the shortlisting ones.
    assert "Vision for the role (weight ×3, 0 to 5)" in html
    assert "Leadership experience" not in html
    assert "Anonymised shortlisting" not in html


# --- Scoring ------------------------------------------------------------------------------------------------


def test_the_score_form_has_a_number_per_criterion_with_its_range_prefilled_with_my_scores(setup, pat):
    (application,) = setup.add(1)
    services.scores_save(application=application, values={setup.criteria[0].pk: 3}, by=pat)

    response = signed_in(pat).get(round_url(setup.round))

    html = response.content.decode()
    leadership, system = setup.criteria
    assert (
        f'<input type="number" name="criterion_{leadership.pk}" value="3" min="0" max="4" '
        f'class="numberinput form-control" id="c1-criterion_{leadership.pk}">'
    ) in html
    assert f'name="criterion_{system.pk}" min="0" max="4"' in html
    assert "Leadership experience (weight ×2, 0 to 4)" in html
    assert "System working (weight ×1, 0 to 4)" in html
    assert "Partly scored" in html
    assert response.context["panel"].scored == 0


def test_saving_scores_sends_the_member_back_to_the_candidate_with_a_message(setup, pat):
    first, second = setup.add(2)
    client = signed_in(pat)

    response = client.post(scores_url(setup.round, second), score_body(setup.criteria, 4, 2))

    assert response.status_code == 302
    assert response.url == f"{round_url(setup.round)}#candidate-2"
    assert scores_of(pat, second) == {"Leadership experience": 4, "System working": 2}
    page = client.get(response.url)
    assert "Your scores for Candidate 2 are saved." in page.content.decode()
    assert "You have scored 1 of 2 candidates" in page.content.decode()


def test_saving_again_changes_my_scores_and_an_empty_box_clears_one(setup, pat):
    (application,) = setup.add(1)
    client = signed_in(pat)
    client.post(scores_url(setup.round, application), score_body(setup.criteria, 4, 2))

    response = client.post(scores_url(setup.round, application), score_body(setup.criteria, 1, ""))

    assert response.status_code == 302
    assert scores_of(pat, application) == {"Leadership experience": 1}


@pytest.mark.parametrize(
    ("leadership", "system", "error"),
    [
        (5, 2, "“Leadership experience” is scored from 0 to 4: 4 is the highest."),
        (3, -1, "“System working” is scored from 0 to 4: 0 is the lowest."),
        ("four", 2, "Give “Leadership experience” a whole number from 0 to 4."),
        ("99999999999999999999999", 2, "4 is the highest"),
        ("2.5", 2, "Give “Leadership experience” a whole number"),
    ],
)
def test_a_forged_score_outside_the_range_or_not_a_number_is_refused_with_400_and_nothing_saved(
    setup, pat, leadership, system, error
):
    (application,) = setup.add(1)
    client = signed_in(pat)
    client.post(scores_url(setup.round, application), score_body(setup.criteria, 1, 1))

    response = client.post(scores_url(setup.round, application), score_body(setup.criteria, leadership, system))

    assert response.status_code == 400
    html = response.content.decode()
    assert "Nothing was saved for Candidate 1" in html
    assert error in html
    assert scores_of(pat, application) == {"Leadership experience": 1, "System working": 1}


def test_an_application_of_another_round_is_not_found(setup, pat, place):
    setup.add(1)
    other = RoundSetup(PlaceFactory(name="Greenwich", slug="greenwich"))
    (elsewhere,) = other.add(1)
    client = signed_in(pat)

    assert client.post(scores_url(setup.round, elsewhere), score_body(setup.criteria, 1, 1)).status_code == 404
    assert client.post(declare_url(setup.round, elsewhere), {"interest": "Same practice"}).status_code == 404
    assert not Score.objects.exists() and not Declaration.objects.exists()


def test_an_id_too_large_for_the_database_is_not_found(setup, pat):
    setup.add(1)
    client = signed_in(pat)
    huge = 10**25

    assert client.get(f"/recruitment/panels/{huge}/").status_code == 404
    assert client.post(f"/recruitment/panels/{setup.round.pk}/candidates/{huge}/scores/", {}).status_code == 404


def test_when_scoring_is_closed_the_page_says_so_with_no_forms_and_a_post_is_refused(setup, pat):
    (application,) = setup.add(1)
    type(setup.role).objects.filter(pk=setup.role.pk).update(status="offered")
    client = signed_in(pat)

    response = client.get(round_url(setup.round))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Scoring is closed for this round." in html
    assert "<form" not in html.split("</nav>", 1)[1]  # the log-out form is in the nav; nothing after it
    refused = client.post(scores_url(setup.round, application), score_body(setup.criteria, 1, 1))
    assert refused.status_code == 400
    assert "Scoring is closed for this round: the recruiter opens it" in refused.content.decode()
    assert not Score.objects.exists()


def test_a_later_round_closes_scoring_in_the_earlier_one(setup, pat):
    setup.add(1)
    AdvertRound.objects.create(
        role=setup.role, number=2, opens_on=setup.round.opens_on, closes_on=setup.round.closes_on
    )

    response = signed_in(pat).get(round_url(setup.round))

    assert "Scoring is closed for this round." in response.content.decode()


# --- Who gets in --------------------------------------------------------------------------------------------


def panel_urls(setup: RoundSetup, application: Application) -> list[tuple[str, str]]:
    return [
        ("get", round_url(setup.round)),
        ("post", scores_url(setup.round, application)),
        ("post", declare_url(setup.round, application)),
    ]


@pytest.mark.parametrize("who", ["recruiter", "team", "no access", "superuser"])
def test_a_user_not_on_the_panel_finds_no_panel_page(setup, who):
    (application,) = setup.add(1)
    user = {
        "recruiter": setup.recruiter,
        "team": setup.team,
        "no access": UserFactory(username="nobody"),
        "superuser": UserFactory(username="root", is_staff=True, is_superuser=True),
    }[who]
    client = signed_in(user)

    for method, url in panel_urls(setup, application):
        body = {**score_body(setup.criteria, 1, 1), "interest": "Same practice"}
        response = client.get(url) if method == "get" else client.post(url, body)
        assert response.status_code == 404, f"{method} {url}"
    listed = client.get(reverse("recruitment:my_panels"))
    assert listed.status_code == 200 and "You do not sit on any panel" in listed.content.decode()
    assert not Score.objects.exists() and not Declaration.objects.exists()


def test_a_panel_member_of_another_round_finds_no_page_for_this_one(setup, pat):
    (application,) = setup.add(1)
    other = RoundSetup(PlaceFactory(name="Greenwich", slug="greenwich"))
    other.add(1)
    greg = panel_user(other.round, "Dr Greg Greenwich")
    client = signed_in(greg)

    for method, url in panel_urls(setup, application):
        body = {**score_body(setup.criteria, 1, 1), "interest": "Same practice"}
        response = client.get(url) if method == "get" else client.post(url, body)
        assert response.status_code == 404, f"{method} {url}"
    assert client.get(round_url(other.round)).status_code == 200
    assert not Score.objects.exists() and not Declaration.objects.exists()


def test_signed_out_the_panel_pages_ask_to_sign_in(setup, client):
    response = client.get(reverse("recruitment:my_panels"))

    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_my_panels_lists_my_rounds_with_stage_and_progress_and_only_mine(setup, pat):
    applications = setup.add(3)
    services.scores_save(application=applications[0], values={c.pk: 2 for c in setup.criteria}, by=pat)
    services.scores_save(application=applications[1], values={setup.criteria[0].pk: 2}, by=pat)
    services.interest_declare(application=applications[2], by=pat, interest="Same practice")
    elsewhere = RoundSetup(PlaceFactory(name="Greenwich", slug="greenwich"))
    panel_user(elsewhere.round, "Dr Greg Greenwich")

    response = signed_in(pat).get(reverse("recruitment:my_panels"))

    assert response.status_code == 200
    html = response.content.decode()
    assert round_url(setup.round) in html
    assert round_url(elsewhere.round) not in html
    assert "Frailty including Care Homes" in html and "Bexley" in html and "Shortlisting" in html
    assert "1 of 2" in html and "(1 declared)" in html
    assert "Greenwich" not in html


# --- Declared interests ------------------------------------------------------------------------------------


def test_declaring_an_interest_records_it_in_the_register_and_leaves_me_out_of_the_total(setup, pat):
    first, second = setup.add(2)
    sam = panel_user(setup.round, "Dr Sam Scorer")
    client = signed_in(pat)
    client.post(scores_url(setup.round, first), score_body(setup.criteria, 4, 4))
    services.scores_save(application=first, values={setup.criteria[0].pk: 2, setup.criteria[1].pk: 1}, by=sam)
    assert ranking(setup.round, Criterion.Stage.SHORTLISTING).rows[0].total == Decimal("8.50")  # means 3 ×2 and 2.5 ×1

    response = client.post(declare_url(setup.round, first), {"interest": "Same practice as me"})

    assert response.status_code == 302
    assert response.url == f"{round_url(setup.round)}#candidate-1"
    declaration = Declaration.objects.get()
    assert declaration.person.user == pat
    assert declaration.about_person == first.person
    assert declaration.action == Declaration.Action.EXCLUDED_FROM_SCORING
    assert declaration.interest == "Same practice as me"
    assert declaration.context == setup.round
    assert declaration.context_type == ContentType.objects.get_for_model(AdvertRound)
    row = next(r for r in ranking(setup.round, Criterion.Stage.SHORTLISTING).rows if r.application == first)
    assert row.left_out == ["Dr Pat Panel"]
    assert row.scorers == 1
    assert row.total == 2 * 2 + 1 * 1  # Sam's scores alone
    assert scores_of(pat, first) == {"Leadership experience": 4, "System working": 4}  # kept, not counted
    page = client.get(response.url).content.decode()
    assert "Your interest in Candidate 1 is recorded in the register of interests" in page


def test_a_declared_candidate_shows_the_notice_and_no_score_form(setup, pat):
    first, second = setup.add(2)
    services.interest_declare(application=first, by=pat, interest="Same practice")

    response = signed_in(pat).get(round_url(setup.round))

    html = response.content.decode()
    card = html.split('id="candidate-1"', 1)[1].split("</section>", 1)[0]
    assert "You declared an interest: your scores for this candidate are not counted" in card
    assert "<form" not in card and first.statement not in card
    assert scores_url(setup.round, first) not in html
    assert scores_url(setup.round, second) in html
    assert "You have scored 0 of 1 candidate" in html


def test_scoring_a_candidate_i_declared_an_interest_in_is_refused_with_the_services_message(setup, pat):
    (application,) = setup.add(1)
    services.interest_declare(application=application, by=pat, interest="Same practice")

    response = signed_in(pat).post(scores_url(setup.round, application), score_body(setup.criteria, 4, 4))

    assert response.status_code == 400
    assert "You declared an interest in Candidate 1: your scores for them are not counted" in response.content.decode()
    assert not Score.objects.exists()


def test_declaring_twice_or_saying_nothing_is_refused_and_records_nothing_more(setup, pat):
    (application,) = setup.add(1)
    client = signed_in(pat)

    empty = client.post(declare_url(setup.round, application), {"interest": "   "})
    assert empty.status_code == 400
    assert "Say what the interest is" in empty.content.decode()
    assert not Declaration.objects.exists()

    client.post(declare_url(setup.round, application), {"interest": "Same practice"})
    again = client.post(declare_url(setup.round, application), {"interest": "Same practice"})
    assert again.status_code == 400
    assert "An interest in Candidate 1 is already declared." in again.content.decode()
    assert Declaration.objects.count() == 1


def test_the_pages_have_no_inline_script_style_or_event_handler(setup, pat):
    first, second = setup.add(2)
    services.interest_declare(application=second, by=pat, interest="Same practice")
    client = signed_in(pat)

    pages = {
        "my panels": client.get(reverse("recruitment:my_panels")),
        "round": client.get(round_url(setup.round)),
        "refused scores": client.post(scores_url(setup.round, first), score_body(setup.criteria, 7, 7)),
        "refused interest": client.post(declare_url(setup.round, first), {"interest": ""}),
    }

    for name, response in pages.items():
        html = response.content.decode()
        found = {kind: pattern.findall(html) for kind, pattern in INLINE.items() if pattern.search(html)}
        assert not found, f"the {name} page has inline {found}, which the Content-Security-Policy blocks"


# --- Queries ---------------------------------------------------------------------------------------------


def test_the_pages_make_as_many_queries_for_30_candidates_as_for_3(setup, pat, django_assert_max_num_queries):
    client = signed_in(pat)
    few = setup.add(3)
    services.scores_save(application=few[0], values={c.pk: 3 for c in setup.criteria}, by=pat)
    services.interest_declare(application=few[1], by=pat, interest="Same practice")
    client.get(round_url(setup.round))  # caches that do not depend on the page (content types)

    def counts():
        found = []
        for url in (round_url(setup.round), reverse("recruitment:my_panels")):
            with CaptureQueriesContext(connection) as captured:
                assert client.get(url).status_code == 200
            found.append(len(captured))
        return found

    with_3 = counts()
    many = setup.add(27, start=4)
    for application in many[::3]:
        services.scores_save(application=application, values={c.pk: 2 for c in setup.criteria}, by=pat)
    services.interest_declare(application=many[1], by=pat, interest="Lives next door")
    with_30 = counts()

    assert with_3 == with_30, (with_3, with_30)
    with django_assert_max_num_queries(12):
        page = client.get(round_url(setup.round))
    assert len(page.context["panel"].candidates) == 30


# --- Arbitrary input ----------------------------------------------------------------------------------------

ODD_TEXT = st.sampled_from(
    [
        "",
        " ",
        "0",
        "4",
        "-0",
        "+3",
        " 2 ",
        "4.0",
        "4.5",
        "1e3",
        "٣",
        "３",
        "0x3",
        "NaN",
        "inf",
        "None",
        "[]",
        "3" * 5000,
    ]
)
ANY_TEXT = st.one_of(
    ODD_TEXT,
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.text(max_size=60),
    st.text(min_size=2000, max_size=3000),
)


class _Missing:
    def __repr__(self):
        return "MISSING"


MISSING = _Missing()


@pytest.fixture
def scoring(setup, pat, caplog):
    caplog.set_level(logging.CRITICAL, logger="django.request")
    applications = setup.add(3)
    services.interest_declare(application=applications[2], by=pat, interest="Same practice")
    client = signed_in(pat)
    form = client.get(round_url(setup.round)).context["panel"].candidates[0].score_form
    return setup, client, applications, list(form.fields)


def rows() -> tuple:
    return (
        sorted(Score.objects.values_list("application_id", "criterion_id", "panel_member_id", "value")),
        sorted(Declaration.objects.values_list("pk", "about_person_id", "interest")),
    )


@fuzz
@given(data=st.data())
def test_no_text_sent_to_the_score_or_declare_form_makes_a_500_or_writes_on_refusal(scoring, data):
    setup, client, applications, score_fields = scoring
    application = data.draw(st.sampled_from(applications), label="application")
    declaring = data.draw(st.booleans(), label="declare (else score)")
    names = ["interest"] if declaring else score_fields
    names = names + data.draw(st.lists(st.sampled_from(["extra", "person__name", "criterion_0"]), max_size=2))
    body = {}
    for name in names:
        value = data.draw(st.one_of(st.just(MISSING), ANY_TEXT, st.lists(ANY_TEXT, min_size=2, max_size=3)), label=name)
        if value is not MISSING:
            body[name] = value
    url = declare_url(setup.round, application) if declaring else scores_url(setup.round, application)
    note(f"POST {url} { ({k: (v if len(str(v)) < 80 else f'{str(v)[:40]}…') for k, v in body.items()}) }")
    client.cookies.pop("messages", None)
    with transaction.atomic():
        before = rows()
        response = client.post(url, body)
        event(f"{'declare' if declaring else 'scores'} answered {response.status_code}")
        assert response.status_code < 500
        if response.status_code == 302:
            for criterion_id, value in Score.objects.values_list("criterion_id", "value"):
                criterion = Criterion.objects.get(pk=criterion_id)
                assert criterion.min_score <= value <= criterion.max_score
            assert client.get(response.url).status_code == 200
        else:
            assert response.status_code in (400, 404), response.status_code
            assert rows() == before, f"refused with {response.status_code} but wrote"
        transaction.set_rollback(True)
