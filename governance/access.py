"""Who sees and changes governance rows. The kinds of access are `roles.permissions`'; what this
module adds is the one rule that depends on governance's own data: a Part 2 (private) meeting's
papers, items, decisions and declarations are seen only by the board's members (a `BoardMember`
whose person is the user) and the secretariat (and superusers).

| who                         | boards, Part 1 meetings | Part 2 meetings' content | record meetings | engagement log |
|-----------------------------|-------------------------|--------------------------|-----------------|----------------|
| superuser                   | read                    | read                     | yes             | edit           |
| ICS administrator           | read (their ICS)        | only if a board member   | yes             | edit           |
| board secretariat           | read (their scope)      | read                     | yes             | read           |
| place team member           | read (their place)      | only if a board member   | no              | edit           |
| HR recruiter                | read (their places)     | only if a board member   | no              | read           |
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from roles import permissions
from roles.models import Place

from .models import Board, BoardMember, Meeting


def boards_visible_to(user) -> QuerySet[Board]:
    return Board.objects.filter(place__in=permissions.places_visible_to(user))


def boards_sat_on(user) -> set[int]:
    """The boards the user sits on (through their `Person`), read once per request."""
    if not getattr(user, "is_authenticated", False):
        return set()
    cached = getattr(user, "_leadership_board_seats", None)
    if cached is None:
        cached = set(BoardMember.objects.filter(person__user=user).values_list("board_id", flat=True))
        user._leadership_board_seats = cached
    return cached


def may_see_private(user, board: Board) -> bool:
    """Whether the user may read Part 2 (private) papers, items and decisions of `board`."""
    if not getattr(user, "is_authenticated", False):
        return False
    return user.is_superuser or permissions.is_secretariat_for(user, board.place) or board.pk in boards_sat_on(user)


def may_see_meeting_content(user, meeting: Meeting) -> bool:
    return not meeting.is_private or may_see_private(user, meeting.board)


def readable_meetings_filter(user) -> Q:
    """A filter on `Meeting` for the meetings whose content the user may read (before the place scope)."""
    if getattr(user, "is_superuser", False):
        return Q()
    return (
        Q(part=Meeting.Part.PUBLIC)
        | Q(board__place__in=permissions.places_secretariat_of(user))
        | Q(board__in=boards_sat_on(user))
    )


def meetings_readable_by(user) -> QuerySet[Meeting]:
    """Meetings whose content (items, papers, decisions) the user may read."""
    return Meeting.objects.filter(board__in=boards_visible_to(user)).filter(readable_meetings_filter(user))


def may_run_boards(user, place: Place) -> bool:
    return permissions.may_run_boards(user, place)


def may_edit_engagement(user, place: Place) -> bool:
    """The place team and ICS administrators keep the place's engagement log."""
    return permissions.can_edit_catalogue(user, place)
