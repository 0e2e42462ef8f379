"""Every form field the site draws through crispy-forms, written by `roles/templatetags/crispy_field.py`
(called from our `bootstrap5/field.html`), is what crispy-bootstrap5's own template draws: every page
of the seed demo that a place team, the board secretariat and an ICS administrator reach by following
links is drawn both ways and compared element for element, and so is each of its forms posted back
with nonsense in every field (the errors under each field).
"""

from __future__ import annotations

import html as html_module
import re
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.test import Client, override_settings

from governance import bench
from roles.templatetags.crispy_field import crispy_template, field_html
from tests.helpers import drawn_pages, same_pages, templates_without

pytestmark = pytest.mark.django_db

FORM = re.compile(r'<form[^>]*method="post"[^>]*>', re.I)
NAME = re.compile(r'name="([^"]+)"')
ACTION = re.compile(r'action="([^"]*)"')


@pytest.fixture
def crispy_templates(tmp_path):
    return templates_without(tmp_path, ["bootstrap5/field.html"])


def _requests(client) -> list[tuple[str, str, dict | None]]:
    """Each page reached by links (one per kind), and each page holding a form posted back to itself
    with "x<b>" in every field it names."""
    requests = []
    for url, is_page in bench.walk(client, "/", admin=False, prefer="/bexley/").values():
        if not is_page:
            continue
        requests.append(("get", url, None))
        html = client.get(url).content.decode()
        actions = {html_module.unescape(next(iter(ACTION.findall(form)), "")) for form in FORM.findall(html)}
        if actions & {"", url, urlsplit(url).path}:
            body = {name: "x<b>" for name in NAME.findall(html) if name != "csrfmiddlewaretoken"}
            requests.append(("post", url, body))
    return requests


@pytest.mark.parametrize("username", ["bexley-team", "secretariat", "ics-admin"])
def test_every_form_page_is_drawn_as_crispy_bootstrap5s_template_draws_it(username, governance_demo, crispy_templates):
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    requests = _requests(client)

    ours = drawn_pages(client, requests)
    with override_settings(TEMPLATES=crispy_templates):
        theirs = drawn_pages(client, requests)

    assert same_pages(ours, theirs, same_spaces=False) >= 10
    posted = [html for (method, _url), (_status, html) in ours.items() if method == "post"]
    assert sum("invalid-feedback" in html for html in posted) >= 2, "no form was sent back with errors"
    assert "<b>" not in "".join(posted)


def test_a_case_the_port_does_not_draw_goes_to_crispys_own_template():
    """A file field, a horizontal form, a label class or a field in a table cell: crispy's template."""
    from django import forms
    from django.template import Context

    class Form(forms.Form):
        document = forms.FileField(label="Document")
        title = forms.CharField(label="Title")

    form = Form()
    assert field_html(Context({"field": form["document"]})) is None
    for extra in ({"form_class": "form-horizontal"}, {"label_class": "col-2"}, {"tag": "td"}):
        assert field_html(Context({"field": form["title"], **extra})) is None
    assert field_html(Context({"field": form["title"], "form_show_labels": True})) is not None
    drawn = crispy_template().render(Context({"field": form["document"], "form_show_labels": True}))
    assert 'type="file"' in drawn and "Document" in drawn
