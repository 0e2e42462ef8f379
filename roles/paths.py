"""Many links of one kind on a page, one per row, for the cost of a single `reverse()`.

A board of a hundred cards links each card to its role and to each move it offers; reversing every
one of those URLs costs more than the rest of the card. `path_for_each` reverses the URL once with
a marker for the row's id and fills the id in for each row.
"""

import functools
from collections.abc import Callable

from django.urls import get_script_prefix, get_urlconf, reverse

MARK = 987654321


def path_for_each(name: str, *, id_name: str = "pk", **kwargs):
    """A function `pk -> reverse(name, kwargs={**kwargs, id_name: pk})`, reversing only once."""
    head, tail = reverse(name, kwargs={**kwargs, id_name: MARK}).split(str(MARK))
    return lambda pk: f"{head}{int(pk)}{tail}"


@functools.lru_cache(maxsize=64)
def _paths_of(name: str, prefix: str, urlconf) -> Callable[[int], str]:
    return path_for_each(name)


def path_of(name: str, pk) -> str:
    """`reverse(name, kwargs={"pk": pk})` for a URL whose only argument is the id, reversed once per
    process (and per script prefix and URLconf): for templates that link every row of a long list."""
    return _paths_of(name, get_script_prefix(), get_urlconf())(pk)


@functools.lru_cache(maxsize=1024)
def _role_paths_of(place_slug: str, prefix: str, urlconf) -> Callable[[int], str]:
    return path_for_each("roles:role_detail", place=place_slug)


def role_path(place_slug: str, pk) -> str:
    """`reverse("roles:role_detail", args=[place_slug, pk])`, reversed once per place and process."""
    return _role_paths_of(place_slug, get_script_prefix(), get_urlconf())(pk)


@functools.lru_cache(maxsize=512)
def _reversed(name: str, args: tuple, current_app, prefix: str, urlconf) -> str:
    return reverse(name, args=args, current_app=current_app)


def reversed_once(name: str, *args, current_app=None) -> str:
    """`reverse(name, args=args, current_app=current_app)`, reversed once per process (and script prefix and
    URLconf), for the URLs a page writes again and again with the same arguments: an admin's list and add
    pages and its change page with Django's `__fk__` marker, beside every related field of every inline row.
    A `reverse()` with arguments costs about 0.1 ms."""
    return _reversed(name, tuple(args), current_app, get_script_prefix(), get_urlconf())


def admin_path(name: str, pk, current_app=None) -> str:
    """`reverse(name, args=[quote(pk)], current_app=current_app)` for an admin page of one row (its change
    page): with a whole-number id, the URL reversed once per process with a marker and the id filled in; any
    other id is reversed as Django does."""
    if type(pk) is not int:
        from django.contrib.admin.utils import quote

        return reverse(name, args=[quote(pk)], current_app=current_app)
    head, tail = reversed_once(name, MARK, current_app=current_app).split(str(MARK))
    return f"{head}{pk}{tail}"
