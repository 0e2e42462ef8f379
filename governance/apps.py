from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "governance"

    def ready(self):
        # What governance adds to roles' pages and moves and to recruitment's reminders: boards and
        # decisions (board_hooks), the decisions a role's approval cites (citations), the engagement behind
        # roles (engagement_hooks), board packs (pack_hooks).
        from . import board_hooks, citations, engagement_hooks, pack_hooks  # noqa: F401
