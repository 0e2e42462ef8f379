"""Setting up a place's roles in one step: adopting the ICS template, importing a file, signing off
a tranche's role descriptions.

A place team used to type 22 roles through the role form one by one. Here many roles are added
together through `roles_add`, all or none: every role is checked (the rules of `services.role_create`,
a title the place does not already use, a template role of the place's ICS that it has not adopted
yet) and every problem is reported at once, each named by its role or its line in a file; then each
role is created through `services.role_create`, so each has its own "created" audit row and history.
A dry run does exactly the same work and rolls it back. `place_setup` adds the template roles a
place adopts, records why it leaves others out (`services.omission_reason_save`) and adds its own;
`descriptions_sign_off` records the sign-off date on several roles' descriptions, through
`services.role_edit`, so that a bulk approve can follow.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction

from . import permissions, services
from .formatting import day
from .models import Function, Place, Profession, Role, RoleStatus, SpatialLevel, TemplateRole, normalise_title

log = logging.getLogger(__name__)


class SetupRefused(services.ChangeRefused):
    """Nothing was added: `problems` names every role (or file line) that could not be, and why."""

    status = 400


@dataclass(frozen=True)
class Terms:
    """What the roles of a setup share unless a role says otherwise: given once."""

    spatial_level: SpatialLevel
    sessions_per_week: Decimal
    rate_per_session: Decimal
    start_date: dt.date
    end_date: dt.date | None = None


@dataclass
class NewRole:
    """One role to add. `where` names it in problems: “Cancer” or “Line 7”."""

    title: str
    role_type: str
    spatial_level: SpatialLevel | None
    sessions_per_week: Decimal | None
    rate_per_session: Decimal | None
    start_date: dt.date | None
    end_date: dt.date | None = None
    functions: list[Function] = field(default_factory=list)
    template_role: TemplateRole | None = None
    variation_reason: str = ""
    description: str = ""
    description_signed_off_on: dt.date | None = None
    eligible_professions: list[Profession] = field(default_factory=list)
    is_critical: bool = False
    predates_ics_model: bool = False
    where: str = ""

    @classmethod
    def from_template(cls, template: TemplateRole, terms: Terms, *, title: str = "", reason: str = "", sessions=None):
        """The template role as the place adopts it: its title (or the place's own), type and
        functions, on the terms given once."""
        title = (title or "").strip() or template.title
        return cls(
            title=title,
            role_type=template.role_type,
            functions=list(template.functions.all()),
            template_role=template,
            variation_reason=(reason or "").strip(),
            spatial_level=terms.spatial_level,
            sessions_per_week=sessions or terms.sessions_per_week,
            rate_per_session=terms.rate_per_session,
            start_date=terms.start_date,
            end_date=terms.end_date,
            where=f"“{title}”",
        )

    def values(self) -> dict:
        """The values `services.role_create` takes."""
        skipped = ("place", "description_document", "board_decision")
        return {name: getattr(self, name) for name in services.EDITABLE_FIELDS if name not in skipped}


@dataclass
class AddReport:
    """What was added (or, in a dry run, what would be)."""

    place: Place
    roles: list[Role]
    left_out: list[TemplateRole]
    dry_run: bool

    @property
    def summary(self) -> str:
        count = len(self.roles)
        done = "would be added" if self.dry_run else "added"
        text = f"{count} role{'s' if count != 1 else ''} {done} to {self.place} as proposed"
        if self.left_out:
            kept = "would be recorded" if self.dry_run else "recorded"
            text += (
                f"; {len(self.left_out)} template role{'s' if len(self.left_out) != 1 else ''} left out, reason {kept}"
            )
        return text + ("; nothing was saved (a dry run)." if self.dry_run else ".")


def roles_add(
    *, place: Place, roles: list[NewRole], by, left_out: dict[TemplateRole, str] | None = None, dry_run: bool = False
) -> AddReport:
    """Add `roles` to `place` as proposed, and record why it leaves out the template roles in
    `left_out`: all of it or nothing. Raises `SetupRefused` listing every problem."""
    left_out = left_out or {}
    if not roles and not left_out:
        raise SetupRefused("Nothing to add: choose at least one role to adopt, add or import.")
    with transaction.atomic():
        place = services._lock_places([place.pk])[place.pk]
        if not permissions.can_edit_catalogue(by, place):
            raise services.MoveNotAllowed(f"Your account may not add roles to {place}.")
        problems = _clashes(place, roles, left_out)
        created = []
        # Each role is created even after a problem (all is rolled back then), so that every role's
        # own problems are reported at once.
        for new in roles:
            try:
                created.append(services.role_create(place=place, values=new.values(), by=by).role)
            except services.RoleInvalid as invalid:
                lines = [
                    f"{_label(name)}: {message}" if name in services.EDITABLE_FIELDS else message
                    for name, messages in invalid.errors.items()
                    for message in messages
                ]
                problems.append(f"{new.where}: {' '.join(lines)}")
        if not problems:
            for template, reason in left_out.items():
                services.omission_reason_save(place=place, template_role=template, reason=reason, by=by)
        if problems:
            transaction.set_rollback(True)
            raise SetupRefused(
                f"Nothing was added: {len(problems)} problem{'s' if len(problems) != 1 else ''} to put right first.",
                problems=problems,
            )
        if dry_run:
            transaction.set_rollback(True)
    if not dry_run:
        log.info("%s roles added to %s by %s", len(created), place.slug, by)
    return AddReport(place=place, roles=created, left_out=list(left_out), dry_run=dry_run)


def _label(name: str) -> str:
    return str(Role._meta.get_field(name).verbose_name).capitalize()


def _clashes(place: Place, roles: list[NewRole], left_out: dict[TemplateRole, str]) -> list[str]:
    """Problems no single role's rules see: titles used twice, template roles adopted twice or by
    another ICS, adopted and left out at once."""
    problems = []
    current = Role.objects.filter(place=place).exclude(status=RoleStatus.WITHDRAWN)
    taken = {title.casefold().strip(): title for title in current.values_list("title", flat=True)}
    adopted = set(current.exclude(template_role=None).values_list("template_role_id", flat=True))
    seen_titles: dict[str, str] = {}
    seen_templates: dict[int, str] = {}
    for new in roles:
        key = new.title.casefold().strip()
        if key in taken:
            problems.append(f"{new.where}: {place} already has a role called “{taken[key]}”; give another title.")
        elif key and key in seen_titles:
            problems.append(f"{new.where}: the title “{new.title}” is used twice (also {seen_titles[key]}).")
        seen_titles.setdefault(key, new.where)
        template = new.template_role
        if template is None:
            continue
        if template.ics_id != place.ics_id:
            problems.append(f"{new.where}: “{template}” is not one of {place.ics}'s template roles.")
        elif template.pk in adopted:
            problems.append(f"{new.where}: {place} has already adopted “{template}”; edit that role instead.")
        elif template.pk in seen_templates:
            problems.append(f"{new.where}: “{template}” is adopted twice (also {seen_templates[template.pk]}).")
        elif template in left_out:
            problems.append(f"{new.where}: “{template}” cannot be both adopted and left out; choose one.")
        seen_templates.setdefault(template.pk, new.where)
    for template in left_out:
        if template.ics_id != place.ics_id:
            problems.append(f"“{template}” is not one of {place.ics}'s template roles.")
        elif template.pk in adopted:
            problems.append(f"{place} has already adopted “{template}”, so it cannot be left out.")
    return problems


def place_setup(
    *,
    place: Place,
    terms: Terms,
    adopt: list[tuple[TemplateRole, str, str, Decimal | None]],
    leave_out: dict[TemplateRole, str],
    add: list[NewRole],
    by,
    dry_run: bool = False,
) -> AddReport:
    """Start `place` from its ICS's template in one step.

    `adopt` lists (template role, the place's title or "" for the template's, why it differs or "",
    its sessions or None for the terms'); each is created with the template's type and functions on
    `terms`. `leave_out` maps the
    template roles not adopted to the reason; `add` is the place's own roles. All or nothing."""
    roles = []
    for template, title, reason, sessions in adopt:
        new = NewRole.from_template(template, terms, title=title, reason=reason, sessions=sessions)
        renamed = normalise_title(new.title) != normalise_title(template.title)
        if renamed and not new.variation_reason:
            new.variation_reason = f"Renamed from the template's “{template.title}”."
        roles.append(new)
    return roles_add(place=place, roles=[*roles, *add], left_out=leave_out, by=by, dry_run=dry_run)


@dataclass
class SignOffReport:
    signed: list[Role]
    already: list[Role]

    @property
    def summary(self) -> str:
        text = f"{len(self.signed)} role description{'s' if len(self.signed) != 1 else ''} signed off"
        if self.already:
            text += f"; {len(self.already)} already had a sign-off date, left as it was"
        return text + "."


def descriptions_sign_off(*, roles: list[Role], on: dt.date, by) -> SignOffReport:
    """Record that the descriptions of `roles` were signed off `on` that day: every role, or none.

    A role already signed off keeps its date; a role with no description written or attached is
    named, and nothing is signed off. Each role's edit is its own audit row (through `role_edit`)."""
    if not roles:
        raise services.ChangeRefused("Tick at least one role whose description was signed off.")
    if on is None:
        raise services.ChangeRefused("Give the date the role descriptions were signed off.")
    signed, already, problems = [], [], []
    with transaction.atomic():
        ids = [role.pk for role in roles]
        places = services._lock_places(services._current_place_ids(ids))
        locked = services._lock_roles(ids, places)
        for role in sorted(roles, key=lambda r: r.title):
            current = locked.get(role.pk)
            if current is None:
                problems.append(f"“{role.title}” no longer exists.")
                continue
            if current.description_signed_off_on:
                already.append(current)
                continue
            try:
                saved = services.role_edit(
                    role=current, values={"description_signed_off_on": on}, version=current.version, by=by
                )
            except services.RoleInvalid as invalid:
                problems.append(f"“{current.title}”: " + " ".join(m for ms in invalid.errors.values() for m in ms))
            except services.MoveNotAllowed:
                raise
            except services.ChangeRefused as error:
                problems.append(f"“{current.title}”: {error}")
            else:
                signed.append(saved.role)
        if problems:
            transaction.set_rollback(True)
            raise SetupRefused(
                f"No description was signed off on {day(on)}: {len(problems)} of the roles could not be.",
                problems=problems,
            )
    log.info("%s role descriptions signed off by %s", len(signed), by)
    return SignOffReport(signed=signed, already=already)
