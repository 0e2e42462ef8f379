"""Recruitment's small pieces that a page repeats on every row, written in Python rather than included
as a template each: a plan's rows of milestones with their "Mark done" buttons (a tranche may hold a
hundred milestones) and a round's time to hire (a place's rounds page lists fifty)."""

from html import escape

from django import template
from django.template.defaulttags import CsrfTokenNode
from django.utils.safestring import mark_safe

from roles.formatting import person
from roles.paths import path_of

register = template.Library()


@register.simple_tag(takes_context=True)
def done_button(context, milestone, next_url):
    """One click: mark `milestone` done today, or (done already) not done again; back to `next_url`.
    Posts to `recruitment:milestone_done` with the context's CSRF token, written by `{% csrf_token %}`'s node."""
    return _done_form(CsrfTokenNode().render(context), milestone, next_url)


def _done_form(csrf: str, milestone, next_url) -> str:
    title = escape(milestone.title)
    if milestone.done_on:
        choice = (
            '<input type="hidden" name="done" value="no"><button class="btn btn-link btn-sm py-0 px-1" '
            f'aria-label="Undo done: {title}">Undo done</button>'
        )
    else:
        choice = (
            '<input type="hidden" name="done" value="yes"><button class="btn btn-outline-success btn-sm py-0" '
            f'aria-label="Mark done: {title}">Mark done</button>'
        )
    return mark_safe(
        f'<form method="post" action="{escape(path_of("recruitment:milestone_done", milestone.pk))}" class="d-inline">'
        f"{csrf}"
        f'<input type="hidden" name="next" value="{escape(str(next_url))}">{choice}</form>'
    )


@register.simple_tag(takes_context=True)
def milestone_rows(context, rows, may_plan, next_url):
    """The table rows of a plan's milestones (`recruitment.plan_views.Row`): title and notes, when,
    owner, status, the roles it concerns and, for someone who may plan, "Mark done" and "Edit"."""
    if not rows:
        return mark_safe('<tr><td colspan="6" class="text-muted">No milestones yet.</td></tr>')
    csrf = CsrfTokenNode().render(context) if may_plan else ""  # the same token on every row's button
    parts = []
    for row in rows:
        m = row.milestone
        title = escape(m.title)
        notes = f'<div class="small text-muted text-pre-line">{escape(m.notes)}</div>' if m.notes else ""
        change = ""
        if may_plan:
            edit = escape(path_of("recruitment:milestone_edit", m.pk))
            change = (
                f'<td class="text-nowrap text-end">{_done_form(csrf, m, next_url)}\n        '
                f'<a href="{edit}" class="btn btn-link btn-sm py-0 px-1" aria-label="Edit {title}">Edit</a></td>'
            )
        status = escape(row.status)
        status_cell = f'<span class="ms-status ms-status-{status}">{escape(row.status_text)}</span>'
        parts.append(
            f'<tr id="milestone-{int(m.pk)}" class="ms-row ms-row-{status}">\n'
            f'      <th scope="row" class="fw-normal">{title}{notes}</th>\n'
            f'      <td class="text-nowrap">{escape(m.shown_when)}</td>\n'
            f"      <td>{escape(person(m.owner, 'Nobody yet'))}</td>\n"
            f'      <td class="text-nowrap">{status_cell}</td>\n'
            f'      <td class="small">{escape(row.roles_text or "—")}</td>\n'
            f"      {change}\n    </tr>"
        )
    return mark_safe("\n".join(parts))


@register.simple_tag
def hire_time(times):
    """A round's time to hire (`recruitment.selectors.HireTimes`) in words: the days to the start, to
    acceptance or so far, against the target, and "over target" when it is."""
    if times.to_start is not None:
        text = f"{times.to_start} days to start"
    elif times.to_acceptance is not None:
        text = f"{times.to_acceptance} days to acceptance"
    elif times.elapsed is None:
        text = "not recorded"
    else:
        text = f"{times.elapsed} days so far"
    over = ' <span class="badge text-bg-danger">over target</span>' if times.breached else ""
    return mark_safe(f'{text} <span class="text-muted">(target {int(times.target_days)})</span>{over}')
