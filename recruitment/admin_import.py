"""The admin's page for importing applications into an advert round from a CSV file.

Wired by the round's admin (`AdvertRoundAdmin.get_urls()`) as
`<int:round_id>/import/` → `admin_site.admin_view(partial(import_view, model_admin))`. The page calls
`recruitment.imports.applications_import`, the service the management command calls too.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse

from roles import permissions
from roles.imports import MAX_BYTES
from roles.models import AdvertRound, Profession
from roles.services import ChangeRefused

from .imports import COLUMNS, MAX_ROWS, applications_import

TEMPLATE = "admin/recruitment/import_applications.html"
IMPORT = "_import"  # the name of the "Import" button; any other post is a dry run


class ImportForm(forms.Form):
    file = forms.FileField(label="CSV file", help_text="Saved from the spreadsheet as CSV UTF-8.")


def import_view(model_admin, request, round_id: int):
    """GET: the upload form and the columns. POST: a dry run shows what would be imported; "Import"
    imports and goes back to the round. A refused file is shown again with every problem (400)."""
    round_ = get_object_or_404(
        AdvertRound.objects.select_related("role__place"),
        pk=round_id,
        role__place__in=permissions.admin_places(request.user, change=False),
    )
    if not permissions.may_recruit(request.user, round_.role.place):
        raise PermissionDenied(f"Your account does not run recruitment for {round_.role.place}.")
    form = ImportForm(request.POST or None, request.FILES or None)
    report, refusal, status = None, None, 200
    if request.method == "POST":
        if form.is_valid():
            dry_run = IMPORT not in request.POST
            try:
                report = applications_import(
                    round=round_, file=form.cleaned_data["file"], by=request.user, dry_run=dry_run
                )
            except ChangeRefused as error:
                refusal, status = error, error.status
            else:
                if not dry_run:
                    model_admin.message_user(request, report.summary, messages.SUCCESS)
                    return HttpResponseRedirect(_round_url(model_admin, round_))
        else:
            status = 400
    context = {
        **model_admin.admin_site.each_context(request),
        "title": f"Import applications into round {round_.number} of “{round_.role.title}”",
        "opts": model_admin.model._meta,
        "round": round_,
        "round_url": _round_url(model_admin, round_),
        "form": form,
        "report": report,
        "refusal": refusal,
        "columns": COLUMNS,
        "professions": Profession.objects.order_by("order", "name"),
        "max_mb": MAX_BYTES // (1024 * 1024),
        "max_rows": f"{MAX_ROWS:,}",
        "import_button": IMPORT,
    }
    return TemplateResponse(request, TEMPLATE, context, status=status)


def _round_url(model_admin, round_: AdvertRound) -> str:
    """The round's admin page (the admin's home while rounds have no admin of their own)."""
    site = model_admin.admin_site.name
    try:
        return reverse("admin:roles_advertround_change", args=[round_.pk], current_app=site)
    except NoReverseMatch:
        return reverse("admin:index", current_app=site)
