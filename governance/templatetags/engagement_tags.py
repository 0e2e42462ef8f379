"""The engagement log's badges, written in Python: a log may show 500 of them."""

from django import template
from django.utils.html import format_html

register = template.Library()

ACTION_COLOURS = {"added": "text-bg-info", "renamed": "text-bg-primary", "retyped": "text-bg-warning"}


@register.simple_tag
def action_badge(action, label, tally=None, extra="", data=False):
    """What a feedback point led to ("Role added"), with the number of points when `tally` is given."""
    colour = ACTION_COLOURS.get(action, "text-bg-secondary")
    classes = " ".join(bit for bit in (colour, extra, f"action-{action}") if bit)
    return format_html(
        '<span class="badge {}"{}>{}{}</span>',
        classes,
        format_html(' data-action="{}"', action) if data else "",
        label,
        f": {tally}" if tally is not None else "",
    )
