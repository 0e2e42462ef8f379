from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from roles import health
from roles import views as role_views

urlpatterns = [
    path("", role_views.home, name="home"),
    # For load balancers and containers: no login, JSON, 200 or 503 (roles/health.py).
    path("health/", health.health, name="health"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("", include("roles.urls")),
    path("recruitment/", include("recruitment.urls")),
    path("governance/", include("governance.urls")),
]
