"""The engagement log's badges and feedback points, written in Python: a log may show 500 of them."""

from html import escape

from django import template
from django.utils.safestring import mark_safe

register = template.Library()

ACTION_COLOURS = {"added": "text-bg-info", "renamed": "text-bg-primary", "retyped": "text-bg-warning"}


@register.simple_tag
def action_badge(action, label, tally=None, extra="", data=False):
    """What a feedback point led to ("Role added"), with the number of points when `tally` is given."""
    colour = ACTION_COLOURS.get(action, "text-bg-secondary")
    classes = escape(" ".join(bit for bit in (colour, extra, f"action-{action}") if bit))
    data_attr = f' data-action="{escape(str(action))}"' if data else ""
    count = f": {escape(str(tally))}" if tally is not None else ""
    return mark_safe(f'<span class="badge {classes}"{data_attr}>{escape(str(label))}{count}</span>')


@register.simple_tag
def feedback_points(event, may_edit: bool):
    """An event's feedback points as the log lists them: the text, what was done (a badge and the
    note), the roles it shaped (links) and template roles, and an Edit link for those who keep the log.
    The event needs `point_list` and each point `role_list`, `template_list` and `edit_path`; each
    role its `path` (`governance.engagement.engagement_log` and the log's view). Written with
    `html.escape`, not `format_html`, which took most of the page's time at 500 points."""
    items = []
    for point in event.point_list:
        parts = [f'<li class="mb-1" id="point-{int(point.pk)}">{escape(point.text)} ']
        parts.append(action_badge(point.action, point.get_action_display()))
        if point.action_note:
            parts.append(f' <span class="small text-muted">{escape(point.action_note)}</span>')
        if point.role_list or point.template_list:
            roles = ", ".join(f'<a href="{escape(r.path)}">{escape(r.title)}</a>' for r in point.role_list)
            parts.append(f'<div class="small">{roles} ')
            if point.template_list:
                names = escape(", ".join(t.title for t in point.template_list))
                parts.append(f'<span class="text-muted">{"· " if roles else ""}template: {names}</span>')
            parts.append("</div>")
        if may_edit:
            hidden = '<span class="visually-hidden"> this point</span>'
            parts.append(f'<a class="small" href="{escape(point.edit_path)}">Edit{hidden}</a>')
        items.append("".join(parts) + "</li>")
    if not items:
        return mark_safe('<li class="text-muted">No feedback points recorded.</li>')
    return mark_safe("\n".join(items))
