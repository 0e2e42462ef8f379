"""Where apps above `roles` add to its pages without `roles` importing them.

Recruitment adds a section to the role page (its rounds' pipelines) and a link on the board's cards
(to the round's page). Each app registers its functions in its `AppConfig.ready`; `roles` calls
whatever is registered. Rules on moves are registered the same way (`roles.services.move_check`).
"""

from __future__ import annotations

from collections.abc import Callable

# `section(request, role) -> str`: HTML to show on the role's page, below its advert rounds.
ROLE_SECTIONS: list[Callable] = []
# `link(role) -> (label, url) | None`: a link on the role's board card. Must not query the database.
ROLE_LINKS: list[Callable] = []
# `section(request, place, year) -> str`: HTML to show on the place's dashboard (e.g. what's due).
DASHBOARD_SECTIONS: list[Callable] = []


def role_section(section: Callable) -> Callable:
    if section not in ROLE_SECTIONS:
        ROLE_SECTIONS.append(section)
    return section


def role_link(link: Callable) -> Callable:
    if link not in ROLE_LINKS:
        ROLE_LINKS.append(link)
    return link


def dashboard_section(section: Callable) -> Callable:
    if section not in DASHBOARD_SECTIONS:
        DASHBOARD_SECTIONS.append(section)
    return section


def dashboard_sections_for(request, place, year) -> list[str]:
    return [html for section in DASHBOARD_SECTIONS if (html := section(request, place, year))]


def sections_for(request, role) -> list[str]:
    return [html for section in ROLE_SECTIONS if (html := section(request, role))]


def links_for(role) -> list[tuple[str, str]]:
    return [link for make in ROLE_LINKS if (link := make(role))]
