"""The ICS pages (issue 13): the overview, the template adoption matrix and its export, the functions
coverage, the search across places and the places compared.

Thin, as the other pages are: who may open them and which places they show is `governance.ics`
(`icss_overseen_by`, `places_shown`, built on `roles.permissions`), the figures are its selectors.
An ICS the user may not open does not exist for them (404, never 403: a page must not tell them it
exists). Bad input (a year that is not one, a place of another ICS, a search of 10,000 characters)
answers 400 with a message naming the fix, and shows nothing outside the user's scope.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_GET, require_POST

from roles.models import Function, Place
from roles.paths import path_for_each
from roles.views import COMPARISON_PAGE, COMPARISON_ROWS, bad_request

from . import ics as selectors
from . import renderers
from .ics_forms import CompareForm, SearchForm, year_from

MARK = "place-slug-mark"


def _for_each_place(name: str, suffix: str = ""):
    """`slug -> reverse(name, args=[slug]) + suffix`, reversing once (a page links every place several times)."""
    head, tail = reverse(name, args=[MARK]).split(MARK)
    return lambda slug: f"{head}{slug}{tail}{suffix}"


def _ics(request, slug: str):
    """The ICS named in the URL if the user may open its pages (else 404), and the places of it they see."""
    found = get_object_or_404(selectors.icss_overseen_by(request.user), slug=slug)
    return found, selectors.places_shown(request.user, found)


def _page(request, template: str, found, tab: str, *, status: int = 200, **context):
    return render(
        request, f"governance/ics/{template}", {"ics": found, "tab": tab, "nav_ics": True, **context}, status=status
    )


def _year(request, places: list[Place]):
    """The year asked for (?year=2022 or 2022/23) or the default, and the years to offer; ValueError
    when the year asked for is not one."""
    budgeted = selectors.budget_years(places)
    year = year_from(request.GET["year"]) if "year" in request.GET else selectors.default_year(budgeted)
    return year, selectors.year_choices(budgeted, year)


@require_GET
def ics_home(request):
    """The ICSs the user oversees: straight to the overview when there is one."""
    icss = list(selectors.icss_overseen_by(request.user).order_by("name"))
    if not icss:
        raise Http404("You do not look after an ICS.")
    if len(icss) == 1:
        return redirect("governance:ics_overview", icss[0].slug)
    return render(request, "governance/ics/home.html", {"icss": icss, "nav_ics": True})


@require_GET
def ics_overview(request, ics):
    found, places = _ics(request, ics)
    try:
        year, years = _year(request, places)
    except ValueError as error:
        return bad_request(request, str(error))
    figures = selectors.overview(ics=found, places=places, year=year, user=request.user)
    dashboard = _for_each_place("roles:dashboard", f"?year={year.start_year}")
    board = _for_each_place("roles:board", "?column=")
    rounds = _for_each_place("recruitment:place_rounds")
    plans = _for_each_place("recruitment:place_plans", "#drift")
    for row in figures.rows:
        slug = row.place.slug
        row.urls = {"dashboard": dashboard(slug), "board": board(slug), "rounds": rounds(slug), "plans": plans(slug)}
    return _page(
        request,
        "overview.html",
        found,
        "overview",
        overview=figures,
        bars=selectors.bars(figures.rows),
        year=year,
        years=years,
    )


def _cell_links(matrix) -> None:
    """Each cell and local addition links to its row on the place's comparison page (the reason in
    full, and the feedback behind it), on the page of the comparison that holds the row."""
    for place in matrix.places:
        url = reverse("roles:template_comparison", args=[place.slug])
        where = {}
        for kind, _label, rows in matrix.comparisons[place.pk].sections:
            for index, row in enumerate(rows):
                page = f"?section={kind}&page={index // COMPARISON_PAGE + 1}" if index >= COMPARISON_ROWS else ""
                where[row.anchor] = f"{url}{page}#{row.anchor}"
        place.comparison_url = url
        for row in matrix.comparisons[place.pk].rows:
            row.url = where[row.anchor]


@require_GET
def ics_adoption(request, ics):
    found, places = _ics(request, ics)
    matrix = selectors.adoption_matrix(ics=found, places=places)
    _cell_links(matrix)
    return _page(request, "adoption.html", found, "adoption", matrix=matrix)


@require_POST
def ics_adoption_export(request, ics, fmt):
    found, places = _ics(request, ics)
    if fmt not in renderers.RENDERERS:
        return bad_request(request, f"“{fmt[:20]}” is not a format: download the matrix as xlsx, csv or pdf.")
    name, file = selectors.adoption_export(ics=found, places=places, fmt=fmt, by=request.user)
    return FileResponse(file, as_attachment=True, filename=name, content_type=renderers.CONTENT_TYPES[fmt])


@require_GET
def ics_functions(request, ics):
    found, places = _ics(request, ics)
    try:
        year, years = _year(request, places)
    except ValueError as error:
        return bad_request(request, str(error))
    coverage = selectors.functions_coverage(places=places, year=year)
    dashboard = _for_each_place("roles:dashboard", f"?year={year.start_year}#function-table")
    for place in places:
        place.function_url = dashboard(place.slug)
    return _page(request, "functions.html", found, "functions", coverage=coverage, year=year, years=years)


@require_GET
def ics_search(request, ics):
    found, places = _ics(request, ics)
    form = SearchForm(request.GET or None, places=places, functions=list(Function.objects.all()))
    if form.is_bound and not form.is_valid():
        return _page(request, "search.html", found, "search", form=form, page=None, status=400)
    criteria = form.criteria() if form.is_bound else {}
    results = selectors.search_roles(places=places, **criteria)
    page = Paginator(results, selectors.SEARCH_PAGE).get_page(request.GET.get("page"))
    role_url = _for_each_place("roles:dashboard")
    for role in page:
        role.person_in_post = selectors.person_in_post(role)
        role.place_url = role_url(role.place.slug)
    query = request.GET.copy()
    query.pop("page", None)
    return _page(request, "search.html", found, "search", form=form, page=page, query=query.urlencode())


@require_GET
def ics_compare(request, ics):
    found, places = _ics(request, ics)
    form = CompareForm(request.GET if "places" in request.GET else None, places=places)
    if form.is_bound and not form.is_valid():
        return _page(request, "compare.html", found, "compare", form=form, compared=None, status=400)
    chosen = form.chosen() if form.is_bound else []
    compared = selectors.compare_places(ics=found, places=chosen) if len(chosen) >= 2 else None
    if compared is not None:
        for place in compared.places:
            role_url = path_for_each("roles:role_detail", place=place.slug)
            for row in compared.comparisons[place.pk].rows:
                row.url = role_url(row.role.pk) if row.role is not None else ""
    return _page(request, "compare.html", found, "compare", form=form, compared=compared)


urlpatterns = [
    path("ics/", ics_home, name="ics_home"),
    path("ics/<slug:ics>/", ics_overview, name="ics_overview"),
    path("ics/<slug:ics>/adoption/", ics_adoption, name="ics_adoption"),
    path("ics/<slug:ics>/adoption.<str:fmt>", ics_adoption_export, name="ics_adoption_export"),
    path("ics/<slug:ics>/functions/", ics_functions, name="ics_functions"),
    path("ics/<slug:ics>/search/", ics_search, name="ics_search"),
    path("ics/<slug:ics>/compare/", ics_compare, name="ics_compare"),
]
