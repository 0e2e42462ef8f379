"""The engagement log in the browser: a place's events and their feedback points (Table 2), adding
and editing an event or a point, deleting them.

Thin, as the other pages are: who sees a place is `roles.permissions.places_visible_to` (anyone
else: 404, and an event or point of another place is 404 too), who changes its log is
`access.may_edit_engagement` (403, forms and POSTs alike), every write is a `governance.engagement`
service, and a refusal is its message at its status with nothing written. The log reads a constant
number of queries, however many events and points it has.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from roles.formatting import day
from roles.forms import is_possible_id
from roles.models import Place
from roles.paths import path_for_each
from roles.services import ChangeRefused
from roles.views import bad_request, place_for

from . import engagement
from .access import may_edit_engagement
from .engagement_forms import EventForm, PointForm
from .models import EngagementEvent, FeedbackPoint

ORDERS = {"oldest": False, "newest": True}


def _must_edit(request, place: Place) -> None:
    if not may_edit_engagement(request.user, place):
        raise PermissionDenied(f"You can read {place}'s engagement log; its place team and ICS administrators keep it.")


def _event_for(place: Place, pk: int) -> EngagementEvent:
    return get_object_or_404(EngagementEvent.objects.filter(place=place), pk=pk)


def _point_for(place: Place, pk: int) -> FeedbackPoint:
    return get_object_or_404(FeedbackPoint.objects.filter(event__place=place).select_related("event"), pk=pk)


def _log_url(place: Place, event: EngagementEvent | None = None) -> str:
    """The log, or the page of it that shows `event`, at the event."""
    return engagement.log_path(place, event.pk if event else None)


def _render_log(request, place: Place, *, status: int = 200):
    order = request.GET.get("order", "oldest")
    if order not in ORDERS:
        return bad_request(request, "Show the log “oldest” or “newest” first: choose one of the two links.")
    page = request.GET.get("page")
    if "event" in request.GET:  # the page that shows this event (links from roles and the comparison)
        wanted = request.GET["event"]
        if not wanted.isdigit() or not is_possible_id(EngagementEvent, wanted):
            raise Http404("There is no such event in this log.")
        event = get_object_or_404(EngagementEvent.objects.filter(place=place), pk=wanted)
        page = engagement.page_of_event(event, newest_first=ORDERS[order])
    log = engagement.engagement_log(place, newest_first=ORDERS[order], page=page)
    # A place's log may link hundreds of points to roles: each kind of link reversed once.
    role_path = path_for_each("roles:role_detail", place=place.slug)
    edit_path = path_for_each("governance:engagement_point_edit", place=place.slug)
    for point in log.points:
        point.edit_path = edit_path(point.pk)
        for role in point.role_list:
            role.path = role_path(role.pk)
    context = {
        "place": place,
        "log": log,
        "order": order,
        "may_edit": may_edit_engagement(request.user, place),
    }
    return render(request, "governance/engagement.html", context, status=status)


def engagement_log(request, place):
    """The place's engagement events with their feedback points, the action taken on each and the
    roles it shaped, as Table 2 sets them out (oldest first unless `?order=newest`)."""
    return _render_log(request, place_for(request, place))


def _form_page(request, template: str, context: dict, status: int):
    return render(request, f"governance/{template}", context, status=status)


def event_new(request, place):
    place = place_for(request, place)
    _must_edit(request, place)
    return _event_form(request, place, None)


def event_edit(request, place, pk):
    place = place_for(request, place)
    event = _event_for(place, pk)
    _must_edit(request, place)
    return _event_form(request, place, event)


def _event_form(request, place: Place, event: EngagementEvent | None):
    form = EventForm(request.POST or None, event=event)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                saved = engagement.event_save(
                    place=place,
                    values=form.service_values(),
                    by=request.user,
                    event=event,
                    version=form.cleaned_data.get("version"),
                )
            except ChangeRefused as error:
                messages.error(request, str(error))
                status = error.status
            else:
                messages.success(request, f"“{saved}” is {'saved' if event else 'added to the log'}.")
                if event is None:
                    return redirect("governance:engagement_point_new", place.slug, saved.pk)
                return redirect(_log_url(place, saved))
    context = {"place": place, "form": form, "event": event, "back": _log_url(place, event)}
    return _form_page(request, "engagement_event_form.html", context, status)


@require_POST
def event_delete(request, place, pk):
    place = place_for(request, place)
    event = _event_for(place, pk)
    _must_edit(request, place)
    try:
        engagement.event_delete(event=event, by=request.user)
    except ChangeRefused as error:
        messages.error(request, str(error))
        return _render_log(request, place, status=error.status)
    messages.success(request, f"“{event}” is deleted from the log.")
    return redirect(_log_url(place))


def point_new(request, place, pk):
    place = place_for(request, place)
    event = _event_for(place, pk)
    _must_edit(request, place)
    return _point_form(request, place, event, None)


def point_edit(request, place, pk):
    place = place_for(request, place)
    point = _point_for(place, pk)
    _must_edit(request, place)
    return _point_form(request, place, point.event, point)


def _point_form(request, place: Place, event: EngagementEvent, point: FeedbackPoint | None):
    form = PointForm(request.POST or None, place=place, point=point)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                engagement.point_save(
                    event=event,
                    values=form.service_values(),
                    by=request.user,
                    point=point,
                    version=form.cleaned_data.get("version"),
                )
            except ChangeRefused as error:
                messages.error(request, str(error))
                status = error.status
            else:
                if point is None:
                    messages.success(
                        request, f"The point is added to {day(event.held_on)}, {event.group}: add another or go back."
                    )
                    return redirect("governance:engagement_point_new", place.slug, event.pk)
                messages.success(request, "The point is saved.")
                return redirect(_log_url(place, event))
    context = {"place": place, "form": form, "event": event, "point": point, "back": _log_url(place, event)}
    return _form_page(request, "engagement_point_form.html", context, status)


@require_POST
def point_delete(request, place, pk):
    place = place_for(request, place)
    point = _point_for(place, pk)
    _must_edit(request, place)
    try:
        engagement.point_delete(point=point, by=request.user)
    except ChangeRefused as error:
        messages.error(request, str(error))
        return _render_log(request, place, status=error.status)
    messages.success(request, f"The point “{point}” is deleted from {day(point.event.held_on)}, {point.event.group}.")
    return redirect(_log_url(place, point.event))
