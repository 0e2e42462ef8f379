"""Every recruitment URL for every kind of user: allowed, or 302 / 403 / 404 / 405 as fitting.

The world (`Rounds`, which tests/test_fuzz_recruitment.py builds its examples on too) is Bexley's
recruitment, one round per state that matters: advertised and closed, shortlisting anonymously
(received, late and rejected applications; Dr Pat Panel on its panel), interviewing, offered (an
open offer) and an accepted offer awaiting its contract; and a Derby City round in another ICS. It is built once for
the module; each test runs in a savepoint rolled back afterwards.

The users, each with one kind of access: Bexley's HR recruiter, Greenwich's (another place of the
same ICS), a Bexley place team member, Bexley's board secretariat, the ICS administrator of South
East London and the one of Derbyshire, a panel member of the anonymous round with no other access,
a panel member of the interviewing round with no other access, a Bexley team member who also sits
on the anonymous round's panel, and nobody signed in.

What the table says, as `roles.permissions` and `recruitment.access` decide it:
- a place the user may not see does not exist for them (404), whatever they ask of it;
- the place team and the secretariat follow its recruitment (200) but do not run it (403);
- a panel member of a round still shortlisting anonymously gets 403 on the round's pages (round,
  applications, export, equality) where they could otherwise see the place; the equality page of
  a round is 403 to its panel whoever they are (equality answers are never shown to panels);
- the scoring pages are for the round's panel only: everyone else, recruiters included, gets 404;
- a POST-only URL answers a GET with 405; nobody signed in is sent to the login page.

A POST that is allowed must change something, and a refused one nothing (every row of the
project's tables is compared, as tests/test_fuzz.py does).
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from recruitment import services
from recruitment.models import Application, ApplicationStatus, Criterion, InterviewSlot, Milestone, Offer, Tranche
from recruitment.urls import urlpatterns
from roles.models import AccessKind, AdvertRound, Person, RoleStatus
from tests.factories import ICSFactory, PlaceFactory, RoleFactory, member
from tests.helpers import built_for_module
from tests.recruiting import CLOSES, OPENS, RoundSetup, panel_user
from tests.test_fuzz import changes, fingerprint

pytestmark = pytest.mark.django_db

A = ApplicationStatus
S = RoleStatus
LATE = CLOSES + dt.timedelta(days=6)  # received after the closing date


# --- The world: one round per state ---------------------------------------------------------------------


def another_round(first: RoundSetup, title: str, *, status=S.SHORTLISTING) -> RoundSetup:
    """A second role of `first`'s place advertised on the same dates (and now `status`), with the
    same recruiter and team and criteria like `first`'s (`RoundSetup` makes a place's budgets and
    users, so it runs once per place)."""
    other = copy.copy(first)
    other.role = RoleFactory(
        place=first.place,
        title=title,
        status=status,
        start_date=first.role.start_date,
        end_date=first.role.end_date,
        description=first.role.description,
        description_signed_off_on=first.role.description_signed_off_on,
    )
    other.round = AdvertRound.objects.create(role=other.role, number=1, opens_on=OPENS, closes_on=CLOSES)

    def copied(criteria):
        return [
            Criterion.objects.create(
                round=other.round, stage=c.stage, title=c.title, weight=c.weight, max_score=c.max_score, order=c.order
            )
            for c in criteria
        ]

    other.criteria, other.interview_criteria = copied(first.criteria), copied(first.interview_criteria)
    return other


def slot(round_: AdvertRound, day: int, hour: int) -> InterviewSlot:
    start = timezone.make_aware(dt.datetime(2022, 3, day, hour))
    return InterviewSlot.objects.create(
        round=round_, starts_at=start, ends_at=start + dt.timedelta(minutes=45), room="Civic Offices"
    )


@dataclass
class Rounds:
    """Bexley's recruitment, run through the services as an HR recruiter runs it. Dr Test Applicant n
    (`applicant(n)`) applied to one round: 51, 1-5, 11-14, 21-23, 31-32, and 41-42 in Derby City."""

    advertised: RoundSetup  # the advert has closed, shortlisting not started: 51 received
    shortlisting: RoundSetup  # anonymous: 1, 2 received; 3 late, to accept; 4 not shortlisted; 5 shortlisted
    interviewing: RoundSetup  # 11 shortlisted and booked; 12 shortlisted; 13 interviewed; 14 not shortlisted
    offered: RoundSetup  # 21 offered (the open offer); 22, 23 interviewed
    accepted: RoundSetup  # 31 offered, accepted, awaiting its contract; 32 interviewed
    derby: RoundSetup  # another ICS's, shortlisting, every application decided: 41 shortlisted, 42 not
    pat: object  # Dr Pat Panel: on the shortlisting round's panel, and nothing else

    @classmethod
    def build(cls) -> Rounds:
        sel = ICSFactory(name="South East London", short_name="SEL", slug="sel")
        jucd = ICSFactory(name="Joined Up Care Derbyshire", short_name="JUCD", slug="jucd")
        bexley = PlaceFactory(ics=sel, name="Bexley", slug="bexley")
        PlaceFactory(ics=sel, name="Greenwich", slug="greenwich")
        derby = PlaceFactory(ics=jucd, name="Derby City", slug="derby-city")

        shortlisting = RoundSetup(bexley)
        hr = shortlisting.recruiter
        received = shortlisting.add(2)
        shortlisting.add(1, start=3, received_on=LATE)
        rejected, chosen = shortlisting.add(2, start=4)
        services.applications_shortlist(applications=[rejected], shortlisted=False, by=hr)
        services.applications_shortlist(applications=[chosen], shortlisted=True, by=hr)
        slot(shortlisting.round, 22, 9)
        assert [a.status for a in received] == [A.RECEIVED, A.RECEIVED]

        interviewing = another_round(shortlisting, "Urgent and Emergency Care")
        booked, shortlisted, held, not_chosen = interviewing.add(4, start=11)
        _close_shortlist(interviewing, [booked, shortlisted, held], [not_chosen])
        services.interview_held(application=held, by=hr)
        services.interview_book(application=booked, slot=slot(interviewing.round, 22, 10), by=hr)
        slot(interviewing.round, 22, 11)

        offered = another_round(shortlisting, "Children and Young People")
        first, second, third = offered.add(3, start=21)
        _close_shortlist(offered, [first, second, third], [])
        for application in (first, second, third):
            services.interview_held(application=application, by=hr)
        services.offer_make(application=first, by=hr)

        accepted = another_round(shortlisting, "Mental Health")
        appointee, runner_up = accepted.add(2, start=31)
        _close_shortlist(accepted, [appointee, runner_up], [])
        for application in (appointee, runner_up):
            services.interview_held(application=application, by=hr)
        services.offer_accept(offer=services.offer_make(application=appointee, by=hr), by=hr)

        advertised = another_round(shortlisting, "Learning Disabilities", status=S.ADVERTISED)
        advertised.add(1, start=51)

        derby_round = RoundSetup(derby)
        ready, turned_down = derby_round.add(2, start=41)
        services.applications_shortlist(applications=[ready], shortlisted=True, by=derby_round.recruiter)
        services.applications_shortlist(applications=[turned_down], shortlisted=False, by=derby_round.recruiter)

        pat = panel_user(shortlisting.round, "Dr Pat Panel")
        return cls(advertised, shortlisting, interviewing, offered, accepted, derby_round, pat)

    @property
    def all(self) -> list[RoundSetup]:
        return [self.advertised, self.shortlisting, self.interviewing, self.offered, self.accepted, self.derby]

    @staticmethod
    def applicant(n: int) -> Application:
        """Dr Test Applicant n's application (each applicant applies to one round)."""
        return Application.objects.select_related("round").get(person__email=f"applicant{n}@example.org")


def _close_shortlist(setup: RoundSetup, shortlisted: list[Application], others: list[Application]) -> None:
    services.applications_shortlist(applications=shortlisted, shortlisted=True, by=setup.recruiter)
    if others:
        services.applications_shortlist(applications=others, shortlisted=False, by=setup.recruiter)
    services.shortlist_close(round=setup.round, by=setup.recruiter)


# --- The users -----------------------------------------------------------------------------------------

USERS = [
    "hr",
    "other_hr",
    "team",
    "secretariat",
    "ics_admin",
    "other_ics_admin",
    "panel",
    "other_panel",
    "team_panel",
    "anonymous",
]


@dataclass
class World:
    rounds: Rounds
    users: dict


def _build_world() -> World:
    rounds = Rounds.build()
    bexley, greenwich = rounds.shortlisting.place, rounds.shortlisting.place.ics.places.get(slug="greenwich")
    team_panel = member(AccessKind.PLACE_TEAM, place=bexley, username="team-panel")
    person = Person.objects.create(name="Tess Teampanel", email="tess@example.nhs.uk", user=team_panel)
    rounds.shortlisting.round.panel.create(person=person)
    rounds.tranche = Tranche.objects.create(place=bexley, name="Tranche 1: Bexley place roles")
    rounds.milestone = Milestone.objects.create(
        place=bexley, tranche=rounds.tranche, title="Roles advertised", starts_on=dt.date(2022, 2, 21)
    )
    users = {
        "hr": rounds.shortlisting.recruiter,
        "other_hr": member(AccessKind.HR_RECRUITER, place=greenwich, username="hr-greenwich"),
        "team": rounds.shortlisting.team,
        "secretariat": member(AccessKind.SECRETARIAT, place=bexley, username="secretariat-bexley"),
        "ics_admin": member(AccessKind.ICS_ADMIN, ics=bexley.ics, username="sel-admin"),
        "other_ics_admin": member(AccessKind.ICS_ADMIN, ics=rounds.derby.place.ics, username="jucd-admin"),
        "panel": rounds.pat,
        "other_panel": panel_user(rounds.interviewing.round, "Dr Olu Otherpanel"),
        "team_panel": team_panel,
        "anonymous": None,
    }
    return World(rounds, users)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The world built once for the module (`built_for_module`)."""
    yield from built_for_module(django_db_blocker, _build_world)


# --- The table ---------------------------------------------------------------------------------------------

# Pages of a place, and of a round whose names are shown: everyone who sees Bexley.
FOLLOW = {
    "hr": 200,
    "other_hr": 404,
    "team": 200,
    "secretariat": 200,
    "ics_admin": 200,
    "other_ics_admin": 404,
    "panel": 404,
    "other_panel": 404,
    "team_panel": 200,
    "anonymous": 302,
}
GREENWICH = {**{user: 404 for user in USERS}, "other_hr": 200, "ics_admin": 200, "anonymous": 302}
DERBY_CITY = {**{user: 404 for user in USERS}, "other_ics_admin": 200, "anonymous": 302}  # another ICS's place
# The anonymous round's pages: not for its panel, even a panel member who sees the place.
NAMES_HIDDEN = {**FOLLOW, "team_panel": 403}
# Equality answers are never shown to a round's panel (403 to its members, whatever else they see).
EQUALITY_ANONYMOUS = {**NAMES_HIDDEN, "panel": 403}
EQUALITY_INTERVIEWING = {**FOLLOW, "other_panel": 403}
# Running recruitment: Bexley's HR recruiter and the ICS administrator; those who follow it get 403.
RECRUIT = {**FOLLOW, "team": 403, "secretariat": 403, "team_panel": 403}
ACT = {**RECRUIT, "hr": 302, "ics_admin": 302}  # a POST that succeeds redirects
NO_SUCH = {**{user: 404 for user in USERS}, "anonymous": 302}  # an unknown step, answer or action
ROLE_ROUNDS = {user: 302 if status == 200 else status for user, status in FOLLOW.items()}  # to its latest round
SLOT = {**FOLLOW, "panel": 200, "team_panel": 200}  # the invitation: for the round's panel too
MY_PANELS = {**{user: 200 for user in USERS}, "anonymous": 302}  # each sees their own panels (or none)
# The scoring pages: the round's panel only, whoever else may see the place.
PANEL_PAGE = {**NO_SUCH, "panel": 200, "team_panel": 200}
PANEL_POST = {**NO_SUCH, "panel": 302, "team_panel": 302}
POST_ONLY = {**{user: 405 for user in USERS}, "anonymous": 302}  # a GET of a POST-only URL
# Plans: everyone who sees Bexley reads them; its team, ICS administrators and recruiters change them.
PLAN_CHANGE = {**FOLLOW, "secretariat": 403}
PLAN_ACT = {**PLAN_CHANGE, "hr": 302, "team": 302, "ics_admin": 302, "team_panel": 302}
MY_DUE = {**{user: 200 for user in USERS}, "anonymous": 302}  # each sees their own


def _pk(getter: Callable[[Rounds], object]) -> Callable[[Rounds], list]:
    return lambda rounds: [getter(rounds).pk]


@dataclass(frozen=True)
class Case:
    id: str
    name: str  # the URL's name in recruitment.urls
    args: Callable[[Rounds], list]
    expected: dict[str, int]
    method: str = "GET"
    body: Callable[[Rounds], dict] = lambda rounds: {}
    query: Callable[[Rounds], str] = lambda rounds: ""


def _contract(rounds: Rounds) -> dict:
    offer = rounds.accepted.round.offers.get(status=Offer.Status.ACCEPTED)
    return {
        "offer": offer.pk,
        "contract_type": "fixed_term",
        "starts_on": "2022-05-03",
        "ends_on": "2024-03-31",
        "signed_on": "2022-04-25",
    }


def _scores(rounds: Rounds) -> dict:
    return {f"criterion_{criterion.pk}": "3" for criterion in rounds.shortlisting.criteria}


def _open_offer(rounds: Rounds) -> Offer:
    return rounds.offered.round.offers.get(status=Offer.Status.MADE)


def _free_slot(rounds: Rounds) -> InterviewSlot:
    return rounds.interviewing.round.interview_slots.get(application__isnull=True)


GETS = [
    Case("place_rounds", "place_rounds", lambda r: ["bexley"], FOLLOW),
    Case("place_rounds-greenwich", "place_rounds", lambda r: ["greenwich"], GREENWICH),
    Case("place_equality", "place_equality", lambda r: ["bexley"], FOLLOW),
    Case("place_equality-derby", "place_equality", lambda r: ["derby-city"], DERBY_CITY),
    Case("role_rounds", "role_rounds", _pk(lambda r: r.shortlisting.role), ROLE_ROUNDS),
    Case("round_detail-anonymous", "round_detail", _pk(lambda r: r.shortlisting.round), NAMES_HIDDEN),
    Case("round_detail-interviewing", "round_detail", _pk(lambda r: r.interviewing.round), FOLLOW),
    Case("application_detail-anonymous", "application_detail", _pk(lambda r: r.applicant(1)), NAMES_HIDDEN),
    Case("application_detail-interviewing", "application_detail", _pk(lambda r: r.applicant(11)), FOLLOW),
    Case("round_export-anonymous", "round_export", _pk(lambda r: r.shortlisting.round), RECRUIT),
    Case("round_export-offered", "round_export", _pk(lambda r: r.offered.round), RECRUIT),
    Case("slot_ics", "slot_ics", _pk(lambda r: r.shortlisting.round.interview_slots.get()), SLOT),
    Case("round_equality-anonymous", "round_equality", _pk(lambda r: r.shortlisting.round), EQUALITY_ANONYMOUS),
    Case("round_equality-interviewing", "round_equality", _pk(lambda r: r.interviewing.round), EQUALITY_INTERVIEWING),
    Case("my_panels", "my_panels", lambda r: [], MY_PANELS),
    Case("panel_round", "panel_round", _pk(lambda r: r.shortlisting.round), PANEL_PAGE),
    Case("place_plans", "place_plans", lambda r: ["bexley"], FOLLOW),
    Case("plan_detail", "plan_detail", lambda r: ["bexley", r.tranche.pk], FOLLOW),
    Case("place_due", "place_due", lambda r: ["bexley"], FOLLOW),
    Case("place_due-overdue", "place_due", lambda r: ["bexley"], FOLLOW, query=lambda r: "?list=overdue"),
    Case("place_due-greenwich", "place_due", lambda r: ["greenwich"], GREENWICH),
    Case("milestone_edit", "milestone_edit", _pk(lambda r: r.milestone), PLAN_CHANGE),
    Case("milestone_new", "milestone_new", lambda r: [], PLAN_CHANGE, query=lambda r: f"?tranche={r.tranche.pk}"),
    Case("tranche_new", "tranche_new", lambda r: ["bexley"], PLAN_CHANGE),
    Case("my_due", "my_due", lambda r: [], MY_DUE),
    Case("my_reminders", "my_reminders", lambda r: [], MY_DUE),
]

POSTS = [
    Case(
        "round_shortlist",
        "round_shortlist",
        _pk(lambda r: r.shortlisting.round),
        ACT,
        "POST",
        lambda r: {"applications": [r.applicant(1).pk], "decision": "shortlist"},
    ),
    Case(
        "round_step-close-unfilled",
        "round_step",
        lambda r: [r.interviewing.round.pk, "close-unfilled"],
        ACT,
        "POST",
        lambda r: {"reason": "Nobody suitable applied."},
    ),
    Case(
        "round_step-start-shortlisting",
        "round_step",
        lambda r: [r.advertised.round.pk, "start-shortlisting"],
        ACT,
        "POST",
    ),
    Case("round_step-unknown", "round_step", lambda r: [r.shortlisting.round.pk, "reopen"], NO_SUCH, "POST"),
    Case("contract_record", "contract_record", _pk(lambda r: r.accepted.round), ACT, "POST", _contract),
    Case("offer_answer-accept", "offer_answer", lambda r: [_open_offer(r).pk, "accept"], ACT, "POST"),
    Case(
        "offer_answer-decline",
        "offer_answer",
        lambda r: [_open_offer(r).pk, "decline"],
        ACT,
        "POST",
        lambda r: {"then": "next", "reason": "Took another post."},
    ),
    Case("offer_answer-unknown", "offer_answer", lambda r: [_open_offer(r).pk, "maybe"], NO_SUCH, "POST"),
    Case("application_act-accept-late", "application_act", lambda r: [r.applicant(3).pk, "accept-late"], ACT, "POST"),
    Case(
        "application_act-reinstate",
        "application_act",
        lambda r: [r.applicant(4).pk, "reinstate"],
        ACT,
        "POST",
        lambda r: {"reason": "Scored again by the panel."},
    ),
    Case("application_act-held", "application_act", lambda r: [r.applicant(12).pk, "held"], ACT, "POST"),
    Case("application_act-offer", "application_act", lambda r: [r.applicant(13).pk, "offer"], ACT, "POST"),
    Case("application_act-withdraw", "application_act", lambda r: [r.applicant(1).pk, "withdraw"], ACT, "POST"),
    Case(
        "application_act-book",
        "application_act",
        lambda r: [r.applicant(12).pk, "book"],
        ACT,
        "POST",
        lambda r: {"slot": _free_slot(r).pk},
    ),
    Case("application_act-unknown", "application_act", lambda r: [r.applicant(1).pk, "promote"], NO_SUCH, "POST"),
    Case(
        "panel_scores",
        "panel_scores",
        lambda r: [r.shortlisting.round.pk, r.applicant(1).pk],
        PANEL_POST,
        "POST",
        _scores,
    ),
    Case(
        "panel_declare",
        "panel_declare",
        lambda r: [r.shortlisting.round.pk, r.applicant(2).pk],
        PANEL_POST,
        "POST",
        lambda r: {"interest": "Same practice as the candidate."},
    ),
    Case("milestone_done", "milestone_done", _pk(lambda r: r.milestone), PLAN_ACT, "POST"),
]

# Each POST-only URL answers a GET with 405 (its first POST case gives the URL).
GETS_OF_POSTS = [
    Case(f"{case.name}-get", case.name, case.args, POST_ONLY) for case in {c.name: c for c in reversed(POSTS)}.values()
]

CASES = GETS + POSTS + GETS_OF_POSTS


def test_every_recruitment_url_is_in_the_table():
    """A URL added to recruitment.urls must be added to the table too."""
    assert {pattern.name for pattern in urlpatterns} == {case.name for case in CASES}


def test_every_post_only_url_is_posted_to_in_the_table():
    assert {case.name for case in GETS_OF_POSTS} == {case.name for case in POSTS}
    assert not {case.name for case in GETS} & {case.name for case in POSTS}


def _client(world: World, user: str) -> Client:
    client = Client()
    if world.users[user] is not None:
        client.force_login(world.users[user])
    return client


def _applicant_names() -> list[str]:
    return list(Person.objects.filter(applications__isnull=False).values_list("name", flat=True))


@pytest.mark.parametrize("user", USERS)
@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_each_user_gets_what_the_table_says(world, case, user):
    client = _client(world, user)
    url = reverse(f"recruitment:{case.name}", args=case.args(world.rounds)) + case.query(world.rounds)
    before = fingerprint()

    if case.method == "POST":
        response = client.post(url, case.body(world.rounds))
    else:
        response = client.get(url)

    expected = case.expected[user]
    assert response.status_code == expected, f"{user}: {case.method} {url}"
    if expected == 302:
        signing_in = response["Location"].startswith(reverse("login"))
        assert signing_in == (user == "anonymous"), response["Location"]
    if expected in (403, 404):
        page = response.content.decode()
        assert not [name for name in _applicant_names() if name in page], "a refusal shows an applicant's name"
    written = changes(before, fingerprint())
    if case.method == "POST" and expected == 302 and user != "anonymous":
        assert written, f"{user}: {url} answered {expected} but changed nothing"
    else:
        assert not written, f"{user}: {case.method} {url} answered {response.status_code} but wrote {written}"
