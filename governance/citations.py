"""Approving a role cites a recorded board decision, and the role page shows the decisions behind it.

`roles` asks, through `roles.extensions.DECISION_SOURCES`, which decisions a place's role may cite
(`choices`) and, inside the move's transaction and after its place and role locks, links the chosen
one (`cite`). A decision can authorise a place's role when it was agreed by one of the place's own
boards or one of its ICS's ICS-wide boards (the ICB, the ICP, the leadership group).

A Part 2 (private) decision's words are shown only to those who may read the meeting
(`access.may_see_meeting_content`); others see the board, the date and the item, which is enough to
cite it, and the reference kept on the role is written the same way, since everyone who sees the
role sees it.

A role a decision names is never deleted, even while it is still proposed (`kept_by_decisions`): the
decision's record would lose it.
"""

from __future__ import annotations

from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet, Value
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse

from roles.extensions import decision_source, role_section
from roles.formatting import day
from roles.models import Place, Role
from roles.services import ChangeRefused, delete_check

from . import access
from .models import Decision, Meeting


def citable_by(place: Place) -> QuerySet[Decision]:
    """The decisions that may authorise `place`'s roles: agreed by its boards or its ICS's ICS-wide boards."""
    return Decision.objects.filter(
        Q(item__meeting__board__place=place)
        | Q(item__meeting__board__place__ics_id=place.ics_id, item__meeting__board__place__is_system_wide=True),
        outcome=Decision.Outcome.AGREED,
    )


def where(decision: Decision) -> str:
    """“Bexley Strategic Board, 27 Jan 2022 (Part 2), item 14”: which decision, without its words."""
    meeting = decision.item.meeting
    part = " (Part 2)" if meeting.is_private else ""
    return f"{meeting.board}, {day(meeting.held_on)}{part}, item {decision.item.number}"


def label(decision: Decision, *, private_words: bool) -> str:
    """The decision as a choice or a reference: its words too where they may be shown."""
    text = decision.text.strip()
    flag = " [inquorate]" if decision.inquorate else ""
    if decision.item.meeting.is_private and not private_words:
        return f"{where(decision)}{flag} (private: the decision's words are for board members)"
    return f"{where(decision)}{flag}: {text[:160]}{'…' if len(text) > 160 else ''}"


class BoardDecisions:
    """The recorded decisions of governance's boards, as `roles` cites them."""

    def choices(self, place: Place, user=None) -> list[tuple[int, str]]:
        """Agreed decisions that may authorise `place`'s roles, newest first. Without a user, or for
        one who may read the meeting, the label has the decision's words."""
        decisions = (
            citable_by(place)
            .select_related("item__meeting__board__place")
            .order_by("-item__meeting__held_on", "-item__number", "-pk")
        )
        if user is None:
            decisions = decisions.annotate(readable=Value(True))
        else:  # whether the user may read each, in the same query however many there are
            meetings = Meeting.objects.filter(access.readable_meetings_filter(user)).values("pk")
            decisions = decisions.annotate(
                readable=ExpressionWrapper(Q(item__meeting__in=meetings), output_field=BooleanField())
            )
        return [(decision.pk, label(decision, private_words=decision.readable)) for decision in decisions]

    def cite(self, *, role: Role, decision_id, by) -> str:
        """Link decision `decision_id` to `role` (with who did it, in the decision's history) and return
        the reference to keep on the role. Refuses, naming the fix, a decision that is not recorded,
        not agreed, or not of the role's place's boards; the caller's transaction then changes nothing."""
        try:
            number = int(decision_id)
        except (TypeError, ValueError):
            number = None
        decision = (
            Decision.objects.select_for_update(of=("self",))
            .select_related("item__meeting__board__place")
            .filter(pk=number)
            .first()
            if number is not None and 0 < number < 2**63
            else None
        )
        if decision is None:
            raise ChangeRefused(
                f"No board decision is recorded with the id {str(decision_id)[:20]}: choose one from the list, "
                "or give the decision's reference in words."
            )
        board = decision.item.meeting.board
        if not citable_by(role.place).filter(pk=decision.pk).exists():
            if decision.outcome != Decision.Outcome.AGREED:
                raise ChangeRefused(
                    f"{where(decision)} was {decision.get_outcome_display().lower()}, so it cannot authorise "
                    f"“{role.title}”: choose an agreed decision, or record the board's decision first."
                )
            raise ChangeRefused(
                f"{where(decision)} is a decision of {board.place}'s {board}, which cannot authorise {role.place}'s "
                f"“{role.title}”: choose a decision of {role.place}'s boards or of its ICS's own boards."
            )
        decision._history_user = by
        decision.roles.add(role)
        return label(decision, private_words=False)


decision_source(BoardDecisions())


@delete_check
def kept_by_decisions(*, roles: list[Role]) -> list[str]:
    """A role a recorded decision names may not be deleted (deleting it would take it out of the decision
    and its history); one reason for each such role, naming the first decision."""
    named = (
        Decision.roles.through.objects.filter(role_id__in=[role.pk for role in roles])
        .select_related("decision__item__meeting__board")
        .order_by("decision__item__meeting__held_on", "decision__item__number", "decision_id")
    )
    first = {}
    for link in named:
        first.setdefault(link.role_id, link.decision)
    return [
        f"“{role.title}” is named by a board's decision ({where(first[role.pk])}): the decision keeps the roles "
        "it names, so withdraw the role instead of deleting it."
        for role in roles
        if role.pk in first
    ]


def _detail_url(decision: Decision) -> str:
    try:
        return reverse("governance:decision_detail", args=[decision.pk])
    except NoReverseMatch:  # the boards' pages are not mounted (yet)
        return ""


@role_section
def authorised_by(request, role: Role) -> str:
    """“Authorised by”: the recorded decisions linked to the role, each linking to its page where the
    user may read it."""
    decisions = list(
        role.decisions.select_related("item__meeting__board").order_by("item__meeting__held_on", "item__number", "pk")
    )
    if not decisions:
        return ""
    rows = []
    for decision in decisions:
        readable = access.may_see_meeting_content(request.user, decision.item.meeting)
        rows.append(
            {
                "decision": decision,
                "label": label(decision, private_words=readable),
                "url": _detail_url(decision) if readable else "",
            }
        )
    return render_to_string("governance/partials/role_authorised_by.html", {"rows": rows}, request=request)
