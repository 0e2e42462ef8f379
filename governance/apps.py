from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "governance"

    def ready(self):
        # What governance adds to roles' pages and moves and to recruitment's reminders: boards and
        # decisions (board_hooks), the engagement behind roles (engagement_hooks), board packs (pack_hooks).
        from . import board_hooks, engagement_hooks, pack_hooks  # noqa: F401
