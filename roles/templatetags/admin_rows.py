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

import datetime as dt
import decimal
import functools
import uuid
from types import SimpleNamespace
from urllib.parse import quote

from django import template
from django.contrib.admin import ModelAdmin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME, AdminReadonlyField
from django.contrib.admin.templatetags.admin_list import (
    ResultList,
    _coerce_field_name,
    result_headers,
    result_list,
)
from django.contrib.admin.templatetags.admin_modify import cell_count
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters, admin_urlname
from django.contrib.admin.templatetags.base import InclusionAdminNode
from django.contrib.admin.utils import (
    FieldIsAForeignKeyColumnName,
    _get_non_gfk_field,
    display_for_field,
    display_for_value,
    lookup_field,
)
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist
from django.db import models
from django.urls import NoReverseMatch
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from roles.admin import ReadOnlyRows, may_open
from roles.formatting import escaped
from roles.paths import MARK, admin_path

register = template.Library()


def _linked_if_allowed(field, request, remote_field, remote_obj) -> str:
    """`AdminReadonlyField.get_admin_url`, linking the related row only when the user may open its kind of page
    (else its name, as Django writes a row of an unregistered model)."""
    if not may_open(field.model_admin.admin_site, request, remote_field.model):
        return str(remote_obj)
    opts = remote_field.model._meta
    try:
        url = admin_path(
            f"admin:{opts.app_label}_{opts.model_name}_change", remote_obj.pk, field.model_admin.admin_site.name
        )
    except NoReverseMatch:
        return str(remote_obj)
    return format_html('<a href="{}">{}</a>', url, remote_obj)


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
    return escaped(value)


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
    `admin/edit_inline/tabular.html`: a row per form, the empty form last when rows may be added; a
    read-only inline's rows (`ReadOnlyRows`, no forms) from the objects themselves."""
    formset = inline_admin_formset.formset
    request = context.get("request")
    if isinstance(formset, ReadOnlyRows):
        return mark_safe("".join(_read_only_rows(inline_admin_formset, request)))
    prefix = _shown(formset.prefix)
    may_add = inline_admin_formset.has_add_permission
    may_delete = formset.can_delete and inline_admin_formset.has_delete_permission
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
        empty = last and may_add
        hidden = [
            _shown(admin_form.pk_field().field) if admin_form.needs_explicit_pk_field() else "",
            _shown(admin_form.fk_field().field) if admin_form.fk_field() else "",
        ]
        out += _row_start(
            inline_admin_formset,
            request,
            row_id=f"{prefix}-{'empty' if empty else index}",
            empty=empty,
            original=original,
            absolute_url=admin_form.absolute_url if admin_form.show_url else None,
            hidden=hidden,
        )
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


def _row_start(inline_admin_formset, request, *, row_id, empty, original, absolute_url, hidden) -> list[str]:
    """A row's opening and its first cell: the row's name with its change (or view) link and "View on
    site", then its hidden inputs."""
    has_original = "has_original" if (original or absolute_url) else ""
    out = [
        f'\n        <tr class="form-row {has_original}{" empty-form" if empty else ""}"\n'
        f'             id="{row_id}">\n        <td class="original">\n          '
    ]
    if original or absolute_url:
        out.append("<p>\n          ")
        if original:
            out.append(_shown(str(original)) + "\n          ")
            model_admin = inline_admin_formset.opts
            if model_admin.show_change_link and model_admin.has_registered_model:
                current_app = getattr(request, "current_app", None)
                url = admin_path(admin_urlname(model_admin.opts, "change"), original.pk, current_app)
                may_change = inline_admin_formset.has_change_permission
                kind, text = (
                    ("inlinechangelink", gettext("Change")) if may_change else ("inlineviewlink", gettext("View"))
                )
                out.append(f'<a href="{_shown(url)}" class="{kind}">{text}</a>')
            out.append("\n          ")
        if absolute_url:
            out.append(f'<a href="{_shown(absolute_url)}">{gettext("View on site")}</a>')
        out.append("\n            </p>")
    out.append(f"\n          {hidden[0]}\n          {hidden[1]}\n        </td>\n        ")
    return out


class _RowAsForm:
    """What `AdminReadonlyField.contents` reads of its form, for a row drawn without one: the row, and the
    form's fields (to find a widget that draws its own read-only value)."""

    def __init__(self, fields):
        self.fields = fields
        self.instance = None

    def __getitem__(self, name):
        return SimpleNamespace(field=self.fields[name])


def _read_only_rows(inline_admin_formset, request) -> list[str]:
    """The rows of a read-only inline (`ReadOnlyRows`), written from its objects as Django writes a view-only
    inline's forms: each column's field worked out once (`AdminReadonlyField`), each cell its contents."""
    formset = inline_admin_formset.formset
    inline = inline_admin_formset.opts
    empty_form = formset.empty_form
    row_form = _RowAsForm(empty_form.fields)
    fk = getattr(formset, "fk", None)
    columns = []
    for _name, options in inline_admin_formset.fieldsets:
        for line in options["fields"]:
            if fk and fk.name == line:
                continue
            names = line if isinstance(line, (list, tuple)) else [line]
            for index, name in enumerate(names):
                column = AdminReadonlyField(empty_form, name, index == 0, model_admin=inline)
                column.form = row_form
                classes = f"field-{_shown(column.field['name'])}" if column.field["name"] else ""
                columns.append((column, classes + (" hidden" if column.field["is_hidden"] else "")))
    prefix = _shown(formset.prefix)
    out = []
    for index, original in enumerate(formset.rows):
        row_form.instance = original
        out += _row_start(
            inline_admin_formset,
            request,
            row_id=f"{prefix}-{index}",
            empty=False,
            original=original,
            absolute_url=inline.get_view_on_site_url(original),
            hidden=("", ""),
        )
        for column, classes in columns:
            cell = _readonly(column, request)
            out.append(f'\n              <td class="{classes}">\n              \n                  <p>{cell}</p>')
            out.append("\n              \n              </td>\n            ")
        out.append('\n        <td class="delete"></td>\n        </tr>\n     ')
    return out


# --- A changelist's rows ------------------------------------------------------------------------------------------

# Values whose cell, for one column of one page, is the same wherever the value is the same: a page of fifty
# roles shows the same few dates, statuses and place names again and again, and Django's `display_for_field`
# (formats, choices, localising) costs more than everything else in a cell. The key holds the value's type and
# its text as well as the value, so values that are equal but written differently (Decimal "1.0" and "1.00",
# True and 1) are not taken for each other.
_SAME_CELL_TYPES = (str, int, float, decimal.Decimal, bool, dt.date, dt.time, uuid.UUID, type(None))


class _Column:
    """What `items_for_result` works out afresh for every cell and is the same all down a column."""

    def __init__(self, cl, index: int, name, first_link: bool):
        self.name = name
        self.classes = f"field-{_coerce_field_name(name, index)}"
        self.link = _link_in_col(first_link, name, cl)
        self.tag = "th" if first_link else "td"  # a linked cell's element: the first link heads its row
        self.empty = cl.model_admin.get_empty_value_display()
        try:
            self.field = _get_non_gfk_field(cl.lookup_opts, name)
        except (FieldDoesNotExist, FieldIsAForeignKeyColumnName):
            self.field = None  # a method, property or callable: looked up row by row as Django does
        self.shown: dict = {}
        # The admin's own tick box for actions, written here rather than through a widget for every row.
        self.checkbox = name == "action_checkbox" and type(cl.model_admin).action_checkbox is ModelAdmin.action_checkbox
        if self.checkbox:
            self.checkbox_label = gettext("Select this object for an action - {}")

    def cell(self, cl, result) -> tuple[str, str]:
        """The cell's class attribute and its contents (not yet linked), as `items_for_result` makes them."""
        if self.checkbox:  # `ModelAdmin.action_checkbox` drawn by the admin's `CheckboxInput`
            label = format_html(self.checkbox_label, str(result))
            return "action-checkbox", mark_safe(
                f'<input type="checkbox" name="{ACTION_CHECKBOX_NAME}" value="{escaped(str(result.pk))}"'
                f' class="action-select" aria-label="{label}">'
            )
        classes = [self.classes]
        f = self.field
        try:
            if f is None:
                f, attr, value = lookup_field(self.name, result, cl.model_admin)
            else:
                attr, value = None, getattr(result, self.name)
        except ObjectDoesNotExist:
            return classes[0], self.empty
        empty = getattr(attr, "empty_value_display", self.empty)
        if isinstance(value, str) and value.strip() == "":
            value = ""
        if f is None or f.auto_created:
            if self.name == "action_checkbox":
                classes = ["action-checkbox"]
            boolean = getattr(attr, "boolean", False)
            if isinstance(attr, property) and hasattr(attr, "fget"):
                boolean = getattr(attr.fget, "boolean", False)
            shown = display_for_value(value, empty, boolean)
            if isinstance(value, (dt.date, dt.time)):
                classes.append("nowrap")
        else:
            if isinstance(f.remote_field, models.ManyToOneRel):
                related = getattr(result, f.name)
                shown = empty if related is None else related
            elif isinstance(value, _SAME_CELL_TYPES):
                key = (type(value), value, str(value))
                if key not in self.shown:
                    self.shown[key] = display_for_field(value, f, empty, avoid_link=self.link)
                shown = self.shown[key]
            else:
                shown = display_for_field(value, f, empty, avoid_link=self.link)
            if isinstance(f, (models.DateField, models.TimeField, models.ForeignKey)):
                classes.append("nowrap")
        return " ".join(classes), shown


def _link_in_col(is_first: bool, field_name, cl) -> bool:
    if cl.list_display_links is None:
        return False
    if is_first and not cl.list_display_links:
        return True
    return field_name in cl.list_display_links


def _columns(cl) -> list[_Column]:
    columns, first = [], True
    for index, name in enumerate(cl.list_display):
        column = _Column(cl, index, name, first)
        first = first and not column.link
        columns.append(column)
    return columns


def _change_url(cl):
    """`cl.url_for_result` with the changelist's filters kept (`add_preserved_filters`), as a function of the row.
    A whole number id is put between the two halves of the address made once for a stand-in row (reversing a URL
    for every row of a page was a tenth of a changelist's rows); any other id, or an address the stand-in's id
    does not appear in exactly once, is made for its row as Django makes it."""

    def made(result):
        url = cl.url_for_result(result)
        return add_preserved_filters({"preserved_filters": cl.preserved_filters, "opts": cl.opts}, url)

    try:
        halves = made(SimpleNamespace(**{cl.pk_attname: MARK})).split(str(MARK))
    except NoReverseMatch:
        halves = []
    if len(halves) != 2:
        return made
    before, after = halves

    def url(result):
        pk = getattr(result, cl.pk_attname)
        return f"{before}{pk}{after}" if type(pk) is int else made(result)

    return url


def _row(cl, columns: list[_Column], change_url, result) -> str:
    """One `<tr>`'s cells: what `{% for item in result %}{{ item }}{% endfor %}` writes of
    `items_for_result(cl, result, None)`."""
    cells = []
    for column in columns:
        classes, shown = column.cell(cl, result)
        if not column.link:
            cells.append(f'<td class="{classes}">{_shown(shown)}</td>')
            continue
        try:
            url = change_url(result)
        except NoReverseMatch:
            linked = _shown(shown)
        else:
            popup = ""
            if cl.is_popup:
                value = result.serializable_value(str(cl.to_field) if cl.to_field else cl.lookup_opts.pk.attname)
                popup = f' data-popup-opener="{_shown(value)}"'
            linked = f'<a href="{_shown(url)}"{popup}>{_shown(shown)}</a>'
        cells.append(f'<{column.tag} class="{classes}">{linked}</{column.tag}>')
    return "".join(cells)


@register.tag(name="result_list_fast")
def result_list_fast_tag(parser, token):
    return InclusionAdminNode(
        parser, token, func=_result_list_context, template_name="change_list_results.html", takes_context=False
    )


def _result_list_context(cl):
    """`admin_list.result_list` with each row's cells written by `_row` rather than `items_for_result`: a
    row is handed to `change_list_results.html` as one item, which its loop writes as it would have written
    the row's items. A changelist with editable columns (none of ours has one) is left to Django."""
    if cl.formset:
        return result_list(cl)
    headers = list(result_headers(cl))
    columns, change_url = _columns(cl), _change_url(cl)
    return {
        "cl": cl,
        "result_hidden_fields": [],
        "result_headers": headers,
        "num_sorted_fields": sum(1 for h in headers if h["sortable"] and h["sorted"]),
        "results": [ResultList(None, [mark_safe(_row(cl, columns, change_url, result))]) for result in cl.result_list],
    }


# --- The list of apps and models ----------------------------------------------------------------------------------


@register.simple_tag(takes_context=True)
def app_list_html(context, app_list, show_changelinks) -> str:
    """`admin/app_list.html`: every app the user may open, with its models' links. It is drawn on every
    admin page (the navigation sidebar) as well as on the index pages; through the template it cost about
    3 ms a page."""
    if not app_list:
        return mark_safe(f"\n  <p>{_shown(gettext('You don’t have permission to view or edit anything.'))}</p>\n")
    request = context.get("request")
    here = quote(request.path if request is not None else "", safe="/")  # `request.path|urlencode`
    texts = {
        "title": gettext("Models in the %(name)s application"),
        "model_name": _shown(gettext("Model name")),
        "add_link": _shown(gettext("Add link")),
        "list_link": _shown(gettext("Change or view list link")),
        "add": _shown(gettext("Add")),
        "view": _shown(gettext("View")),
        "change": _shown(gettext("Change")),
    }
    out = []
    for app in app_list:
        label, url, name = _shown(app["app_label"]), app["app_url"], _shown(app["name"])
        current = " current-app" if url in here else ""
        title = texts["title"] % {"name": name}
        out.append(
            f'\n    <div class="app-{label} module{current}">\n      <table>\n        <caption>\n'
            f'          <a href="{_shown(url)}" class="section" title="{title}">{name}</a>\n'
            f'        </caption>\n        <thead class="visually-hidden">\n          <tr>\n'
            f'            <th scope="col">{texts["model_name"]}</th>\n'
            f'            <th scope="col">{texts["add_link"]}</th>\n'
            f'            <th scope="col">{texts["list_link"]}</th>\n'
            f"          </tr>\n        </thead>\n        "
        )
        for model in app["models"]:
            model_name = _shown(str(model["object_name"]).lower())
            admin_url, add_url = model.get("admin_url"), model.get("add_url")
            ident = f"{label}-{model_name}"
            is_current = bool(admin_url) and admin_url in here
            out.append(
                f'\n          \n            <tr class="model-{model_name}{" current-model" if is_current else ""}">\n'
                f'              <th scope="row" id="{ident}">\n                '
            )
            if admin_url:
                aria = ' aria-current="page"' if is_current else ""
                link = f'<a href="{_shown(admin_url)}"{aria}>{_shown(model["name"])}</a>'
                out.append(f"\n                  {link}\n                ")
            else:
                out.append(f"\n                  {_shown(model['name'])}\n                ")
            out.append("\n              </th>\n\n              ")
            if add_url:
                out.append(
                    f'\n                <td><a href="{_shown(add_url)}" class="addlink"'
                    f' aria-describedby="{ident}">{texts["add"]}</a></td>\n              '
                )
            else:
                out.append("\n                <td></td>\n              ")
            out.append("\n\n              ")
            if admin_url and show_changelinks:
                kind, text = ("viewlink", texts["view"]) if model.get("view_only") else ("changelink", texts["change"])
                out.append(
                    f'\n                \n                  <td><a href="{_shown(admin_url)}" class="{kind}"'
                    f' aria-describedby="{ident}">{text}</a></td>\n                \n              '
                )
            elif show_changelinks:
                out.append("\n                <td></td>\n              ")
            out.append("\n            </tr>\n          \n        ")
        out.append("\n      </table>\n    </div>\n  ")
    return mark_safe("\n  " + "".join(out) + "\n")
