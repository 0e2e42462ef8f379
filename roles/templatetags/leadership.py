"""Display helpers: money, sessions, status badges. Formatting only, no rules."""

import html

from django import template
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe

from roles import formatting, paths
from roles.models import BudgetStage, RoleStatus, RoleType

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
register.simple_tag(paths.path_of, name="path_of")


@register.simple_tag
def cell_field(field) -> str:
    """A form field in a table cell: its label for screen readers only, the field, its errors. A
    set-up table has six of these a row."""
    errors = "".join(f'<div class="invalid-feedback d-block">{conditional_escape(e)}</div>' for e in field.errors)
    label = format_html('<label class="visually-hidden" for="{}">{}</label>', field.id_for_label, field.label)
    return format_html("{}\n{}\n{}", label, field, mark_safe(errors))


@register.simple_tag
def role_links(roles) -> str:
    """Each role (with its place) as a link to its page, separated by commas."""
    links = (f'<a href="{html.escape(paths.role_path(r.place.slug, r.pk))}">{html.escape(r.title)}</a>' for r in roles)
    return mark_safe(", ".join(links))


def _plural(count) -> str:
    return "" if count == 1 else "s"


ROLE_TYPE_LABELS = dict(RoleType.choices)


@register.simple_tag
def board_card(card, may_move: bool):
    """A role's card on the board: title, type and sessions, its next date, days in its state, the
    links other apps add, and the moves the user may make (a one-click move submits the page's
    `quick-move` form). Built here with every value escaped, rather than in a template: a board
    shows about a hundred cards, and the template language's cost per card was most of the page's
    time (docs/decisions.md)."""
    role, esc = card.role, html.escape
    pk, title = role.pk, esc(role.title)
    parts = [
        f'<article class="card role-card shadow-sm" data-role="{pk}"><div class="card-body p-2">'
        '<div class="d-flex gap-1 align-items-start">'
    ]
    if may_move:
        parts.append(
            f'<input class="form-check-input mt-1" type="checkbox" name="roles" value="{pk}" form="bulk-form" '
            f'id="tick-role-{pk}" aria-label="Select {title}">'
        )
    parts.append(
        f'<a class="fw-semibold small" href="{esc(card.url)}">{title}</a></div>'
        f'<div class="small text-muted">{esc(ROLE_TYPE_LABELS[role.role_type])} · '
        f"{formatting.sessions(role.sessions_per_week)} session{_plural(role.sessions_per_week)}</div>"
    )
    if card.next_date:
        parts.append(f'<div class="small">{esc(card.next_label)} {formatting.day(card.next_date)}</div>')
    days = int(card.days_in_state)
    parts.append(f'<div class="small text-muted days-in-state">{days} day{_plural(days)} in this state</div>')
    parts.extend(f'<a class="small d-block" href="{esc(url)}">{esc(label)} →</a>' for label, url in card.links)
    if card.moves:
        parts.append('<div class="d-flex flex-wrap gap-1 mt-1">')
        for move in card.moves:
            url, label = esc(move["url"]), esc(move["label"])
            if move["quick"]:
                parts.append(
                    f'<button type="submit" form="quick-move" formaction="{url}" name="expected_status" '
                    f'value="{esc(role.status)}" class="btn btn-outline-primary btn-sm py-0 px-1 small">'
                    f"{label}</button>"
                )
            else:
                parts.append(f'<a class="btn btn-outline-secondary btn-sm py-0 px-1 small" href="{url}">{label}…</a>')
        parts.append("</div>")
    parts.append("</div></article>")
    return mark_safe("".join(parts))  # noqa: S308 - every value above is escaped or a number


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


@register.simple_tag(takes_context=True)
def choice_inputs(context, field, inline_class="") -> str:
    """A checkbox or radio field's inputs, written as crispy-bootstrap5's `radio_checkbox_select.html`
    writes them, but in Python: a place's 1,000 roles in a few milliseconds, not a template each.
    (templates/bootstrap5/layout/radio_checkbox_select.html calls it.)"""
    from crispy_forms.templatetags.crispy_forms_filters import optgroups
    from django.template.loader import render_to_string
    from django.utils.formats import localize

    escape = html.escape
    has_errors = bool(field.errors)  # read once: a bound field makes a new error list each time it is asked
    invalid = " is-invalid" if has_errors else ""
    wrapper = f"form-check{' form-check-inline' if inline_class else ''}"
    name = escape(field.html_name)
    groups = list(optgroups(field))
    parts = []
    for position, (group, options, _) in enumerate(groups):
        if group:
            parts.append(f"<strong>{escape(str(group))}</strong>")
        for n, option in enumerate(options):
            attrs = "".join(
                f" {key}" if value is True else f' {key}="{escape(str(value))}"'
                for key, value in option["attrs"].items()
                if value is not False
            )
            value = escape(str(localize(option["value"], use_l10n=False)))
            label = escape(str(option["label"]))
            errors = ""
            if has_errors and not inline_class and position == len(groups) - 1 and n == len(options) - 1:
                errors = render_to_string("bootstrap5/layout/field_errors_block.html", context.flatten())
            parts.append(
                f'<div class="{wrapper}"><input type="{option["type"]}" class="form-check-input{invalid}" '
                f'name="{name}" value="{value}"{attrs}><label for="{escape(str(option["attrs"].get("id", "")))}" '
                f'class="form-check-label">{label}</label>{errors}</div>'
            )
    return mark_safe("\n".join(parts))
