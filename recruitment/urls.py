from . import equality_views, panel_views, views

app_name = "recruitment"

urlpatterns = [
    *views.urlpatterns,
    *panel_views.urlpatterns,
    *equality_views.urlpatterns,
]
