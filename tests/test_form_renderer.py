"""`leadership.form_renderer.FastWidgets` writes the inputs, selects, options and textareas Django's
templates write, character for character, whatever the value, attributes and choices."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib.admin import widgets as admin_widgets
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy
from hypothesis import given
from hypothesis import strategies as st

from leadership.form_renderer import FastWidgets
from tests.helpers import fuzz


class WithoutTemplates(FastWidgets):
    """FastWidgets that fails if it reaches for a template: the widgets below are all written in Python."""

    def get_template(self, template_name):
        raise AssertionError(f"{template_name} was rendered through its template")


DJANGO, FAST = DjangoTemplates(), WithoutTemplates()
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12) | st.sampled_from(
    ['<b>"x" & y</b>', "", " ", "0", "'", "&amp;"]
)
VALUES = st.one_of(
    st.none(),
    TEXT,
    TEXT.map(mark_safe),
    st.integers(-5, 5),
    st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-1000, max_value=1000),
    st.dates(dt.date(2000, 1, 1), dt.date(2100, 1, 1)),
    st.booleans(),
)
ATTRS = st.dictionaries(
    st.sampled_from(["class", "id", "placeholder", "data-x", "aria-describedby", "size", "disabled", "required"]),
    st.one_of(TEXT, st.booleans(), st.integers(0, 99), TEXT.map(mark_safe)),
    max_size=5,
)
INPUTS = [
    forms.TextInput,
    forms.NumberInput,
    forms.EmailInput,
    forms.URLInput,
    forms.PasswordInput,
    forms.HiddenInput,
    forms.DateInput,
    forms.DateTimeInput,
    forms.TimeInput,
    forms.CheckboxInput,
    forms.SearchInput,
    forms.TelInput,
    forms.ColorInput,
    forms.Textarea,
    admin_widgets.AdminTextInputWidget,
    admin_widgets.AdminIntegerFieldWidget,
    admin_widgets.AdminTextareaWidget,
]
LABELS = st.one_of(TEXT, TEXT.map(mark_safe), st.integers(0, 9), st.dates(dt.date(2020, 1, 1), dt.date(2030, 1, 1)))
CHOICE = st.tuples(st.one_of(TEXT, st.integers(0, 9)), LABELS)
CHOICES = st.lists(st.one_of(CHOICE, st.tuples(st.one_of(TEXT, LABELS), st.lists(CHOICE, max_size=3))), max_size=5)


def both(widget, name, value, attrs) -> tuple[str, str]:
    return widget.render(name, value, attrs, renderer=DJANGO), widget.render(name, value, attrs, renderer=FAST)


@fuzz
@given(widget=st.sampled_from(INPUTS), name=TEXT, value=VALUES, attrs=ATTRS, own=ATTRS)
def test_inputs_and_textareas_are_written_as_djangos_templates_write_them(widget, name, value, attrs, own):
    django, fast = both(widget(attrs=own), name, value, attrs)
    assert fast == django


@fuzz
@given(
    multiple=st.booleans(),
    choices=CHOICES,
    name=TEXT,
    value=st.one_of(VALUES, st.lists(st.one_of(TEXT, st.integers(0, 9)), max_size=3)),
    attrs=ATTRS,
)
def test_selects_and_their_options_are_written_as_djangos_templates_write_them(multiple, choices, name, value, attrs):
    widget = (forms.SelectMultiple if multiple else forms.Select)(choices=choices)
    django, fast = both(widget, name, value, attrs)
    assert fast == django


class NamedRawIdWidget(admin_widgets.ForeignKeyRawIdWidget):
    """The id box with a generated name and link beside it (the real one reads the row from the database)."""

    def __init__(self, rel, admin_site, label, url):
        super().__init__(rel, admin_site)
        self.label, self.url = label, url

    def label_and_url_for_value(self, value):
        return self.label, self.url


@fuzz
@given(name=TEXT, value=VALUES, attrs=ATTRS, label=st.one_of(st.just(""), TEXT, TEXT.map(mark_safe)), url=TEXT)
def test_the_admins_id_box_is_written_as_djangos_template_writes_it(name, value, attrs, label, url):
    from django.contrib import admin

    from roles.models import Role

    rel = Role._meta.get_field("place").remote_field
    for site in (admin.site, admin.AdminSite(name="unregistered")):  # with and without the lookup link
        django, fast = both(NamedRawIdWidget(rel, site, label, url), name, value, attrs)
        assert fast == django


@fuzz
@given(
    name=TEXT,
    value=st.one_of(st.none(), st.integers(0, 9)),
    hidden=st.booleans(),
    field=st.sampled_from(["place", "spatial_level"]),
    limited=st.booleans(),
    may=st.lists(st.booleans(), min_size=4, max_size=4),
)
def test_the_admins_related_field_links_are_written_as_djangos_template_writes_them(
    name, value, hidden, field, limited, may
):
    import copy

    from django.contrib import admin

    from roles.models import Role

    rel = copy.copy(Role._meta.get_field(field).remote_field)
    rel.limit_choices_to = {"pk__gt": 0} if limited else {}
    inner = forms.HiddenInput() if hidden else forms.Select(choices=[(1, "One <1>"), (2, "Two & 2")])
    change, add, delete, view = may
    wrapper = admin_widgets.RelatedFieldWidgetWrapper(
        inner,
        rel,
        admin.site,
        can_add_related=add,
        can_change_related=change,
        can_delete_related=delete,
        can_view_related=view,
    )
    django, fast = both(wrapper, name, value, {"id": f"id_{name}"})
    assert fast == django


def test_a_form_renders_the_same_through_either_renderer():
    class Form(forms.Form):
        title = forms.CharField(initial='Frailty <Lead> & "Care"')
        sessions = forms.DecimalField(initial=Decimal("1.5"))
        starts = forms.DateField(initial=dt.date(2022, 4, 4))
        kind = forms.ChoiceField(choices=[("c", "Clinical"), ("Care", [("s", "Social care"), ("v", "Voluntary")])])
        notes = forms.CharField(widget=forms.Textarea, initial="Line 1\nLine <2>")
        agreed = forms.BooleanField(initial=True)

    django, fast = Form(renderer=DJANGO).as_div(), Form(renderer=FastWidgets()).as_div()  # the form's own templates
    assert fast == django and "Frailty &lt;Lead&gt; &amp; &quot;Care&quot;" in fast


def test_other_widgets_are_left_to_djangos_templates():
    widget = forms.CheckboxSelectMultiple(choices=[("a", "A <b>")])
    fast = widget.render("x", ["a"], renderer=FastWidgets())
    assert fast == widget.render("x", ["a"], renderer=DJANGO) and "A &lt;b&gt;" in fast


def test_our_copies_differ_from_djangos_only_where_the_tags_draw_the_loops():
    """When Django is upgraded, its templates may change: our copies are its 5.2 text with the loop
    swapped for the tag, and this fails when the text around it no longer matches."""
    from django.contrib import admin as admin_app

    theirs = Path(admin_app.__file__).parent / "templates"
    for name, loop, tag in (
        (
            "admin/includes/fieldset.html",
            r"    \{% for line in fieldset %\}.*?\n    \{% endfor %\}\n",
            "    {% fieldset_lines fieldset %}\n",
        ),
        (
            "admin/edit_inline/tabular.html",
            r"     \{% for inline_admin_form in inline_admin_formset %\}.*?\n     \{% endfor %\}\n",
            "     {% tabular_rows inline_admin_formset %}\n",
        ),
    ):
        django = (theirs / name).read_text()
        ours = (settings.BASE_DIR / "templates" / name).read_text()
        ours = re.sub(r"\{#.*?#\}", "", ours, count=1)
        ours = ours.replace("{% load admin_rows %}\n", "", 1).replace(" admin_rows %}", " %}", 1)
        assert re.sub(loop, tag, django, count=1, flags=re.S) == ours, name


@given(
    value=st.one_of(
        TEXT,
        TEXT.map(mark_safe),
        TEXT.map(lambda text: gettext_lazy(text) if text else text),
        TEXT.map(lambda text: mark_safe(gettext_lazy(text)) if text else text),
        st.integers(),
        st.decimals(allow_nan=False),
        st.none(),
    )
)
def test_escaped_is_djangos_conditional_escape(value):
    """`roles.formatting.escaped`, which the renderer and the admin's row tags use, gives what Django's
    `conditional_escape` gives, for text, text marked safe, lazy text (safe or not), numbers and None."""
    from django.utils.html import conditional_escape

    from roles.formatting import escaped

    ours, theirs = escaped(value), conditional_escape(value)
    assert ours == theirs
    assert type(ours) is type(theirs) or (hasattr(ours, "__html__") and hasattr(theirs, "__html__"))


@fuzz
@given(
    label=st.one_of(TEXT, TEXT.map(mark_safe)),
    # (Django itself fails to add a required field's class to a class that is not text.)
    attrs=st.one_of(st.none(), ATTRS.filter(lambda attrs: isinstance(attrs.get("class", ""), str))),
    suffix=st.one_of(st.none(), st.sampled_from(["", ":", " →"])),
    required=st.booleans(),
    with_id=st.booleans(),
    tag=st.sampled_from([None, "legend"]),
)
def test_labels_are_written_as_djangos_template_writes_them(label, attrs, suffix, required, with_id, tag):
    class Form(forms.Form):
        required_css_class = "required"
        title = forms.CharField(required=required)

    def drawn(renderer):
        field = Form(renderer=renderer, auto_id="id_%s" if with_id else False)["title"]
        return field.label_tag(label or None, attrs=dict(attrs) if attrs else attrs, label_suffix=suffix, tag=tag)

    assert drawn(FAST) == drawn(DJANGO)


@fuzz
@given(
    errors=st.lists(st.one_of(TEXT, TEXT.map(mark_safe), TEXT.map(forms.ValidationError)), max_size=3),
    error_class=st.one_of(st.none(), st.sampled_from(["nonfield", "nonform", '"x"'])),
    field_id=st.one_of(st.none(), TEXT),
)
def test_lists_of_errors_are_written_as_djangos_templates_write_them(errors, error_class, field_id):
    from django.forms.utils import ErrorList

    def drawn(renderer):
        listed = ErrorList(errors, error_class=error_class, renderer=renderer, field_id=field_id)
        return str(listed), listed.as_ul()

    assert drawn(FAST) == drawn(DJANGO)


def test_a_form_of_hidden_fields_is_written_as_djangos_template_writes_it():
    """A formset's management form (written in Python); a hidden-only form with errors, or with a visible
    field, goes to Django's template."""

    class Hidden(forms.Form):
        a = forms.CharField(widget=forms.HiddenInput, initial='<"1">')
        b = forms.IntegerField(widget=forms.HiddenInput)

    def drawn(renderer, errors_renderer):
        return [
            str(forms.formset_factory(forms.Form, extra=2, renderer=renderer)(prefix="rows").management_form),
            str(Hidden(renderer=renderer)),
            str(Hidden({"a": "x", "b": "not a number"}, renderer=errors_renderer)),
        ]

    fast = drawn(FAST, FastWidgets())  # FAST: the first two never reach a template
    assert fast == drawn(DJANGO, DJANGO)
    assert 'name="rows-TOTAL_FORMS" value="2"' in fast[0] and "&lt;&quot;1&quot;&gt;" in fast[1]
    assert "errorlist" in fast[2]


@fuzz
@given(
    name=TEXT,
    value=st.one_of(
        st.none(),
        st.datetimes(dt.datetime(2000, 1, 1), dt.datetime(2100, 1, 1)),
        st.lists(TEXT, min_size=2, max_size=2),
    ),
    attrs=ATTRS,
)
def test_the_admins_date_and_time_boxes_are_written_as_djangos_template_writes_them(name, value, attrs):
    django, fast = both(admin_widgets.AdminSplitDateTime(), name, value, attrs)
    assert fast == django
