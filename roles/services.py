"""Every write to roles, budgets and a place's template choices: one door per kind of change.

Creating, editing and deleting a role, moving it through the workflow (see `RoleStatus` for the
table of moves and `MOVE_NEEDS` for what each asks), saving a budget and recording why a template
role was not adopted. The browser's views, the admin, commands and tasks all call these functions;
none of them writes those rows itself.

Each function checks who is asking (`permissions`), takes the place's row lock and then the role's
(always in that order, so two writers never deadlock), re-reads what it changes under the lock,
applies the same rules whoever calls it, writes only the columns it changes, leaves an audit row
(who, when, what, from, to, why), and raises a `ChangeRefused` (a message that says what to do,
and the HTTP status to answer) having changed nothing.
"""

from __future__ import annotations

import copy
import datetime as dt
import logging
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models.fields.files import FieldFile
from django.utils import timezone

from . import extensions, permissions
from .documents import document_forget
from .formatting import day, field_value, money, person, sessions
from .models import (
    MOVE_NEEDS,
    AdvertRound,
    Budget,
    Person,
    Place,
    Role,
    RoleMove,
    RoleStatus,
    TemplateOmission,
    TemplateRole,
    plausible_date,
    professions_problem,
    stage_of,
)
from .selectors import BudgetCheck, budget_check, place_dashboard

log = logging.getLogger(__name__)
S = RoleStatus
Action = RoleMove.Action


# --- Refusals ------------------------------------------------------------------------------------


class ChangeRefused(Exception):
    """A change that cannot be made; nothing was changed. `status` is the HTTP status to answer."""

    status = 400

    def __init__(self, message: str, *, problems: list[str] | None = None):
        super().__init__(message)
        self.message = message
        self.problems = problems or []

    def __str__(self) -> str:
        return " ".join([self.message, *self.problems])


MoveError = ChangeRefused  # the name the workflow's callers know


class IllegalMove(ChangeRefused):
    status = 400


class StaleMove(ChangeRefused):
    status = 409


class MoveNotAllowed(ChangeRefused):
    status = 403


class BudgetRefused(ChangeRefused):
    status = 409

    def __init__(self, message: str, *, check: BudgetCheck):
        super().__init__(message, problems=[s.message for s in check.shortfalls])
        self.check = check


class RoleInvalid(ChangeRefused):
    """The role's values break a rule: `errors` maps each field to what is wrong with it."""

    status = 400

    def __init__(self, errors: dict[str, list[str]]):
        lines = [message for messages in errors.values() for message in messages]
        super().__init__("Nothing was saved: " + " ".join(lines))
        self.errors = errors


class StaleEdit(ChangeRefused):
    """The role changed after the form was loaded, so the edit was refused, not merged.

    `meanwhile` lists the audit rows since the form's version; `differences` says, for each field
    whose value in the form differs from the role as it is now, what saving the form again would
    change it from and to (field name -> {"field", "name", "old", "new"}, as audit rows write it).
    """

    status = 409

    def __init__(self, role: Role, meanwhile: list[RoleMove], differences: dict[str, dict] | None = None):
        who = sorted({person(row.by, nobody="the system") for row in meanwhile}) or ["someone else"]
        super().__init__(
            f"“{role.title}” was changed by {', '.join(who)} after you opened this form, so nothing was saved. "
            "What changed is listed below, and each field where your form differs from the role as it is now "
            "is marked. Check them: saving again keeps what the form says."
        )
        self.role = role
        self.meanwhile = meanwhile
        self.differences = differences or {}


class DeleteRefused(ChangeRefused):
    status = 409


@dataclass
class BulkMoveRefused(ChangeRefused):
    blocked: list[tuple[Role, str]] = field(default_factory=list)
    status = 409

    def __post_init__(self):
        lines = [f"{role.title}: {why}" for role, why in self.blocked]
        ChangeRefused.__init__(self, f"No role was moved: {len(self.blocked)} could not be.", problems=lines)


def _lock_places(place_ids) -> dict[int, Place]:
    """Take the places' row locks, in id order: every writer takes them first, in that order, so
    two writers never deadlock, and a writer sees the budget figures other writers left."""
    rows = Place.objects.select_for_update(of=("self",)).select_related("ics")
    return {place.pk: place for place in rows.filter(pk__in=sorted(set(place_ids))).order_by("pk")}


def _lock_roles(role_ids, places: dict[int, Place]) -> dict[int, Role]:
    """Take the roles' row locks (after their places'), reading them afresh. A role that moved to a
    place whose lock is not held has changed under the caller: it must look again."""
    rows = Role.objects.select_for_update(of=("self",)).select_related("place__ics")
    locked = {role.pk: role for role in rows.filter(pk__in=role_ids).order_by("pk")}
    for role in locked.values():
        if role.place_id not in places:
            raise StaleMove(f"“{role.title}” has moved to {role.place} since you loaded the page: look at it again.")
    return locked


def role_lock(role: Role) -> Role:
    """Take `role`'s place lock and then its own, as every writer does, and return it read afresh.

    For apps above `roles` whose changes move a role: they lock it first, then their own rows, so
    their lock order matches the moves' (place, role, then anything else) and never deadlocks."""
    locked = _lock_roles([role.pk], _lock_places(_current_place_ids([role.pk])))
    if role.pk not in locked:
        raise StaleMove(f"“{role.title}” no longer exists: look at the list again.")
    return locked[role.pk]


def _current_place_ids(role_ids) -> set[int]:
    return set(Role.objects.filter(pk__in=role_ids).values_list("place_id", flat=True))


# --- What a change carries -----------------------------------------------------------------------


@dataclass
class BudgetOutcome:
    """What the budget guard let through: warnings to show, and the override reason if it was overridden."""

    warnings: list[str] = field(default_factory=list)
    override_reason: str = ""


@dataclass
class MoveDetails:
    """What some moves need besides a reason (`MOVE_NEEDS` says which)."""

    opens_on: dt.date | None = None
    closes_on: dt.date | None = None
    appointee_name: str = ""
    appointee: Person | None = None  # recruitment's appointee; the name is taken from them
    contract_start: dt.date | None = None
    contract_end: dt.date | None = None
    # A signed contract's terms, where they differ from the role's (recruitment's contract): they
    # become the role's, as the contract's dates do, under the budget guard.
    sessions_per_week: Decimal | None = None
    rate_per_session: Decimal | None = None
    board_decision: str = ""
    # A recorded board decision that authorises the approval (`extensions.DECISION_SOURCES`): the
    # source links it to the role, and its reference is kept when no free-text one is given.
    decision_id: int | None = None

    def as_json(self) -> dict:
        shown = {
            k: (v.isoformat() if isinstance(v, dt.date) else str(v) if isinstance(v, Decimal) else v)
            for k, v in vars(self).items()
            if v and k != "appointee"
        }
        if self.appointee is not None:
            shown["appointee_name"], shown["person_id"] = self.appointee.name, self.appointee.pk
        return shown

    def dates(self) -> list[dt.date]:
        return [v for v in vars(self).values() if isinstance(v, dt.date)]


@dataclass
class RoleSaved:
    """A created or edited role, its audit row (None when an edit changed nothing) and the budget
    guard's warnings to show."""

    role: Role
    audit: RoleMove | None
    warnings: list[str] = field(default_factory=list)


# --- Creating, editing and deleting roles -----------------------------------------------------------

# What a role's edit may change, in the order forms show them (the admin's form also has the
# place). Status, held-from and the appointee are the workflow's, written only by moves; the
# version only by the services.
EDITABLE_FIELDS = (
    "place",
    "title",
    "role_type",
    "template_role",
    "variation_reason",
    "spatial_level",
    "functions",
    "sessions_per_week",
    "rate_per_session",
    "start_date",
    "end_date",
    "is_critical",
    "predates_ics_model",
    "eligible_professions",
    "description",
    "description_document",
    "description_signed_off_on",
    "board_decision",
)
M2M_FIELDS = frozenset({"functions", "eligible_professions"})


def role_create(*, place: Place, values: dict, by) -> RoleSaved:
    """Add a role to `place` (or to `values["place"]`, the admin's choice) as proposed, with a
    "created" audit row.

    `values` holds the fields of `EDITABLE_FIELDS` to set (many-to-many fields as lists of rows,
    the document as an uploaded file). A proposed role does not count against the budget yet.
    """
    _check_fields(values)
    place = values.get("place") or place
    with transaction.atomic():
        place = _lock_places([place.pk])[place.pk]
        if not permissions.can_edit_catalogue(by, place):
            raise MoveNotAllowed(f"Your account may not add roles to {place}.")
        role = Role(place=place, status=S.PROPOSED, version=1)
        m2m = _apply_values(role, values)
        _validate(role, m2m)
        role._history_user = by
        role.save()
        for name, rows in m2m.items():
            getattr(role, name).set(rows)
        audit = _audit(role, Action.CREATED, by, from_status="")
    log.info("role %s created in %s by %s", role.pk, place.slug, by)
    return RoleSaved(role=role, audit=audit)


def role_edit(
    *, role: Role, values: dict, version: int | None, by, override_reason: str = "", reason: str = ""
) -> RoleSaved:
    """Change the fields named in `values`, and only those, of the role as it is now.

    `version` is the role's version the form was loaded from: if the role has been edited or
    moved since, the edit is refused with `StaleEdit` (listing what changed), never merged. An
    edit of a role that counts against a budget is held to the budget guard of every financial
    year it touches, in the place it lands in when it moves place. The audit row lists each field's
    old and new value, and any override reason. An edit that changes nothing writes nothing.
    """
    _check_fields(values)
    override_reason = (override_reason or "").strip()
    with transaction.atomic():
        place_ids = _current_place_ids([role.pk])
        if not place_ids:
            raise ChangeRefused(f"“{role.title}” no longer exists: it was deleted.")
        new_place = values.get("place")
        places = _lock_places(place_ids | ({new_place.pk} if new_place else set()))
        locked = _lock_roles([role.pk], places)[role.pk]
        if version is None:
            raise ChangeRefused("This form does not say which version of the role it was loaded from: reload it.")
        if locked.version != version:
            meanwhile = list(locked.moves.filter(version__gt=version).select_related("by").order_by("version"))
            raise StaleEdit(locked, meanwhile, _differences(locked, values))
        old_place = locked.place
        if not permissions.can_edit_catalogue(by, old_place):
            raise MoveNotAllowed(f"Your account may not change {old_place}'s roles.")
        if new_place and new_place.pk != old_place.pk and not permissions.can_edit_catalogue(by, new_place):
            raise MoveNotAllowed(f"Your account may not move roles into {new_place}.")

        before = _snapshot(locked, values)
        old_document = locked.description_document.name or ""
        m2m = _apply_values(locked, values)
        _validate(locked, m2m)
        after = _snapshot(locked, values, m2m)
        changed = [name for name in values if before[name] != after[name]]
        if not changed:
            return RoleSaved(role=locked, audit=None)

        budget = _guard_budget(
            role=locked,
            stage_after=locked.budget_stage,
            by=by,
            override_reason=override_reason,
            action=f"Saving “{locked.title}”",
        )
        locked.version += 1
        locked._history_user = by
        columns = [name for name in changed if name not in M2M_FIELDS]
        locked.save(update_fields=[*columns, "version", "updated_at"])
        for name in changed:
            if name in M2M_FIELDS:
                getattr(locked, name).set(m2m[name])
        audit = _audit(
            locked,
            Action.EDITED,
            by,
            reason=reason.strip(),
            budget_override=budget.override_reason,
            details={"changes": [_change(name, before, after) for name in changed]},
        )
        new_document = locked.description_document.name or ""
        if old_document and old_document != new_document:
            transaction.on_commit(lambda: document_forget(old_document, still_used=_document_in_use))
    log.info("role %s edited by %s: %s", locked.pk, by, ", ".join(changed))
    return RoleSaved(role=locked, audit=audit, warnings=budget.warnings)


def role_delete(*, role: Role, by) -> RoleMove:
    """Delete a role that is still proposed (a mistake), keeping its audit trail and a "deleted" row.

    A role that has left "proposed" has a history others rely on: it is withdrawn, never deleted.
    """
    return roles_delete(roles=[role], by=by)[0]


def roles_delete(*, roles: list[Role], by) -> list[RoleMove]:
    """Delete several proposed roles: all of them, or none (naming each that may not go)."""
    if not roles:
        raise ChangeRefused("Choose at least one role to delete.")
    with transaction.atomic():
        ids = [r.pk for r in roles]
        places = _lock_places(_current_place_ids(ids))
        locked = list(_lock_roles(ids, places).values())
        for row in locked:
            if not permissions.can_edit_catalogue(by, places[row.place_id]):
                raise MoveNotAllowed(f"Your account may not delete {places[row.place_id]}'s roles.")
        refused = delete_refusals(locked)
        if refused:
            raise DeleteRefused(f"Nothing was deleted: {len(refused)} of the roles may not be.", problems=refused)
        rows = []
        for row in locked:
            row.version += 1
            rows.append(_audit(row, Action.DELETED, by, reason="Deleted while proposed"))
            document = row.description_document.name or ""
            _unlink_in_history(row, by)
            row._history_user = by
            row.delete()
            if document:
                transaction.on_commit(lambda name=document: document_forget(name, still_used=_document_in_use))
    log.info("%s proposed roles deleted by %s", len(rows), by)
    return rows


def _unlink_in_history(role: Role, by) -> None:
    """Take `role` out of each row that keeps the history of its links to roles (a milestone's roles, a
    feedback point's), one row at a time as `by`, so each history says the role went and who took it
    out; deleting the role would delete the links with no history row. Found through the models'
    relations, since those models belong to the apps above."""
    for relation in Role._meta.related_objects:
        model = relation.related_model
        manager = getattr(model._meta, "simple_history_manager_attribute", None)
        if not relation.many_to_many or manager is None:
            continue
        name = relation.field.name
        if name not in {field.name for field in getattr(model, manager).model._history_m2m_fields}:
            continue
        for linked in model._default_manager.filter(**{name: role}).order_by("pk"):
            linked._history_user = by
            getattr(linked, name).remove(role)


def delete_refusals(roles: list[Role]) -> list[str]:
    """Why each of `roles` that may not be deleted is kept, for the delete page to say and for
    `roles_delete` to refuse: it has left Proposed, or an app above keeps it (`delete_check`)."""
    refused = [
        f"“{row.title}” is {row.get_status_display()}: withdraw it instead; a role that has left Proposed "
        "keeps its history."
        for row in roles
        if row.status != S.PROPOSED or row.advert_rounds.exists()
    ]
    for check in DELETE_CHECKS:
        refused += check(roles=roles)
    return refused


# Rules of apps above `roles` on deleting roles (governance: a board's decision keeps the roles it names):
# `check(*, roles) -> [why, ...]`, one reason for each role it keeps, in one query for all of them.
DELETE_CHECKS: list = []


def delete_check(check):
    """Register `check` to run before any role is deleted (a decorator; registering twice keeps one)."""
    if check not in DELETE_CHECKS:
        DELETE_CHECKS.append(check)
    return check


def _audit(role: Role, action: str, by, *, from_status: str | None = None, **fields) -> RoleMove:
    """The audit row of a change just made to `role` (its state and version as they are now)."""
    return RoleMove.objects.create(
        role=role,
        place_id=role.place_id,
        role_title=role.title,
        action=action,
        version=role.version,
        from_status=role.status if from_status is None else from_status,
        to_status=role.status,
        by=by,
        **fields,
    )


def _document_in_use(name: str) -> bool:
    return Role.objects.filter(description_document=name).exists()


def _check_fields(values: dict) -> None:
    unknown = set(values) - set(EDITABLE_FIELDS)
    if unknown:
        # A caller's mistake, not a user's: status and the appointee change only through moves.
        raise ValueError(f"role edits cannot set {', '.join(sorted(unknown))}: those change only through moves")


def _apply_values(role: Role, values: dict) -> dict:
    """Put `values` on `role` (not saved); return the many-to-many values to set after saving."""
    m2m = {}
    for name, value in values.items():
        if name in M2M_FIELDS:
            m2m[name] = list(value or [])
        elif name == "description_document":
            if value is False:
                role.description_document = None
            elif isinstance(value, UploadedFile):
                role.description_document = value
            # a stored FieldFile (or None) keeps the document as it is
        else:
            setattr(role, name, value)
    return m2m


def _validate(role: Role, m2m: dict) -> None:
    """The rules every caller is held to: the model's (fields, dates, template, sign-off, document)
    and those that need the professions. Raises `RoleInvalid` naming each field."""
    errors: dict[str, list[str]] = {}
    try:
        role.full_clean(validate_unique=False)
    except ValidationError as error:
        errors = error.message_dict
    professions = m2m.get("eligible_professions")
    if professions is None and role.pk:
        professions = list(role.eligible_professions.all())
    problem = professions_problem(role.role_type, professions or [])
    if problem:
        errors.setdefault("eligible_professions", []).append(problem)
    if errors:
        raise RoleInvalid(errors)


def _snapshot(role: Role, names, m2m: dict | None = None) -> dict:
    """Comparable values of the fields `names` (related rows as ids, documents as names)."""
    values = {}
    for name in names:
        model_field = Role._meta.get_field(name)
        if name in M2M_FIELDS:
            rows = m2m[name] if m2m is not None and name in m2m else list(getattr(role, name).all())
            values[name] = (tuple(sorted(r.pk for r in rows)), rows)
        elif model_field.is_relation:
            values[name] = (getattr(role, model_field.attname), getattr(role, name))
        elif name == "description_document":
            document = role.description_document
            pending = document and not getattr(document, "_committed", True)
            values[name] = (("new", document.name) if pending else (document.name or ""), document)
        else:
            values[name] = getattr(role, name)
    return values


def _shown(name: str, value) -> str:
    """A snapshot value (see `_snapshot`) written as people read it."""
    if isinstance(value, tuple):  # (comparable, displayable)
        value = value[1]
    if isinstance(value, FieldFile):
        value = value.name or None
    return field_value(Role._meta.get_field(name), value)


def _change(name: str, before: dict, after: dict) -> dict:
    field_name = str(Role._meta.get_field(name).verbose_name)
    return {"field": field_name, "name": name, "old": _shown(name, before[name]), "new": _shown(name, after[name])}


def _differences(role: Role, values: dict) -> dict[str, dict]:
    """Where `values` differ from `role` as it is now: what saving them would change, field by field
    (as `_change` writes it: "old" is the role now, "new" what the form says)."""
    now = _snapshot(role, values)
    yours_on = copy.copy(role)
    yours = _snapshot(yours_on, values, _apply_values(yours_on, values))
    return {name: _change(name, now, yours) for name in values if now[name] != yours[name]}


# --- Template choices and budgets ------------------------------------------------------------------


def omission_reason_save(*, place: Place, template_role: TemplateRole, reason: str, by) -> TemplateOmission:
    """Record why `place` does not adopt `template_role` (kept with who and when in its history)."""
    with transaction.atomic():
        place = _lock_places([place.pk])[place.pk]
        if not permissions.can_edit_catalogue(by, place):
            raise MoveNotAllowed(f"Your account may not change {place}'s template choices.")
        if template_role.ics_id != place.ics_id:
            raise ChangeRefused(f"“{template_role}” is not one of {place.ics}'s template roles.")
        adopted = Role.objects.filter(place=place, template_role=template_role).exclude(status=S.WITHDRAWN)
        if adopted.exists():
            raise ChangeRefused(
                f"{place} has adopted “{template_role}”, so there is no reason for not adopting it to record."
            )
        omission = TemplateOmission.objects.filter(place=place, template_role=template_role).first()
        omission = omission or TemplateOmission(place=place, template_role=template_role)
        reason = reason.strip()
        if omission.pk and omission.reason == reason:
            return omission
        omission.reason = reason
        omission._history_user = by
        omission.save()
    return omission


def budget_save(*, budget: Budget, by) -> list[str]:
    """Save a budget (new or changed) under its place's lock, kept in its history; return warnings,
    e.g. when the new amount is below what the year's roles already take."""
    with transaction.atomic():
        place = _lock_places([budget.place_id])[budget.place_id]
        if not permissions.is_ics_admin_for(by, place):
            raise MoveNotAllowed(f"Only an ICS administrator may set {place}'s budgets.")
        budget._history_user = by
        budget.save()
        board = place_dashboard(place=place, year=budget.year)
        warnings = []
        if board.is_over_budget:
            warnings.append(
                f"{place}'s {budget.year} budget of {money(budget.amount)} is {money(-board.headroom)} below what "
                f"committed and pipeline roles take ({money(board.spent_or_reserved)})."
            )
        if board.is_over_session_cap:
            warnings.append(
                f"{place}'s {budget.year} roles use up to {sessions(board.sessions_used)} sessions a week, over the "
                f"cap of {sessions(budget.session_cap)}."
            )
    log.info("budget %s saved by %s", budget.pk, by)
    return warnings


def budget_delete(*, budget: Budget, by) -> None:
    """Delete a budget; its amounts stay in the budget history with who deleted it and when."""
    with transaction.atomic():
        place = _lock_places([budget.place_id])[budget.place_id]
        if not permissions.is_ics_admin_for(by, place):
            raise MoveNotAllowed(f"Only an ICS administrator may remove {place}'s budgets.")
        budget._history_user = by
        budget.delete()
    log.info("budget for %s %s deleted by %s", place, budget.year, by)


PLACE_KEPT = "Withdraw or move its roles, and remove its budgets and members first; a place with history is kept."


def place_holdings(place: Place) -> list[str]:
    """What keeps `place` from being deleted ("51 roles", "3 budgets", ...): nothing for an empty place."""
    held = [
        (place.roles.count(), "role"),
        (place.budgets.count(), "budget"),
        (place.memberships.count(), "member"),
        (place.template_omissions.count(), "template choice"),
        (place.role_audit.count(), "audit row"),
    ]
    return [f"{count} {noun}{'s' if count != 1 else ''}" for count, noun in held if count]


def place_delete(*, place: Place, by) -> None:
    """Delete a place that holds nothing: a place with roles, budgets, members or template choices
    is refused with what it holds (the database refuses it too)."""
    with transaction.atomic():
        place = _lock_places([place.pk])[place.pk]
        if not permissions.is_ics_admin_for(by, place):
            raise MoveNotAllowed(f"Only an ICS administrator may delete {place}.")
        held = place_holdings(place)
        if held:
            raise DeleteRefused(f"{place} was not deleted: it holds {', '.join(held)}. {PLACE_KEPT}")
        place._history_user = by
        place.delete()
    log.info("place %s deleted by %s", place, by)


def references(obj) -> list[str]:
    """What refers to `obj` ("11 places", "22 template roles"), a query a kind: the rows that keep an
    ICS or a template role from being deleted. Nothing for a row that nothing refers to."""
    held = []
    for relation in obj._meta.related_objects:
        if relation.hidden:  # links the row owns (its own many-to-many rows) go with it
            continue
        count = relation.related_model._base_manager.filter(**{relation.field.name: obj}).count()
        if count:
            opts = relation.related_model._meta
            held.append(f"{count} {opts.verbose_name if count == 1 else opts.verbose_name_plural}")
    return held


def unreferenced_delete(*, obj, by, advice: str) -> None:
    """Delete `obj` (an ICS, a template role) when nothing refers to it; refused with what does, and
    `advice`, otherwise (the database's protections refuse it too)."""
    with transaction.atomic():
        obj = type(obj)._base_manager.select_for_update().get(pk=obj.pk)
        held = references(obj)
        if held:
            raise DeleteRefused(f"{obj} was not deleted: {', '.join(held)} refer to it. {advice}")
        obj._history_user = by
        obj.delete()
    log.info("%s %s deleted by %s", obj._meta.verbose_name, obj, by)


# --- Moving ---------------------------------------------------------------------------------------


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
    """Move one role: `roles_move` with one role, its refusal raised as itself (stale, illegal,
    not allowed, over budget) rather than as a tranche's list."""
    move = roles_move(
        roles=[role],
        to=to,
        by=by,
        reason=reason,
        expected_status=expected_status,
        details=details,
        override_reason=override_reason,
        today=today,
    )[0]
    role.refresh_from_db()
    return move


def roles_move(
    *,
    roles: list[Role],
    to: str,
    by,
    reason: str = "",
    expected_status: str | None = None,
    details: MoveDetails | None = None,
    override_reason: str = "",
    today: dt.date | None = None,
) -> list[RoleMove]:
    """The one door for every move: the role page, the board's single and bulk moves, the admin's actions.

    Several roles (a tranche) move with one move and one reason: all of them, or none. Each is
    checked in turn, seeing the roles moved before it (so the budget guard adds them up); if any
    cannot move, nothing is kept and `BulkMoveRefused` lists every role that blocked. One role's
    refusal is raised as itself. `expected_status` is the state the user saw: if the role has moved
    since, the move is stale.
    """
    if not roles:
        raise ChangeRefused("Choose at least one role to move.")
    if to not in S.values:
        raise IllegalMove(f"“{str(to)[:40]}” is not a state a role can be moved to.")
    if len(roles) > 1 and MOVE_NEEDS[to].one_at_a_time:
        raise ChangeRefused(MOVE_NEEDS[to].one_at_a_time)
    if expected_status is not None and expected_status not in S.values:
        raise StaleMove(f"The form named the role's state as “{str(expected_status)[:40]}”: reload the page.")
    details = details or MoveDetails()
    for date in details.dates():
        try:
            plausible_date(date)
        except ValidationError as error:
            raise ChangeRefused(error.messages[0]) from error
    moves, blocked = [], []
    today = today or timezone.localdate()
    with transaction.atomic():
        ids = [r.pk for r in roles]
        locked = _lock_roles(ids, _lock_places(_current_place_ids(ids)))
        for role in sorted(roles, key=lambda r: r.title):
            if role.pk not in locked:
                blocked.append((role, "it no longer exists."))
                continue
            try:
                with transaction.atomic():
                    moves.append(
                        _move_locked(
                            role=locked[role.pk],
                            to=to,
                            by=by,
                            reason=reason.strip(),
                            expected_status=expected_status,
                            details=details,
                            override_reason=override_reason.strip(),
                            today=today,
                        )
                    )
            except ChangeRefused as error:
                if len(roles) == 1:
                    raise
                blocked.append((role, str(error)))
        if blocked:
            transaction.set_rollback(True)
            raise BulkMoveRefused(blocked=blocked)
    for move in moves:
        log.info("role %s moved %s -> %s by %s", move.role_id, move.from_status, move.to_status, by)
    return moves


def _move_locked(
    *, role: Role, to: str, by, reason: str, expected_status, details: MoveDetails, override_reason: str, today: dt.date
) -> RoleMove:
    before = role.status
    needs = MOVE_NEEDS[to]
    if not permissions.may_move(by, role.place, to):
        raise MoveNotAllowed(f"Your account may not move {role.place}'s roles to “{S(to).label}”.")
    if expected_status and before != expected_status:
        raise StaleMove(
            f"“{role.title}” has moved since you loaded the page: it is now {S(before).label}, not "
            f"{S(expected_status).label}. Look at it again and choose a move."
        )
    if to not in role.allowed_moves():
        allowed = ", ".join(S(t).label for t in role.allowed_moves()) or "none: it is final"
        raise IllegalMove(
            f"“{role.title}” cannot move from {S(before).label} to {S(to).label}. Moves from here: {allowed}."
        )
    early = needs.reason == "if early" and (role.end_date is None or today < role.end_date)
    if (needs.reason == "required" or early) and not reason:
        raise ChangeRefused(f"Say why “{role.title}” is moving to {S(to).label}: a reason is required.")

    resuming = before == S.ON_HOLD and to == role.held_from
    _apply(role=role, to=to, details=details, today=today, resuming=resuming, by=by)
    if not resuming:
        for check in MOVE_CHECKS:
            check(role=role, to=to, details=details, today=today)
    budget = _guard_budget(
        role=role,
        stage_after=stage_of(to, before) if to == S.ON_HOLD else stage_of(to),
        by=by,
        override_reason=override_reason,
        action=f"Moving “{role.title}” to {S(to).label}",
    )
    if resuming:
        role.held_from = ""
    elif to == S.ON_HOLD:
        role.held_from = before
    elif to == S.WITHDRAWN:
        role.held_from = ""
    role.status = to
    role.version += 1
    role._history_user = by
    role.save(update_fields=[*MOVED_COLUMNS, "version", "updated_at"])
    move = _audit(
        role,
        Action.MOVED,
        by,
        from_status=before,
        reason=reason,
        budget_override=budget.override_reason,
        details=details.as_json(),
    )
    move.warnings = budget.warnings
    return move


# What a move may change on the role: its state, and what the move records (appointee, contract
# dates, board decision).
MOVED_COLUMNS = (
    "status",
    "held_from",
    "appointee_name",
    "appointee",
    "start_date",
    "end_date",
    "board_decision",
    "sessions_per_week",
    "rate_per_session",
)
TERMS = ("sessions_per_week", "rate_per_session")


# --- Checks other apps register -------------------------------------------------------------------

# Rules about a move that depend on data kept above `roles` (recruitment's applications and offers).
# `roles` never imports those apps: they register a check here when Django starts (their
# `AppConfig.ready`), and every move, whoever makes it, runs every check under the same lock,
# after the move's own rules. A check is `check(*, role, to, details, today)`; it raises
# `ChangeRefused` to refuse. See docs/decisions.md, "Recruitment's rules on role moves".
MOVE_CHECKS: list = []


def move_check(check):
    """Register `check` to run on every move (a decorator; registering twice keeps one)."""
    if check not in MOVE_CHECKS:
        MOVE_CHECKS.append(check)
    return check


def _current_round(role: Role) -> AdvertRound | None:
    return role.advert_rounds.order_by("-number").first()


def _cite_decision(*, role: Role, decision_id, by) -> str:
    """Link the recorded decision `decision_id` to `role` through the registered source (governance's),
    under the move's locks, and return its reference. The source refuses a decision that cannot
    authorise the role (unknown, not agreed, another place's)."""
    if not extensions.DECISION_SOURCES:
        raise ChangeRefused(
            "No board decisions are recorded here to cite: give the decision's reference in words instead."
        )
    return extensions.DECISION_SOURCES[0].cite(role=role, decision_id=decision_id, by=by)


def _apply(*, role: Role, to: str, details: MoveDetails, today: dt.date, resuming: bool, by=None) -> None:
    """Check what the move needs and put its effects on `role` (saved by the caller)."""
    if resuming:
        return
    if to == S.APPROVED:
        if not role.description_signed_off_on:
            raise ChangeRefused(
                f"“{role.title}” needs a signed-off role description before it is approved: "
                "edit the role and give the sign-off date."
            )
        if details.board_decision:
            role.board_decision = details.board_decision.strip()
        if details.decision_id is not None:
            reference = _cite_decision(role=role, decision_id=details.decision_id, by=by)
            if not details.board_decision.strip():
                role.board_decision = reference[: Role._meta.get_field("board_decision").max_length]
        if role.place.requires_board_decision and not role.board_decision:
            raise ChangeRefused(
                f"{role.place} needs a board decision before a role is approved: choose the recorded decision, "
                "or give its reference (e.g. “Borough Strategic Board, 31 Mar 2022: endorse the role set”)."
            )
    elif to == S.ADVERTISED:
        if not (details.opens_on and details.closes_on):
            raise ChangeRefused(f"Advertising “{role.title}” needs the opening and closing dates.")
        if details.closes_on < details.opens_on:
            raise ChangeRefused(
                f"The closing date ({day(details.closes_on)}) is before the opening date "
                f"({day(details.opens_on)}): move one of them."
            )
        if role.end_date and details.closes_on > role.end_date:
            raise ChangeRefused(
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
            raise ChangeRefused(f"“{role.title}” has no advert round to shortlist from.")
        if today <= current.closes_on:
            raise ChangeRefused(
                f"Applications for “{role.title}” close on {day(current.closes_on)}: shortlisting can start "
                f"on {day(current.closes_on + dt.timedelta(days=1))}."
            )
    elif to == S.CONTRACTED:
        name = (details.appointee.name if details.appointee else details.appointee_name).strip()
        if not (name and details.contract_start and details.contract_end):
            raise ChangeRefused(
                f"Recording the contract for “{role.title}” needs the appointee's name and the contract's "
                "start and end dates."
            )
        if details.contract_end < details.contract_start:
            raise ChangeRefused(
                f"The contract end ({day(details.contract_end)}) is before its start "
                f"({day(details.contract_start)}): move one of them."
            )
        role.appointee_name, role.appointee = name, details.appointee
        role.start_date, role.end_date = details.contract_start, details.contract_end
        role.sessions_per_week = details.sessions_per_week or role.sessions_per_week
        role.rate_per_session = details.rate_per_session or role.rate_per_session
        try:
            role.clean_fields(exclude=[f.name for f in Role._meta.fields if f.name not in TERMS])
        except ValidationError as error:
            raise ChangeRefused(" ".join(error.messages)) from error
        AdvertRound.objects.filter(role=role, outcome=AdvertRound.Outcome.OPEN).update(
            outcome=AdvertRound.Outcome.APPOINTED
        )
    elif to == S.IN_POST:
        if today < role.start_date:
            raise ChangeRefused(f"“{role.title}” starts on {day(role.start_date)}: it can be in post from then.")
    elif to == S.ENDED:
        if role.end_date is None or today < role.end_date:
            role.end_date = today
    elif to == S.NOT_APPOINTED:
        role.appointee_name, role.appointee = "", None
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
