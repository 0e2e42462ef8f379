"""Equality monitoring pages: a round's, and all of a place's rounds together, in aggregate only.

The figures are `recruitment.equality.equality_report`'s, small numbers suppressed; no applicant is
ever named or counted one by one here. Anyone who sees the place may read them (HR recruiters and
ICS administrators, who run its recruitment, the place team and the board secretariat), except a
round's panel: equality answers are never shown to panels, so a panel member gets 403 on the page of
a round they sit on, and the place's page leaves out the rounds they sit on. A place the user cannot
see does not exist for them (404).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.urls import path

from roles import permissions
from roles.models import AdvertRound
from roles.views import place_for

from . import access
from .equality import equality_report
from .models import Application
from .views import place_context

PANEL_REFUSED = (
    "You sit on this round's panel, and equality answers are never shown to panels, not even in "
    "aggregate. The round's HR recruiter can see them."
)


def round_equality(request, pk):
    round_ = AdvertRound.objects.select_related("role__place__ics").filter(pk=pk).first()
    if round_ is None:
        raise Http404("There is no such round.")
    if access.is_on_panel(request.user, round_):
        raise PermissionDenied(PANEL_REFUSED)
    place = round_.role.place
    if not permissions.places_visible_to(request.user).filter(pk=place.pk).exists():
        raise Http404("There is no such round.")
    report = equality_report(Application.objects.filter(round=round_))
    return render(
        request,
        "recruitment/equality.html",
        place_context(request, place, round=round_, role=round_.role, report=report),
    )


ROUNDS_PER_PAGE = 50


def place_equality(request, place):
    place = place_for(request, place)
    on_panel = set(access.rounds_on_panel(request.user).filter(role__place=place).values_list("pk", flat=True))
    # Each round's own figures: linked a page at a time (a place may have hundreds of rounds).
    rounds = Paginator(
        AdvertRound.objects.filter(role__place=place)
        .exclude(pk__in=on_panel)
        .select_related("role")
        .only("pk", "number", "opens_on", "closes_on", "role__title")
        .order_by("role__title", "number", "pk"),
        ROUNDS_PER_PAGE,
    ).get_page(request.GET.get("page"))
    applications = Application.objects.filter(round__role__place=place).exclude(round__in=on_panel)
    return render(
        request,
        "recruitment/equality.html",
        place_context(
            request,
            place,
            report=equality_report(applications),
            rounds=rounds,
            left_out=len(on_panel),
        ),
    )


urlpatterns = [
    path("rounds/<int:pk>/equality/", round_equality, name="round_equality"),
    path("places/<slug:place>/equality/", place_equality, name="place_equality"),
]
