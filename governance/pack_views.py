"""Board packs in the browser: the secretariat chooses the scope, the "as of" date and the format,
and presses Download (two clicks from the page).

Thin, as the other pages are: who may export what is `roles.permissions` (`may_export_pack`,
`may_export_ics_pack`), the one door is `governance.packs.board_pack`, and the file is streamed from
its spooled temporary file with `FileResponse`. A scope the user cannot see does not exist for them
(404); one they see but may not export answers 403; a bad date or format re-shows the form at 400,
naming the fix. Nothing is logged unless a pack is made.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from roles import permissions
from roles.forms import UKDateField
from roles.models import ICS, Place, plausible_date
from roles.views import bad_request, place_for

from . import packs, renderers
from .models import ExportLog
from .reports import Scope

DATE_HELP = "Type it as DD/MM/YYYY, e.g. 04/04/2022."


class PackForm(forms.Form):
    scope = forms.ChoiceField(label="Board pack for")
    as_of = UKDateField(
        label="As of",
        validators=[plausible_date],
        help_text="Roles' status, budgets and decisions as they stood at the end of this day.",
        error_messages={"required": f"Give the date the pack is as of. {DATE_HELP}"},
    )
    format = forms.ChoiceField(
        choices=ExportLog.Format.choices,
        initial=ExportLog.Format.XLSX,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "Choose Excel (XLSX), CSV (zipped) or PDF."},
    )

    def __init__(self, *args, scopes: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scope"].choices = scopes


def scope_key(scope: Scope) -> str:
    return f"ics:{scope.ics.slug}" if scope.is_ics_wide else f"place:{scope.place.slug}"


def scope_from(request, key: str) -> Scope:
    """The scope a form or address names ("place:<slug>" or "ics:<slug>"): 404 when the user cannot
    see it, 403 when they see it but may not export its pack; ValueError when it is no scope at all."""
    kind, _, slug = str(key).partition(":")
    if kind not in ("place", "ics") or not slug or len(slug) > 50:
        raise ValueError(f"“{str(key)[:40]}” is not a place or an ICS: choose one from the list.")
    user = request.user
    if kind == "place":
        place = place_for(request, slug)
        if not permissions.may_export_pack(user, place):
            raise PermissionDenied(f"You can see {place} but not export its board pack.")
        return Scope.of_place(place)
    ics = ICS.objects.filter(slug=slug).first()
    if ics is None or not permissions.places_visible_to(user).filter(ics=ics).exists():
        raise Http404("No such ICS.")
    if not permissions.may_export_ics_pack(user, ics):
        raise PermissionDenied(f"You may not export the ICS-wide board pack of {ics}: export your place's instead.")
    return Scope.of_ics(ics)


def _choices(user) -> tuple[list[tuple[str, str]], list[Place], list[ICS]]:
    places = list(permissions.places_exportable_by(user).select_related("ics").order_by("ics__name", "name"))
    icss = list(permissions.icss_exportable_by(user).order_by("name"))
    choices = [(f"ics:{ics.slug}", f"{ics} – all places (ICS-wide)") for ics in icss]
    choices += [(f"place:{p.slug}", f"{p} ({p.ics.short_name or p.ics})") for p in places]
    return choices, places, icss


def _page(request, *, form, scopes, places, icss, place=None, status=200):
    return render(
        request,
        "governance/packs.html",
        {
            "form": form,
            "place": place,
            "exports": packs.recent_exports(places=places, icss=icss),
            "has_choices": bool(scopes),
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
def pack_page(request):
    """The secretariat's page: choose and download; a POST makes the pack."""
    scopes, places, icss = _choices(request.user)
    if not scopes:
        raise PermissionDenied(
            "You may not export any board pack: the secretariat, place teams and ICS administrators do."
        )
    if request.method == "POST":
        return _download(request, scopes=scopes, places=places, icss=icss)
    initial = {"as_of": timezone.localdate(), "format": ExportLog.Format.XLSX, "scope": scopes[0][0]}
    if "scope" in request.GET:
        try:
            initial["scope"] = scope_key(scope_from(request, request.GET["scope"]))
        except ValueError as error:
            return bad_request(request, str(error))
    if "as_of" in request.GET or "format" in request.GET:  # a link that chooses them: check them as a POST would
        asked = {name: request.GET.get(name, initial[name]) for name in ("as_of", "format")}
        probe = PackForm({"scope": initial["scope"], **asked}, scopes=scopes)
        if not probe.is_valid():
            return _page(request, form=probe, scopes=scopes, places=places, icss=icss, status=400)
        initial.update(probe.cleaned_data)
    form = PackForm(initial=initial, scopes=scopes)
    return _page(request, form=form, scopes=scopes, places=places, icss=icss)


@require_GET
def place_pack(request, place):
    """The same page with the place chosen, under the place's tabs."""
    place = place_for(request, place)
    if not permissions.may_export_pack(request.user, place):
        raise PermissionDenied(f"You can see {place} but not export its board pack.")
    scopes, places, icss = _choices(request.user)
    form = PackForm(
        initial={"scope": f"place:{place.slug}", "as_of": timezone.localdate(), "format": ExportLog.Format.XLSX},
        scopes=scopes,
    )
    return _page(request, form=form, scopes=scopes, places=[place], icss=[], place=place)


def _download(request, *, scopes, places, icss):
    try:
        scope = scope_from(request, request.POST.get("scope", ""))
    except ValueError as error:
        return bad_request(request, str(error))
    form = PackForm(request.POST, scopes=scopes)
    if not form.is_valid():
        return _page(request, form=form, scopes=scopes, places=places, icss=icss, status=400)
    try:
        name, file = packs.board_pack(
            scope=scope, as_of=form.cleaned_data["as_of"], fmt=form.cleaned_data["format"], by=request.user, via="page"
        )
    except packs.PackNotAllowed as refusal:
        raise PermissionDenied(refusal.message) from refusal
    except packs.PackRefused as refusal:
        return bad_request(request, refusal.message)
    content_type = renderers.CONTENT_TYPES[form.cleaned_data["format"]]
    return FileResponse(file, as_attachment=True, filename=name, content_type=content_type)


urlpatterns = [
    path("packs/", pack_page, name="packs"),
    path("places/<slug:place>/pack/", place_pack, name="place_pack"),
]
