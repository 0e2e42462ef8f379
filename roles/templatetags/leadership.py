"""Display helpers: money, sessions, status badges. Formatting only, no rules."""

from decimal import Decimal

from django import template
from django.utils.html import format_html

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


@register.filter
def money(value, pennies=True):
    """£12,311.23; a negative figure as −£1,234.00. Empty for None."""
    if value is None or value == "":
        return ""
    amount = Decimal(value)
    sign = "−" if amount < 0 else ""
    text = f"{abs(amount):,.2f}" if pennies else f"{abs(amount):,.0f}"
    return f"{sign}£{text}"


@register.filter
def sessions(value):
    """4.00 -> 4, 1.50 -> 1.5."""
    if value is None:
        return ""
    text = f"{Decimal(value):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


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
