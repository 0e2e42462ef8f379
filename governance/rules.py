"""A board's rules, written once: is the meeting quorate, and what did a vote decide.

Pure functions of rows already read (boards, organisations, attendance, votes): no queries, so the
services, the pages and the board pack all call these and never count for themselves.

Quorum (`quorum`): a voting organisation is represented when one of its voting representatives (the
chair, a vice chair or a voting member) is present or sends a deputy; non-voting organisations and
non-voting attendees never count. The meeting is quorate when at least `board.quorum_organisations`
are represented and, where `board.quorum_needs_chair`, the chair or a vice chair is present in person.

The vote (`tally`):

| situation                                  | result                                               |
|--------------------------------------------|------------------------------------------------------|
| more counted votes for than against        | carried                                              |
| fewer for than against                     | not carried                                          |
| a tie, the chair has a casting vote, given | carried or not, as the chair's casting vote goes     |
| a tie, no casting vote given               | not carried                                          |
| a casting vote without a tie               | refused (`CastingVoteRefused`)                       |
| a casting vote on a board without one      | refused                                              |
| a casting vote with the chair not present  | refused                                              |

Abstentions are counted and shown but decide nothing. An excluded vote (its organisation's
representative declared an interest in the item) is not counted and the result says why; with
`board.one_vote_per_organisation` each organisation's first counted vote is its only one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .models import Attendance, Board, BoardMember, Decision, Organisation, Vote

VOTING_CAPACITIES = frozenset(
    {BoardMember.Capacity.CHAIR, BoardMember.Capacity.VICE_CHAIR, BoardMember.Capacity.MEMBER}
)


class CastingVoteRefused(ValueError):
    """A chair's casting vote the board's rules do not allow; the message says why and what to do."""


def _plural(count: int, word: str, plural: str | None = None) -> str:
    return f"{count} {word if count == 1 else (plural or word + 's')}"


# --- Quorum ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Quorum:
    is_quorate: bool
    represented: tuple[str, ...]  # the voting organisations represented, by name
    voting_total: int  # the board's voting organisations
    needed: int  # `board.quorum_organisations`
    needs_chair: bool
    chair_present: bool  # the chair or a vice chair, present in person
    sentence: str

    @property
    def represented_count(self) -> int:
        return len(self.represented)


def counts_for_organisation(attendance: Attendance) -> bool:
    """Whether this attendance makes its member's organisation represented (for quorum and votes)."""
    member = attendance.member
    return (
        attendance.counts
        and member.capacity in VOTING_CAPACITIES
        and member.organisation_id is not None
        and member.organisation.is_voting
    )


def chair_is_present(attendance: Iterable[Attendance]) -> bool:
    return any(a.status == Attendance.Status.PRESENT and a.member.chairs for a in attendance)


def quorum(*, board: Board, organisations: Iterable[Organisation], attendance: Iterable[Attendance]) -> Quorum:
    """Whether a meeting of `board` with this `attendance` is quorate, and a sentence saying why.
    `organisations` are the board's member organisations (voting or not)."""
    attendance = list(attendance)
    voting = [o for o in organisations if o.is_voting]
    voting_ids = {o.pk for o in voting}
    present_ids = {a.member.organisation_id for a in attendance if counts_for_organisation(a)} & voting_ids
    represented = tuple(o.name for o in voting if o.pk in present_ids)
    chair = chair_is_present(attendance)
    needed = board.quorum_organisations
    enough = len(represented) >= needed
    is_quorate = enough and (chair or not board.quorum_needs_chair)
    counted = f"{len(represented)} of {_plural(len(voting), 'voting organisation')} represented ({needed} needed)"
    if chair:
        chair_text = "chair present"
    elif board.quorum_needs_chair:
        chair_text = "no chair or vice chair present, and the quorum needs one"
    else:
        chair_text = "no chair or vice chair present"
    sentence = f"{'Quorate' if is_quorate else 'Not quorate'}: {counted}, {chair_text}."
    return Quorum(is_quorate, represented, len(voting), needed, board.quorum_needs_chair, chair, sentence)


# --- The vote --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tally:
    votes_for: int
    against: int
    abstain: int
    excluded: tuple[tuple[str, str], ...]  # (organisation, why) of each vote not counted
    tied: bool
    casting_vote: str  # Decision.Casting's value, "" when not used
    carried: bool
    sentence: str

    @property
    def outcome(self) -> str:
        return Decision.Outcome.AGREED if self.carried else Decision.Outcome.NOT_AGREED


def tally(*, board: Board, votes: Iterable[Vote], casting_vote: str = "", chair_present: bool = True) -> Tally:
    """Count the votes on a decision by the board's rules (see the table above). Raises
    `CastingVoteRefused` for a casting vote the rules do not allow."""
    counted: dict = {}
    excluded: list[tuple[str, str]] = []
    for index, vote in enumerate(votes):
        if vote.excluded:
            excluded.append((vote.organisation.name, vote.excluded_because or "an interest was declared"))
            continue
        key = vote.organisation_id if board.one_vote_per_organisation else index
        counted.setdefault(key, vote.choice)
    choices = list(counted.values())
    votes_for = choices.count(Vote.Choice.FOR)
    against = choices.count(Vote.Choice.AGAINST)
    abstain = choices.count(Vote.Choice.ABSTAIN)
    tied = votes_for == against
    casting_vote = casting_vote or ""
    if casting_vote and casting_vote not in (Decision.Casting.FOR, Decision.Casting.AGAINST):
        raise CastingVoteRefused(f"“{casting_vote}” is not a casting vote: give for, against, or none.")
    if casting_vote:
        if not board.chair_has_casting_vote:
            raise CastingVoteRefused(f"{board}'s chair has no casting vote under its terms of reference: leave it out.")
        if not tied:
            raise CastingVoteRefused(
                f"The vote is not tied ({votes_for} for, {against} against), so the chair has no casting vote: "
                "leave it out."
            )
        if not chair_present:
            raise CastingVoteRefused(
                "Neither the chair nor a vice chair was present, so there is no casting vote: leave it out, or "
                "record the chair's attendance first."
            )
    if tied and casting_vote:
        carried = casting_vote == Decision.Casting.FOR
        result = f"{'Carried' if carried else 'Not carried'} on the chair's casting vote"
    elif tied:
        carried = False
        result = "Not carried (a tie, and no casting vote)"
    else:
        carried = votes_for > against
        result = "Carried" if carried else "Not carried"
    sentence = f"{result}: {votes_for} for, {against} against, {_plural(abstain, 'abstention')}."
    for organisation, why in excluded:
        sentence += f" {organisation}'s vote is not counted: {why}."
    return Tally(votes_for, against, abstain, tuple(excluded), tied, casting_vote, carried, sentence)
