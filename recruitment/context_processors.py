from . import access


def navigation(request):
    """Whether the navigation offers "My panels": to users who sit on a panel."""
    user = getattr(request, "user", None)
    if not getattr(user, "is_authenticated", False):
        return {}
    return {"nav_panels": access.rounds_on_panel(user).exists()}
