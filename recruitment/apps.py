from django.apps import AppConfig


class RecruitmentConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "recruitment"

    def ready(self):
        # Recruitment's rules on role moves (a role with applications moves by its round's steps).
        # and what it adds to the role's page and the board's cards; what's due on the place's dashboard.
        from . import checks, plan_views, role_pages  # noqa: F401
