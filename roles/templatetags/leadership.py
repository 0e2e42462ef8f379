"""Display helpers: money, sessions, status badges. Formatting only, no rules."""

from django import template
from django.utils.html import format_html

from roles import formatting
from roles.models import BudgetStage, RoleStatus

register = template.Library()

STATUS_COLOURS = {
    RoleStatus.PROPOSED: "secondary",
    RoleStatus.APPROVED: "info",
    RoleStatus.ADVERTISED: "primary",
    RoleStatus.SHORTLISTING: "primary",
    RoleStatus.INTERVIEWING: "primary",
    RoleStatus.OFFERED: "warning",
    RoleStatus.CONTRACTED: "success",
    RoleStatus.IN_POST: "success",
    RoleStatus.ENDED: "dark",
    RoleStatus.ON_HOLD: "warning",
    RoleStatus.NOT_APPOINTED: "danger",
    RoleStatus.WITHDRAWN: "light",
}


register.filter("money", formatting.money)
register.filter("sessions", formatting.sessions)


@register.simple_tag
def status_badge(status):
    label = RoleStatus(status).label
    colour = STATUS_COLOURS.get(status, "secondary")
    text = "text-dark" if colour in ("warning", "light", "info") else ""
    return format_html('<span class="badge text-bg-{} {} status-{}">{}</span>', colour, text, status, label)


@register.simple_tag
def stage_badge(stage):
    colours = {BudgetStage.COMMITTED: "success", BudgetStage.PIPELINE: "primary", BudgetStage.PROPOSED: "secondary"}
    return format_html(
        '<span class="badge rounded-pill text-bg-{}">{}</span>', colours.get(stage, "light"), BudgetStage(stage).label
    )


@register.filter
def person(user):
    """A user's full name, else their username; "system" for a change no one signed in made."""
    if user is None:
        return "system"
    return user.get_full_name() or user.username
