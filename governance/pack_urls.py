"""Governance URLs (pack_urls)."""

urlpatterns: list = []
