"""engagement_hooks: what the engagement log adds to roles' pages when Django starts: the feedback
behind a role on its page, and the feedback behind each row of the template comparison."""

from __future__ import annotations

from django.template.loader import render_to_string

from roles.extensions import comparison_note, role_section

from . import engagement


@role_section
def role_engagement(request, role) -> str:
    """On the role page: the feedback points linked to the role, with their date, group, action and
    note (nothing when there are none). One query."""
    points = engagement.points_for_role(role)
    if not points:
        return ""
    # Rendered without the request, so the context processors (the navigation's queries) do not run again.
    return render_to_string("governance/engagement_role_section.html", {"points": points, "place": role.place})


@comparison_note
def comparison_feedback(place) -> dict:
    return engagement.comparison_notes(place)
