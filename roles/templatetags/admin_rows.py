"""The admin's form rows written in Python: the lines of a fieldset and the rows of a tabular inline.

Django's `admin/includes/fieldset.html` and `admin/edit_inline/tabular.html` draw every field of a
change page through a dozen template tests and lookups each, and an inline's every row the same way:
on a board with twenty members, or a role's add page, that was most of the page's time (the SQL is a
few milliseconds). Our copies of those two templates (`templates/admin/...`) keep Django's markup
around the loops and call these tags for the loops themselves. Each writes what Django's loop writes,
element for element and with the same text between them (`tests/test_drawn_both_ways.py` renders every
admin add and change page both ways and compares them).
"""

from __future__ import annotations

import functools

from django import template
from django.contrib.admin.templatetags.admin_modify import cell_count
from django.contrib.admin.templatetags.admin_urls import admin_urlname, admin_urlquote
from django.urls import reverse
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from roles.admin import may_open

register = template.Library()


def _linked_if_allowed(field, request, remote_field, remote_obj) -> str:
    """`AdminReadonlyField.get_admin_url`, linking the related row only when the user may open its kind of page
    (else its name, as Django writes a row of an unregistered model)."""
    if not may_open(field.model_admin.admin_site, request, remote_field.model):
        return str(remote_obj)
    return type(field).get_admin_url(field, remote_field, remote_obj)


def _readonly(field, request) -> str:
    """A read-only field's contents, as Django writes them, with links only to pages the user may open."""
    if request is not None:
        field.get_admin_url = functools.partial(_linked_if_allowed, field, request)
    return _shown(field.contents())


def _of(value, name: str):
    """`{{ value.name }}` as the template language looks it up: a key, else an attribute, else ""."""
    if isinstance(value, dict):
        return value.get(name, "")
    return getattr(value, name, "")


def _shown(value) -> str:
    """`{{ value }}`: escaped unless marked safe (the admin's values need no localising here: names,
    ids, rendered fields and error lists)."""
    return conditional_escape(value)


def _errors_ul(errors) -> str:
    """`{{ errors.as_ul }}`: Django's error list template writes nothing for no errors."""
    return errors.as_ul() if errors else ""


@register.simple_tag(takes_context=True)
def fieldset_lines(context, fieldset):
    """`{% for line in fieldset %}…{% endfor %}` of `admin/includes/fieldset.html`."""
    request = context.get("request")
    out = []
    for line in fieldset:
        single = len(line.fields) == 1
        fields = list(line)
        line_errors = line.errors() if single else ""  # each asked once: it draws its error list
        classes = "form-row"
        if line_errors:
            classes += " errors"
        if not line.has_visible_field:
            classes += " hidden"
        for field in fields:
            name = _of(field.field, "name")
            if name:
                classes += f" field-{_shown(name)}"
        out.append(f'\n        <div class="{classes}">\n            ')
        out.append(_shown(line_errors) if single else '<div class="flex-container form-multiline">')
        for field in fields:
            out.append("\n                <div>\n                    ")
            field_errors = field.errors() if not single and not field.is_readonly else ""
            out.append(_shown(field_errors))
            box = "flex-container"
            if not single:
                box += " fieldBox"
                name = _of(field.field, "name")
                if name:
                    box += f" field-{_shown(name)}"
                if field_errors:
                    box += " errors"
                if _of(field.field, "is_hidden"):
                    box += " hidden"
            if field.is_checkbox:
                box += " checkbox-row"
            out.append(f'\n                        <div class="{box}">\n                            ')
            if field.is_checkbox:
                out.append(_shown(field.field) + _shown(field.label_tag()))
            else:
                out.append(_shown(field.label_tag()) + "\n                                ")
                if field.is_readonly:
                    out.append(f'<div class="readonly">{_readonly(field, request)}</div>')
                else:
                    out.append(_shown(field.field))
            out.append("\n                        </div>\n                    ")
            help_text = _of(field.field, "help_text")
            if help_text:
                hidden = " hidden" if _of(field.field, "is_hidden") else ""
                label_id = _of(field.field, "id_for_label")
                ident = f' id="{_shown(label_id)}_helptext"' if label_id else ""
                out.append(f'\n                    <div class="help{hidden}"{ident}>\n')
                out.append(
                    f"                        <div>{help_text}</div>\n                    </div>\n                "
                )
            out.append("\n                </div>\n            ")
        if not single:
            out.append("</div>")
        out.append("\n        </div>\n    ")
    return mark_safe("".join(out))


@register.simple_tag(takes_context=True)
def tabular_rows(context, inline_admin_formset):
    """`{% for inline_admin_form in inline_admin_formset %}…{% endfor %}` of
    `admin/edit_inline/tabular.html`: a row per form, the empty form last when rows may be added."""
    formset = inline_admin_formset.formset
    prefix = _shown(formset.prefix)
    may_add = inline_admin_formset.has_add_permission
    may_delete = formset.can_delete and inline_admin_formset.has_delete_permission
    request = context.get("request")
    current_app = getattr(request, "current_app", None)
    forms = list(inline_admin_formset)
    out = []
    for index, admin_form in enumerate(forms):
        last = index == len(forms) - 1
        errors = admin_form.form.non_field_errors()
        if errors:
            out.append(
                f'\n        <tr class="row-form-errors"><td colspan="{cell_count(admin_form)}">'
                f"{_shown(errors)}</td></tr>\n        "
            )
        original = admin_form.original
        has_original = "has_original" if (original or admin_form.show_url) else ""
        empty = last and may_add
        row_id = f"{prefix}-{'empty' if empty else index}"
        out.append(
            f'\n        <tr class="form-row {has_original}{" empty-form" if empty else ""}"\n'
            f'             id="{row_id}">\n        <td class="original">\n          '
        )
        if original or admin_form.show_url:
            out.append("<p>\n          ")
            if original:
                out.append(_shown(str(original)) + "\n          ")
                model_admin = admin_form.model_admin
                if model_admin.show_change_link and model_admin.has_registered_model:
                    url = reverse(
                        admin_urlname(model_admin.opts, "change"),
                        args=[admin_urlquote(original.pk)],
                        current_app=current_app,
                    )
                    may_change = inline_admin_formset.has_change_permission
                    kind, text = (
                        ("inlinechangelink", gettext("Change")) if may_change else ("inlineviewlink", gettext("View"))
                    )
                    out.append(f'<a href="{_shown(url)}" class="{kind}">{text}</a>')
                out.append("\n          ")
            if admin_form.show_url:
                out.append(f'<a href="{_shown(admin_form.absolute_url)}">{gettext("View on site")}</a>')
            out.append("\n            </p>")
        out.append("\n          ")
        if admin_form.needs_explicit_pk_field():
            out.append(_shown(admin_form.pk_field().field))
        out.append("\n          ")
        if admin_form.fk_field():
            out.append(_shown(admin_form.fk_field().field))
        out.append("\n        </td>\n        ")
        for fieldset in admin_form:
            for line in fieldset:
                for field in line:
                    name = _of(field.field, "name")
                    classes = f"field-{_shown(name)}" if name else ""
                    if _of(field.field, "is_hidden"):
                        classes += " hidden"
                    out.append(f'\n              <td class="{classes}">\n              ')
                    if field.is_readonly:
                        out.append(f"\n                  <p>{_readonly(field, request)}</p>\n              ")
                    else:
                        out.append(f"\n                  {_errors_ul(field.field.errors)}\n")
                        out.append(f"                  {_shown(field.field)}\n              ")
                    out.append("\n              </td>\n            ")
        deletion = _shown(admin_form.deletion_field().field) if may_delete and original else ""
        out.append(f'\n        <td class="delete">{deletion}</td>\n        </tr>\n     ')
    return mark_safe("".join(out))
