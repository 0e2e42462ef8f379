"""The ICS's view across its places (issue 13): the overview, the template adoption matrix and its export,
the functions coverage, the search and the places compared.

The figures are the place pages' own: the SEL overview for 2022/23 on the seed demo (`governance_demo`:
Bexley's budgets, roles, recruitment rounds and plans) is checked against each place's dashboard
(`roles.selectors.place_dashboard`), its recruitment page's times (`recruitment.selectors.hire_times`)
and its drift (`recruitment.drift.drifted`); Bexley's column of the matrix against its template
comparison. The pages cost the same queries for an ICS of 6 places as for one of 200 (pinned), and no
query string, however hostile, makes a 500 or shows a place of another ICS.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook
from pypdf import PdfReader

from governance import ics as selectors
from governance.models import ExportLog
from recruitment.drift import drifted
from recruitment.models import Application, Contract, ContractType, Offer
from recruitment.selectors import hire_times, rounds_with_times
from roles.costs import FinancialYear
from roles.models import (
    ICS,
    AccessKind,
    AdvertRound,
    Budget,
    Function,
    Membership,
    Person,
    Place,
    Role,
    RoleStatus,
    RoleType,
    SpatialLevel,
    TemplateOmission,
    TemplateRole,
)
from roles.selectors import Variation, place_dashboard, template_comparison
from tests.factories import ICSFactory, PlaceFactory, RoleFactory, UserFactory, member
from tests.helpers import fuzz

pytestmark = pytest.mark.django_db

YEAR = FinancialYear(2022)
TODAY = dt.date(2022, 9, 30)


def url(name: str, slug: str = "sel", *args) -> str:
    return reverse(f"governance:{name}", args=[slug, *args])


@pytest.fixture(autouse=True)
def _demo(governance_demo):
    """Every test here runs on the seed demo, so that it is loaded once for the module (tests/conftest.py);
    those that build their own ICSs build them beside it."""


@pytest.fixture
def admin_client(governance_demo):
    from django.contrib.auth import get_user_model

    client = Client()
    client.force_login(get_user_model().objects.get(username="ics-admin"))
    return client


@pytest.fixture
def sel(governance_demo):
    return ICS.objects.get(slug="sel")


def sel_places() -> list[Place]:
    return list(Place.objects.filter(ics__slug="sel").order_by("is_system_wide", "name"))


# --- The overview's figures are the place pages' own ------------------------------------------------------


def test_sel_totals_for_2022_23_are_the_sum_of_its_places_dashboards(admin_client):
    response = admin_client.get(url("ics_overview"), {"year": "2022"})

    assert response.status_code == 200
    overview = response.context["overview"]
    boards = [place_dashboard(place=place, year=YEAR) for place in sel_places()]
    totals = overview.totals
    assert [row.place.name for row in overview.rows] == [b.place.name for b in boards]
    assert totals.committed == sum(b.committed.total for b in boards)
    assert totals.pipeline == sum(b.pipeline.total for b in boards)
    assert totals.proposed == sum(b.proposed.total for b in boards)
    assert totals.budget == sum(b.budget.amount for b in boards if b.budget) == Decimal("417000")
    assert totals.headroom == sum(b.headroom for b in boards if b.budget is not None)
    assert totals.sessions_used == sum(b.sessions_used for b in boards)
    assert {g.key: g.count for g in totals.by_status} == {
        key: sum(g.count for b in boards for g in b.by_status if g.key == key)
        for key in {g.key for b in boards for g in b.by_status}
    }
    assert totals.committed > 0 and totals.pipeline > 0  # the demo's Bexley has both in 2022/23


def test_each_place_row_is_its_dashboard_figure_for_figure(admin_client):
    overview = admin_client.get(url("ics_overview"), {"year": "2022/23"}).context["overview"]

    for row in overview.rows:
        board = place_dashboard(place=row.place, year=YEAR)
        mine = row.board
        assert (mine.committed, mine.pipeline, mine.proposed) == (board.committed, board.pipeline, board.proposed)
        assert (mine.headroom, mine.headroom_level, mine.is_over_budget) == (
            board.headroom,
            board.headroom_level,
            board.is_over_budget,
        )
        assert (mine.sessions_used, mine.sessions_with_proposals) == (
            board.sessions_used,
            board.sessions_with_proposals,
        )
        assert [(g.key, g.count, g.sessions, g.cost) for g in mine.by_status] == [
            (g.key, g.count, g.sessions, g.cost) for g in board.by_status
        ]


def test_the_page_shows_the_totals_and_links_each_figure_to_the_place(admin_client):
    response = admin_client.get(url("ics_overview"), {"year": "2022"})
    html = response.content.decode()
    totals = response.context["overview"].totals

    assert "£417,000.00" in html and f"£{totals.committed:,.2f}" in html
    assert 'href="/places/bexley/?year=2022#fig-committed"' in html
    assert 'href="/places/bexley/board/?column=in_post"' in html
    assert (
        'href="/recruitment/places/bexley/rounds/"' in html
        or reverse("recruitment:place_rounds", args=["bexley"]) in html
    )
    assert reverse("recruitment:place_plans", args=["bexley"]) + "#drift" in html
    assert 'role="img" aria-label="Bexley: committed' in html  # the bar's text alternative


def test_a_place_over_its_budget_and_cap_is_shown_so_as_its_dashboard_says(client):
    ics = ICSFactory(slug="overspent")
    place = PlaceFactory(ics=ics, name="Overspent", slug="overspent-place")
    Budget.objects.create(
        place=place,
        financial_year=2022,
        amount=Decimal("20000"),
        session_cap=Decimal("1"),
        on_cost_percent=Decimal("13.8"),
    )
    RoleFactory(place=place, status=RoleStatus.IN_POST, sessions_per_week=Decimal("1.5"))
    RoleFactory(place=place, status=RoleStatus.ON_HOLD, held_from=RoleStatus.ADVERTISED, start_date=dt.date(2022, 7, 1))
    admin = member(AccessKind.ICS_ADMIN, ics=ics)
    client.force_login(admin)

    response = client.get(url("ics_overview", "overspent"), {"year": "2022"})

    row = response.context["overview"].rows[0]
    board = place_dashboard(place=place, year=YEAR)
    assert row.board.is_over_budget and board.is_over_budget and row.board.headroom == board.headroom
    assert row.board.is_over_session_cap and row.board.sessions_used == board.sessions_used == Decimal("2.5")
    assert row.board.pipeline == board.pipeline and row.board.pipeline.total > 0  # held from advertised
    bar = response.context["bars"][0]
    assert bar.budget_at < sum(segment.width for segment in bar.segments)
    html = response.content.decode()
    assert "over budget" in html and "over the cap" in html and 'class="budget-mark"' in html


def test_recruitment_in_flight_and_time_to_hire_are_the_recruitment_pages_figures(sel, governance_demo):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username="ics-admin")
    today = timezone.localdate()
    overview = selectors.overview(ics=sel, places=sel_places(), year=FinancialYear(2021), user=user, today=today)

    for row in overview.rows:
        rounds = rounds_with_times(AdvertRound.objects.filter(role__place=row.place))
        times = [hire_times(r, today) for r in rounds]
        opened = [t for t in times if FinancialYear(2021).start <= t.round.opens_on <= FinancialYear(2021).end]
        started = [t for t in opened if t.to_start is not None]
        assert row.hiring.in_flight == sum(1 for t in times if t.round.outcome == AdvertRound.Outcome.OPEN)
        assert row.hiring.opened == len(opened)
        assert row.hiring.over_target == sum(1 for t in opened if t.breached)
        assert row.hiring.started == len(started)
        assert row.hiring.days_to_start == sum(t.to_start for t in started)
    bexley = overview.rows[0]
    assert bexley.place.slug == "bexley" and bexley.hiring.opened > 0


def test_drifted_roles_are_counted_as_the_plans_page_lists_them(sel, governance_demo):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username="ics-admin")
    today = dt.date(2024, 6, 1)  # the demo's new roles ended on 31 March 2024
    overview = selectors.overview(ics=sel, places=sel_places(), year=YEAR, user=user, today=today)

    for row in overview.rows:
        assert row.drifted == len(drifted([row.place.pk], today))
    assert overview.totals.drifted > 0


# --- Functions coverage ------------------------------------------------------------------------------------


def test_functions_coverage_is_each_places_spend_by_function(admin_client):
    response = admin_client.get(url("ics_functions"), {"year": "2022"})

    assert response.status_code == 200
    coverage = response.context["coverage"]
    assert [row.label for row in coverage.rows[:10]] == list(Function.objects.values_list("name", flat=True))
    for index, place in enumerate(coverage.places):
        board = place_dashboard(place=place, year=YEAR)
        mine = {row.label: (row.cells[index].roles, row.cells[index].sessions) for row in coverage.rows}
        assert {label: figures for label, figures in mine.items() if figures[0]} == {
            group.label: (group.count, group.sessions) for group in board.by_function
        }


def test_a_role_serving_three_functions_shares_its_sessions_as_the_dashboard_does(client):
    place = PlaceFactory()
    Budget.objects.create(place=place, financial_year=2022, amount=Decimal("100000"))
    role = RoleFactory(place=place, status=RoleStatus.IN_POST, sessions_per_week=Decimal("1"))
    role.functions.set(Function.objects.order_by("order")[:3])

    coverage = selectors.functions_coverage(places=[place], year=YEAR)

    shares = {row.label: row.cells[0].sessions for row in coverage.rows[:3]}
    assert list(shares.values()) == [Decimal("0.34"), Decimal("0.33"), Decimal("0.33")]
    assert {g.label: g.sessions for g in place_dashboard(place=place, year=YEAR).by_function} == shares


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_function_sessions_count_every_role_as_the_dashboards_spend_by_function_does(seed):
    """The functions page reads its figures without costing the roles (`function_sessions`); they are
    the dashboards' `by_function` counts and sessions, whatever the statuses (on hold included), the
    functions each role serves and the days it runs in the year."""
    import random

    from roles.selectors import function_sessions, place_dashboards

    rng = random.Random(seed)
    places = [PlaceFactory(), PlaceFactory()]
    functions = list(Function.objects.all())
    for _ in range(40):
        status = rng.choice(list(RoleStatus))
        start = dt.date(2021, 10, 1) + dt.timedelta(days=rng.randrange(0, 700))
        role = RoleFactory(
            place=rng.choice(places),
            status=status,
            held_from=rng.choice(["", RoleStatus.IN_POST, RoleStatus.ADVERTISED])
            if status == RoleStatus.ON_HOLD
            else "",
            sessions_per_week=Decimal(rng.choice(["0.5", "1", "1.5", "2", "3"])),
            start_date=start,
            end_date=rng.choice([None, start + dt.timedelta(days=rng.randrange(0, 400))]),
        )
        role.functions.set(rng.sample(functions, rng.choice([0, 1, 2, 3])))

    served = function_sessions(places=places, year=YEAR)
    boards = place_dashboards(places=places, year=YEAR)

    assert any(served[p.pk] for p in places)
    for place in places:
        assert {g.key: (g.count, g.sessions) for g in served[place.pk]} == {
            g.key: (g.count, g.sessions) for g in boards[place.pk].by_function
        }


def test_the_functions_page_names_the_gaps_across_the_system(admin_client):
    html = admin_client.get(url("ics_functions"), {"year": "2022"}).content.decode()

    assert 'id="function-gaps"' in html
    assert "Leadership in research and evidence" in html or "no role in" in html


# --- The template adoption matrix ------------------------------------------------------------------------


def test_a_matrix_cell_is_written_escaped_with_its_link_reason_titles_and_type_change():
    from governance.ics import AdoptionRole, Cell
    from governance.templatetags.ics_tags import adoption_cell
    from roles.selectors import ComparisonRow

    place = Place(name="Bexley <b>", slug="bexley")
    template = TemplateRole(pk=7, title="Clinical Lead", role_type=RoleType.CLINICAL)
    roles = [
        AdoptionRole(i, 1, f'Lead "{i}" <script>', 7, RoleType.CARE, "Because <we> & 'they' said") for i in range(5)
    ]
    rows = [ComparisonRow(Variation.RENAMED, template, role) for role in roles]
    for row in rows:
        row.url = "/places/bexley/template/?a=1&b=2#row"

    html = adoption_cell(Cell(place=place, template_role=template, rows=rows))

    assert html.startswith('<td class="adoption-cell adoption-renamed" data-place="bexley" data-kind="renamed">')
    assert (
        '<a href="/places/bexley/template/?a=1&amp;b=2#row" title="Because &lt;we&gt; &amp; &#x27;they&#x27; said'
        in html
    )
    assert "in Bexley &lt;b&gt;</span>" in html
    assert html.count("&lt;script&gt;") == 3 and "<script>" not in html
    assert "and 2 more" in html and "type changed" in html


def test_bexleys_column_is_its_template_comparison(admin_client):
    response = admin_client.get(url("ics_adoption"))

    assert response.status_code == 200
    matrix = response.context["matrix"]
    bexley = Place.objects.get(slug="bexley")
    comparison = template_comparison(place=bexley)
    column = {template.pk: cell for template, cells in matrix.rows for cell in cells if cell.place.pk == bexley.pk}
    for row in comparison.rows:
        if row.template_role is None:
            continue
        cell = column[row.template_role.pk]
        assert row.kind in {r.kind for r in cell.rows}
        assert row.role is None or row.role.pk in {role.pk for role in cell.roles}
    expected_kinds = {}
    for row in comparison.rows:
        if row.template_role is not None:
            expected_kinds.setdefault(row.template_role.pk, set()).add(row.kind)
    assert {pk: {r.kind for r in cell.rows} for pk, cell in column.items()} == expected_kinds
    assert [r.role.pk for r in matrix.additions(bexley)] == [r.role.pk for r in comparison.of_kind(Variation.ADDED)]
    assert matrix.comparisons[bexley.pk].counts == comparison.counts


def test_the_matrix_shows_renamed_and_not_adopted_with_the_reason_on_hover(admin_client):
    html = admin_client.get(url("ics_adoption")).content.decode()

    assert "“Resident Participation and engagement”" in html  # Bexley renamed Patient and Public Engagement
    assert 'title="A placeholder in the template; Bexley named its own additions instead' in html
    assert "Frailty including Care Homes" in html  # a local addition
    assert "/places/bexley/template/#row-" in html  # each cell opens its row of the comparison


def test_the_matrix_leaves_out_the_ics_wide_unit(client):
    ics = ICSFactory()
    borough = PlaceFactory(ics=ics, name="Borough")
    PlaceFactory(ics=ics, name="ICS-wide", is_system_wide=True)
    TemplateRole.objects.create(ics=ics, title="Mental Health", role_type=RoleType.CLINICAL_CARE)

    matrix = selectors.adoption_matrix(ics=ics, places=list(Place.objects.filter(ics=ics)))

    assert matrix.places == [borough]


def _export(client, fmt: str):
    response = client.post(url("ics_adoption_export", "sel", fmt))
    assert response.status_code == 200, response.content[:300]
    return response, b"".join(response.streaming_content)


def test_the_matrix_exports_to_xlsx_with_the_board_packs_tables_and_is_logged(admin_client):
    response, content = _export(admin_client, "xlsx")

    assert response["Content-Disposition"].startswith('attachment; filename="template-adoption-sel-')
    book = load_workbook(io.BytesIO(content))
    matrix = book["Template adoption matrix"]
    headers = [cell.value for cell in matrix[2]]
    assert headers[:2] == ["Template role", "Type"] and "Bexley" in headers
    bexley = headers.index("Bexley")
    rows = {row[0]: row for row in matrix.iter_rows(min_row=3, values_only=True)}
    assert rows["LCP Clinical/Care Professional Lead"][bexley] == "Adopted"
    assert rows["Patient and Public Engagement"][bexley] == "Renamed: Resident Participation and engagement"
    assert rows["Other roles e.g. Frailty"][bexley] == "Not adopted"
    assert "Frailty including Care Homes" in rows["Added locally"][bexley]
    detail = book["Template adoption by place"]
    assert [cell.value for cell in detail[2]] == [
        "Place",
        "Template role",
        "Template type",
        "Adoption",
        "Place role",
        "Place type",
        "Reason",
    ]
    reasons = [row for row in detail.iter_rows(min_row=3, values_only=True) if row[1] == "Other roles e.g. Frailty"]
    assert any(row[0] == "Bexley" and row[6].startswith("A placeholder in the template") for row in reasons)
    log = ExportLog.objects.get(what="ics_adoption")
    assert (log.by.username, log.ics.slug, log.format, log.via) == ("ics-admin", "sel", "xlsx", "page")
    assert log.rows > 19


def test_the_matrix_exports_to_csv_and_pdf(admin_client):
    _, zipped = _export(admin_client, "csv")
    with zipfile.ZipFile(io.BytesIO(zipped)) as archive:
        names = archive.namelist()
        first = archive.read(names[0]).decode("utf-8-sig")
    assert names == ["01-adoption_matrix.csv", "02-adoption.csv"]
    assert next(csv.reader(io.StringIO(first)))[:2] == ["Template role", "Type"]
    _, pdf = _export(admin_client, "pdf")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Template adoption matrix" in text and "Bexley" in text
    assert ExportLog.objects.filter(what="ics_adoption").count() == 2


def test_a_wide_matrix_is_exported_eight_places_a_table_so_the_pdf_can_lay_it_out():
    ics, client = build_ics("wide", 20)  # 19 places and the ICS-wide unit

    pdf = client.post(url("ics_adoption_export", ics.slug, "pdf"))
    xlsx = client.post(url("ics_adoption_export", ics.slug, "xlsx"))

    assert pdf.status_code == 200 and b"".join(pdf.streaming_content).startswith(b"%PDF")
    book = load_workbook(io.BytesIO(b"".join(xlsx.streaming_content)))
    assert book.sheetnames == [
        "Adoption matrix, places 1–8",
        "Adoption matrix, places 9–16",
        "Adoption matrix, places 17–19",
        "Template adoption by place",
    ]
    assert [cell.value for cell in book["Adoption matrix, places 17–19"][2]][2:] == [
        "Place wide 016",
        "Place wide 017",
        "Place wide 018",
    ]


def test_an_unknown_format_is_refused_and_nothing_is_logged(admin_client):
    response = admin_client.post(url("ics_adoption_export", "sel", "docx"))

    assert response.status_code == 400
    assert "is not a format" in response.content.decode()
    assert not ExportLog.objects.exists()


def test_exporting_takes_a_post(admin_client):
    assert admin_client.get(url("ics_adoption_export", "sel", "xlsx")).status_code == 405
    assert not ExportLog.objects.exists()


# --- Search across places ----------------------------------------------------------------------------------


def test_search_finds_roles_by_title_in_any_case(admin_client):
    response = admin_client.get(url("ics_search"), {"q": "mental HEALTH"})

    assert response.status_code == 200
    titles = [role.title for role in response.context["page"]]
    assert titles and all("mental health" in title.lower() for title in titles)


def test_search_filters_by_status_type_function_and_place(admin_client):
    function = Role.objects.get(place__slug="bexley", title="Mental Health").functions.first()
    response = admin_client.get(
        url("ics_search"),
        {"status": "in_post", "role_type": "clinical_care", "function": function.slug, "place": "bexley"},
    )

    roles = list(response.context["page"])
    assert roles
    for role in roles:
        assert (role.status, role.role_type, role.place.slug) == ("in_post", "clinical_care", "bexley")
        assert function in role.functions.all()


def test_search_names_people_in_post_and_finds_them_by_name(admin_client):
    in_post = Role.objects.filter(place__slug="bexley", status=RoleStatus.IN_POST).first()
    Role.objects.filter(pk=in_post.pk).update(appointee_name="Dr Ada Lovelace")
    offered = Role.objects.filter(place__slug="bexley").exclude(status=RoleStatus.IN_POST).first()
    Role.objects.filter(pk=offered.pk).update(appointee_name="Dr Grace Hopper")

    found = admin_client.get(url("ics_search"), {"q": "lovelace"})
    hidden = admin_client.get(url("ics_search"), {"q": "hopper"})
    listed = admin_client.get(url("ics_search"), {"place": "bexley", "q": in_post.title})

    assert [r.pk for r in found.context["page"]] == [in_post.pk]
    assert "Dr Ada Lovelace" in found.content.decode()
    assert list(hidden.context["page"]) == [] and "Dr Grace Hopper" not in hidden.content.decode()
    assert "Dr Grace Hopper" not in admin_client.get(url("ics_search"), {"place": "bexley"}).content.decode()
    assert "Dr Ada Lovelace" in listed.content.decode()


def test_search_results_come_25_a_page(admin_client):
    first = admin_client.get(url("ics_search"))
    second = admin_client.get(url("ics_search"), {"page": "2"})

    assert len(first.context["page"]) == 25 and first.context["page"].paginator.count > 25
    assert not {r.pk for r in first.context["page"]} & {r.pk for r in second.context["page"]}
    assert admin_client.get(url("ics_search"), {"page": "not a page"}).status_code == 200


# --- Places compared ---------------------------------------------------------------------------------------


def test_two_places_are_compared_side_by_side(admin_client):
    response = admin_client.get(url("ics_compare"), {"places": ["bexley", "greenwich"]})

    assert response.status_code == 200
    compared = response.context["compared"]
    assert [p.slug for p in compared.places] == ["bexley", "greenwich"]
    first = compared.template_rows[0]
    assert first.label == "LCP Clinical/Care Professional Lead"
    assert first.cells[0][0].role.title == "LCP Clinical/Care Professional Lead"
    assert first.cells[1][0].kind == Variation.NOT_ADOPTED  # Greenwich has no roles in the demo
    assert "Frailty including Care Homes" in [line.label for line in compared.added_rows]


def test_the_compare_page_without_a_choice_shows_the_form(admin_client):
    response = admin_client.get(url("ics_compare"))

    assert response.status_code == 200 and response.context["compared"] is None
    assert 'name="places" id="id_places_0" value="bexley"' in response.content.decode()


# --- Bad input ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("year", ["abc", "2022/24", "1999", "20222", "x" * 10_000, "２０２２"])
@pytest.mark.parametrize("name", ["ics_overview", "ics_functions"])
def test_a_year_that_is_not_a_year_is_a_400_naming_the_fix(admin_client, name, year):
    response = admin_client.get(url(name), {"year": year})

    assert response.status_code == 400
    html = response.content.decode()
    assert "2022/23" in html or "from 2000 to 2099" in html
    assert "x" * 100 not in html


def test_a_place_of_another_ics_cannot_be_compared(admin_client):
    response = admin_client.get(url("ics_compare"), {"places": ["bexley", "jucd-system"]})

    assert response.status_code == 400
    html = response.content.decode()
    assert "“jucd-system” is not a place of this ICS that you can see" in html
    assert "Derbyshire" not in html and "CPLG Chair" not in html
    assert response.context["compared"] is None


def test_one_place_alone_is_not_a_comparison(admin_client):
    response = admin_client.get(url("ics_compare"), {"places": ["bexley", "bexley"]})

    assert response.status_code == 400
    assert "Choose at least two places" in response.content.decode()


def test_a_search_of_10000_characters_is_a_400_naming_the_fix(admin_client):
    response = admin_client.get(url("ics_search"), {"q": "a" * 10_000})

    assert response.status_code == 400
    html = response.content.decode()
    assert "Search for at most 200 characters (this search has 10000)" in html
    assert "a" * 300 not in html


def test_a_search_with_a_nul_byte_is_a_400(admin_client):
    response = admin_client.get(url("ics_search"), {"q": "Mental\x00Health"})

    assert response.status_code == 400
    assert "NUL" in response.content.decode()


def test_a_status_that_does_not_exist_is_a_400(admin_client):
    response = admin_client.get(url("ics_search"), {"status": "hired", "function": "nope"})

    assert response.status_code == 400
    assert "“hired” is not a status" in response.content.decode()


def test_another_ics_does_not_exist_for_an_ics_administrator(admin_client):
    for name in ("ics_overview", "ics_adoption", "ics_functions", "ics_search", "ics_compare"):
        response = admin_client.get(url(name, "jucd"))
        assert response.status_code == 404, name
        assert "CPLG Chair" not in response.content.decode()


@pytest.mark.parametrize("username", ["bexley-team", "hr-recruiter", "secretariat", "panel-member"])
def test_a_place_user_gets_404_on_every_ics_page(governance_demo, username):
    from django.contrib.auth import get_user_model

    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    for name in ("ics_overview", "ics_adoption", "ics_functions", "ics_search", "ics_compare"):
        assert client.get(url(name)).status_code == 404, name
    assert client.get(reverse("governance:ics_home")).status_code == 404
    assert client.post(url("ics_adoption_export", "sel", "xlsx")).status_code == 404
    assert not ExportLog.objects.exists()


@pytest.mark.parametrize(
    ("name", "query"),
    [
        ("ics_overview", "?year=2022"),
        ("ics_adoption", ""),
        ("ics_functions", "?year=2022"),
        ("ics_search", "?q=care"),
        ("ics_compare", "?places=bexley&places=greenwich"),
    ],
)
def test_ics_pages_have_no_inline_script_style_or_event_handler(admin_client, name, query):
    from tests.test_security import INLINE

    html = admin_client.get(url(name) + query).content.decode()

    found = {kind: pattern.findall(html) for kind, pattern in INLINE.items() if pattern.search(html)}
    assert not found, f"{name} has inline {found}, which the Content-Security-Policy blocks"


# --- Hostile query strings (hypothesis) --------------------------------------------------------------------

HOSTILE_TEXT = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=190, max_size=10_500),
    st.sampled_from(["", " ", "%", "_", "'; DROP TABLE roles_role; --", "\x00", "Mental\x00Health", "ＭＥＮＴＡＬ"]),
)


def _never_a_500_nor_derbyshire(response):
    """SEL's administrator asked: an answer below 500, and nothing of Derbyshire's ICS-wide unit."""
    assert response.status_code in (200, 400), response.status_code
    html = response.content.decode()
    assert "CPLG Chair" not in html and "Derbyshire ICS-wide" not in html and "Joined Up Care" not in html


@fuzz
@given(q=HOSTILE_TEXT, status=st.one_of(st.just(""), st.sampled_from(RoleStatus.values), st.text(max_size=30)))
def test_no_search_string_makes_a_500_or_shows_another_ics(admin_client, q, status):
    admin_client.raise_request_exception = False
    response = admin_client.get(url("ics_search"), {"q": q, "status": status})
    _never_a_500_nor_derbyshire(response)
    if response.status_code == 400:
        assert "alert-danger" in response.content.decode()


@fuzz
@given(
    places=st.lists(
        st.one_of(st.sampled_from(["bexley", "bromley", "greenwich", "jucd-system", ""]), HOSTILE_TEXT),
        min_size=0,
        max_size=5,
    )
)
def test_no_choice_of_places_makes_a_500_or_shows_another_ics(admin_client, places):
    admin_client.raise_request_exception = False
    response = admin_client.get(url("ics_compare"), {"places": places} if places else {})
    _never_a_500_nor_derbyshire(response)
    valid = set(places) <= {"bexley", "bromley", "greenwich"} and len(set(places)) != 1
    assert (response.status_code == 200) == valid


@fuzz
@given(
    year=st.one_of(st.integers(-(10**6), 10**6).map(str), st.from_regex(r"\A\d{4}[/-]\d{2,4}\Z"), HOSTILE_TEXT),
    name=st.sampled_from(["ics_overview", "ics_functions"]),
)
def test_no_year_makes_a_500_or_shows_another_ics(admin_client, year, name):
    admin_client.raise_request_exception = False
    response = admin_client.get(url(name), {"year": year})
    _never_a_500_nor_derbyshire(response)
    try:
        FinancialYear.parse(year)
        parses = len(year) <= 20
    except ValueError:
        parses = False
    assert (response.status_code == 200) == parses


# --- A constant number of queries: an ICS of 6 places and one of 200 --------------------------------------


def build_ics(slug: str, places: int) -> tuple[ICS, object]:
    """An ICS of `places` places (the last its ICS-wide unit), each with a budget for 2022/23 and five
    roles (in post, contracted, advertised, proposed, withdrawn: two from the template, one renamed,
    two of their own) with functions, an open advert round and a filled one; and its administrator.
    Bulk inserts: the same dozen queries whatever the size."""
    ics = ICS.objects.create(name=f"ICS {slug}", slug=slug, short_name=slug.upper())
    made = Place.objects.bulk_create(
        Place(ics=ics, name=f"Place {slug} {n:03d}", slug=f"{slug}-{n:03d}", is_system_wide=n == places - 1)
        for n in range(places)
    )
    templates = TemplateRole.objects.bulk_create(
        TemplateRole(ics=ics, title=f"Template {n}", role_type=RoleType.CLINICAL, order=n) for n in range(6)
    )
    Budget.objects.bulk_create(
        Budget(place=p, financial_year=2022, amount=Decimal("100000"), session_cap=Decimal("11")) for p in made
    )
    TemplateOmission.objects.bulk_create(
        TemplateOmission(place=p, template_role=templates[5], reason="Not needed here") for p in made
    )
    level = SpatialLevel.objects.get(slug="place")
    shapes = [
        (RoleStatus.IN_POST, templates[0], "Template 0", "Dr In Post"),
        (RoleStatus.CONTRACTED, templates[1], "Template 1 (renamed here)", "Dr Contracted"),
        (RoleStatus.ADVERTISED, None, "Frailty", ""),
        (RoleStatus.PROPOSED, None, "End of life", ""),
        (RoleStatus.WITHDRAWN, templates[2], "Template 2", ""),
    ]
    roles = Role.objects.bulk_create(
        Role(
            place=p,
            title=title,
            role_type=RoleType.CLINICAL,
            spatial_level=level,
            sessions_per_week=Decimal(1 + n),
            rate_per_session=Decimal("16400"),
            start_date=dt.date(2022, 4, 1),
            end_date=dt.date(2022, 9, 1) if status == RoleStatus.IN_POST else dt.date(2024, 3, 31),
            status=status,
            template_role=template,
            appointee_name=appointee,
        )
        for p in made
        for n, (status, template, title, appointee) in enumerate(shapes)
    )
    functions = list(Function.objects.order_by("order"))
    Role.functions.through.objects.bulk_create(
        Role.functions.through(role_id=role.pk, function_id=functions[(n + k) % 10].pk)
        for n, role in enumerate(roles)
        for k in range(1 + n % 3)
    )
    advertised = [r for r in roles if r.status == RoleStatus.ADVERTISED]
    filled = [r for r in roles if r.status == RoleStatus.CONTRACTED]
    AdvertRound.objects.bulk_create(
        AdvertRound(role=r, number=1, opens_on=dt.date(2022, 5, 2), closes_on=dt.date(2022, 5, 20)) for r in advertised
    )
    rounds = AdvertRound.objects.bulk_create(
        AdvertRound(
            role=r,
            number=1,
            opens_on=dt.date(2022, 4, 4),
            closes_on=dt.date(2022, 4, 22),
            outcome=AdvertRound.Outcome.APPOINTED,
        )
        for r in filled
    )
    people = Person.objects.bulk_create(Person(name=f"Candidate {n}") for n in range(len(rounds)))
    applications = Application.objects.bulk_create(
        Application(round=r, person=p, candidate_number=1, received_on=r.opens_on)
        for r, p in zip(rounds, people, strict=True)
    )
    offers = Offer.objects.bulk_create(
        Offer(round=a.round, application=a, status=Offer.Status.ACCEPTED) for a in applications
    )
    Contract.objects.bulk_create(
        Contract(
            offer=o,
            contract_type=ContractType.FIXED_TERM,
            starts_on=dt.date(2022, 6, 1),
            ends_on=dt.date(2024, 3, 31),
            sessions_per_week=Decimal("2"),
            rate_per_session=Decimal("16400"),
            signed_on=dt.date(2022, 5, 20),
        )
        for o in offers
    )
    admin = UserFactory(username=f"admin-{slug}", is_staff=True)
    Membership.objects.create(user=admin, kind=AccessKind.ICS_ADMIN, ics=ics)
    client = Client()
    client.force_login(admin)
    return ics, client


# Pinned: the session, the user and the memberships; the ICS and its places; then each page's own reads
# (see governance.ics), and the navigation's (the places menu, "My panels").
PINNED = {
    ("ics_overview", "?year=2022"): 13,
    ("ics_adoption", ""): 10,
    ("ics_functions", "?year=2022"): 11,
    ("ics_search", "?q=template&status=in_post"): 11,
    ("ics_compare", "?places={0}-000&places={0}-001"): 10,
}


@pytest.mark.parametrize(("name", "query"), list(PINNED), ids=[name for name, _ in PINNED])
def test_the_pages_cost_the_same_queries_for_6_places_and_for_200(name, query):
    counts = {}
    for slug, places in (("six", 6), ("many", 200)):
        ics, client = build_ics(slug, places)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url(name, ics.slug) + query.format(slug))
        assert response.status_code == 200, response.content[:500]
        counts[places] = len(captured)
        if name == "ics_overview":
            rows = response.context["overview"].rows
            assert len(rows) == places and rows[0].board.committed.total > 0 and rows[0].hiring.started == 1
        if name == "ics_search":
            assert response.context["page"].paginator.count == places
    assert counts[6] == counts[200] == PINNED[name, query], counts
