"""Recruitment's rules on role moves, registered with `roles.services.move_check`.

`roles` cannot import recruitment, yet some moves depend on recruitment's rows: when a role's
current advert round holds applications, its recruitment moves must be the steps of that round.
Every move runs these checks, whoever makes it (the board, the admin, a command), under the same
locks; recruitment's own services make the rows first and then move the role, so they pass.
"""

from __future__ import annotations

from roles.models import RoleStatus
from roles.services import ChangeRefused, move_check

from .models import LIVE_STATUSES, Offer

S = RoleStatus
ROUND_PAGE = "Do it on the round's recruitment page, which moves the role with it."


@move_check
def recruitment_steps(*, role, to, details, today) -> None:
    if to not in {S.INTERVIEWING, S.OFFERED, S.CONTRACTED, S.NOT_APPOINTED}:
        return
    round_ = role.advert_rounds.order_by("-number").first()
    if round_ is None or not round_.applications.exists():
        return  # recruited outside this service: the role's own rules are all there is
    if to == S.INTERVIEWING and round_.shortlist_closed_at is None:
        raise ChangeRefused(
            f"“{role.title}” has applications: interviews start when the shortlist closes. {ROUND_PAGE}"
        )
    if to == S.OFFERED and not round_.offers.filter(status=Offer.Status.MADE).exists():
        raise ChangeRefused(
            f"“{role.title}” has applications: an offer is made to an interviewed candidate. {ROUND_PAGE}"
        )
    if to == S.CONTRACTED:
        accepted = round_.offers.filter(status=Offer.Status.ACCEPTED).select_related("application").first()
        if accepted is None:
            raise ChangeRefused(f"“{role.title}” needs an accepted offer before a contract is recorded. {ROUND_PAGE}")
        if details.appointee is None or details.appointee.pk != accepted.application.person_id:
            raise ChangeRefused(
                f"The contract for “{role.title}” goes to the candidate who accepted the offer. {ROUND_PAGE}"
            )
    if to == S.NOT_APPOINTED and round_.applications.filter(status__in=LIVE_STATUSES).exists():
        raise ChangeRefused(
            f"“{role.title}” still has candidates in its round: close the round as not appointed, which tells them. "
            f"{ROUND_PAGE}"
        )
