"""Small helpers for tests that post forms the way a browser would."""

import datetime as dt

from django import forms


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
