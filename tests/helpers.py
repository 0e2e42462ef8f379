"""Small helpers for tests that post forms the way a browser would."""

import datetime as dt

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
