"""What recruitment adds to the role's pages (registered with `roles.extensions`)."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone

from roles.extensions import role_link, role_section
from roles.models import AdvertRound, RoleStatus
from roles.paths import path_of

from . import access, selectors

S = RoleStatus
RECRUITING = frozenset({S.ADVERTISED, S.SHORTLISTING, S.INTERVIEWING, S.OFFERED, S.CONTRACTED, S.NOT_APPOINTED})


@role_link
def recruitment_link(role):
    if role.status in RECRUITING or (role.status == S.ON_HOLD and role.held_from in RECRUITING):
        return ("Recruitment", path_of("recruitment:role_rounds", role.pk))  # reversed once: a board has 100 cards
    return None


@role_section
def role_pipeline(request, role) -> str:
    """Each round's pipeline on the role page: applications by stage, time to hire, a link to the round."""
    rounds = list(selectors.rounds_with_times(AdvertRound.objects.filter(role=role)).order_by("-number"))
    if not rounds:
        return ""
    hidden = set(access.anonymous_rounds_for(request.user).values_list("pk", flat=True))
    today = timezone.localdate()
    rows = [(r, selectors.hire_times(r, today), r.pk not in hidden) for r in rounds]
    return render_to_string("recruitment/partials/role_pipeline.html", {"rows": rows, "role": role}, request=request)
