"""Pages whose repeated parts we write in Python rather than through a template each are drawn as the
templates draw them.

The admin's fieldset lines and tabular inline rows, written in Python (`roles/templatetags/admin_rows.py`,
called from our copies of `admin/includes/fieldset.html` and `admin/edit_inline/tabular.html`), draw
what Django's own templates draw: every add and change page of the admin, on the whole seed demo, as
the superuser, an ICS administrator and an HR recruiter (editable, read-only and hidden fields, inline
rows with change links, the empty row to add), and pages sent back with errors, are compared with the
same pages drawn by Django's templates, element for element and with the same text between them.

Every form field the site draws through crispy-forms, written by `roles/templatetags/crispy_field.py`
(called from our `bootstrap5/field.html`), is what crispy-bootstrap5's own template draws: every page
of the seed demo that an ICS administrator reaches by following links (they reach every form a place
team and the board secretariat reach) is drawn both ways and compared element for element, and so is
each of its forms posted back with nonsense in every field (the errors under each field).
"""

from __future__ import annotations

import contextlib
import html as html_module
import re
from unittest import mock
from urllib.parse import urlsplit

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import Client, override_settings
from django.urls import reverse

from governance import bench
from governance.models import Board, ExportLog
from roles.admin import InlineRows, ReadOnlyInline
from roles.models import Place, Role
from roles.templatetags.crispy_field import crispy_template, field_html
from tests.helpers import admin_form_body, drawn_pages, same_pages, templates_without

pytestmark = pytest.mark.django_db

OURS = (
    "admin/includes/fieldset.html",
    "admin/edit_inline/tabular.html",
    "admin/change_list.html",
    "admin/app_list.html",
)


@pytest.fixture
def django_templates(tmp_path):
    """Settings whose templates are ours except the two copies: the admin draws with Django's own."""
    return templates_without(tmp_path, OURS)


@contextlib.contextmanager
def drawn_by_django(templates):
    """Pages drawn by Django's own templates, each read-only inline as Django's view-only inline: a form
    per row (ours, `ReadOnlyRows`, has none)."""
    with override_settings(TEMPLATES=templates), mock.patch.object(ReadOnlyInline, "formset", InlineRows):
        yield


def _read_only_prefixes(html: str) -> list[str]:
    """The inlines of one of our pages drawn without forms: rows shown, and a management form saying none."""
    return [
        prefix for prefix in re.findall(r'name="([^"]+)-TOTAL_FORMS" value="0"', html) if f'id="{prefix}-0"' in html
    ]


def _without_read_only_forms(ours: dict, django: dict) -> tuple[dict, int]:
    """Django's pages less what only the forms of read-only rows put there: each row's hidden inputs
    (its id and its parent's), and the counts of the management form. Everything else in those rows, their
    names, links and cells, must be the same on both. Also returns how many read-only rows were compared."""
    plain, rows = {}, 0
    for key, (status, html) in django.items():
        for prefix in _read_only_prefixes(ours[key][1]):
            quoted = re.escape(prefix)
            html, _ = re.subn(rf'<input type="hidden" name="{quoted}-\d+-[^"]+"[^>]*>', "", html)
            html = re.sub(rf'(name="{quoted}-(?:TOTAL|INITIAL)_FORMS" value=")\d+"', r'\g<1>0"', html)
            rows += len(re.findall(rf'<tr class="form-row has_original"\s+id="{quoted}-\d+"', ours[key][1]))
        plain[key] = (status, html)
    return plain, rows


def _pages() -> list[str]:
    """Each registered model's add page and the change page of its first row."""
    urls = []
    for model in admin.site._registry:
        info = (model._meta.app_label, model._meta.model_name)
        urls.append(reverse("admin:{}_{}_add".format(*info)))
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            urls.append(reverse("admin:{}_{}_change".format(*info), args=[first.pk]))
    return urls


LINK = re.compile(r'<a href="(/admin/[^"]+)">(.*?)</a>', re.S)


def _without_links_ours_leave_out(client, ours: dict, django: dict) -> tuple[dict, set[str]]:
    """Django's templates link a read-only related row (a decision's "recorded by") to its admin page
    whatever the user may open; ours link it only when they may. Every link Django's pages have and
    ours lack must answer 403 to this user: with those written as plain text, the pages are the same."""
    unlinked = set()
    for key, (_status, html) in django.items():
        unlinked |= {href for href, _text in LINK.findall(html) if f'href="{href}"' not in ours[key][1]}
    for href in unlinked:
        assert client.get(href).status_code == 403, f"{href} was left unlinked but the user may open it"
    plain = {
        key: (status, LINK.sub(lambda m: m[2] if m[1] in unlinked else m[0], html))
        for key, (status, html) in django.items()
    }
    return plain, unlinked


@pytest.mark.parametrize("username", ["superuser", "ics-admin", "hr-recruiter"])
def test_every_admin_add_and_change_page_is_drawn_as_djangos_templates_draw_it(
    username, governance_demo, django_templates
):
    User = get_user_model()
    if username == "superuser":
        User.objects.create_superuser("superuser", password="x")
    client = Client()
    client.force_login(User.objects.get(username=username))
    requests = [("get", url, None) for url in _pages()]

    ours = drawn_pages(client, requests)
    with drawn_by_django(django_templates):
        django = drawn_pages(client, requests)
    django, unlinked = _without_links_ours_leave_out(client, ours, django)
    django, read_only_rows = _without_read_only_forms(ours, django)

    compared = same_pages(ours, django)
    assert compared >= {"superuser": 40, "ics-admin": 25, "hr-recruiter": 8}[username], compared
    assert read_only_rows >= {"superuser": 20, "ics-admin": 10, "hr-recruiter": 5}[username], read_only_rows
    assert (username == "superuser") == (not unlinked), unlinked
    if username != "hr-recruiter":
        board = ours["get", reverse("admin:governance_board_change", args=[Board.objects.order_by("pk").first().pk])]
        assert 'id="members-empty"' in board[1] and 'class="field-person"' in board[1]


def test_pages_sent_back_with_errors_are_drawn_as_djangos_templates_draw_them(governance_demo, django_templates):
    client = Client()
    client.force_login(get_user_model().objects.get(username="ics-admin"))
    role = Role.objects.filter(place__slug="bexley").order_by("pk").first()
    role_page = reverse("admin:roles_role_change", args=[role.pk])
    board_page = reverse("admin:governance_board_change", args=[Board.objects.filter(members__isnull=False).first().pk])

    def requests():
        """The posts, each body read from its page as drawn now (Django's has a form per read-only row)."""
        role_body = {**admin_form_body(client.get(role_page)), "title": "", "sessions_per_week": "-1"}
        board_body = admin_form_body(client.get(board_page))
        row = next(key[: -len("-term_starts_on")] for key in board_body if key.endswith("-0-term_starts_on"))
        board_body.update(
            {f"{row}-term_starts_on": "2024-05-01", f"{row}-term_ends_on": "2023-05-01", f"{row}-person": ""}
        )
        return [
            ("post", reverse("admin:roles_role_add"), {"_save": "Save"}),
            ("post", role_page, role_body),
            ("post", board_page, board_body),
        ]

    ours = drawn_pages(client, requests())
    with drawn_by_django(django_templates):
        django = drawn_pages(client, requests())
    django, read_only_rows = _without_read_only_forms(ours, django)

    assert same_pages(ours, django) == 3
    assert read_only_rows >= 1  # the role's audit trail
    board = ours["post", board_page][1]
    assert "errorlist" in board and "row-form-errors" in board or "This field is required" in board


# Each changelist as it first opens, searched and sorted down by its second column (so every row's link keeps
# the search and the order: `add_preserved_filters`), and opened as a pop-up to choose a row from.
CHANGELIST_QUERIES = ("", "?q=e&o=-2", "?_popup=1")


@pytest.mark.parametrize("username", ["superuser", "ics-admin", "hr-recruiter"])
def test_every_admin_changelist_is_drawn_as_djangos_templates_draw_it(username, governance_demo, django_templates):
    """The rows of every changelist (`admin_rows.result_list_fast`): tick boxes, linked first columns, dates,
    choices, booleans, related rows, the admin's own columns and empty values, as Django writes them; and
    the list of apps (`admin_rows.app_list_html`) on the index, each app's page and every page's sidebar."""
    User = get_user_model()
    if username == "superuser":
        User.objects.create_superuser("superuser", password="x")
    client = Client()
    client.force_login(User.objects.get(username=username))
    requests = [
        ("get", reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist") + query, None)
        for model in admin.site._registry
        for query in CHANGELIST_QUERIES
    ]
    # The index and each app's page list the apps and models with their links (`admin_rows.app_list_html`),
    # as every page's sidebar does.
    apps = {model._meta.app_label for model in admin.site._registry}
    requests += [("get", reverse("admin:index"), None)]
    requests += [("get", reverse("admin:app_list", args=[app]), None) for app in sorted(apps)]

    ours = drawn_pages(client, requests)
    with override_settings(TEMPLATES=django_templates):
        django = drawn_pages(client, requests)

    compared = same_pages(ours, django)
    rows = sum(html.count("<tr") for status, html in ours.values() if status == 200)
    assert compared >= {"superuser": 100, "ics-admin": 70, "hr-recruiter": 30}[username], compared
    assert rows >= {"superuser": 1000, "ics-admin": 500, "hr-recruiter": 100}[username], rows
    roles = ours["get", reverse("admin:roles_role_changelist") + "?q=e&o=-2"][1]
    assert 'class="action-select"' in roles and "_changelist_filters=q%3De%26o%3D-2" in roles
    assert 'class="model-role current-model"' in roles and 'aria-current="page"' in roles
    index = ours["get", reverse("admin:index")][1]
    assert 'class="addlink"' in index and ('class="changelink"' in index or 'class="viewlink"' in index)


def test_every_admin_history_page_answers_for_models_with_and_without_versions(governance_demo):
    """A model that keeps no versions (an export log, a reminder, an application) shows the admin's own
    history page, and opening a version of it is a 404; none is a 500."""
    import datetime as dt

    from governance import packs, reports

    User = get_user_model()
    superuser = User.objects.create_superuser("superuser", password="x")
    bexley = Place.objects.get(slug="bexley")
    packs.board_pack(scope=reports.Scope.of_place(bexley), as_of=dt.date(2022, 4, 4), fmt="csv", by=superuser)
    client = Client()
    client.force_login(superuser)
    answered = {}
    for model in admin.site._registry:
        first = model._default_manager.order_by("pk").first()
        if first is None:
            continue
        info = (model._meta.app_label, model._meta.model_name)
        answered[model._meta.label] = client.get(reverse("admin:{}_{}_history".format(*info), args=[first.pk]))
    assert all(response.status_code == 200 for response in answered.values()), {
        label: r.status_code for label, r in answered.items() if r.status_code != 200
    }
    assert "governance.ExportLog" in answered and len(answered) >= 20, sorted(answered)
    log = ExportLog.objects.order_by("pk").first()
    assert client.get(reverse("admin:governance_exportlog_simple_history", args=[log.pk, 1])).status_code == 404


# --- Form fields drawn through crispy-forms -------------------------------------------------------------------


FORM = re.compile(r'<form[^>]*method="post"[^>]*>', re.I)
NAME = re.compile(r'name="([^"]+)"')
ACTION = re.compile(r'action="([^"]*)"')


@pytest.fixture
def crispy_templates(tmp_path):
    """Settings whose templates are ours except `bootstrap5/field.html`: crispy-bootstrap5's own draws."""
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


def test_every_form_page_is_drawn_as_crispy_bootstrap5s_template_draws_it(governance_demo, crispy_templates):
    client = Client()
    client.force_login(get_user_model().objects.get(username="ics-admin"))
    requests = _requests(client)

    ours = drawn_pages(client, requests)
    with override_settings(TEMPLATES=crispy_templates):
        theirs = drawn_pages(client, requests)

    assert same_pages(ours, theirs, same_spaces=False) >= 60
    posted = [html for (method, _url), (_status, html) in ours.items() if method == "post"]
    assert sum("invalid-feedback" in html for html in posted) >= 15, "too few forms were sent back with errors"
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


def test_who_made_a_change_is_linked_only_for_those_who_may_open_their_page(governance_demo):
    """A role's moves and the versions of it name who made them: the superuser gets a link to that
    user's admin page, an ICS administrator (who may not open it: 403) gets the name alone."""
    from roles.models import RoleMove

    User = get_user_model()
    User.objects.create_superuser("superuser", password="x")
    move = RoleMove.objects.filter(by__isnull=False, role__place__slug="bexley").order_by("pk").first()
    move.role.history.update(history_user=move.by)  # the demo's versions were written by no one
    user_page = reverse("admin:auth_user_change", args=[move.by_id])
    pages = [
        reverse("admin:roles_role_change", args=[move.role_id]),
        reverse("admin:roles_role_history", args=[move.role_id]),
    ]
    for username, linked in (("superuser", True), ("ics-admin", False)):
        client = Client()
        client.force_login(User.objects.get(username=username))
        assert (client.get(user_page).status_code == 200) == linked
        for page in pages:
            response = client.get(page)
            html = response.content.decode()
            assert response.status_code == 200 and move.by.username in html, (username, page)
            assert (f'href="{user_page}"' in html) == linked, (username, page)
