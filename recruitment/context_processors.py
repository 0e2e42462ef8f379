import functools

from . import access


def navigation(request):
    """Whether the navigation offers "My panels": to users who sit on a panel. Asked lazily, once a
    request, so pages that do not show the menu (the admin's) make no query for it."""
    user = getattr(request, "user", None)
    if not getattr(user, "is_authenticated", False):
        return {}
    return {"nav_panels": functools.cache(lambda: access.rounds_on_panel(user).exists())}
