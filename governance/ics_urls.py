"""Governance URLs (ics_urls): the ICS's view across its places (`ics_views`)."""

from .ics_views import urlpatterns  # noqa: F401
