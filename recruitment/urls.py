from . import equality_views, panel_views, plan_views, reminder_views, views

app_name = "recruitment"

urlpatterns = [
    *views.urlpatterns,
    *panel_views.urlpatterns,
    *equality_views.urlpatterns,
    *plan_views.urlpatterns,
    *reminder_views.urlpatterns,
]
