"""Governance URLs (pack_urls): the board pack pages."""

from .pack_views import urlpatterns  # noqa: F401
