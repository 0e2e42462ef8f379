"""Django's form renderer, with its commonest widget templates written in Python.

Every input, select, option and textarea Django draws goes through a template of its own
(`django/forms/widgets/input.html`, which includes `attrs.html`, and so on): about 0.2 ms each. An
admin page with a hundred fields in its inline rows, or a form offering hundreds of options, spent
most of its time there. So did a field's label, each (usually empty) list of errors, and each inline's
management form, through templates of their own. `FastWidgets` writes those few templates' markup
itself, character for character as the templates do (`tests/test_form_renderer.py` compares the two
for generated widgets, values, attributes, choices, labels and errors), and hands every other template
to Django's own renderer.
"""

from __future__ import annotations

import html

from django.forms.renderers import DjangoTemplates
from django.templatetags.static import static
from django.utils.formats import localize
from django.utils.safestring import SafeData, SafeString
from django.utils.timezone import template_localtime
from django.utils.translation import gettext

from roles.formatting import escaped

WIDGETS = "django/forms/widgets/"
INPUTS = frozenset(
    f"{WIDGETS}{name}.html"
    for name in (
        "input",
        "text",
        "number",
        "email",
        "url",
        "password",
        "hidden",
        "date",
        "datetime",
        "time",
        "checkbox",
        "search",
        "tel",
        "color",
        "file",
    )
)
SELECT, OPTION, TEXTAREA = f"{WIDGETS}select.html", f"{WIDGETS}select_option.html", f"{WIDGETS}textarea.html"
# The admin's id box with its lookup link and the chosen row's name (a many-to-many's includes the same),
# and the wrapper that adds the change, add, delete and view links beside a related field.
RAW_IDS = frozenset({"admin/widgets/foreign_key_raw_id.html", "admin/widgets/many_to_many_raw_id.html"})
RELATED_WRAPPER = "admin/widgets/related_widget_wrapper.html"
# A field's label, a list of errors (drawn for every form and formset, most often empty), and a form of
# hidden fields only (every inline's management form).
LABEL = "django/forms/label.html"
ERROR_LISTS = frozenset({"django/forms/errors/list/default.html", "django/forms/errors/list/ul.html"})
FORM_DIV = "django/forms/div.html"
# The admin's date and time boxes side by side (an interview slot's start and end).
SPLIT_DATETIME = "admin/widgets/split_datetime.html"
DATE_AND_TIME = (f"{WIDGETS}date.html", f"{WIDGETS}time.html")


def shown(value) -> str:
    """`{{ value }}`: localised, then escaped unless it is marked safe (`render_value_in_context`)."""
    value = localize(template_localtime(value))
    return escaped(value if isinstance(value, str) else str(value))


def as_string(value) -> str:
    """`{{ value|stringformat:'s' }}`: the value as `%s` makes it, escaped unless it was marked safe."""
    text = str(value)  # what "%s" % value gives (the filter turns a tuple into its str() first)
    return text if isinstance(value, SafeData) else SafeString(html.escape(text))


def attrs_of(attrs: dict) -> str:
    """`attrs.html`: ` name="value"` for each attribute, ` name` for True, nothing for False."""
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        parts.append(f" {shown(name)}" if value is True else f' {shown(name)}="{as_string(value)}"')
    return "".join(parts)


def input_of(widget: dict) -> str:
    value = f' value="{as_string(widget["value"])}"' if widget["value"] != None else ""  # noqa: E711 - as the template compares
    return f'<input type="{shown(widget["type"])}" name="{shown(widget["name"])}"{value}{attrs_of(widget["attrs"])}>'


def option_of(option: dict) -> str:
    return f'<option value="{as_string(option["value"])}"{attrs_of(option["attrs"])}>{shown(option["label"])}</option>'


def textarea_of(widget: dict) -> str:
    value = shown(widget["value"]) if widget["value"] else ""
    return f'<textarea name="{shown(widget["name"])}"{attrs_of(widget["attrs"])}>\n{value}</textarea>'


def raw_id_of(context: dict) -> str:
    """`admin/widgets/foreign_key_raw_id.html`: the input (its template ends a line), the lookup link,
    and the chosen row's name, linked where it has a page."""
    widget, related_url, label = context["widget"], context.get("related_url"), context.get("link_label")
    parts = ["<div>" if related_url else "", input_of(widget), "\n"]
    if related_url:
        parts.append(
            f'<a href="{shown(related_url)}" class="related-lookup" id="lookup_id_{shown(widget["name"])}"'
            f' title="{shown(context.get("link_title", ""))}"></a>'
        )
    if label:
        url = context.get("link_url")
        name = f'<a href="{shown(url)}">{shown(label)}</a>' if url else shown(label)
        parts.append(f"\n<strong>{name}</strong>")
    if related_url:
        parts.append("</div>")
    return "".join(parts).strip()  # as Django's renderer strips what a widget's template wrote


# The links of `related_widget_wrapper.html`, as its {% spaceless %} leaves them: (context flag, link).
_RELATED_LINKS = (
    (
        "can_change_related",
        '<a class="related-widget-wrapper-link change-related" id="change_id_{name}"\n'
        '            data-href-template="{change_url}?{url_params}"\n'
        '            data-popup="yes"\n'
        '            title="{title}"><img src="{icon}" alt="" width="24" height="24"></a>',
        "Change selected %(model)s",
        "admin/img/icon-changelink.svg",
    ),
    (
        "can_add_related",
        '<a class="related-widget-wrapper-link add-related" id="add_id_{name}"\n'
        '            data-popup="yes"\n'
        '            href="{add_url}?{url_params}"\n'
        '            title="{title}"><img src="{icon}" alt="" width="24" height="24"></a>',
        "Add another %(model)s",
        "admin/img/icon-addlink.svg",
    ),
    (
        "can_delete_related",
        '<a class="related-widget-wrapper-link delete-related" id="delete_id_{name}"\n'
        '            data-href-template="{delete_url}?{url_params}"\n'
        '            data-popup="yes"\n'
        '            title="{title}"><img src="{icon}" alt="" width="24" height="24"></a>',
        "Delete selected %(model)s",
        "admin/img/icon-deletelink.svg",
    ),
    (
        "can_view_related",
        '<a class="related-widget-wrapper-link view-related" id="view_id_{name}"\n'
        '             data-href-template="{change_url}?{view_params}"\n'
        '             title="{title}"><img src="{icon}" alt="" width="24" height="24"></a>',
        "View selected %(model)s",
        "admin/img/icon-viewlink.svg",
    ),
)


def related_wrapper_of(context: dict) -> str:
    """`admin/widgets/related_widget_wrapper.html`: the field, then the links the user may follow."""
    links = ""
    if not context.get("is_hidden"):
        values = {
            "name": shown(context.get("name", "")),
            "url_params": shown(context.get("url_params", "")),
            "view_params": shown(context.get("view_related_url_params", "")),
            "change_url": shown(context.get("change_related_template_url", "")),
            "add_url": shown(context.get("add_related_url", "")),
            "delete_url": shown(context.get("delete_related_template_url", "")),
        }
        model = {"model": shown(context.get("model", ""))}
        links = "".join(
            link.format(**values, title=gettext(title) % model, icon=escaped(static(icon)))
            for flag, link, title, icon in _RELATED_LINKS
            if context.get(flag)
        )
    reference = "" if context.get("model_has_limit_choices_to") else f'data-model-ref="{shown(context["model_name"])}"'
    return (
        f'<div class="related-widget-wrapper" {reference}>\n    {shown(context["rendered_widget"])}\n    \n'
        f"        {links}\n    \n</div>"
    )


def label_of(context: dict) -> str:
    """`label.html`: the label in its tag with its attributes (`for`, a required field's class), or bare
    for a field with no id (stripped, as the renderer strips what a template writes)."""
    if not context.get("use_tag"):
        return shown(context["label"]).strip()
    tag, attrs = shown(context["tag"]), context.get("attrs")
    return f"<{tag}{attrs_of(attrs) if attrs else ''}>{shown(context['label'])}</{tag}>"


def errors_of(context: dict) -> str:
    """`errors/list/ul.html` (which `default.html` includes): nothing for no errors."""
    errors = context["errors"]
    if not errors:
        return ""
    field_id = getattr(errors, "field_id", None)
    ident = f' id="{shown(field_id)}_error"' if field_id else ""
    items = "".join(f"<li>{shown(error)}</li>" for error in errors)
    return f'<ul class="{shown(context["error_class"])}"{ident}>{items}</ul>'


def hidden_form_of(context: dict) -> str:
    """`div.html` for a form with no visible field and no error (a formset's management form): its hidden
    fields, and nothing from the template's other branches (the renderer strips the lines they leave)."""
    return "".join(shown(field) for field in context["hidden_fields"]).strip()


def split_datetime_of(context: dict) -> str:
    """`admin/widgets/split_datetime.html`: its two boxes, each as `date.html` and `time.html` include them
    (`input.html` and its line end, then their own)."""
    date, time = context["widget"]["subwidgets"]
    return (
        f'<p class="datetime">\n  {shown(context["date_label"])} {input_of(date)}\n\n<br>\n'
        f"  {shown(context['time_label'])} {input_of(time)}\n\n\n</p>"
    )


class FastWidgets(DjangoTemplates):
    def render(self, template_name, context, request=None):
        if template_name == RELATED_WRAPPER and isinstance(context, dict) and "rendered_widget" in context:
            return related_wrapper_of(context)
        if isinstance(context, dict):
            if template_name == LABEL and "use_tag" in context and "label" in context:
                return label_of(context)
            if template_name in ERROR_LISTS and "errors" in context and "error_class" in context:
                return errors_of(context)
            if template_name == FORM_DIV and "hidden_fields" in context:
                if not context.get("fields") and not context.get("errors", True):  # hidden fields only
                    return hidden_form_of(context)
        widget = context.get("widget") if isinstance(context, dict) else None
        if widget is not None:
            if template_name in INPUTS:
                return input_of(widget)
            if template_name in RAW_IDS:
                return raw_id_of(context)
            if template_name == SELECT:
                return self._select(widget, context, request)
            if template_name == OPTION:
                return option_of(widget)
            if (
                template_name == SPLIT_DATETIME
                and tuple(w["template_name"] for w in widget["subwidgets"]) == DATE_AND_TIME
            ):
                return split_datetime_of(context)
            if template_name == TEXTAREA:
                return textarea_of(widget)
        return super().render(template_name, context, request)

    def _select(self, widget: dict, context: dict, request) -> str:
        parts = [f'<select name="{shown(widget["name"])}"{attrs_of(widget["attrs"])}>']
        for group_name, group_choices, _index in widget["optgroups"]:
            if group_name:
                parts.append(f'\n  <optgroup label="{shown(group_name)}">')
            for option in group_choices:
                # `{% include option.template_name with widget=option %}`: not stripped, so each ends a line.
                if option["template_name"] == OPTION:
                    parts.append(f"\n  {option_of(option)}\n")
                else:
                    template = self.get_template(option["template_name"])
                    parts.append("\n  " + template.render({**context, "widget": option}, request=request))
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        return "".join(parts)
