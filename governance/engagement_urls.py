"""Governance URLs (engagement_urls)."""

urlpatterns: list = []
