"""Writes that do more than save one row: creating and editing roles under the budget guard, and
moving roles through the workflow (see `RoleStatus` for the table of moves).

Every function here validates first, writes inside one transaction, and raises a `MoveError`
(with a message that says what to do) having changed nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from . import permissions
from .formatting import day
from .models import (
    REASON_REQUIRED,
    AdvertRound,
    Place,
    Role,
    RoleMove,
    RoleStatus,
    stage_of,
)
from .selectors import BudgetCheck, budget_check

log = logging.getLogger(__name__)
S = RoleStatus


class MoveError(Exception):
    """A move or edit that cannot be made; nothing was changed. `status` is the HTTP status to answer."""

    status = 400

    def __init__(self, message: str, *, problems: list[str] | None = None):
        super().__init__(message)
        self.message = message
        self.problems = problems or []


class IllegalMove(MoveError):
    status = 400


class StaleMove(MoveError):
    status = 409


class MoveNotAllowed(MoveError):
    status = 403


class BudgetRefused(MoveError):
    status = 409

    def __init__(self, message: str, *, check: BudgetCheck):
        super().__init__(message, problems=[s.message for s in check.shortfalls])
        self.check = check


@dataclass
class BulkMoveRefused(MoveError):
    blocked: list[tuple[Role, str]] = field(default_factory=list)
    status = 409

    def __post_init__(self):
        lines = [f"{role.title}: {why}" for role, why in self.blocked]
        MoveError.__init__(self, f"No role was moved: {len(self.blocked)} could not be.", problems=lines)


@dataclass
class BudgetOutcome:
    """What the budget guard let through: warnings to show, and the override reason if it was overridden."""

    warnings: list[str] = field(default_factory=list)
    override_reason: str = ""


@dataclass
class MoveDetails:
    """What some moves need besides a reason."""

    opens_on: dt.date | None = None
    closes_on: dt.date | None = None
    appointee_name: str = ""
    contract_start: dt.date | None = None
    contract_end: dt.date | None = None
    board_decision: str = ""

    def as_json(self) -> dict:
        return {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in vars(self).items() if v}


# --- Creating and editing ----------------------------------------------------------------------


def role_save(*, role: Role, by, override_reason: str = "", save_m2m=None) -> Role:
    """Save a role created or edited through a form (its new values are already on `role`).

    A new role starts as proposed, with an audit row. Editing a role that counts against the
    budget (approved or later) is held to the same budget guard as a move; the guard's warnings
    are left on the returned role as `budget_warnings`.
    """
    with transaction.atomic():
        Place.objects.select_for_update().get(pk=role.place_id)
        created = role.pk is None
        role.budget_warnings = []
        if not created:
            role.budget_warnings = _guard_budget(
                role=role,
                stage_after=role.budget_stage,
                by=by,
                override_reason=override_reason,
                action=f"Saving “{role.title}”",
            ).warnings
        role._history_user = by
        role.save()
        if save_m2m:
            save_m2m()
        if created:
            RoleMove.objects.create(role=role, from_status="", to_status=role.status, by=by, reason="Created")
    log.info("role %s saved by %s", role.pk, by)
    return role


# --- Moving --------------------------------------------------------------------------------------


def role_move(
    *,
    role: Role,
    to: str,
    by,
    reason: str = "",
    expected_status: str | None = None,
    details: MoveDetails | None = None,
    override_reason: str = "",
    today: dt.date | None = None,
) -> RoleMove:
    """Move `role` to `to`, or raise a `MoveError` having changed nothing.

    `expected_status` is the state the user saw: if the role has moved since, the move is stale.
    """
    with transaction.atomic():
        Place.objects.select_for_update().get(pk=role.place_id)
        locked = Role.objects.select_for_update().select_related("place__ics").get(pk=role.pk)
        move = _move_locked(
            role=locked,
            to=to,
            by=by,
            reason=reason.strip(),
            expected_status=expected_status,
            details=details or MoveDetails(),
            override_reason=override_reason.strip(),
            today=today or timezone.localdate(),
        )
    role.refresh_from_db()
    log.info("role %s moved %s -> %s by %s", role.pk, move.from_status, move.to_status, by)
    return move


def roles_move(
    *,
    roles: list[Role],
    to: str,
    by,
    reason: str = "",
    details: MoveDetails | None = None,
    override_reason: str = "",
    today: dt.date | None = None,
) -> list[RoleMove]:
    """Move several roles (a tranche) with one move and one reason: all of them, or none.

    Each role is checked in turn, seeing the roles moved before it (so the budget guard adds them
    up); if any cannot move, nothing is kept and `BulkMoveRefused` lists every role that blocked.
    """
    if not roles:
        raise MoveError("Choose at least one role to move.")
    if to == S.CONTRACTED:
        raise MoveError("Record contracts one role at a time: each needs its own appointee and dates.")
    moves, blocked = [], []
    today = today or timezone.localdate()
    with transaction.atomic():
        places = sorted({r.place_id for r in roles})
        list(Place.objects.select_for_update().filter(pk__in=places).order_by("pk"))
        locked = {
            r.pk: r
            for r in Role.objects.select_for_update()
            .select_related("place__ics")
            .filter(pk__in=[r.pk for r in roles])
            .order_by("pk")
        }
        for role in sorted(roles, key=lambda r: r.title):
            try:
                with transaction.atomic():
                    moves.append(
                        _move_locked(
                            role=locked[role.pk],
                            to=to,
                            by=by,
                            reason=reason.strip(),
                            expected_status=None,
                            details=details or MoveDetails(),
                            override_reason=override_reason.strip(),
                            today=today,
                        )
                    )
            except MoveError as error:
                blocked.append((role, " ".join([error.message, *error.problems])))
        if blocked:
            transaction.set_rollback(True)
            raise BulkMoveRefused(blocked=blocked)
    log.info("%s roles moved to %s by %s", len(moves), to, by)
    return moves


def _move_locked(
    *, role: Role, to: str, by, reason: str, expected_status, details: MoveDetails, override_reason: str, today: dt.date
) -> RoleMove:
    before = role.status
    if not permissions.may_move(by, role.place, to):
        raise MoveNotAllowed(f"Your account may not move {role.place}'s roles to “{_label(to)}”.")
    if expected_status and before != expected_status:
        raise StaleMove(
            f"“{role.title}” has moved since you loaded the page: it is now {S(before).label}, not "
            f"{S(expected_status).label}. Look at it again and choose a move."
        )
    if to not in role.allowed_moves():
        allowed = ", ".join(S(t).label for t in role.allowed_moves()) or "none: it is final"
        raise IllegalMove(
            f"“{role.title}” cannot move from {S(before).label} to {_label(to)}. Moves from here: {allowed}."
        )
    if (to in REASON_REQUIRED or _ends_early(role, to, today)) and not reason:
        raise MoveError(f"Say why “{role.title}” is moving to {_label(to)}: a reason is required.")

    resuming = before == S.ON_HOLD and to == role.held_from
    _apply(role=role, to=to, details=details, today=today, resuming=resuming)
    budget = _guard_budget(
        role=role,
        stage_after=stage_of(to, before) if to == S.ON_HOLD else stage_of(to),
        by=by,
        override_reason=override_reason,
        action=f"Moving “{role.title}” to {_label(to)}",
    )
    if resuming:
        role.held_from = ""
    elif to == S.ON_HOLD:
        role.held_from = before
    elif to == S.WITHDRAWN:
        role.held_from = ""
    role.status = to
    role._history_user = by
    role.save()
    move = RoleMove.objects.create(
        role=role,
        from_status=before,
        to_status=to,
        by=by,
        reason=reason,
        budget_override=budget.override_reason,
        details=details.as_json(),
    )
    move.warnings = budget.warnings
    return move


def _label(to: str) -> str:
    return S(to).label if to in S.values else to


def _ends_early(role: Role, to: str, today: dt.date) -> bool:
    return to == S.ENDED and (role.end_date is None or today < role.end_date)


def _current_round(role: Role) -> AdvertRound | None:
    return role.advert_rounds.order_by("-number").first()


def _apply(*, role: Role, to: str, details: MoveDetails, today: dt.date, resuming: bool) -> None:
    """Check what the move needs and put its effects on `role` (saved by the caller)."""
    if resuming:
        return
    if to == S.APPROVED:
        if not role.description_signed_off_on:
            raise MoveError(
                f"“{role.title}” needs a signed-off role description before it is approved: "
                "edit the role and give the sign-off date."
            )
        if details.board_decision:
            role.board_decision = details.board_decision.strip()
        if role.place.requires_board_decision and not role.board_decision:
            raise MoveError(
                f"{role.place} needs a board decision before a role is approved: give the decision reference "
                "(e.g. “Borough Strategic Board, 31 Mar 2022: endorse the role set”)."
            )
    elif to == S.ADVERTISED:
        if not (details.opens_on and details.closes_on):
            raise MoveError(f"Advertising “{role.title}” needs the opening and closing dates.")
        if details.closes_on < details.opens_on:
            raise MoveError(
                f"The closing date ({day(details.closes_on)}) is before the opening date "
                f"({day(details.opens_on)}): move one of them."
            )
        if role.end_date and details.closes_on > role.end_date:
            raise MoveError(
                f"Applications would close on {day(details.closes_on)}, after “{role.title}” ends on "
                f"{day(role.end_date)}: change the role's dates first, or the advert's."
            )
        last = _current_round(role)
        AdvertRound.objects.create(
            role=role, number=(last.number + 1) if last else 1, opens_on=details.opens_on, closes_on=details.closes_on
        )
    elif to == S.SHORTLISTING:
        current = _current_round(role)
        if current is None:
            raise MoveError(f"“{role.title}” has no advert round to shortlist from.")
        if today <= current.closes_on:
            raise MoveError(
                f"Applications for “{role.title}” close on {day(current.closes_on)}: shortlisting can start "
                f"on {day(current.closes_on + dt.timedelta(days=1))}."
            )
    elif to == S.CONTRACTED:
        name = details.appointee_name.strip()
        if not (name and details.contract_start and details.contract_end):
            raise MoveError(
                f"Recording the contract for “{role.title}” needs the appointee's name and the contract's "
                "start and end dates."
            )
        if details.contract_end < details.contract_start:
            raise MoveError(
                f"The contract end ({day(details.contract_end)}) is before its start "
                f"({day(details.contract_start)}): move one of them."
            )
        role.appointee_name = name
        role.start_date, role.end_date = details.contract_start, details.contract_end
        AdvertRound.objects.filter(role=role, outcome=AdvertRound.Outcome.OPEN).update(
            outcome=AdvertRound.Outcome.APPOINTED
        )
    elif to == S.IN_POST:
        if today < role.start_date:
            raise MoveError(f"“{role.title}” starts on {day(role.start_date)}: it can be in post from then.")
    elif to == S.ENDED:
        if role.end_date is None or today < role.end_date:
            role.end_date = today
    elif to == S.NOT_APPOINTED:
        role.appointee_name = ""
        current = _current_round(role)
        if current is not None:
            current.outcome = AdvertRound.Outcome.NOT_APPOINTED
            current.save(update_fields=["outcome"])
    elif to == S.WITHDRAWN:
        AdvertRound.objects.filter(role=role, outcome=AdvertRound.Outcome.OPEN).update(
            outcome=AdvertRound.Outcome.WITHDRAWN
        )


def _guard_budget(*, role: Role, stage_after: str, by, override_reason: str, action: str) -> BudgetOutcome:
    """Refuse a change that would take the place over a budget or session cap, unless an ICS
    administrator overrides it with a written reason. Returns the warnings and whether it was overridden."""
    check = budget_check(role=role, stage_after=stage_after)
    if check.ok:
        return BudgetOutcome(warnings=check.warnings)
    if override_reason:
        if not permissions.is_ics_admin_for(by, role.place):
            raise MoveNotAllowed("Only an ICS administrator may override the budget guard.")
        log.warning("budget guard overridden for role %s by %s: %s", role.pk, by, override_reason)
        return BudgetOutcome(warnings=check.warnings, override_reason=override_reason)
    raise BudgetRefused(
        f"{action} would take {role.place} over budget. An ICS administrator may override it with a reason.",
        check=check,
    )
