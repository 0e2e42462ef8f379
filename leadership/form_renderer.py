"""Django's form renderer, with its commonest widget templates written in Python.

Every input, select, option and textarea Django draws goes through a template of its own
(`django/forms/widgets/input.html`, which includes `attrs.html`, and so on): about 0.2 ms each. An
admin page with a hundred fields in its inline rows, or a form offering hundreds of options, spent
most of its time there. `FastWidgets` writes those few templates' markup itself, character for
character as the templates do (`tests/test_form_renderer.py` compares the two for generated widgets,
values, attributes and choices), and hands every other template to Django's own renderer.
"""

from __future__ import annotations

from django.forms.renderers import DjangoTemplates
from django.utils.formats import localize
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeData
from django.utils.timezone import template_localtime

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


def shown(value) -> str:
    """`{{ value }}`: localised, then escaped unless it is marked safe (`render_value_in_context`)."""
    value = localize(template_localtime(value))
    return conditional_escape(value if isinstance(value, str) else str(value))


def as_string(value) -> str:
    """`{{ value|stringformat:'s' }}`: the value as `%s` makes it, escaped unless it was marked safe."""
    text = str(value)  # what "%s" % value gives (the filter turns a tuple into its str() first)
    return text if isinstance(value, SafeData) else escape(text)


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


class FastWidgets(DjangoTemplates):
    def render(self, template_name, context, request=None):
        widget = context.get("widget") if isinstance(context, dict) else None
        if widget is not None:
            if template_name in INPUTS:
                return input_of(widget)
            if template_name == SELECT:
                return self._select(widget, context, request)
            if template_name == OPTION:
                return option_of(widget)
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
