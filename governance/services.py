"""Every change to a board's record: meetings, agenda items, papers, attendance, minutes,
declarations of interest and decisions with their votes. One door each, for the pages, the admin
and the demo alike.

Each service checks that `by` may run the board's place's boards (`roles.permissions.may_run_boards`;
`by=None` is the system: the demo, a command), takes the place's row lock and then the meeting's (the
order every writer keeps), writes inside one transaction with simple-history naming `by`, and raises
`roles.services.ChangeRefused` (or a subclass: `MoveNotAllowed` answers 403) with a message naming
the fix, with nothing written. Editing a record writes only the fields given.

A decision by vote: each vote is one voting member organisation's (refused: an organisation that is
not a voting member of the board, two votes from one organisation); an organisation whose
representative declared an interest in the item has its vote stored but excluded, saying why; the
outcome comes from `rules.tally`, never from the input. A decision at a meeting that `rules.quorum`
finds inquorate is refused unless `inquorate=True` is given, and is then stored flagged.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max

from roles import permissions
from roles.formatting import day
from roles.models import Budget, Declaration, Place, Role
from roles.services import ChangeRefused, MoveNotAllowed

from . import rules
from .models import AgendaItem, Attendance, Board, BoardMember, Decision, Meeting, Paper, Vote

MEETING_FIELDS = ("held_on", "part", "location", "starts_at")
ITEM_FIELDS = ("number", "title", "presenter")
PAPER_FIELDS = ("title", "asks", "recommendation", "author", "published_on", "document")
ITEM_ACTIONS = (Declaration.Action.NONE, Declaration.Action.LEFT_THE_ROOM, Declaration.Action.DID_NOT_VOTE)
DECLARATION_ACTIONS = (*ITEM_ACTIONS, Declaration.Action.OTHER)


# --- Locks and checks -----------------------------------------------------------------------------------


def _lock_place(place_id: int, by) -> Place:
    place = Place.objects.select_for_update(of=("self",)).select_related("ics").get(pk=place_id)
    if by is not None and not permissions.may_run_boards(by, place):
        raise MoveNotAllowed(f"Your account may not record {place}'s boards: the board secretariat does.")
    return place


def _lock_meeting(meeting: Meeting, by) -> Meeting:
    board = Board.objects.only("place_id").get(pk=meeting.board_id)
    _lock_place(board.place_id, by)
    return Meeting.objects.select_for_update(of=("self",)).select_related("board__place").get(pk=meeting.pk)


def _clean(obj, exclude: Iterable[str]) -> None:
    """The model's own field rules, as one refusal naming each problem."""
    try:
        obj.full_clean(exclude=list(exclude), validate_constraints=False)
    except ValidationError as error:
        problems = []
        for name, messages in error.message_dict.items():
            text = " ".join(messages)
            problems.append(text if name == "__all__" else f"{obj._meta.get_field(name).verbose_name}: {text}")
        raise ChangeRefused("; ".join(problems)) from error


def _only(values: Mapping, allowed: tuple[str, ...], what: str) -> dict:
    unknown = set(values) - set(allowed)
    if unknown:
        raise ValueError(f"{what} edits cannot set {', '.join(sorted(unknown))}")
    return dict(values)


def _apply(obj, values: dict, by) -> list[str]:
    """Set the values that differ; return the names changed."""
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    for name in changed:
        setattr(obj, name, values[name])
    obj._history_user = by
    return changed


def _save(obj, changed: list[str], *, new: bool) -> None:
    if new:
        obj.save()
    elif changed:
        obj.save(update_fields=changed)


# --- Meetings, items, papers --------------------------------------------------------------------------------


@transaction.atomic
def meeting_save(*, board: Board, values: Mapping, by, meeting: Meeting | None = None) -> Meeting:
    """Add a meeting to `board`, or edit one (date, part, location, start time)."""
    values = _only(values, MEETING_FIELDS, "Meeting")
    _lock_place(board.place_id, by)
    if meeting is None:
        meeting = Meeting(board=board)
    else:
        meeting = Meeting.objects.select_for_update(of=("self",)).get(pk=meeting.pk, board=board)
    new = meeting.pk is None
    changed = _apply(meeting, values, by)
    _clean(meeting, exclude=["board"])
    clash = Meeting.objects.filter(board=board, held_on=meeting.held_on, part=meeting.part).exclude(pk=meeting.pk)
    if clash.exists():
        raise ChangeRefused(
            f"{board} already has a {meeting.get_part_display()} meeting on {day(meeting.held_on)}: "
            "choose another date or part, or edit that meeting."
        )
    _save(meeting, changed, new=new)
    return meeting


@transaction.atomic
def item_save(*, meeting: Meeting, values: Mapping, by, item: AgendaItem | None = None) -> AgendaItem:
    """Add an agenda item to `meeting` (numbered after the last unless a number is given), or edit one."""
    values = _only(values, ITEM_FIELDS, "Agenda item")
    meeting = _lock_meeting(meeting, by)
    if item is None:
        item = AgendaItem(meeting=meeting)
        if not values.get("number"):
            values["number"] = (meeting.items.aggregate(last=Max("number"))["last"] or 0) + 1
    else:
        item = AgendaItem.objects.select_for_update(of=("self",)).get(pk=item.pk, meeting=meeting)
    new = item.pk is None
    changed = _apply(item, values, by)
    if not (item.title or "").strip():
        raise ChangeRefused("Give the item a title, e.g. “Clinical & Care Professional Leadership: Bexley proposals”.")
    _clean(item, exclude=["meeting"])
    if meeting.items.filter(number=item.number).exclude(pk=item.pk).exists():
        raise ChangeRefused(f"The meeting already has an item {item.number}: choose another number.")
    _save(item, changed, new=new)
    return item


@transaction.atomic
def paper_save(*, item: AgendaItem, values: Mapping, by, paper: Paper | None = None) -> Paper:
    """Add a paper to an agenda item (what it asks the board to do, when it was published), or edit one."""
    values = _only(values, PAPER_FIELDS, "Paper")
    if "document" in values and not values["document"]:
        del values["document"]  # no new file: the stored one (if any) is kept
    meeting = _lock_meeting(item.meeting, by)
    item = AgendaItem.objects.select_for_update(of=("self",)).get(pk=item.pk, meeting=meeting)
    if paper is None:
        paper = Paper(item=item)
    else:
        paper = Paper.objects.select_for_update(of=("self",)).get(pk=paper.pk, item=item)
    new = paper.pk is None
    changed = _apply(paper, values, by)
    if not (paper.title or "").strip():
        raise ChangeRefused("Give the paper a title.")
    _clean(paper, exclude=["item"])
    if paper.published_on and paper.published_on > meeting.held_on:
        raise ChangeRefused(
            f"A paper is published by the meeting it goes to ({day(meeting.held_on)}): check the date published."
        )
    _save(paper, changed, new=new)
    return paper


# --- Attendance and minutes ---------------------------------------------------------------------------------


@transaction.atomic
def attendance_record(*, meeting: Meeting, statuses: Mapping[int, tuple[str, str]], by) -> list[Attendance]:
    """Record a meeting's attendance for its members at once: {member id: (status, deputy's name)}.
    A member not given keeps what was recorded; only rows that change are written."""
    meeting = _lock_meeting(meeting, by)
    members = {m.pk: m for m in meeting.board.members.select_related("person")}
    unknown = set(statuses) - set(members)
    if unknown:
        raise ChangeRefused(f"Only {meeting.board}'s members attend its meetings: {len(unknown)} given are not.")
    valid = set(Attendance.Status.values)
    existing = {a.member_id: a for a in Attendance.objects.select_for_update(of=("self",)).filter(meeting=meeting)}
    rows = []
    for member_id, (status, deputy_name) in statuses.items():
        member, deputy_name = members[member_id], (deputy_name or "").strip()
        if status not in valid:
            raise ChangeRefused(f"Choose {member.person.name}'s attendance from the list.")
        if status == Attendance.Status.DEPUTY and not deputy_name:
            raise ChangeRefused(f"Name the deputy who represented {member.person.name}.")
        if status != Attendance.Status.DEPUTY:
            deputy_name = ""
        if len(deputy_name) > 200:
            raise ChangeRefused(f"The deputy's name for {member.person.name} is too long: 200 characters at most.")
        row = existing.get(member_id) or Attendance(meeting=meeting, member=member)
        new = row.pk is None
        changed = _apply(row, {"status": status, "deputy_name": deputy_name}, by)
        _save(row, changed, new=new)
        rows.append(row)
    return rows


@transaction.atomic
def minutes_record(*, meeting: Meeting, minutes: str, shared_on: dt.date | None, by) -> Meeting:
    """Record a meeting's minutes and the day they went to members."""
    meeting = _lock_meeting(meeting, by)
    if shared_on and shared_on < meeting.held_on:
        raise ChangeRefused(
            f"Minutes are shared after the meeting ({day(meeting.held_on)}): check the date they were shared."
        )
    changed = _apply(meeting, {"minutes": minutes or "", "minutes_shared_on": shared_on}, by)
    _clean(meeting, exclude=["board"])
    _save(meeting, changed, new=False)
    return meeting


# --- Declarations ----------------------------------------------------------------------------------------------


@transaction.atomic
def declaration_record(
    *,
    member: BoardMember,
    interest: str,
    by,
    item: AgendaItem | None = None,
    action: str = Declaration.Action.NONE,
    notes: str = "",
    declared_on: dt.date | None = None,
) -> Declaration:
    """Record a board member's declaration of interest in the one register (`roles.Declaration`):
    about an agenda item (its context, with the action taken), or standing (no item)."""
    if item is not None:
        meeting = _lock_meeting(item.meeting, by)
        if meeting.board_id != member.board_id:
            raise ChangeRefused(f"{member.person.name} is not a member of {meeting.board}: choose one of its members.")
        declared_on = declared_on or meeting.held_on
    else:
        _lock_place(member.board.place_id, by)
    if not (interest or "").strip():
        raise ChangeRefused("Say what the interest is, e.g. “GP partner at a practice bidding for the roles”.")
    allowed = DECLARATION_ACTIONS if item is not None else (Declaration.Action.NONE, Declaration.Action.OTHER)
    if action not in allowed:
        raise ChangeRefused("Choose the action taken from the list.")
    declaration = Declaration(
        person=member.person,
        interest=interest.strip(),
        action=action,
        notes=notes or "",
        recorded_by=by if getattr(by, "pk", None) else None,
    )
    if declared_on:
        declaration.declared_on = declared_on
    if item is not None:
        declaration.context_type = ContentType.objects.get_for_model(AgendaItem)
        declaration.context_id = item.pk
    _clean(declaration, exclude=["person", "about_person", "recorded_by"])
    declaration._history_user = by
    declaration.save()
    return declaration


# --- Decisions -----------------------------------------------------------------------------------------------


def _excluded_because(item: AgendaItem) -> dict[int, str]:
    """Organisation id -> why its vote on `item` is not counted (a representative declared an interest)."""
    declarations = Declaration.objects.concerning(item).select_related("person")
    members = {
        m.person_id: m
        for m in BoardMember.objects.filter(board_id=item.meeting.board_id, organisation__isnull=False).select_related(
            "organisation"
        )
    }
    why = {}
    for declaration in sorted(declarations, key=lambda d: d.pk):
        member = members.get(declaration.person_id)
        if member is None:
            continue
        action = {
            Declaration.Action.LEFT_THE_ROOM: " and left the room",
            Declaration.Action.DID_NOT_VOTE: " and did not vote",
        }.get(declaration.action, "")
        why.setdefault(member.organisation_id, f"{declaration.person.name} declared an interest{action}")
    return why


def _pairs(votes) -> list[tuple]:
    if isinstance(votes, Mapping):
        return list(votes.items())
    return list(votes or [])


@transaction.atomic
def decision_record(
    *,
    item: AgendaItem,
    text: str,
    by,
    by_vote: bool = False,
    votes=(),
    casting_vote: str = "",
    inquorate: bool = False,
    outcome: str = Decision.Outcome.AGREED,
    roles: Iterable[Role] = (),
    budgets: Iterable[Budget] = (),
) -> Decision:
    """Record what the board decided on `item`. `votes` is {organisation id: choice} or (organisation
    id, choice) pairs; see the module's docstring for the rules."""
    meeting = _lock_meeting(item.meeting, by)
    board = meeting.board
    item = AgendaItem.objects.get(pk=item.pk, meeting=meeting)
    text = (text or "").strip()
    if not text:
        raise ChangeRefused("Say what was decided, e.g. “Endorse the Bexley role set (Table 3)”.")
    organisations = list(board.organisations.all())
    attendance = list(meeting.attendance.select_related("member__organisation"))
    quorum = rules.quorum(board=board, organisations=organisations, attendance=attendance)
    if not quorum.is_quorate and not inquorate:
        raise ChangeRefused(
            f"{quorum.sentence} A decision at an inquorate meeting is recorded only when marked "
            "“inquorate”: tick it to record it anyway (every export will show it), or record the attendance first."
        )
    pairs = _pairs(votes)
    if not by_vote:
        if pairs or casting_vote:
            raise ChangeRefused("Votes were given for a decision not taken by vote: tick “by vote”, or leave them out.")
        if outcome not in Decision.Outcome.values:
            raise ChangeRefused("Choose the outcome from the list.")
    voting = {o.pk: o for o in organisations if o.is_voting}
    by_id = {o.pk: o for o in organisations}
    excluded = _excluded_because(item) if by_vote else {}
    casting = {a.member.organisation_id: a.member for a in attendance if rules.counts_for_organisation(a)}
    vote_rows, seen = [], set()
    for organisation_id, choice in pairs:
        organisation = voting.get(organisation_id)
        if organisation is None:
            name = by_id[organisation_id].name if organisation_id in by_id else "That organisation"
            raise ChangeRefused(
                f"{name} is not a voting member of {board}: only its voting member organisations vote. Remove its vote."
            )
        if organisation_id in seen:
            raise ChangeRefused(f"{organisation.name} voted twice: each member organisation has one vote. Give one.")
        seen.add(organisation_id)
        if choice not in Vote.Choice.values:
            raise ChangeRefused(f"Choose {organisation.name}'s vote: for, against or abstain.")
        if attendance and organisation_id not in casting:
            raise ChangeRefused(
                f"{organisation.name} was not represented at the meeting (see the attendance), so it cannot vote: "
                "remove its vote, or correct the attendance first."
            )
        vote_rows.append(
            Vote(
                organisation=organisation,
                choice=choice,
                cast_by=casting.get(organisation_id),
                excluded=organisation_id in excluded,
                excluded_because=excluded.get(organisation_id, ""),
            )
        )
    if by_vote:
        if not vote_rows:
            raise ChangeRefused("A decision by vote needs the votes: give each voting organisation's vote.")
        try:
            result = rules.tally(
                board=board,
                votes=vote_rows,
                casting_vote=casting_vote,
                chair_present=quorum.chair_present,
            )
        except rules.CastingVoteRefused as error:
            raise ChangeRefused(str(error)) from error
        outcome = result.outcome
    roles, budgets = list(roles), list(budgets)
    scope = {board.place_id}
    if board.place.is_system_wide:
        scope |= set(Place.objects.filter(ics_id=board.place.ics_id).values_list("pk", flat=True))
    if any(r.place_id not in scope for r in roles) or any(b.place_id not in scope for b in budgets):
        raise ChangeRefused(f"{board} authorises the roles and budgets of {board.place} only: remove the others.")
    decision = Decision(
        item=item,
        text=text,
        outcome=outcome,
        by_vote=by_vote,
        casting_vote=(casting_vote or "") if by_vote else "",
        inquorate=not quorum.is_quorate,
        recorded_by=by if getattr(by, "pk", None) else None,
    )
    decision._history_user = by
    decision.save()
    for vote in vote_rows:
        vote.decision = decision
        vote._history_user = by
        vote.save()
    if roles:
        decision.roles.set(roles)
    if budgets:
        decision.budgets.set(budgets)
    return decision


def decision_tally(decision: Decision) -> rules.Tally | None:
    """The stored votes of a decision counted again by the rules (for its page and the pack); None
    when it was not by vote. Reads the votes (prefetched, or one query)."""
    if not decision.by_vote:
        return None
    meeting = decision.item.meeting
    return rules.tally(
        board=meeting.board, votes=list(decision.votes.all()), casting_vote=decision.casting_vote, chair_present=True
    )
