from . import permissions


def navigation(request):
    """The places a signed-in user may open, for the menu; lazily, so pages that do not show it pay nothing."""
    user = getattr(request, "user", None)
    if not (user and user.is_authenticated):
        return {}
    return {
        "nav_places": lambda: list(permissions.places_visible_to(user).select_related("ics")),
        "nav_admin": permissions.may_use_admin(user),
        "nav_packs": lambda: permissions.may_export_any_pack(user),  # from the memberships already read
        "nav_ics": lambda: permissions.may_oversee_an_ics(user),
    }
