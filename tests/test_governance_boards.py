"""Boards, meetings, decisions and declarations: the services (every "Bad input" of issue 10 refused
with nothing written), the pages (Part 2 privacy, recording through the forms, constant queries),
the board reminders through recruitment's sweep, and generated input to every form.

The world (`Boards.build`, which tests/test_access_governance.py uses too) is Bexley's Strategic
Board with five voting organisations and one that does not vote, a Part 1 meeting that is quorate
(the chair and three organisations present) with an item and a paper, a Part 2 meeting on the same
day, and a Derby City board in another ICS.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from governance import services
from governance.models import AgendaItem, Attendance, Board, BoardMember, Decision, Meeting, Organisation, Paper, Vote
from recruitment.models import Reminder
from recruitment.reminders import sweep
from roles.models import AccessKind, Budget, Declaration, Person, Place
from roles.services import ChangeRefused, MoveNotAllowed
from tests.factories import BudgetFactory, ICSFactory, PlaceFactory, RoleFactory, UserFactory, member
from tests.helpers import admin_form_body, fuzz
from tests.test_fuzz import changes, fingerprint

pytestmark = pytest.mark.django_db

HELD = dt.date(2022, 1, 27)
VOTING = [
    "London Borough of Bexley",
    "NHS South East London CCG",
    "Oxleas NHS Foundation Trust",
    "Lewisham and Greenwich NHS Trust",
    "Bexley Health Neighbourhood Care",
]


@dataclass
class Boards:
    board: Board
    orgs: dict  # name -> Organisation
    chair: BoardMember
    members: dict  # organisation name -> its voting member
    public: Meeting
    private: Meeting
    item: AgendaItem
    private_item: AgendaItem
    paper: Paper
    derby_board: Board
    users: dict

    @classmethod
    def build(cls) -> Boards:
        sel = ICSFactory(name="South East London", short_name="SEL", slug="sel")
        jucd = ICSFactory(name="Joined Up Care Derbyshire", short_name="JUCD", slug="jucd")
        bexley = PlaceFactory(ics=sel, name="Bexley", slug="bexley")
        greenwich = PlaceFactory(ics=sel, name="Greenwich", slug="greenwich")
        derby = PlaceFactory(ics=jucd, name="Derby City", slug="derby-city")
        board = Board.objects.create(
            place=bexley,
            name="Bexley Strategic Board",
            kind=Board.Kind.BOROUGH_STRATEGIC_BOARD,
            quorum_organisations=3,
            quorum_needs_chair=True,
        )
        orgs = {name: Organisation.objects.create(board=board, name=name, order=i) for i, name in enumerate(VOTING)}
        orgs["Healthwatch Bexley"] = Organisation.objects.create(
            board=board, name="Healthwatch Bexley", is_voting=False
        )
        chair = BoardMember.objects.create(
            board=board,
            person=Person.objects.create(name="Stuart Rowbotham"),
            organisation=orgs[VOTING[0]],
            capacity=BoardMember.Capacity.CHAIR,
        )
        members = {
            name: BoardMember.objects.create(
                board=board, person=Person.objects.create(name=f"Rep of {name}"), organisation=orgs[name]
            )
            for name in [*VOTING[1:], "Healthwatch Bexley"]
        }
        public = Meeting.objects.create(board=board, held_on=HELD, part=Meeting.Part.PUBLIC)
        private = Meeting.objects.create(board=board, held_on=HELD, part=Meeting.Part.PRIVATE)
        for meeting in (public, private):
            Attendance.objects.create(meeting=meeting, member=chair, status=Attendance.Status.PRESENT)
            for name in VOTING[1:3]:
                Attendance.objects.create(meeting=meeting, member=members[name], status=Attendance.Status.PRESENT)
        item = AgendaItem.objects.create(meeting=public, number=1, title="Clinical & Care Professional Leadership")
        private_item = AgendaItem.objects.create(meeting=private, number=1, title="Bexley proposals (Part 2)")
        paper = Paper.objects.create(
            item=item, title="Bexley proposals", asks=Paper.Ask.ENDORSE, published_on=HELD - dt.timedelta(days=7)
        )
        derby_board = Board.objects.create(place=derby, name="Derby City LCP Forum", kind=Board.Kind.LCP_FORUM)
        seat = member(AccessKind.PLACE_TEAM, place=bexley, username="team-on-board")
        Person.objects.filter(pk=members[VOTING[3]].person_id).update(user=seat)
        users = {
            "anonymous": None,
            "superuser": UserFactory(username="root", is_superuser=True, is_staff=True),
            "ics_admin": member(AccessKind.ICS_ADMIN, ics=sel, username="sel-admin"),
            "other_ics_admin": member(AccessKind.ICS_ADMIN, ics=jucd, username="jucd-admin"),
            "team": member(AccessKind.PLACE_TEAM, place=bexley, username="team-bexley"),
            "other_team": member(AccessKind.PLACE_TEAM, place=greenwich, username="team-greenwich"),
            "secretariat": member(
                AccessKind.SECRETARIAT, place=bexley, username="secretariat-bexley", email="sec@bexley.example"
            ),
            "hr": member(AccessKind.HR_RECRUITER, place=bexley, username="hr-bexley"),
            "board_member": _seat_only(board),
            "team_on_board": seat,
        }
        return cls(board, orgs, chair, members, public, private, item, private_item, paper, derby_board, users)


def _seat_only(board: Board):
    """A user who sits on the board but has no membership (no access to any place)."""
    user = UserFactory(username="seat-only")
    BoardMember.objects.create(board=board, person=Person.objects.create(name="Seat Only", user=user))
    return user


@pytest.fixture
def boards(db) -> Boards:
    return Boards.build()


def _client(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _votes(boards: Boards, **choices) -> dict[int, str]:
    return {boards.orgs[name].pk: choice for name, choice in choices.items()}


# --- Decisions: the bad input of the issue, each writing nothing ----------------------------------------


def _refused(boards, match, **kwargs):
    before = fingerprint()
    values = {"item": boards.item, "text": "Endorse the Bexley role set", "by": boards.users["secretariat"], **kwargs}
    with pytest.raises(ChangeRefused, match=match):
        services.decision_record(**values)
    assert not changes(before, fingerprint())


def test_a_vote_by_an_organisation_that_is_not_a_voting_member_is_refused(boards):
    _refused(
        boards,
        "Healthwatch Bexley is not a voting member",
        by_vote=True,
        votes=_votes(boards, **{"Healthwatch Bexley": "for"}),
    )


def test_a_vote_by_another_boards_organisation_is_refused(boards):
    stranger = Organisation.objects.create(board=boards.derby_board, name="Derby City Council")
    _refused(boards, "not a voting member", by_vote=True, votes={stranger.pk: "for"})


def test_two_votes_from_one_organisation_are_refused(boards):
    org = boards.orgs[VOTING[1]].pk
    _refused(boards, "voted twice", by_vote=True, votes=[(org, "for"), (org, "against")])


def test_a_vote_by_an_organisation_not_represented_at_the_meeting_is_refused(boards):
    votes = _votes(boards, **{VOTING[0]: "for", VOTING[1]: "for", VOTING[3]: "against"})
    _refused(boards, f"{VOTING[3]} was not represented at the meeting", by_vote=True, votes=votes)


def test_a_decision_at_an_inquorate_meeting_is_refused_without_the_flag(boards):
    Attendance.objects.filter(meeting=boards.public).exclude(member=boards.chair).delete()
    _refused(boards, "Not quorate: 1 of 5 .* tick it to record it anyway")


def test_a_decision_at_an_inquorate_meeting_is_recorded_with_the_flag_and_flagged(boards):
    Attendance.objects.filter(meeting=boards.public).exclude(member=boards.chair).delete()
    decision = services.decision_record(
        item=boards.item, text="Endorse the role set", inquorate=True, by=boards.users["secretariat"]
    )
    assert decision.inquorate is True
    assert decision.history.get().history_user == boards.users["secretariat"]


def test_a_decision_at_a_quorate_meeting_is_not_flagged_inquorate(boards):
    decision = services.decision_record(item=boards.item, text="Endorse", inquorate=True, by=None)
    assert decision.inquorate is False


def test_a_casting_vote_when_the_vote_is_not_tied_is_refused(boards):
    votes = _votes(boards, **{VOTING[0]: "for", VOTING[1]: "for", VOTING[2]: "against"})
    _refused(boards, "not tied", by_vote=True, votes=votes, casting_vote="for")


def test_votes_for_a_decision_not_by_vote_are_refused(boards):
    _refused(boards, "not taken by vote", votes=_votes(boards, **{VOTING[0]: "for"}))


def test_a_decision_by_vote_needs_votes(boards):
    _refused(boards, "needs the votes", by_vote=True)


def test_the_outcome_of_a_vote_is_counted_not_taken_from_input(boards):
    votes = _votes(boards, **{VOTING[0]: "for", VOTING[1]: "against", VOTING[2]: "against"})
    decision = services.decision_record(
        item=boards.item, text="Endorse", by_vote=True, votes=votes, outcome=Decision.Outcome.AGREED, by=None
    )
    assert decision.outcome == Decision.Outcome.NOT_AGREED
    assert decision.votes.count() == 3


def test_a_tie_is_decided_by_the_chairs_casting_vote(boards):
    votes = _votes(boards, **{VOTING[0]: "for", VOTING[1]: "against"})
    decision = services.decision_record(
        item=boards.item, text="Endorse", by_vote=True, votes=votes, casting_vote="for", by=None
    )
    assert (decision.outcome, decision.casting_vote) == (Decision.Outcome.AGREED, "for")


def test_the_vote_of_an_organisation_whose_representative_declared_an_interest_is_excluded(boards):
    rep = boards.members[VOTING[1]]
    services.declaration_record(
        member=rep,
        interest="GP partner in a bidding practice",
        item=boards.item,
        action=Declaration.Action.DID_NOT_VOTE,
        by=None,
    )
    votes = _votes(boards, **{VOTING[0]: "for", VOTING[1]: "against", VOTING[2]: "against"})
    decision = services.decision_record(item=boards.item, text="Endorse", by_vote=True, votes=votes, by=None)
    excluded = decision.votes.get(organisation=boards.orgs[VOTING[1]])
    assert excluded.excluded
    assert excluded.excluded_because == f"{rep.person.name} declared an interest and did not vote"
    # 1 for, 1 against: a tie with no casting vote
    assert decision.outcome == Decision.Outcome.NOT_AGREED
    assert decision.votes.get(organisation=boards.orgs[VOTING[0]]).cast_by == boards.chair


def test_someone_who_does_not_run_the_boards_is_refused(boards):
    before = fingerprint()
    with pytest.raises(MoveNotAllowed):
        services.decision_record(item=boards.item, text="Endorse", by=boards.users["team"])
    with pytest.raises(MoveNotAllowed):
        services.meeting_save(board=boards.board, values={"held_on": dt.date(2022, 3, 31)}, by=boards.users["hr"])
    assert not changes(before, fingerprint())


def test_a_decision_authorises_roles_of_the_boards_place_only(boards):
    own = RoleFactory(place=boards.board.place)
    other = RoleFactory(place=boards.derby_board.place)
    _refused(boards, "authorises the roles", roles=[own, other])
    decision = services.decision_record(item=boards.item, text="Endorse", roles=[own], by=None)
    assert list(decision.roles.all()) == [own]


# --- Meetings, items, papers, attendance, minutes, declarations -------------------------------------------


def test_a_second_meeting_of_the_same_part_on_the_same_day_is_refused(boards):
    before = fingerprint()
    with pytest.raises(ChangeRefused, match="already has a Part 1"):
        services.meeting_save(board=boards.board, values={"held_on": HELD, "part": 1}, by=None)
    assert not changes(before, fingerprint())


def test_editing_a_meeting_writes_only_the_fields_edited(boards):
    Meeting.objects.filter(pk=boards.public.pk).update(minutes="Agreed.")
    stale = Meeting.objects.get(pk=boards.public.pk)
    Meeting.objects.filter(pk=boards.public.pk).update(minutes="Agreed, as amended.")
    services.meeting_save(board=boards.board, values={"location": "Civic Offices"}, by=None, meeting=stale)
    fresh = Meeting.objects.get(pk=boards.public.pk)
    assert (fresh.location, fresh.minutes) == ("Civic Offices", "Agreed, as amended.")


def test_items_are_numbered_after_the_last(boards):
    item = services.item_save(meeting=boards.public, values={"title": "Any other business"}, by=None)
    assert item.number == 2
    with pytest.raises(ChangeRefused, match="already has an item 2"):
        services.item_save(meeting=boards.public, values={"title": "Again", "number": 2}, by=None)


def test_a_paper_published_after_its_meeting_is_refused_and_late_papers_are_flagged(boards):
    with pytest.raises(ChangeRefused, match="published by the meeting"):
        services.paper_save(
            item=boards.item,
            values={"title": "X", "asks": "note", "published_on": HELD + dt.timedelta(days=1)},
            by=None,
        )
    late = services.paper_save(
        item=boards.item, values={"title": "Late", "asks": "note", "published_on": HELD - dt.timedelta(days=2)}, by=None
    )
    assert late.is_late(HELD) and not boards.paper.is_late(HELD)


def test_attendance_is_recorded_for_all_members_at_once_and_a_deputy_must_be_named(boards):
    rep = boards.members[VOTING[3]]
    before = fingerprint()
    with pytest.raises(ChangeRefused, match="Name the deputy"):
        services.attendance_record(meeting=boards.public, statuses={rep.pk: ("deputy", "")}, by=None)
    with pytest.raises(ChangeRefused, match="members attend"):
        services.attendance_record(meeting=boards.public, statuses={999999: ("present", "")}, by=None)
    assert not changes(before, fingerprint())
    services.attendance_record(
        meeting=boards.public, statuses={rep.pk: ("deputy", "Dr Deputy"), boards.chair.pk: ("apologies", "")}, by=None
    )
    assert Attendance.objects.get(meeting=boards.public, member=rep).deputy_name == "Dr Deputy"
    assert Attendance.objects.get(meeting=boards.public, member=boards.chair).status == "apologies"


def test_minutes_shared_before_the_meeting_are_refused(boards):
    with pytest.raises(ChangeRefused, match="shared after the meeting"):
        services.minutes_record(meeting=boards.public, minutes="x", shared_on=HELD - dt.timedelta(days=1), by=None)
    services.minutes_record(meeting=boards.public, minutes="Agreed.", shared_on=HELD + dt.timedelta(days=3), by=None)
    assert not Meeting.objects.get(pk=boards.public.pk).minutes_overdue(HELD + dt.timedelta(days=30))


def test_declarations_go_to_the_one_register(boards):
    rep = boards.members[VOTING[1]]
    on_item = services.declaration_record(
        member=rep, interest="GP partner", item=boards.item, action="left_the_room", by=None
    )
    standing = services.declaration_record(member=rep, interest="Director of a GP federation", by=None)
    assert list(Declaration.objects.concerning(boards.item)) == [on_item]
    assert standing.is_standing and on_item.declared_on == HELD
    with pytest.raises(ChangeRefused, match="not a member of"):
        other = BoardMember.objects.create(board=boards.derby_board, person=Person.objects.create(name="D"))
        services.declaration_record(member=other, interest="x", item=boards.item, by=None)


# --- Pages -----------------------------------------------------------------------------------------------


def test_part_2_is_for_board_members_and_the_secretariat(boards):
    url = reverse("governance:meeting_detail", args=[boards.private.pk])
    decision = services.decision_record(item=boards.private_item, text="Agree the private proposals", by=None)
    decision_url = reverse("governance:decision_detail", args=[decision.pk])
    for user, status in [
        ("team_on_board", 200),
        ("secretariat", 200),
        ("team", 403),
        ("ics_admin", 403),
        ("superuser", 200),
    ]:
        client = _client(boards.users[user])
        response = client.get(url)
        assert response.status_code == status, user
        assert ("Bexley proposals (Part 2)" in response.content.decode()) == (status == 200), user
        assert client.get(decision_url).status_code == status, user
    page = (
        _client(boards.users["team"]).get(reverse("governance:board_detail", args=[boards.board.pk])).content.decode()
    )
    assert "Part 2 (private)" in page and url not in page


def test_meeting_page_shows_quorum_papers_declarations_and_the_tally(boards):
    rep = boards.members[VOTING[1]]
    services.declaration_record(member=rep, interest="GP partner", item=boards.item, action="did_not_vote", by=None)
    role = RoleFactory(place=boards.board.place, title="Frailty including Care Homes")
    second = RoleFactory(place=boards.board.place, title="Children & <Young> People")
    services.decision_record(
        item=boards.item,
        text="Endorse the role set",
        by_vote=True,
        votes=_votes(boards, **{VOTING[0]: "for", VOTING[1]: "against", VOTING[2]: "for"}),
        roles=[role, second],
        by=None,
    )
    page = (
        _client(boards.users["team"])
        .get(reverse("governance:meeting_detail", args=[boards.public.pk]))
        .content.decode()
    )
    assert "Quorate: 3 of 5 voting organisations represented (3 needed), chair present." in page
    assert "Carried: 2 for, 0 against, 0 abstentions." in page
    assert (
        f"NHS South East London CCG&#x27;s vote is not counted: {rep.person.name} declared an interest and did not vote"
        in page
    )
    links = [f'<a href="{reverse("roles:role_detail", args=[r.place.slug, r.pk])}">' for r in (second, role)]
    assert f"Authorises: {links[0]}Children &amp; &lt;Young&gt; People</a>, {links[1]}Frailty" in page
    assert "Bexley proposals" in page and "Endorse" in page


def test_secretariat_records_a_meeting_an_item_attendance_and_a_decision_through_the_pages(boards):
    client = _client(boards.users["secretariat"])
    response = client.post(
        reverse("governance:meeting_new", args=[boards.board.pk]), {"held_on": "2022-03-31", "part": "1"}
    )
    meeting = Meeting.objects.get(board=boards.board, held_on=dt.date(2022, 3, 31))
    assert response.status_code == 302
    client.post(reverse("governance:item_new", args=[meeting.pk]), {"title": "Roles appointed"})
    item = meeting.items.get()
    body = {f"status_{m.pk}": "present" for m in [boards.chair, *boards.members.values()]}
    assert client.post(reverse("governance:meeting_attendance", args=[meeting.pk]), body).status_code == 302
    vote = {f"vote_{boards.orgs[name].pk}": "for" for name in VOTING}
    response = client.post(
        reverse("governance:decision_new", args=[item.pk]),
        {"text": "Note", "by_vote": "on", "outcome": "agreed", **vote},
    )
    decision = Decision.objects.get(item=item)
    assert response.status_code == 302 and response["Location"] == reverse(
        "governance:decision_detail", args=[decision.pk]
    )
    assert decision.outcome == "agreed" and decision.votes.count() == 5


def test_a_decision_authorises_roles_and_budgets_of_its_place_only(boards):
    client = _client(boards.users["secretariat"])
    role = RoleFactory(place=boards.board.place)
    budget = Budget.objects.create(place=boards.board.place, financial_year=2022, amount=417000)
    other = Budget.objects.create(place=Place.objects.get(slug="greenwich"), financial_year=2022, amount=1)
    url = reverse("governance:decision_new", args=[boards.item.pk])
    before = fingerprint()
    refused = client.post(url, {"text": "Endorse", "outcome": "agreed", "budgets": [other.pk]})
    assert refused.status_code == 400 and "Choose budgets of Bexley only" in refused.content.decode()
    assert not changes(before, fingerprint())
    client.post(url, {"text": "Endorse the role set", "outcome": "agreed", "roles": [role.pk], "budgets": [budget.pk]})
    decision = Decision.objects.get(item=boards.item, text="Endorse the role set")
    assert list(decision.roles.all()) == [role] and list(decision.budgets.all()) == [budget]
    page = client.get(reverse("governance:decision_detail", args=[decision.pk])).content.decode()
    assert "Budgets: Bexley 2022/23" in page


def test_a_refused_decision_reshows_the_form_with_the_reason(boards):
    client = _client(boards.users["secretariat"])
    before = fingerprint()
    vote = {
        f"vote_{boards.orgs[VOTING[0]].pk}": "for",
        f"vote_{boards.orgs[VOTING[1]].pk}": "for",
        f"vote_{boards.orgs[VOTING[2]].pk}": "against",
    }
    response = client.post(
        reverse("governance:decision_new", args=[boards.item.pk]),
        {"text": "Endorse", "by_vote": "on", "outcome": "agreed", "casting_vote": "for", **vote},
    )
    assert response.status_code == 400
    assert "not tied" in response.content.decode()
    assert not changes(before, fingerprint())


def test_the_secretariat_changes_nothing_in_the_catalogue_or_recruitment(boards):
    client = _client(boards.users["secretariat"])
    role = RoleFactory(place=boards.board.place)
    before = fingerprint()
    assert client.post(reverse("roles:role_edit", args=["bexley", role.pk]), {"title": "Renamed"}).status_code == 403
    assert (
        client.post(reverse("roles:role_move", args=["bexley", role.pk, "approved"]), {"reason": "x"}).status_code
        == 403
    )
    assert client.post(reverse("recruitment:tranche_new", args=["bexley"]), {"name": "T"}).status_code == 403
    assert not changes(before, fingerprint())


def _meetings(boards: Boards, count: int) -> None:
    first = Meeting.objects.filter(board=boards.board).count()
    for n in range(first, first + count):
        meeting = Meeting.objects.create(board=boards.board, held_on=dt.date(2021, 1, 1) + dt.timedelta(days=7 * n))
        item = AgendaItem.objects.create(meeting=meeting, number=1, title=f"Item {n}")
        Paper.objects.create(item=item, title=f"Paper {n}", asks="note")
        decision = Decision.objects.create(item=item, text=f"Decision {n}", by_vote=True)
        for name in VOTING[:3]:
            Vote.objects.create(decision=decision, organisation=boards.orgs[name], choice="for")
        Declaration.objects.create(person=boards.chair.person, interest=f"Interest {n}")


def _items(boards: Boards, count: int) -> None:
    for n in range(count):
        item = AgendaItem.objects.create(meeting=boards.public, number=10 + n, title=f"Item {n}")
        Paper.objects.create(item=item, title=f"Paper {n}", asks="note")
        Declaration.objects.create(person=boards.chair.person, interest="x", context_type_id=None)
        services.declaration_record(member=boards.chair, interest="x", item=item, by=None)
        decision = Decision.objects.create(item=item, text=f"Decision {n}", by_vote=True)
        for name in VOTING[:3]:
            Vote.objects.create(decision=decision, organisation=boards.orgs[name], choice="for")
        decision.roles.add(RoleFactory(place=boards.board.place))
        decision.budgets.add(BudgetFactory(place=boards.board.place, financial_year=2010 + n))


@pytest.mark.parametrize(
    ("url_name", "grow"),
    [("board_detail", _meetings), ("meeting_detail", _items), ("place_boards", None)],
)
def test_board_pages_read_a_constant_number_of_queries(boards, url_name, grow, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = _client(boards.users["secretariat"])
    args = {"board_detail": [boards.board.pk], "meeting_detail": [boards.public.pk], "place_boards": ["bexley"]}[
        url_name
    ]
    url = reverse(f"governance:{url_name}", args=args)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    if grow is None:
        for n in range(4):
            Board.objects.create(
                place=boards.board.place, name=f"Task & Finish Group {n}", kind=Board.Kind.TASK_AND_FINISH
            )
        with django_assert_max_num_queries(20):
            client.get(url)
        return
    grow(boards, 2)
    small = count()
    grow(boards, 10) if grow is _meetings else _items_more(boards)
    assert count() == small


def _items_more(boards):
    for n in range(8):
        item = AgendaItem.objects.create(meeting=boards.public, number=50 + n, title=f"More {n}")
        Paper.objects.create(item=item, title=f"More {n}", asks="note")
        services.declaration_record(member=boards.chair, interest="x", item=item, by=None)
        decision = Decision.objects.create(item=item, text=f"Budget {n}")
        decision.budgets.add(BudgetFactory(place=boards.board.place, financial_year=2030 + n))  # each names its place


# --- The admin ---------------------------------------------------------------------------------------------


def test_ics_administrators_set_up_their_boards_in_the_admin_and_hr_recruiters_see_no_governance(boards):
    url = reverse("admin:governance_board_changelist")
    page = _client(boards.users["ics_admin"]).get(url)
    assert page.status_code == 200 and "Bexley Strategic Board" in page.content.decode()
    assert "Derby City LCP Forum" not in page.content.decode()
    change = reverse("admin:governance_board_change", args=[boards.board.pk])
    assert _client(boards.users["ics_admin"]).get(change).status_code == 200
    assert _client(boards.users["other_ics_admin"]).get(change).status_code in (302, 404)
    assert _client(boards.users["hr"]).get(url).status_code == 403
    index = _client(boards.users["hr"]).get(reverse("admin:index")).content.decode()
    assert "governance" not in index.lower()


def _admin_queries(client, url) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_admin_board_page_and_decision_list_read_the_same_queries_for_few_or_many_rows(boards):
    client = _client(boards.users["ics_admin"])
    change = reverse("admin:governance_board_change", args=[boards.board.pk])
    decisions = reverse("admin:governance_decision_changelist")
    _meetings(boards, 1)
    client.get(change), client.get(decisions)  # what a process reads once (content types) is not counted
    few = _admin_queries(client, change), _admin_queries(client, decisions)

    for n in range(12):
        organisation = Organisation.objects.create(board=boards.board, name=f"Organisation {n}", order=20 + n)
        BoardMember.objects.create(
            board=boards.board, person=Person.objects.create(name=f"Member {n}"), organisation=organisation
        )
    _meetings(boards, 12)

    assert (_admin_queries(client, change), _admin_queries(client, decisions)) == few
    decision = Decision.objects.filter(item__meeting__board=boards.board).first()
    decision.roles.add(*(RoleFactory(place=boards.board.place, title=f"Authorised {n}") for n in range(2)))
    version = decision.history.first()
    past = reverse("admin:governance_decision_simple_history", args=[decision.pk, version.history_id])
    assert _admin_queries(client, past) <= 20  # its item by id, its roles and budgets read with their names
    chosen = list(decision.roles.all())
    extra = RoleFactory(place=boards.board.place, title="Role the decision did not authorise")
    html = client.get(past).content.decode()
    # A past version is read, not edited: the roles it authorised as their names, no field to change
    # and no list of every role there is.
    (roles,) = re.findall(r'<div class="form-row field-roles">.*?<div class="readonly">(.*?)</div>', html, re.S)
    assert len(chosen) == 2 and extra.title not in html
    assert sorted(roles.split(", ")) == sorted(str(role) for role in chosen)
    assert not re.search(r"<(select|textarea)\b|<input(?![^>]*type=\"hidden\")", html.split('id="content-main"')[1])
    page = client.get(change).content.decode()
    assert "Member 11" in page  # the name beside each person's id, read in one query
    assert page.count('<option value="') >= 12 * 13  # each row offers the board's own organisations


def test_a_member_represents_one_of_their_own_boards_organisations_never_anothers(boards):
    from django.core.exceptions import ValidationError

    other = Board.objects.create(place=boards.board.place, name="Bexley Finance Group", kind=boards.board.kind)
    elsewhere = Organisation.objects.create(board=other, name="Another board's trust")
    client = _client(boards.users["ics_admin"])
    change = reverse("admin:governance_board_change", args=[boards.board.pk])
    body = admin_form_body(client.get(change))
    row = next(key[: -len("-person")] for key in body if key.endswith("-person") and "__prefix__" not in key)
    member = BoardMember.objects.get(pk=body[f"{row}-id"])
    body[f"{row}-organisation"] = str(elsewhere.pk)  # forged: the page offers this board's organisations only

    response = client.post(change, body)

    assert response.status_code == 200 and "errornote" in response.content.decode()
    member.refresh_from_db()
    assert member.organisation_id != elsewhere.pk
    member.organisation = elsewhere
    with pytest.raises(ValidationError, match="sits on another board"):
        member.full_clean()
    # A board being added has no organisations saved yet: its members' organisations are chosen after.
    add = client.get(reverse("admin:governance_board_add")).content.decode()
    assert "Save the board with its organisations first" in add
    assert "Another board&#x27;s trust" not in add and boards.orgs[VOTING[0]].name not in add


def test_meetings_and_decisions_are_read_only_in_the_admin_and_part_2_is_private_there(boards):
    client = _client(boards.users["ics_admin"])
    assert client.get(reverse("admin:governance_meeting_change", args=[boards.public.pk])).status_code == 200
    assert client.get(reverse("admin:governance_meeting_add")).status_code == 403
    listed = client.get(reverse("admin:governance_meeting_changelist")).context["cl"].result_list
    assert list(listed) == [boards.public]
    listed = _client(boards.users["secretariat"]).get(reverse("admin:governance_meeting_changelist"))
    assert listed.status_code in (302, 403)  # the secretariat does not use the admin


# --- Reminders ---------------------------------------------------------------------------------------------


def test_papers_due_reminders_go_to_the_secretariat_once_on_the_day_and_the_day_after(
    boards, django_capture_on_commit_callbacks
):
    meeting = Meeting.objects.create(board=boards.board, held_on=dt.date(2022, 3, 31))
    item = AgendaItem.objects.create(meeting=meeting, number=1, title="Roles appointed")
    Paper.objects.create(item=item, title="Appointments", asks="note")
    due = meeting.papers_due_on
    for today in (due, due, due + dt.timedelta(days=1), due + dt.timedelta(days=1)):
        with django_capture_on_commit_callbacks(execute=True):
            sweep(today=today, in_process=True)
    rows = Reminder.objects.filter(kind=Reminder.Kind.PAPERS_DUE, subject_key=f"meeting:{meeting.pk}")
    assert sorted(rows.values_list("due_on", flat=True)) == [due, due + dt.timedelta(days=1)]
    assert set(rows.values_list("email", flat=True)) == {"sec@bexley.example"}
    assert [(m.subject, m.to) for m in mail.outbox] == [
        ("Papers due today: Bexley Strategic Board, 31 Mar 2022 (Part 1 (public))", ["sec@bexley.example"]),
        ("Papers late: Bexley Strategic Board, 31 Mar 2022 (Part 1 (public))", ["sec@bexley.example"]),
    ]


def test_no_papers_late_reminder_once_every_paper_is_published(boards):
    meeting = Meeting.objects.create(board=boards.board, held_on=dt.date(2022, 3, 31))
    item = AgendaItem.objects.create(meeting=meeting, number=1, title="Roles appointed")
    Paper.objects.create(item=item, title="Appointments", asks="note", published_on=dt.date(2022, 3, 20))
    due = meeting.papers_due_on
    sweep(today=due, in_process=True)
    sweep(today=due + dt.timedelta(days=1), in_process=True)
    assert not Reminder.objects.filter(kind=Reminder.Kind.PAPERS_DUE, subject_key=f"meeting:{meeting.pk}").exists()


def test_minutes_overdue_reminded_the_day_after_then_weekly_until_shared(boards):
    meeting = boards.public
    key = f"meeting:{meeting.pk}"
    first = meeting.minutes_due_on + dt.timedelta(days=1)
    for offset in (0, 0, 3, 7, 7, 10):
        sweep(today=first + dt.timedelta(days=offset), in_process=True)
    rows = Reminder.objects.filter(kind=Reminder.Kind.MINUTES_OVERDUE, subject_key=key)
    assert sorted(rows.values_list("due_on", flat=True)) == [first, first + dt.timedelta(days=7)]
    services.minutes_record(meeting=meeting, minutes="Agreed.", shared_on=first + dt.timedelta(days=8), by=None)
    sweep(today=first + dt.timedelta(days=14), in_process=True)
    assert rows.count() == 2


def test_the_board_reminders_read_one_query_for_all_meetings(boards, django_assert_num_queries):
    from governance.board_hooks import board_reminders
    from recruitment.reminders import _Builder

    for n in range(5):
        Meeting.objects.create(board=boards.board, held_on=dt.date(2022, 2, 1) + dt.timedelta(days=n))
    builder = _Builder(dt.date(2022, 2, 20))
    with django_assert_num_queries(1):
        board_reminders(builder)
    assert builder.pending


# --- Generated input: never a 500, a refusal writes nothing ---------------------------------------------------

TEXT = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        ["", "0", "-1", "99999999999999999999", "2022-02-30", "2022-03-31", "for", "against", "on", "=1+1"]
    ),
)


def _form_urls(boards: Boards) -> list[tuple[str, list]]:
    return [
        ("governance:meeting_new", [boards.board.pk], ["held_on", "part", "starts_at", "location"]),
        ("governance:meeting_edit", [boards.public.pk], ["held_on", "part", "starts_at", "location"]),
        ("governance:item_new", [boards.public.pk], ["number", "title", "presenter"]),
        ("governance:paper_new", [boards.item.pk], ["title", "asks", "recommendation", "author", "published_on"]),
        (
            "governance:meeting_attendance",
            [boards.public.pk],
            [f"{k}_{m.pk}" for m in [boards.chair, *boards.members.values()] for k in ("status", "deputy")],
        ),
        ("governance:meeting_minutes", [boards.public.pk], ["minutes", "shared_on"]),
        ("governance:declaration_new", [boards.item.pk], ["member", "interest", "action", "notes"]),
        ("governance:standing_declaration_new", [boards.board.pk], ["member", "interest", "action", "notes"]),
        (
            "governance:decision_new",
            [boards.item.pk],
            ["text", "by_vote", "outcome", "casting_vote", "inquorate", "roles"]
            + [f"vote_{o.pk}" for o in boards.orgs.values()],
        ),
    ]


@fuzz
@given(data=st.data())
def test_generated_input_to_the_board_forms_never_fails(boards, data):
    name, args, fields = data.draw(st.sampled_from(_form_urls(boards)))
    user = data.draw(st.sampled_from(["secretariat", "ics_admin", "team", "other_team"]))
    body = {field: data.draw(TEXT) for field in data.draw(st.lists(st.sampled_from(fields), unique=True))}
    if "member" in body and data.draw(st.booleans()):
        body["member"] = str(data.draw(st.sampled_from([boards.chair, *boards.members.values()])).pk)
    client = _client(boards.users[user])  # signed in before the fingerprint: signing in writes last_login
    before = fingerprint()
    response = client.post(reverse(name, args=args), body)
    assert response.status_code in (302, 400, 403, 404, 409), (name, body, response.status_code)
    if response.status_code != 302:
        assert not changes(before, fingerprint()), (name, body)
    else:
        assert user in ("secretariat", "ics_admin")
