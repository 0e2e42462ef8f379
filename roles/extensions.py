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
# `notes(place) -> {("role", pk) | ("template", pk): [html, ...]}`: what to show beside rows of the
# template comparison (governance: the engagement feedback behind each change). One call per page.
COMPARISON_NOTES: list[Callable] = []
# Sources of recorded board decisions a role's approval can cite (governance registers one): an
# object with `choices(place, user=None) -> [(id, label)]` (labels as `user` may read them) and
# `cite(*, role, decision_id, by) -> str`, which links the decision to the role and returns the
# reference to keep on the role (raising `roles.services.ChangeRefused` when the decision cannot
# authorise it).
DECISION_SOURCES: list = []


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


def comparison_note(notes: Callable) -> Callable:
    if notes not in COMPARISON_NOTES:
        COMPARISON_NOTES.append(notes)
    return notes


def decision_source(source):
    if source not in DECISION_SOURCES:
        DECISION_SOURCES.append(source)
    return source


def decision_choices_for(places, user=None) -> list[tuple[int, str]]:
    """The recorded decisions a role of any of `places` may cite, from every source, each once."""
    seen, choices = set(), []
    for source in DECISION_SOURCES:
        for place in places:
            for pk, label in source.choices(place, user=user):
                if pk not in seen:
                    seen.add(pk)
                    choices.append((pk, label))
    return choices


def comparison_notes_for(place) -> dict:
    merged: dict = {}
    for notes in COMPARISON_NOTES:
        for key, items in notes(place).items():
            merged.setdefault(key, []).extend(items)
    return merged


def dashboard_sections_for(request, place, year) -> list[str]:
    return [html for section in DASHBOARD_SECTIONS if (html := section(request, place, year))]


def sections_for(request, role) -> list[str]:
    return [html for section in ROLE_SECTIONS if (html := section(request, role))]


def links_for(role) -> list[tuple[str, str]]:
    return [link for make in ROLE_LINKS if (link := make(role))]
