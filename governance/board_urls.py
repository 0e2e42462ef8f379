"""Governance URLs for boards, meetings and decisions (`board_views`)."""

from django.urls import path

from . import board_views as views

urlpatterns = [
    path("places/<slug:place>/boards/", views.place_boards, name="place_boards"),
    path("boards/<int:pk>/", views.board_detail, name="board_detail"),
    path("boards/<int:pk>/meetings/new/", views.meeting_new, name="meeting_new"),
    path("boards/<int:pk>/declarations/new/", views.standing_declaration_new, name="standing_declaration_new"),
    path("meetings/<int:pk>/", views.meeting_detail, name="meeting_detail"),
    path("meetings/<int:pk>/edit/", views.meeting_edit, name="meeting_edit"),
    path("meetings/<int:pk>/items/new/", views.item_new, name="item_new"),
    path("meetings/<int:pk>/attendance/", views.meeting_attendance, name="meeting_attendance"),
    path("meetings/<int:pk>/minutes/", views.meeting_minutes, name="meeting_minutes"),
    path("items/<int:pk>/papers/new/", views.paper_new, name="paper_new"),
    path("items/<int:pk>/declarations/new/", views.declaration_new, name="declaration_new"),
    path("items/<int:pk>/decisions/new/", views.decision_new, name="decision_new"),
    path("decisions/<int:pk>/", views.decision_detail, name="decision_detail"),
]
