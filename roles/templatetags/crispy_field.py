"""crispy-bootstrap5's `bootstrap5/field.html`, written in Python for the fields our forms use.

crispy-forms draws each field of a form through that template, which includes three more for its help
text and errors: about 2 ms a field, so a role form of twenty fields spent 40 ms drawing them. Our
`templates/bootstrap5/field.html` calls `field_markup`, which writes the same markup for a plain field
(an input, a select, a text area, a tick box, a list of boxes or buttons) and hands anything else (a
file, a horizontal form, a label class, a field drawn inside a table cell) to crispy's own template.
`tests/test_drawn_both_ways.py` draws every form page of the site both ways and compares them.
"""

from __future__ import annotations

import functools
from pathlib import Path

import crispy_bootstrap5
from django import forms, template
from django.conf import settings
from django.template import Engine
from django.utils.safestring import mark_safe

from roles.formatting import escaped

register = template.Library()

CHOICES = "bootstrap5/layout/radio_checkbox_select.html"


@functools.cache
def crispy_template() -> template.Template:
    """crispy-bootstrap5's own field template (ours, of the same name, shadows it), read once per process."""
    source = Path(crispy_bootstrap5.__file__).parent / "templates" / "bootstrap5" / "field.html"
    return Engine.get_default().from_string(source.read_text())


def _e(value) -> str:
    return escaped(value)


def with_classes(field, classes: str) -> str:
    """`{% crispy_field field 'class' classes %}`: the widget's own class name and `classes` added to its
    class attribute (as crispy-forms' `CrispyFieldNode` does), then the field drawn."""
    widget = field.field.widget
    converters = getattr(settings, "CRISPY_CLASS_CONVERTERS", {})
    for each in getattr(widget, "widgets", [getattr(widget, "widget", widget)]):
        name = each.__class__.__name__.lower()
        name = converters.get(name, name)
        css = each.attrs.get("class", "")
        css = (css if name in css else f"{css} {name}") if css else name
        for extra in classes.split():
            if extra not in css.split():
                css += " " + extra
        each.attrs["class"] = css
    return str(field)


def help_and_errors(field, context) -> str:
    """`bootstrap5/layout/help_text_and_errors.html` and the three templates it includes."""
    inline_help, inline_errors = context.get("help_text_inline"), context.get("error_text_inline")
    parts = []
    if field.help_text and inline_help and not inline_errors:
        parts.append(f'<span id="{_e(field.auto_id)}_helptext" class="form-text">{field.help_text}</span>')
    if context.get("form_show_errors") and field.errors:
        tag = "span" if inline_errors else "p"
        errors = "".join(
            f'<{tag} id="error_{n}_{_e(field.auto_id)}"><strong>{_e(error)}</strong></{tag}>'
            for n, error in enumerate(field.errors, start=1)
        )
        ident = _e(getattr(field.errors, "field_id", ""))  # `{{ field.errors.field_id }}`: "" when not set
        parts.append(f'<div id="{ident}_error" class="invalid-feedback">{errors}</div>')
    if field.help_text and not inline_help:
        ident = f'id="{_e(field.auto_id)}_helptext" ' if field.auto_id else ""
        parts.append(f'<div {ident}class="form-text">{field.help_text}</div>')
    return "\n".join(parts)


def _label(field, *, required: bool, fieldset: bool) -> str:
    """The field's label (a legend when its widget is a group of inputs), for a form without a label class."""
    tag = "legend" if fieldset else "label"
    target = f'for="{_e(field.id_for_label)}"' if field.id_for_label else ""
    classes = "form-label" + (" requiredField" if required else "") + (" fs-6" if fieldset else "")
    star = '<span class="asteriskField">*</span>' if required else ""
    return f'<{tag}\n {target} class="{classes}">\n{_e(field.label)}{star}\n</{tag}>'


def field_html(context) -> str | None:
    """The field as crispy-bootstrap5's template draws it, or None for a case left to that template."""
    field = context["field"]
    if field.is_hidden:
        return str(field)
    widget = field.field.widget
    form_class = context.get("form_class") or ""
    if (
        context.get("tag")
        or context.get("label_class")
        or "form-horizontal" in form_class
        or isinstance(widget, forms.FileInput)
    ):
        return None
    checkbox = isinstance(widget, forms.CheckboxInput)
    choices = isinstance(widget, (forms.CheckboxSelectMultiple, forms.RadioSelect))
    show_labels, required = context.get("form_show_labels"), field.field.required
    fieldset = field.use_fieldset
    parts = ['<div class="mb-3">'] if checkbox else []

    classes = "form-check" if checkbox and show_labels else "mb-3"
    if context.get("wrapper_class"):
        classes += f" {_e(context['wrapper_class'])}"
    css = field.css_classes()
    if css:
        classes += f" {_e(css)}"
    parts.append(f'<div id="div_{_e(field.auto_id)}" class="{classes}">')

    labelled = field.label and not checkbox and show_labels
    if labelled:
        if fieldset:
            described = getattr(field, "aria_describedby", None)
            parts.append(f'<fieldset aria-describedby="{_e(described)}">' if described else "<fieldset>")
        parts.append(_label(field, required=required, fieldset=fieldset))

    invalid = " is-invalid" if field.errors else ""
    if choices:
        parts.append(context.template.engine.get_template(CHOICES).render(context))
    elif checkbox and show_labels:
        parts.append(with_classes(field, "form-check-input" + invalid))
        star = '<span class="asteriskField">*</span>' if required else ""
        parts.append(
            f'<label for="{_e(field.id_for_label)}" class="form-check-label{" requiredField" if required else ""}">'
            f"\n{_e(field.label)}{star}\n</label>"
        )
        parts.append(help_and_errors(field, context))
    else:
        field_class = context.get("field_class")
        if field_class:
            parts.append(f'<div class="{_e(field_class)}">')
        if isinstance(widget, forms.Select):
            parts.append(with_classes(field, "form-select" + invalid))
        elif checkbox:
            parts.append(with_classes(field, "form-check-input" + invalid))
        else:
            parts.append(with_classes(field, "form-control" + invalid))
        parts.append(help_and_errors(field, context))
        if field_class:
            parts.append("</div>")
    if fieldset and field.label and show_labels:
        parts.append("</fieldset>")
    parts.append("</div>")
    if checkbox:
        parts.append("</div>")
    return "\n".join(part for part in parts if part)


@register.simple_tag(takes_context=True)
def field_markup(context) -> str:
    """The context's field drawn as `bootstrap5/field.html` draws it (see the module's docstring)."""
    html = field_html(context)
    return mark_safe(html if html is not None else crispy_template().render(context))
