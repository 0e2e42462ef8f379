"""The adoption matrix's cells, written in Python: an ICS's matrix has a cell for every template role in
every place (hundreds), and the template language took most of the page's time drawing them."""

from html import escape

from django import template
from django.utils.safestring import mark_safe

from roles.selectors import Variation

register = template.Library()

RENAMED_TITLES = 3  # titles a renamed cell names before "and N more"


@register.simple_tag
def adoption_cell(cell):
    """One cell of the matrix: what the place did with the template role (a link to its row on the
    place's comparison page, the reason as its title), the titles it renamed it to, and whether it
    changed the type. Needs each of the cell's rows to have its `url` (`ics_views._cell_links`)."""
    kind, place = escape(cell.kind), cell.place
    reason = cell.reason
    url = cell.rows[0].url if cell.rows else ""
    title = f' title="{escape(reason)}"' if reason else ""
    parts = [
        f'<td class="adoption-cell adoption-{kind}" data-place="{escape(place.slug)}" data-kind="{kind}">',
        f'<a href="{escape(url)}"{title}>{escape(cell.label)}'
        f'<span class="visually-hidden"> in {escape(place.name)}</span></a>',
    ]
    if cell.kind == Variation.RENAMED:
        roles = cell.roles
        parts += [f'<span class="d-block small">“{escape(role.title)}”</span>' for role in roles[:RENAMED_TITLES]]
        if len(roles) > RENAMED_TITLES:
            parts.append(f'<span class="d-block small">and {len(roles) - RENAMED_TITLES} more</span>')
    if cell.type_changed:
        parts.append('<span class="d-block small fw-semibold">type changed</span>')
    return mark_safe("".join(parts) + "</td>")
