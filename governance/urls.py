from django.urls import path  # noqa: F401

from . import board_urls, engagement_urls, ics_urls, pack_urls

app_name = "governance"

urlpatterns = [*board_urls.urlpatterns, *engagement_urls.urlpatterns, *pack_urls.urlpatterns, *ics_urls.urlpatterns]
