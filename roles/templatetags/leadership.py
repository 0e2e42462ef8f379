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


register.filter("person", formatting.person)


DETAIL_LABELS = {
    "opens_on": "Advert opens",
    "closes_on": "Applications close",
    "appointee_name": "Appointee",
    "contract_start": "Contract starts",
    "contract_end": "Contract ends",
    "board_decision": "Board decision",
    "sessions_per_week": "Sessions a week",
    "rate_per_session": "Rate per session per year (£)",
}
HIDDEN_DETAILS = frozenset({"person_id"})


@register.filter
def move_details(details):
    """What a move recorded, as (label, value) pairs with dates written 4 Apr 2022."""
    import datetime as dt

    pairs = []
    for key, value in (details or {}).items():
        if key in HIDDEN_DETAILS:
            continue
        if key in ("opens_on", "closes_on", "contract_start", "contract_end"):
            try:
                value = formatting.day(dt.date.fromisoformat(value))
            except (TypeError, ValueError):
                pass
        pairs.append((DETAIL_LABELS.get(key, key.replace("_", " ").capitalize()), value))
    return pairs


@register.filter
def typed(bound_field) -> str:
    """What a hand-written form box shows: what was typed, or the initial value as the field's widget
    writes it (a date as 27/01/2022, never 2022-01-27)."""
    return bound_field.field.widget.format_value(bound_field.value()) or ""


@register.filter
def get_item(mapping, key):
    """`mapping[key]` in a template, or None."""
    return mapping.get(key) if hasattr(mapping, "get") else None
