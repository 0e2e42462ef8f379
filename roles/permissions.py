"""Who may see and change what. Views, the admin and querysets all ask here, nowhere else.

| kind              | browser                              | admin site                          |
|-------------------|--------------------------------------|-------------------------------------|
| superuser         | every place, read and edit           | everything                          |
| ICS administrator | every place in their ICS, edit       | their ICS: places, template, roles, |
|                   |                                      | budgets, memberships                |
| place team member | their place(s), read and edit        | no access                           |
| HR recruiter      | the places they support, read only;  | those places' roles, read only, and |
|                   | the recruitment moves                | the recruitment moves               |
| board secretariat | their place(s), read only            | no access                           |
| panel member      | the rounds they sit on: scoring      | no access                           |
|                   | pages only (`recruitment.access`)    |                                     |

Other packages' admin pages (user accounts and groups, Celery beat's schedules, django-axes's login
records) are for superusers alone (`runs_the_site`); Django's model permissions are given to nobody.

A place the user may not see does not exist for them (404); a place they may see but not change
answers 403 to a change. Overriding the budget guard is for ICS administrators only.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from .models import ICS, AccessKind, Membership, Place

EDITORS = frozenset({AccessKind.ICS_ADMIN, AccessKind.PLACE_TEAM})
ADMIN_SITE_KINDS = frozenset({AccessKind.ICS_ADMIN, AccessKind.HR_RECRUITER})
ALL_KINDS = frozenset(AccessKind.values)


def _memberships(user) -> list[Membership]:
    """The user's memberships, read once per user object (that is, once per request)."""
    if not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, "_leadership_memberships", None)
    if cached is None:
        cached = list(Membership.objects.filter(user=user).select_related("place"))
        user._leadership_memberships = cached
    return cached


def _places_for(user, kinds) -> QuerySet[Place]:
    if not getattr(user, "is_authenticated", False):
        return Place.objects.none()
    if user.is_superuser:
        return Place.objects.all()
    scopes = [m for m in _memberships(user) if m.kind in kinds]
    if not scopes:
        return Place.objects.none()
    place_ids = {m.place_id for m in scopes if m.place_id}
    ics_ids = {m.ics_id for m in scopes if m.ics_id}
    return Place.objects.filter(Q(pk__in=place_ids) | Q(ics_id__in=ics_ids))


def _covers(user, place: Place, kinds) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    return any(m.kind in kinds and (m.place_id == place.pk or m.ics_id == place.ics_id) for m in _memberships(user))


def places_visible_to(user) -> QuerySet[Place]:
    return _places_for(user, ALL_KINDS)


def can_edit_catalogue(user, place: Place) -> bool:
    return _covers(user, place, EDITORS)


def icss_administered_by(user) -> QuerySet[ICS]:
    if not getattr(user, "is_authenticated", False):
        return ICS.objects.none()
    if user.is_superuser:
        return ICS.objects.all()
    ids = {m.ics_id for m in _memberships(user) if m.kind == AccessKind.ICS_ADMIN and m.ics_id}
    return ICS.objects.filter(pk__in=ids)


def admin_places(user, *, change: bool) -> QuerySet[Place]:
    """Places whose rows the user may see (change=False) or change (change=True) in the admin."""
    if not (getattr(user, "is_authenticated", False) and user.is_active and user.is_staff):
        return Place.objects.none()
    return _places_for(user, {AccessKind.ICS_ADMIN} if change else ADMIN_SITE_KINDS)


# Moves an HR recruiter makes for the places they support: the recruitment itself.
RECRUITMENT_MOVES = frozenset({"shortlisting", "interviewing", "offered", "contracted", "not_appointed"})


def may_move(user, place: Place, to: str) -> bool:
    """Place teams and ICS administrators make every move; HR recruiters the recruitment ones."""
    if _covers(user, place, EDITORS):
        return True
    return to in RECRUITMENT_MOVES and _covers(user, place, {AccessKind.HR_RECRUITER})


def may_recruit(user, place: Place) -> bool:
    """Runs recruitment for the place: applications, shortlists, interviews, offers, contracts.
    HR recruiters for the places they support, and ICS administrators."""
    return _covers(user, place, {AccessKind.HR_RECRUITER, AccessKind.ICS_ADMIN})


def places_recruited_by(user) -> QuerySet[Place]:
    return _places_for(user, {AccessKind.HR_RECRUITER, AccessKind.ICS_ADMIN})


def is_ics_admin_for(user, place: Place) -> bool:
    return _covers(user, place, {AccessKind.ICS_ADMIN})


def may_use_admin(user) -> bool:
    if not (getattr(user, "is_authenticated", False) and user.is_active and user.is_staff):
        return False
    return user.is_superuser or any(m.kind in ADMIN_SITE_KINDS for m in _memberships(user))


def memberships_managed_by(user) -> QuerySet[Membership]:
    """The memberships an ICS administrator may see and change: those scoped to their ICS or its places."""
    if getattr(user, "is_superuser", False):
        return Membership.objects.all()
    icss = icss_administered_by(user)
    return Membership.objects.filter(Q(ics__in=icss) | Q(place__ics__in=icss))


def users_assignable_by(user):
    """Users an administrator may give access to: people new to the system, and those already in
    the administrator's ICS; no other ICS's staff."""
    users = get_user_model().objects.all()
    if getattr(user, "is_superuser", False):
        return users
    icss = icss_administered_by(user)
    return users.filter(
        Q(memberships__isnull=True) | Q(memberships__ics__in=icss) | Q(memberships__place__ics__in=icss)
    ).distinct()


def runs_the_site(user) -> bool:
    """Whether the user opens other packages' admin pages: user accounts and groups, Celery beat's
    schedules, django-axes's login records. Superusers alone: Django's model permissions, which those
    pages would otherwise ask, are not scoped to a place, and "can change user" would let its holder
    make themselves a superuser."""
    return bool(getattr(user, "is_authenticated", False) and user.is_active and user.is_superuser)


def sets_up_icss(user) -> bool:
    """Whether the user adds ICSs and changes reference data (functions, spatial levels, professions)."""
    return bool(getattr(user, "is_authenticated", False) and user.is_superuser)


def is_ics_admin(user) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and (
        user.is_superuser or any(m.kind == AccessKind.ICS_ADMIN for m in _memberships(user))
    )


# --- Governance: boards and board packs --------------------------------------------------------

BOARD_RUNNERS = frozenset({AccessKind.SECRETARIAT, AccessKind.ICS_ADMIN})
PACK_READERS = frozenset({AccessKind.SECRETARIAT, AccessKind.ICS_ADMIN, AccessKind.PLACE_TEAM})


def may_run_boards(user, place: Place) -> bool:
    """Records the place's boards: meetings, papers, attendance, decisions, votes, declarations.
    The board secretariat and ICS administrators; nobody else changes a board's record."""
    return _covers(user, place, BOARD_RUNNERS)


def is_secretariat_for(user, place: Place) -> bool:
    return _covers(user, place, {AccessKind.SECRETARIAT})


def may_export_pack(user, place: Place) -> bool:
    """Exports the place's board pack: the secretariat, ICS administrators and the place team."""
    return _covers(user, place, PACK_READERS)


def may_export_ics_pack(user, ics: ICS) -> bool:
    """Exports an ICS-wide board pack: the ICS's secretariat or administrators, scoped to the whole ICS."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    return any(m.kind in PACK_READERS and m.ics_id == ics.pk for m in _memberships(user))


def icss_exportable_by(user) -> QuerySet[ICS]:
    if not getattr(user, "is_authenticated", False):
        return ICS.objects.none()
    if user.is_superuser:
        return ICS.objects.all()
    return ICS.objects.filter(pk__in={m.ics_id for m in _memberships(user) if m.kind in PACK_READERS and m.ics_id})


def places_secretariat_of(user) -> QuerySet[Place]:
    return _places_for(user, {AccessKind.SECRETARIAT})


def places_exportable_by(user) -> QuerySet[Place]:
    """Places whose board pack the user may export (`may_export_pack`'s places)."""
    return _places_for(user, PACK_READERS)


def may_export_any_pack(user) -> bool:
    """Whether the user may export some board pack: the navigation's "Board packs", from the cached memberships."""
    if not getattr(user, "is_authenticated", False):
        return False
    return user.is_superuser or any(m.kind in PACK_READERS for m in _memberships(user))


def icss_overseen_by(user) -> QuerySet[ICS]:
    """ICSs whose own pages (the ICS's view across its places) the user may open: those they
    administer or run boards for ICS-wide, and those whose ICS-wide unit (where the ICS's own boards
    sit) they are secretariat of."""
    if not getattr(user, "is_authenticated", False):
        return ICS.objects.none()
    if user.is_superuser:
        return ICS.objects.all()
    ics_ids = {m.ics_id for m in _memberships(user) if m.kind in BOARD_RUNNERS and m.ics_id}
    unit_ids = {m.place_id for m in _memberships(user) if m.kind == AccessKind.SECRETARIAT and m.place_id}
    units = Place.objects.filter(pk__in=unit_ids, is_system_wide=True).values("ics_id")
    return ICS.objects.filter(Q(pk__in=ics_ids) | Q(pk__in=units))


def may_oversee_an_ics(user) -> bool:
    """Whether the navigation offers "ICS": `icss_overseen_by` is not empty, from the memberships read."""
    if not getattr(user, "is_authenticated", False):
        return False
    return user.is_superuser or any(
        (m.kind in BOARD_RUNNERS and m.ics_id)
        or (m.kind == AccessKind.SECRETARIAT and m.place_id and m.place.is_system_wide)
        for m in _memberships(user)
    )
