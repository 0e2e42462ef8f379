"""Small helpers for tests: forms posted the way a browser would, and pages drawn two ways compared."""

import datetime as dt
import re

from django import forms
from hypothesis import HealthCheck, settings


def form_body(form) -> dict:
    """The POST body a form would send unchanged: its current (initial) values, as strings."""
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if isinstance(field, forms.BooleanField):
            if value:
                data[name] = "on"
        elif isinstance(field, forms.FileField):
            continue  # send no file: the stored one (if any) is kept
        elif value is None:
            data[name] = ""
        elif isinstance(value, (list, tuple)):
            data[name] = [str(item) for item in value]
        elif isinstance(value, dt.date):
            data[name] = value.isoformat()
        else:
            data[name] = str(value)
    return data


def admin_form_body(response) -> dict:
    """The POST body an admin add or change page would send unchanged: its form's values and its
    inlines' management forms. Read-only fields (e.g. a role's status) are not in it."""
    assert response.status_code == 200, response.status_code
    data = form_body(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for name, value in formset.management_form.initial.items():
            data[f"{formset.prefix}-{name}"] = str(value)
        for subform in formset.forms:
            for name in subform.fields:
                value = subform[name].value()
                if value is not None and value is not False:
                    data[subform.add_prefix(name)] = "on" if value is True else str(value)
    data["_save"] = "Save"
    return data


# Hypothesis settings for a test whose examples share a function-scoped fixture (each example rolls
# back); how many examples comes from the profile tests/conftest.py loads.
fuzz = settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow], deadline=None)


def templates_without(folder, names) -> list:
    """TEMPLATES settings drawing from a copy of our templates in `folder` less `names`: the packages'
    own templates of those names are used instead (to compare a page drawn both ways)."""
    import copy
    import shutil

    from django.conf import settings as django_settings

    shutil.copytree(django_settings.BASE_DIR / "templates", folder / "templates")
    for name in names:
        (folder / "templates" / name).unlink()
    templates = copy.deepcopy(django_settings.TEMPLATES)
    templates[0]["DIRS"] = [folder / "templates"]
    return templates


TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


def drawn_pages(client, requests) -> dict:
    """Each `(method, url, body)` request's status and page (its CSRF token left out). A post is
    rolled back, so the same requests can be made again on the same data."""
    from django.db import transaction

    drawn = {}
    for method, url, body in requests:
        with transaction.atomic():
            response = client.post(url, body) if method == "post" else client.get(url)
            transaction.set_rollback(True)
        drawn[method, url] = (response.status_code, TOKEN.sub("", response.content.decode()))
    return drawn


def same_pages(ours: dict, theirs: dict, *, same_spaces: bool = True) -> int:
    """Assert each page of `ours` is `theirs`: the same status and, for a page, the same elements with the
    same text (`parse_html`) and, with `same_spaces`, the same characters once runs of spaces are one.
    Returns how many pages were compared."""
    from django.test.html import parse_html

    compared = 0
    for key, (status, html) in ours.items():
        assert theirs[key][0] == status, key
        if status not in (200, 400):
            continue
        if same_spaces:
            assert re.sub(r"\s+", " ", html) == re.sub(r"\s+", " ", theirs[key][1]), key
        assert parse_html(html) == parse_html(theirs[key][1]), key
        compared += 1
    return compared


def built_for_module(blocker, build):
    """For a module-scoped fixture: `build()`'s rows made once for the module, in a transaction rolled
    back when the module ends; each test's own transaction nests inside it (a savepoint), so what a
    test changes is undone after it. Yields what `build` returned."""
    from django.db import transaction

    with blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        built = build()
    try:
        yield built
    finally:
        with blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
