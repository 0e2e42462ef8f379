"""Sitting on a panel: the kind of access a panel member has, scoped to the rounds they sit on.

Place-wide access (who sees a place, who runs its recruitment) is `roles.permissions`; this module
adds only what depends on recruitment's own rows, and asks `roles.permissions` for the rest.
"""

from __future__ import annotations

from django.db.models import QuerySet

from roles import permissions
from roles.models import AdvertRound


def rounds_on_panel(user) -> QuerySet[AdvertRound]:
    """The rounds whose panel the user sits on."""
    if not getattr(user, "is_authenticated", False):
        return AdvertRound.objects.none()
    return AdvertRound.objects.filter(panel__person__user=user)


def is_on_panel(user, round_: AdvertRound) -> bool:
    return rounds_on_panel(user).filter(pk=round_.pk).exists()


def names_hidden_from(user, round_: AdvertRound) -> bool:
    """A panel member of a round still shortlisting anonymously sees candidate numbers only, wherever
    they look: their scoring page, the round's pages and the admin."""
    return round_.is_anonymous and is_on_panel(user, round_)


def anonymous_rounds_for(user) -> QuerySet[AdvertRound]:
    """The rounds whose candidates' names this user must not see yet."""
    return rounds_on_panel(user).filter(shortlist_closed_at__isnull=True)


def may_follow(user, round_: AdvertRound) -> bool:
    """Sees the round's page (pipeline, ranking, times): anyone who sees the place, unless they score
    it anonymously."""
    visible = permissions.places_visible_to(user).filter(pk=round_.role.place_id).exists()
    return visible and not names_hidden_from(user, round_)
