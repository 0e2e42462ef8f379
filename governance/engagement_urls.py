"""Governance URLs (engagement_urls): a place's engagement log, its events and feedback points."""

from django.urls import path

from . import engagement_views as views

urlpatterns = [
    path("places/<slug:place>/engagement/", views.engagement_log, name="engagement"),
    path("places/<slug:place>/engagement/new/", views.event_new, name="engagement_event_new"),
    path("places/<slug:place>/engagement/<int:pk>/edit/", views.event_edit, name="engagement_event_edit"),
    path("places/<slug:place>/engagement/<int:pk>/delete/", views.event_delete, name="engagement_event_delete"),
    path("places/<slug:place>/engagement/<int:pk>/points/new/", views.point_new, name="engagement_point_new"),
    path("places/<slug:place>/engagement/points/<int:pk>/edit/", views.point_edit, name="engagement_point_edit"),
    path("places/<slug:place>/engagement/points/<int:pk>/delete/", views.point_delete, name="engagement_point_delete"),
]
