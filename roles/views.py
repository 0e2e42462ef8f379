"""Pages for place teams. Thin: access comes from `permissions`, figures from `selectors`."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from . import extensions, permissions, selectors, services
from .costs import FinancialYear
from .filters import RoleFilter
from .forms import BulkMoveForm, MoveForm, ReasonForm, RoleForm, RoleReasonForm
from .models import MOVE_NEEDS, Role, RoleStatus, TemplateRole
from .paths import path_for_each

ROLES_PER_PAGE = 25


def role_document(request, place, pk):
    """The role description document, to those who may see the place (files are not public)."""
    place = place_for(request, place)
    role = get_object_or_404(Role.objects.filter(place=place), pk=pk)
    if not role.description_document:
        raise Http404("This role has no role description document.")
    return FileResponse(
        role.description_document.open("rb"),
        as_attachment=True,
        filename=role.description_document.name.rsplit("/", 1)[-1],
    )


def place_for(request, slug: str, *, edit: bool = False):
    """The place named in the URL if the user may see it (else 404) and, for a change, edit it (else 403)."""
    place = get_object_or_404(permissions.places_visible_to(request.user).select_related("ics"), slug=slug)
    if edit and not permissions.can_edit_catalogue(request.user, place):
        raise PermissionDenied("You can see this place's roles but not change them.")
    return place


def _place_context(request, place, **extra):
    return {
        "place": place,
        "can_edit": permissions.can_edit_catalogue(request.user, place),
        "may_set_budgets": permissions.is_ics_admin_for(request.user, place),
        **extra,
    }


def bad_request(request, message: str):
    return render(request, "400.html", {"message": message}, status=400)


def home(request):
    places = list(
        permissions.places_visible_to(request.user)
        .select_related("ics")
        .annotate(
            role_count=Count("roles", distinct=True),
            in_post_count=Count("roles", filter=Q(roles__status=RoleStatus.IN_POST), distinct=True),
        )
    )
    if len(places) == 1:
        return redirect(places[0])
    return render(request, "roles/home.html", {"places": places})


def dashboard(request, place):
    place = place_for(request, place)
    budgeted = selectors.budget_years(place)
    if "year" in request.GET:
        try:
            year = FinancialYear.parse(request.GET["year"])
        except ValueError as error:
            return bad_request(request, str(error))
    else:
        year = selectors.default_year(place, budgeted=budgeted)
    board = selectors.place_dashboard(place=place, year=year)
    return render(
        request,
        "roles/dashboard.html",
        _place_context(
            request,
            place,
            board=board,
            year=year,
            years=selectors.year_choices(place, year, budgeted=budgeted),
            budget_history=selectors.budget_history(place),
            sections=extensions.dashboard_sections_for(request, place, year),
        ),
    )


def role_list(request, place):
    place = place_for(request, place)
    roles = Role.objects.filter(place=place).for_listing()
    role_filter = RoleFilter(request.GET or None, queryset=roles)
    status = 200
    if role_filter.is_bound and not role_filter.is_valid():
        problems = "; ".join(
            f"{role_filter.form.fields[f].label}: {' '.join(e)}" for f, e in role_filter.errors.items()
        )
        messages.error(request, f"Some filters were not understood ({problems}). Choose again from the lists.")
        status = 400
    on_costs = selectors.on_costs_by_year(place)
    budgeted = list(on_costs)
    try:
        year = (
            FinancialYear.parse(request.GET["year"])
            if request.GET.get("year")
            else selectors.default_year(place, budgeted=budgeted)
        )
    except ValueError as error:
        year, status = selectors.default_year(place, budgeted=budgeted), 400
        messages.error(request, f"{error} The costs are shown for {year}.")
    page = Paginator(role_filter.qs, ROLES_PER_PAGE).get_page(request.GET.get("page"))
    on_cost = on_costs.get(year, Decimal(0))
    for role in page:
        role.cost_in_year = role.cost_in(year, on_cost)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "roles/role_list.html",
        _place_context(
            request,
            place,
            filter=role_filter,
            page=page,
            query=query.urlencode(),
            year=year,
            years=selectors.year_choices(place, year, budgeted=budgeted),
        ),
        status=status,
    )


def role_detail(request, place, pk):
    place = place_for(request, place)
    role = get_object_or_404(Role.objects.filter(place=place).for_listing(), pk=pk)
    return render(
        request,
        "roles/role_detail.html",
        _place_context(
            request,
            place,
            role=role,
            costs=selectors.role_costs(role),
            template_standing=selectors.template_standing(role),
            audit=role.moves.select_related("by").all(),
            rounds=role.advert_rounds.all(),
            movable=_moves_for(request.user, place, role),
            sections=extensions.sections_for(request, role),
        ),
    )


def role_create(request, place):
    place = place_for(request, place, edit=True)
    return _role_form(request, place, None)


def role_edit(request, place, pk):
    place = place_for(request, place, edit=True)
    return _role_form(request, place, get_object_or_404(Role.objects.filter(place=place), pk=pk))


def _role_form(request, place, role):
    may_override = permissions.is_ics_admin_for(request.user, place)
    form = RoleForm(
        request.POST or None,
        request.FILES or None,
        instance=role,
        place=place,
        may_override=may_override,
        template_pk=request.GET.get("template_role") if role is None else None,
    )
    status, meanwhile = 200, []
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                if role is None:
                    saved = services.role_create(place=place, values=form.service_values(), by=request.user)
                else:
                    saved = services.role_edit(
                        role=role,
                        values=form.service_values(),
                        version=form.cleaned_data["version"],
                        by=request.user,
                        override_reason=form.cleaned_data.get("override_reason", ""),
                    )
            except services.StaleEdit as stale:
                messages.error(request, stale.message)
                meanwhile, status = stale.meanwhile, stale.status
                form = _form_at_version(form, stale)
            except services.RoleInvalid as invalid:
                for name, problems in invalid.errors.items():
                    for problem in problems:
                        form.add_error(name if name in form.fields else None, problem)
            except services.ChangeRefused as error:
                _error_message(request, error)
                status = error.status
            else:
                if role is None:
                    messages.success(request, f"“{saved.role.title}” was added as a proposed role.")
                elif saved.audit is None:
                    messages.info(request, f"Nothing was changed in “{saved.role.title}”.")
                else:
                    messages.success(request, f"“{saved.role.title}” was saved.")
                for warning in saved.warnings:
                    messages.warning(request, warning)
                if role is None and "another" in request.POST:
                    return redirect("roles:role_create", place.slug)
                return redirect(saved.role)
    return render(
        request,
        "roles/role_form.html",
        _place_context(
            request, place, form=form, role=role, meanwhile=meanwhile, template_roles=form.template_roles_data()
        ),
        status=status,
    )


def _form_at_version(form, stale: services.StaleEdit):
    """The same form with the user's entries, now carrying the role's current version, and each
    field where the entries differ from the role as it is now marked with what saving would do:
    saving again is a choice made after seeing what changed meanwhile."""
    data = form.data.copy()
    data["version"] = str(stale.role.version)
    again = type(form)(
        data,
        form.files,
        instance=Role.objects.get(pk=form.instance.pk),
        place=form.instance.place,
        may_override="override_reason" in form.fields,
    )
    again.is_valid()
    for name, difference in stale.differences.items():
        if name in again.fields:
            again.add_error(
                name, f"Now “{difference['old']}”: saving again makes it “{difference['new']}”, as in your form."
            )
    return again


def _error_message(request, error):
    messages.error(request, error.message + ("" if not error.problems else " " + " ".join(error.problems)))


# Rows of each kind on the comparison page; the rest of a kind is a page of its own (`?section=`).
COMPARISON_ROWS = 25
COMPARISON_PAGE = 50


def template_comparison(request, place):
    return _render_comparison(request, place_for(request, place))


def _render_comparison(request, place, *, status: int = 200):
    """The template comparison: the counts, and each kind's first rows with a link to the rest; or,
    with `?section=<kind>`, one kind's rows a page at a time. Each row shown carries the notes the
    apps above register for it (governance: the engagement feedback behind the change), read once
    for the page (`extensions.COMPARISON_NOTES`)."""
    comparison = selectors.template_comparison(place=place)
    section = request.GET.get("section")
    page = None
    if section is None:
        sections = [(kind, label, rows[:COMPARISON_ROWS], len(rows)) for kind, label, rows in comparison.sections]
    elif section in selectors.Variation.LABELS:
        page = Paginator(comparison.of_kind(section), COMPARISON_PAGE).get_page(request.GET.get("page"))
        sections = [(section, selectors.Variation.LABELS[section], list(page), page.paginator.count)]
    else:
        return bad_request(request, "There is no such part of the comparison: choose one from the comparison page.")
    notes = extensions.comparison_notes_for(place)
    selectors.comparison_roles_read([row for _, _, rows, _ in sections for row in rows])
    role_url = path_for_each("roles:role_detail", place=place.slug)
    role_reason_url = path_for_each("roles:role_variation_reason", place=place.slug)
    omission_reason_url = path_for_each("roles:omission_reason", id_name="template_pk", place=place.slug)
    for _, _, rows, _ in sections:
        for row in rows:
            if row.role is not None:
                row.url, row.reason_url = role_url(row.role.pk), role_reason_url(row.role.pk)
            else:
                row.reason_url = omission_reason_url(row.template_role.pk)
            keys = [("role", row.role.pk)] if row.role else []
            keys += [("template", row.template_role.pk)] if row.template_role else []
            row.feedback = list(dict.fromkeys(note for key in keys for note in notes.get(key, [])))
            row.reason_rows = _rows_for(row.reason)
    return render(
        request,
        "roles/template_comparison.html",
        _place_context(request, place, comparison=comparison, sections=sections, section=section, page=page),
        status=status,
    )


def _rows_for(text: str, width: int = 45) -> int:
    """Lines a reason box needs to show `text` whole (at about `width` characters a line), at least 3."""
    return max(3, sum(1 + len(line) // width for line in text.splitlines()) + 1)


def _comparison_row_url(place, anchor: str) -> str:
    """The comparison page at the row `anchor`: on the main page when the row is among its kind's
    first rows, else on the page of its kind that holds it."""
    url = reverse("roles:template_comparison", args=[place.slug])
    found = selectors.template_comparison(place=place).where(anchor)
    if found is None:
        return url
    kind, index = found
    if index >= COMPARISON_ROWS:
        url += f"?section={kind}&page={index // COMPARISON_PAGE + 1}"
    return f"{url}#{anchor}"


@require_POST
def role_variation_reason(request, place, pk):
    place = place_for(request, place, edit=True)
    role = get_object_or_404(Role.objects.filter(place=place), pk=pk)
    form = RoleReasonForm(request.POST)

    def save(data):
        return services.role_edit(
            role=role, values={"variation_reason": data["reason"]}, version=data["version"], by=request.user
        )

    return _save_reason(request, place, form, role.title, save, anchor=f"row-role-{role.pk}")


@require_POST
def omission_reason(request, place, template_pk):
    place = place_for(request, place, edit=True)
    template = get_object_or_404(TemplateRole.objects.filter(ics=place.ics), pk=template_pk)
    form = ReasonForm(request.POST)

    def save(data):
        return services.omission_reason_save(
            place=place, template_role=template, reason=data["reason"], by=request.user
        )

    return _save_reason(request, place, form, template.title, save, anchor=f"row-template-{template.pk}")


def _save_reason(request, place, form, title: str, save, *, anchor: str):
    if form.is_valid():
        try:
            save(form.cleaned_data)
        except services.ChangeRefused as error:
            _error_message(request, error)
            status = error.status
        else:
            messages.success(request, f"The reason for “{title}” was saved.")
            return redirect(_comparison_row_url(place, anchor))
    else:
        problems = " ".join(e for errors in form.errors.values() for e in errors)
        messages.error(request, f"The reason for “{title}” was not saved: {problems}")
        status = 400
    return _render_comparison(request, place, status=status)


# --- The workflow --------------------------------------------------------------------------------


def board(request, place):
    place = place_for(request, place)
    return _render_board(request, place)


def _render_board(request, place, bulk_form=None, status=200):
    """The board: each state's first cards with its count and a link to the rest; or, with
    `?column=<state>`, one state's cards a page at a time. The tranche form is on both."""
    may_override = permissions.is_ics_admin_for(request.user, place)
    column = request.GET.get("column")
    page = None
    if column is None:
        columns = selectors.role_board(place=place)
        cards = [card for col in columns for card in col.cards]
    elif column in selectors.BOARD_COLUMNS:
        page = Paginator(
            selectors.column_cards(place=place, status=column), selectors.COLUMN_PAGE, allow_empty_first_page=True
        ).get_page(request.GET.get("page"))
        columns, cards = [], list(page)
    else:
        return bad_request(request, "There is no such column on the board: choose one from the board.")
    allowed = {to for to in MOVE_NEEDS if permissions.may_move(request.user, place, to)}
    role_url = path_for_each("roles:role_detail", place=place.slug)
    move_urls = {to: path_for_each("roles:role_move", place=place.slug, to=to) for to in allowed}
    for card in cards:
        card.url = role_url(card.role.pk)
        card.moves = _moves_for(request.user, place, card.role, allowed=allowed)
        for move in card.moves:
            move["url"] = move_urls[move["to"]](card.role.pk)
        card.links = extensions.links_for(card.role)
    bulk_form = bulk_form or BulkMoveForm(place=place, may_override=may_override, user=request.user)
    return render(
        request,
        "roles/board.html",
        _place_context(
            request,
            place,
            columns=columns,
            column=RoleStatus(column) if page is not None else None,
            page=page,
            per_column=selectors.BOARD_CARDS,
            bulk_form=bulk_form,
            may_move=any(card.moves for card in cards),
        ),
        status=status,
    )


def _moves_for(user, place, role, *, allowed: set[str] | None = None) -> list[dict]:
    """The moves `user` may make on `role` now: target, button label, and whether one click does it
    (no reason or details to ask for). `allowed`: the targets the user may move the place's roles to,
    when the caller has worked them out once for many roles."""
    return [
        {
            "to": to,
            "label": role.move_label(to),
            "quick": MOVE_NEEDS[to].asks_for_nothing,
        }
        for to in role.allowed_moves()
        if (to in allowed if allowed is not None else permissions.may_move(user, place, to))
    ]


def role_move(request, place, pk, to):
    place = place_for(request, place)
    role = get_object_or_404(Role.objects.filter(place=place).select_related("place__ics"), pk=pk)
    if to not in MOVE_NEEDS:
        raise Http404("There is no such move: a role can be moved to " + ", ".join(MOVE_NEEDS) + ".")
    if not permissions.may_move(request.user, place, to):
        raise PermissionDenied(f"Your account may not move {place}'s roles to “{RoleStatus(to).label}”.")
    may_override = permissions.is_ics_admin_for(request.user, place)
    form = MoveForm(
        request.POST or None,
        to=to,
        may_override=may_override,
        places=[place],
        user=request.user,
        initial={
            "expected_status": role.status,
            "contract_start": role.start_date,
            "contract_end": role.end_date,
            "board_decision": role.board_decision,
        },
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                move = services.role_move(
                    role=role,
                    to=to,
                    by=request.user,
                    reason=form.cleaned_data["reason"],
                    expected_status=form.cleaned_data["expected_status"],
                    details=form.details(),
                    override_reason=form.cleaned_data.get("override_reason", ""),
                )
            except services.MoveError as error:
                _error_message(request, error)
                status = error.status
            else:
                messages.success(request, f"“{role.title}” is now {RoleStatus(to).label.lower()}.")
                for warning in move.warnings:
                    messages.warning(request, warning)
                return redirect(next_url(request, role.get_absolute_url()))
    elif to not in role.allowed_moves():
        messages.error(
            request, f"“{role.title}” cannot move from {role.get_status_display()} to {RoleStatus(to).label} now."
        )
        return redirect(role)
    return render(
        request,
        "roles/role_move.html",
        _place_context(request, place, role=role, form=form, to=to, label=role.move_label(to)),
        status=status,
    )


def next_url(request, default: str) -> str:
    """Where a form asked to go back to (`next`): a path on this site, or else `default`. Anything
    else, another site or a bare word that `redirect` would look up as a view's name, is ignored."""
    target = request.POST.get("next", "")
    if target.startswith("/") and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


@require_POST
def bulk_move(request, place):
    place = place_for(request, place)
    may_override = permissions.is_ics_admin_for(request.user, place)
    form = BulkMoveForm(request.POST, place=place, may_override=may_override, user=request.user)
    if not form.is_valid():
        messages.error(request, "No role was moved: " + " ".join(e for errors in form.errors.values() for e in errors))
        return _render_board(request, place, bulk_form=form, status=400)
    data = form.cleaned_data
    if not permissions.may_move(request.user, place, data["to"]):
        raise PermissionDenied(f"Your account may not move {place}'s roles to “{RoleStatus(data['to']).label}”.")
    try:
        moved = services.roles_move(
            roles=list(data["roles"]),
            to=data["to"],
            by=request.user,
            reason=data["reason"],
            details=services.MoveDetails(
                opens_on=data["opens_on"],
                closes_on=data["closes_on"],
                board_decision=data["board_decision"],
                decision_id=data["decision_id"],
            ),
            override_reason=data.get("override_reason", ""),
        )
    except services.MoveError as error:
        messages.error(request, error.message)
        for problem in error.problems:
            messages.warning(request, problem)
        return _render_board(request, place, bulk_form=form, status=error.status)
    messages.success(
        request, f"{len(moved)} role{'s' if len(moved) != 1 else ''} moved to {RoleStatus(data['to']).label.lower()}."
    )
    return redirect("roles:board", place.slug)
