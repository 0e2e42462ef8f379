from django.urls import path

from . import setup_views, views

app_name = "roles"

urlpatterns = [
    path("places/<slug:place>/", views.dashboard, name="dashboard"),
    path("places/<slug:place>/roles/", views.role_list, name="role_list"),
    path("places/<slug:place>/roles/new/", views.role_create, name="role_create"),
    path("places/<slug:place>/roles/setup/", setup_views.setup, name="place_setup"),
    path("places/<slug:place>/roles/import/", setup_views.role_import, name="role_import"),
    path("places/<slug:place>/roles/<int:pk>/", views.role_detail, name="role_detail"),
    path("places/<slug:place>/roles/<int:pk>/edit/", views.role_edit, name="role_edit"),
    path("places/<slug:place>/roles/<int:pk>/description/", views.role_document, name="role_document"),
    path("places/<slug:place>/board/", views.board, name="board"),
    path("places/<slug:place>/board/move/", views.bulk_move, name="bulk_move"),
    path("places/<slug:place>/board/sign-off/", setup_views.sign_off, name="descriptions_sign_off"),
    path("places/<slug:place>/roles/<int:pk>/move/<slug:to>/", views.role_move, name="role_move"),
    path("places/<slug:place>/template/", views.template_comparison, name="template_comparison"),
    path(
        "places/<slug:place>/template/roles/<int:pk>/reason/", views.role_variation_reason, name="role_variation_reason"
    ),
    path(
        "places/<slug:place>/template/not-adopted/<int:template_pk>/reason/",
        views.omission_reason,
        name="omission_reason",
    ),
]
