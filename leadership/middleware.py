"""Project-wide middleware: what every request and response goes through, whatever the app.

- `ContentSecurityPolicyMiddleware`: django-csp's, with additions for a few paths.
- `RefuseNulCharactersMiddleware`: a NUL character in a query or form field is answered with 400.
- `LoginRequiredMiddleware`: Django's, leaving the signed-in user itself on the request.
- `PrivateCacheForSignedInUsersMiddleware`: a signed-in user's pages are never cached.
- `locked_out` and `client_address`: django-axes's lockout page and the address a login came
  from (`AXES_LOCKOUT_CALLABLE`, `AXES_CLIENT_IP_CALLABLE`).
"""

from __future__ import annotations

import logging

from csp.middleware import CSPMiddleware
from django.conf import settings
from django.contrib.auth import middleware as auth_middleware
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.functional import SimpleLazyObject, empty
from django.utils.timesince import timeuntil

log = logging.getLogger(__name__)


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, adding to the policy on the paths that
    `settings.CONTENT_SECURITY_POLICY_ADDITIONS_BY_PATH` names (pages of other packages we cannot
    change, such as one admin form's inline script allowed by its hash). Every other page gets
    `CONTENT_SECURITY_POLICY` as it is."""

    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only)
        if report_only:
            return parts
        for prefix, additions in settings.CONTENT_SECURITY_POLICY_ADDITIONS_BY_PATH.items():
            if request.path_info.startswith(prefix):
                update = dict(parts.update or {})
                for directive, sources in additions.items():
                    update[directive] = [*update.get(directive, []), *sources]
                parts.update = update
        return parts


class LoginRequiredMiddleware(auth_middleware.LoginRequiredMiddleware):
    """Django's: every view needs a signed-in user unless it says otherwise. Once it has checked,
    `request.user` is the user itself rather than Django's lazy wrapper around it.

    Every attribute read through the wrapper goes through two Python calls, and the permission checks
    read the user's attributes a thousand times on an admin change page (an advert round's:
    `may_use_admin` alone is asked 77 times, by the list of apps). Counted with callgrind, unwrapping
    it took the round's and a board's admin pages from 184 to 174 million instructions a request.
    Django's check reads the user on every request (signed in or not), so the wrapper has already
    loaded it here.
    """

    def process_view(self, request, view_func, view_args, view_kwargs):
        response = super().process_view(request, view_func, view_args, view_kwargs)
        user = getattr(request, "user", None)
        if response is None and isinstance(user, SimpleLazyObject) and user._wrapped is not empty:
            request.user = user._wrapped
        return response


def _field_with_nul(request) -> str | None:
    """The name of the first query or form field whose name or value holds a NUL character."""
    for data in (request.GET, request.POST):
        for key, values in data.lists():
            if "\x00" in key or any("\x00" in value for value in values):
                return key
    return None


class RefuseNulCharactersMiddleware:
    """Answer 400 when a GET or POST field holds a NUL character, before any view sees it.

    PostgreSQL refuses a NUL inside a string, so a NUL in an admin search or a form field ended in
    a 500 (and SQLite would store it). No one types one: it comes from a paste or a probe. Uploaded
    files are not looked at; their bytes are their own.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        field = _field_with_nul(request)
        if field is None:
            return self.get_response(request)
        shown = field.replace("\x00", "\\0")
        log.warning("Refused %s %s: a NUL character in the field %r", request.method, request.path, shown)
        message = f"Remove the NUL character (\\0) from the search or form field “{shown}” and try again."
        return render(request, "400.html", {"message": message}, status=400)


class PrivateCacheForSignedInUsersMiddleware:
    """`Cache-Control: private, no-store` on every response to a signed-in user.

    Pages show budgets and people's roles: neither a shared proxy nor the browser's back button
    after logging out should keep a copy. Anonymous responses (the login page) are left alone.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, private=True, no_store=True)
        return response


def locked_out(request, original_response=None, credentials=None):
    """The page for a login refused because the username failed too often from this address."""
    now = timezone.now()
    try_again_at = now + settings.AXES_COOLOFF_TIME
    context = {
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "try_again_at": try_again_at,
        "wait": timeuntil(try_again_at, now=now),
    }
    return render(request, "registration/locked_out.html", context, status=settings.AXES_HTTP_RESPONSE_CODE)


def client_address(request) -> str | None:
    """The address a login came from, which django-axes locks together with the username.

    Behind `TRUSTED_PROXY_COUNT` reverse proxies, each appending the address it was connected from
    to X-Forwarded-For, the client is that many entries from the right; anything further left was
    sent by the client and could be anything. With no proxy (or a header shorter than the proxies
    would make) it is the connection's own address.
    """
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR")
