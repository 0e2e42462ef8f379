"""Pages for setting up a place's roles in one step: from the ICS template, from a file, and signing
off a tranche's descriptions. Thin: the rules and the writes are `roles.setup`'s and `roles.imports`'."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from . import services
from .imports import COLUMNS, roles_import
from .setup import descriptions_sign_off, place_setup
from .setup_forms import PlaceSetupForm, RoleImportForm, SignOffForm
from .views import _place_context, _render_board, place_for


def setup(request, place):
    """Start a place from its ICS's template: adopt, leave out (why), add; all in one step."""
    place = place_for(request, place, edit=True)
    form = PlaceSetupForm(request.POST or None, place=place)
    status, refused, report = 200, None, None
    if request.method == "POST":
        status = 400
        if form.is_valid():
            adopt, leave_out, add = form.choices()
            dry_run = "check" in request.POST
            try:
                report = place_setup(
                    place=place,
                    terms=form.terms(),
                    adopt=adopt,
                    leave_out=leave_out,
                    add=add,
                    by=request.user,
                    dry_run=dry_run,
                )
            except services.ChangeRefused as error:
                refused, status = error, error.status
            else:
                if not dry_run:
                    messages.success(request, report.summary)
                    return redirect("roles:template_comparison", place.slug)
                status = 200
    return render(
        request,
        "roles/setup.html",
        _place_context(request, place, form=form, refused=refused, report=report),
        status=status,
    )


def role_import(request, place):
    """Import roles from a CSV or XLSX file: "Check" is a dry run, "Import" adds them all or none."""
    place = place_for(request, place, edit=True)
    form = RoleImportForm(request.POST or None, request.FILES or None)
    status, refused, report = 200, None, None
    if request.method == "POST":
        status = 400
        if form.is_valid():
            dry_run = "check" in request.POST
            upload = form.cleaned_data["file"]
            try:
                report = roles_import(place=place, file=upload, by=request.user, dry_run=dry_run, name=upload.name)
            except services.ChangeRefused as error:
                refused, status = error, error.status
            else:
                if not dry_run:
                    messages.success(request, report.summary)
                    return redirect("roles:role_list", place.slug)
                status = 200
    return render(
        request,
        "roles/import.html",
        _place_context(request, place, form=form, refused=refused, report=report, columns=COLUMNS),
        status=status,
    )


@require_POST
def sign_off(request, place):
    """Sign off the ticked roles' descriptions in one step (from the board's tranche form)."""
    place = place_for(request, place, edit=True)
    form = SignOffForm(request.POST, place=place)
    if not form.is_valid():
        problems = " ".join(e for errors in form.errors.values() for e in errors)
        messages.error(request, f"No description was signed off: {problems}")
        return _render_board(request, place, status=400)
    try:
        report = descriptions_sign_off(
            roles=list(form.cleaned_data["roles"]), on=form.cleaned_data["signed_off_on"], by=request.user
        )
    except services.ChangeRefused as error:
        messages.error(request, error.message)
        for problem in error.problems:
            messages.warning(request, problem)
        return _render_board(request, place, status=error.status)
    messages.success(request, report.summary + " Approve them with the tranche form.")
    return redirect(reverse("roles:board", args=[place.slug]) + "#bulk")
