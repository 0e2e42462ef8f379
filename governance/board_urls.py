"""Governance URLs (board_urls)."""

urlpatterns: list = []
