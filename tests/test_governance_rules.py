"""The board's rules as tables: quorum from attendance, and the vote's tally with the chair's casting
vote, exclusions and abstentions (`governance.rules`). No database: the rows are built in memory."""

from __future__ import annotations

import pytest

from governance.models import Attendance, Board, BoardMember, Organisation, Vote
from governance.rules import CastingVoteRefused, quorum, tally

P, D, AP, AB = "present", "deputy", "apologies", "absent"
CHAIR, VICE, MEMBER, ATTENDEE = "chair", "vice_chair", "member", "attendee"

# Five voting organisations (A to E) and one that does not vote (N).
ORGS = {
    name: Organisation(pk=index, name=f"Org {name}", is_voting=name != "N") for index, name in enumerate("ABCDEN", 1)
}


def _attendance(rows: str) -> list[Attendance]:
    """'A:chair:present B:member:deputy' -> attendance rows (organisation '-' = none)."""
    built = []
    for text in rows.split():
        org, capacity, status = text.split(":")
        member = BoardMember(capacity=capacity, organisation=ORGS.get(org))
        built.append(Attendance(member=member, status=status))
    return built


def _board(**rules) -> Board:
    return Board(name="Bexley Strategic Board", **rules)


# needed, needs chair | attendance | quorate | represented | sentence
QUORUM = [
    (
        2,
        False,
        f"A:{CHAIR}:{P} B:{MEMBER}:{P}",
        True,
        2,
        "Quorate: 2 of 5 voting organisations represented (2 needed), chair present.",
    ),
    (
        3,
        False,
        f"A:{CHAIR}:{P} B:{MEMBER}:{P}",
        False,
        2,
        "Not quorate: 2 of 5 voting organisations represented (3 needed), chair present.",
    ),
    (
        2,
        False,
        f"A:{MEMBER}:{P} B:{MEMBER}:{D}",
        True,
        2,
        "Quorate: 2 of 5 voting organisations represented (2 needed), no chair or vice chair present.",
    ),
    (2, False, f"A:{MEMBER}:{AP} B:{MEMBER}:{AB} C:{MEMBER}:{P}", False, 1, None),
    (1, False, f"N:{MEMBER}:{P} -:{ATTENDEE}:{P}", False, 0, None),  # non-voting and attendees never count
    (1, False, f"A:{ATTENDEE}:{P}", False, 0, None),  # an attendee from a voting organisation does not count
    (2, False, f"A:{MEMBER}:{P} A:{VICE}:{P}", False, 1, None),  # two from one organisation: one organisation
    (
        2,
        True,
        f"A:{MEMBER}:{P} B:{MEMBER}:{P}",
        False,
        2,
        "Not quorate: 2 of 5 voting organisations represented (2 needed), no chair or vice chair present, and the "
        "quorum needs one.",
    ),
    (2, True, f"A:{VICE}:{P} B:{MEMBER}:{P}", True, 2, None),  # a vice chair in the chair
    (2, True, f"A:{CHAIR}:{D} B:{MEMBER}:{P}", False, 2, None),  # a deputy for the chair is not the chair
    (5, True, " ".join(f"{o}:{CHAIR if o == 'A' else MEMBER}:{P}" for o in "ABCDE"), True, 5, None),
]


@pytest.mark.parametrize(("needed", "needs_chair", "rows", "quorate", "represented", "sentence"), QUORUM)
def test_quorum(needed, needs_chair, rows, quorate, represented, sentence):
    result = quorum(
        board=_board(quorum_organisations=needed, quorum_needs_chair=needs_chair),
        organisations=ORGS.values(),
        attendance=_attendance(rows),
    )
    assert result.is_quorate is quorate
    assert result.represented_count == represented
    assert result.voting_total == 5
    if sentence:
        assert result.sentence == sentence


def _votes(text: str) -> list[Vote]:
    """'A:for B:against C:abstain D:for!' -> votes ('!' excluded: an interest was declared)."""
    votes = []
    for part in text.split():
        org, choice = part.split(":")
        excluded = choice.endswith("!")
        votes.append(
            Vote(
                organisation=ORGS[org],
                choice=choice.rstrip("!"),
                excluded=excluded,
                excluded_because="Dr X declared an interest and did not vote" if excluded else "",
            )
        )
    return votes


# votes | casting vote | board has casting vote | for, against, abstain | carried | sentence starts
TALLY = [
    ("A:for B:for C:against", "", True, (2, 1, 0), True, "Carried: 2 for, 1 against, 0 abstentions."),
    ("A:for B:against C:against", "", True, (1, 2, 0), False, "Not carried: 1 for, 2 against"),
    ("A:for B:against", "", True, (1, 1, 0), False, "Not carried (a tie, and no casting vote)"),
    ("A:for B:against", "for", True, (1, 1, 0), True, "Carried on the chair's casting vote: 1 for, 1 against"),
    ("A:for B:against", "against", True, (1, 1, 0), False, "Not carried on the chair's casting vote"),
    ("A:for B:abstain C:abstain", "", True, (1, 0, 2), True, "Carried: 1 for, 0 against, 2 abstentions."),
    (
        "A:abstain",
        "",
        True,
        (0, 0, 1),
        False,
        "Not carried (a tie, and no casting vote): 0 for, 0 against, 1 abstention.",
    ),
    # An excluded vote is not counted, and the result says whose and why.
    (
        "A:for B:against C:against!",
        "",
        True,
        (1, 1, 0),
        False,
        "Not carried (a tie, and no casting vote): 1 for, 1 against, 0 abstentions. Org C's vote is not counted: "
        "Dr X declared an interest and did not vote.",
    ),
    ("A:for B:against C:against!", "for", True, (1, 1, 0), True, "Carried on the chair's casting vote"),
]


@pytest.mark.parametrize(("votes", "casting", "has_casting", "counts", "carried", "sentence"), TALLY)
def test_tally(votes, casting, has_casting, counts, carried, sentence):
    result = tally(board=_board(chair_has_casting_vote=has_casting), votes=_votes(votes), casting_vote=casting)
    assert (result.votes_for, result.against, result.abstain) == counts
    assert result.carried is carried
    assert result.sentence.startswith(sentence)


def test_one_vote_per_organisation_counts_an_organisations_first_vote_only():
    votes = _votes("A:for A:against B:against")
    assert tally(board=_board(one_vote_per_organisation=True), votes=votes).against == 1
    assert tally(board=_board(one_vote_per_organisation=False), votes=votes).against == 2


# votes | casting | board has casting vote | chair present | the refusal says
REFUSED = [
    ("A:for B:for C:against", "for", True, True, r"not tied \(2 for, 1 against\)"),
    ("A:for B:against", "for", False, True, "chair has no casting vote"),
    ("A:for B:against", "against", True, False, "Neither the chair nor a vice chair was present"),
    ("A:for B:against", "maybe", True, True, "is not a casting vote"),
]


@pytest.mark.parametrize(("votes", "casting", "has_casting", "chair_present", "says"), REFUSED)
def test_a_casting_vote_the_rules_do_not_allow_is_refused(votes, casting, has_casting, chair_present, says):
    with pytest.raises(CastingVoteRefused, match=says):
        tally(
            board=_board(chair_has_casting_vote=has_casting),
            votes=_votes(votes),
            casting_vote=casting,
            chair_present=chair_present,
        )


def test_casting_vote_refused_is_a_value_error():
    assert issubclass(CastingVoteRefused, ValueError)
