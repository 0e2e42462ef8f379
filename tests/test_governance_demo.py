"""The governance demo: the Bexley Strategic Board and its meetings from the seed papers, the LCP
Forum and the Task & Finish Group, Derbyshire's CPLG, ICP and ICB, and all of Table 2; loaded
idempotently by `load_demo`, and put back by `load_demo --reset`."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command

from governance import rules
from governance.demo import GovernanceLoader
from governance.models import Board, BoardMember, Decision, EngagementEvent, FeedbackPoint, Meeting, Paper
from roles.models import Declaration, Role

pytestmark = pytest.mark.django_db
D = dt.date
Action = FeedbackPoint.Action


def governance_counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in apps.get_models()
        if model._meta.app_label == "governance" or model.__name__ in ("Person", "Declaration")
    }


def bexley_board() -> Board:
    return Board.objects.get(place__slug="bexley", name="Bexley Strategic Board")


def test_a_second_load_creates_no_rows_and_changes_no_counts(governance_demo):
    first = governance_counts()
    assert GovernanceLoader().load() == 0
    assert governance_counts() == first


def test_load_demo_loads_the_governance_and_a_second_run_creates_nothing():
    out = StringIO()
    call_command("load_demo", "--password", "pw-for-test", stdout=out)
    first = governance_counts()
    assert first["Board"] == 6 and first["EngagementEvent"] == 9
    again = StringIO()
    call_command("load_demo", "--password", "pw-for-test", stdout=again)
    assert "0 rows created" in again.getvalue()
    assert governance_counts() == first


def test_load_demo_reset_puts_the_governance_rows_back():
    call_command("load_demo", stdout=StringIO())
    first = governance_counts()
    board = bexley_board()
    Board.objects.filter(pk=board.pk).update(quorum_organisations=2, papers_due_days=3)
    point = FeedbackPoint.objects.get(text__startswith="Resident participation")
    point.roles.clear()
    Decision.objects.get(item__number=14, item__meeting__board=board).roles.clear()
    call_command("load_demo", stdout=StringIO())  # without --reset the edits stay
    assert Board.objects.get(pk=board.pk).quorum_organisations == 2
    call_command("load_demo", "--reset", stdout=StringIO())
    board.refresh_from_db()
    assert (board.quorum_organisations, board.papers_due_days) == (7, 7)
    assert [r.title for r in point.roles.all()] == ["Resident Participation and engagement"]
    assert Decision.objects.get(item__number=14, item__meeting__board=board).roles.count() == 22
    history = [name for name in first if name.startswith("Historical")]  # a reset adds history, no rows
    assert {k: v for k, v in governance_counts().items() if k not in history} == {
        k: v for k, v in first.items() if k not in history
    }


def test_the_bexley_board_holds_its_terms_of_reference(governance_demo):
    board = bexley_board()
    assert board.kind == Board.Kind.BOROUGH_STRATEGIC_BOARD
    assert (board.terms_agreed_on, board.papers_due_days, board.minutes_due_days) == (D(2021, 7, 29), 7, 8)
    assert board.one_vote_per_organisation and board.chair_has_casting_vote
    assert board.quorum_organisations == 7 and "ASSUMPTION" in board.purpose
    voting = list(board.organisations.filter(is_voting=True).values_list("name", flat=True))
    assert len(voting) == 14  # section 3.3
    assert "Primary Care Networks: APL, Frognal, North Bexley and Erith" in voting
    chair = board.members.get(capacity=BoardMember.Capacity.CHAIR)
    assert chair.person.name == "Stuart Rowbotham"
    assert chair.organisation.name == "London Borough of Bexley & NHS SEL CCG"
    pcn_reps = board.members.filter(organisation__name__startswith="Primary Care Networks")
    assert sorted(m.person.name for m in pcn_reps) == [
        "Dr James Stokes",
        "Dr Prem Anand",
        "Dr Sid Deshmukh",
        "Dr William Cotter",
    ]
    assert board.members.get(person__name="Keith Wood").job_title.startswith("Bexley Borough Based Lay Member")
    assert board.members.filter(capacity=BoardMember.Capacity.ATTENDEE).count() == 3
    assert board.members.get(person__name="Dr Sushanta Bhadra").term_ends_on == D(2022, 3, 31)


def test_the_bexley_meetings_follow_the_papers(governance_demo):
    meetings = {(m.held_on, m.part) for m in bexley_board().meetings.all()}
    assert meetings == {
        (D(2021, 9, 30), Meeting.Part.PUBLIC),
        (D(2022, 1, 27), Meeting.Part.PRIVATE),
        (D(2022, 2, 24), Meeting.Part.PRIVATE),
        (D(2022, 3, 24), Meeting.Part.PUBLIC),
        (D(2022, 3, 31), Meeting.Part.PRIVATE),
    }
    september = Paper.objects.get(item__meeting__held_on=D(2021, 9, 30), item__number=3)
    assert september.asks == Paper.Ask.ENDORSE and "Note the update on the development of OHSEL ICS" in (
        september.recommendation
    )
    january = Paper.objects.get(item__meeting__held_on=D(2022, 1, 27), item__number=14)
    assert january.title.endswith("Clinical & Care Professional Leadership: Bexley Proposals")
    assert january.asks == Paper.Ask.CONSIDER
    assert january.is_late(D(2022, 4, 4))  # the paper calls itself late
    assert not september.is_late(D(2022, 4, 4))


def test_the_january_decision_authorises_the_22_roles_and_the_2022_23_budget(governance_demo):
    decision = Decision.objects.get(item__meeting__held_on=D(2022, 1, 27), item__number=14)
    assert decision.outcome == Decision.Outcome.AGREED and not decision.inquorate
    assert decision.text.startswith("Endorse the Bexley role set")
    assert decision.roles.count() == 22
    assert set(decision.roles.all()) == set(Role.objects.filter(place__slug="bexley", predates_ics_model=False))
    assert [(b.financial_year, b.amount) for b in decision.budgets.all()] == [(2022, Decimal("417000.00"))]
    meeting = decision.item.meeting
    quorum = rules.quorum(
        board=meeting.board,
        organisations=list(meeting.board.organisations.all()),
        attendance=list(meeting.attendance.select_related("member__organisation")),
    )
    assert quorum.is_quorate and quorum.chair_present
    declaration = Declaration.objects.concerning(decision.item).get()
    assert declaration.person.name == "Dr Sid Deshmukh"
    assert declaration.action == Declaration.Action.DID_NOT_VOTE and "ILLUSTRATIVE" in declaration.interest


def test_the_lcp_forum_and_the_task_and_finish_group(governance_demo):
    kinds = dict(Board.objects.filter(place__slug="bexley").values_list("kind", "name"))
    assert set(kinds) == {Board.Kind.BOROUGH_STRATEGIC_BOARD, Board.Kind.LCP_FORUM, Board.Kind.TASK_AND_FINISH}
    group = Board.objects.get(kind=Board.Kind.TASK_AND_FINISH)
    assert "w/c 31 Jan 2022" in group.purpose
    assert group.meetings.get().held_on == D(2022, 1, 31)


def test_derbyshire_cplg_and_the_icb_decision_on_its_chair(governance_demo):
    cplg = Board.objects.get(kind=Board.Kind.LEADERSHIP_GROUP)
    assert cplg.place.slug == "jucd-system" and cplg.place.is_system_wide
    assert cplg.members.get(capacity=BoardMember.Capacity.CHAIR).person.name == "Avi Bhatia"
    vice_chairs = [m.person.name for m in cplg.members.filter(capacity=BoardMember.Capacity.VICE_CHAIR)]
    assert len(vice_chairs) == 4 and "Penny Blackwell" in vice_chairs
    assert any(name.startswith("Local Authority Vice Chair") for name in vice_chairs)
    icp_paper = Paper.objects.get(item__meeting__board__kind=Board.Kind.ICP)
    assert (icp_paper.item.meeting.held_on, icp_paper.item.number, icp_paper.asks) == (D(2023, 2, 8), 10, "note")
    decision = Decision.objects.get(item__meeting__board__kind=Board.Kind.ICB)
    assert [r.title for r in decision.roles.all()] == ["CPLG Chair"]
    assert decision.outcome == Decision.Outcome.AGREED and not decision.inquorate


def test_table_2_holds_nine_entries_and_every_point(governance_demo):
    events = list(EngagementEvent.objects.filter(place__slug="bexley").order_by("held_on"))
    assert [(e.held_on, e.points.count()) for e in events] == [
        (D(2021, 12, 9), 3),
        (D(2021, 12, 10), 6),
        (D(2021, 12, 15), 1),
        (D(2021, 12, 16), 2),
        (D(2022, 1, 4), 5),
        (D(2022, 1, 10), 4),
        (D(2022, 1, 12), 1),
        (D(2022, 1, 13), 2),  # "13th January 2002" in the paper
        (D(2022, 1, 26), 4),
    ]
    commissioner = events[7]
    assert commissioner.group == "Sexual Health Commissioner" and "2002" in commissioner.notes


@pytest.mark.parametrize(
    "point, action, roles, templates",
    [
        (
            "Addition of Frailty role and aligning with care homes",
            Action.ADDED,
            {"Frailty including Care Homes", "Primary and Community Care"},
            {"Other roles e.g. Frailty", "Primary and Community Care including care homes"},
        ),
        (
            "Addition of LTC Respiratory and cardiovascular",
            Action.ADDED,
            {"LTCs including Respiratory and Cardiovascular"},
            set(),
        ),
        ("End of life role proposed", Action.ADDED, {"End of Life"}, set()),
        (
            "Given prevalence of HIV in Bexley",
            Action.ADDED,
            {"Sexual and Reproductive Health"},
            set(),
        ),
        (
            "Resident participation better name than patient and public engagement",
            Action.RENAMED,
            {"Resident Participation and engagement"},
            {"Patient and Public Engagement"},
        ),
        ("Could some roles just be care?", Action.NOTED, set(), set()),  # no Bexley role changed type
        ("VSC sector has a lot to offer", Action.NOTED, set(), set()),
    ],
)
def test_each_points_action_and_the_roles_it_shaped(governance_demo, point, action, roles, templates):
    row = FeedbackPoint.objects.get(text__startswith=point)
    assert row.action == action
    assert {r.title for r in row.roles.all()} == roles
    assert {t.title for t in row.template_roles.all()} == templates
    assert all(r.place.slug == "bexley" for r in row.roles.all())
