"""The board pack: the declared tables in XLSX, CSV and PDF, the one door that logs them, the page and
the command, and the queries they cost.

The Bexley figures come from the seed demo (`governance_demo`: the catalogue, recruitment's Table 4
plan and governance's Table 2 engagement and board decisions), exported as of 4 April 2022.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook
from pypdf import PdfReader

from governance import packs, reports
from governance.management.commands.bench_board_pack import build_ics, queries_per_table
from governance.models import AgendaItem, Board, BoardMember, Decision, ExportLog, Meeting
from roles.models import ICS, AccessKind, Person, Place, RoleMove, RoleStatus, RoleType
from tests.factories import ICSFactory, PlaceFactory, RoleFactory, RoleMoveFactory, member
from tests.helpers import fuzz

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2022, 4, 4)
OPERATOR = packs.Operator("operator (tests)")
FORMULA = '=HYPERLINK("http://evil.example","click")'


def export(scope, fmt, *, by=OPERATOR, as_of=AS_OF, via="command"):
    name, file = packs.board_pack(scope=scope, as_of=as_of, fmt=fmt, by=by, via=via)
    with file:
        return name, file.read()


def workbook(content: bytes):
    return load_workbook(io.BytesIO(content))


def sheet_rows(sheet) -> list[tuple]:
    """The data rows of a pack's sheet (row 1 is the title, row 2 the headers)."""
    return [row for row in sheet.iter_rows(min_row=3, values_only=True)]


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


@pytest.fixture
def bexley(governance_demo):
    return reports.Scope.of_place(Place.objects.select_related("ics").get(slug="bexley"))


# --- The Bexley figures -----------------------------------------------------------------------------------

TABLE_3_TYPES = {
    "LCP Clinical/Care Professional Lead": "Clinical / Care",
    "Cancer (including living with and beyond)": "Clinical",
    "Urgent Care": "Clinical",
    "Mental Health": "Clinical / Care",
}
TABLE_4 = [
    "Task & Finish Group Launched",
    "Role Descriptions agreed and signed off",
    "Local Care Partnership Forum",
    "Roles advertised",
    "Borough Strategic Board – Update",
    "Deadline for applications",
    "Local Care Partnership Forum",
    "Shortlisting",
    "Interviews",
    "Borough Strategic Board",
    "Contracts",
    "Transition Arrangements Developed",
    "Roles Commence",
]
TABLE_2_DATES = [
    dt.date(2021, 12, 9),
    dt.date(2021, 12, 10),
    dt.date(2021, 12, 15),
    dt.date(2021, 12, 16),
    dt.date(2022, 1, 4),
    dt.date(2022, 1, 10),
    dt.date(2022, 1, 12),
    dt.date(2022, 1, 13),
    dt.date(2022, 1, 26),
]


def test_xlsx_has_a_sheet_per_table_with_frozen_headers_and_a_title(bexley):
    name, content = export(bexley, "xlsx")
    book = workbook(content)
    assert name == "board-pack-bexley-2022-04-04.xlsx"
    assert len(book.sheetnames) == len(reports.REPORTS)
    for sheet, report in zip(book.worksheets, reports.REPORTS, strict=True):
        assert sheet.freeze_panes == "A3"
        assert sheet["A1"].value == f"{report.title} – Bexley, as of 4 Apr 2022"
        assert [c.value for c in sheet[2]] == [c.heading for c in report.columns]


def test_xlsx_role_table_holds_bexleys_22_roles_of_the_ics_model_with_their_types(bexley):
    book = workbook(export(bexley, "xlsx")[1])
    headings = [c.heading for c in reports.REPORTS_BY_KEY["roles"].columns]
    rows = [dict(zip(headings, row, strict=True)) for row in sheet_rows(book["Roles"])]
    model = [row for row in rows if row["ICS model"] == "Yes"]
    assert len(model) == 22
    types = {row["Role"]: row["Type"] for row in model}
    for title, role_type in TABLE_3_TYPES.items():
        assert types[title] == role_type
    assert all(isinstance(row["Start"], dt.datetime) for row in rows)  # real date cells
    assert book["Roles"]["H3"].number_format == "dd/mm/yyyy"


def test_xlsx_engagement_table_holds_table_2s_nine_entries(bexley):
    book = workbook(export(bexley, "xlsx")[1])
    rows = sheet_rows(book["Engagement and feedback"])
    assert sorted({row[0].date() for row in rows}) == TABLE_2_DATES
    assert len({(row[0], row[1]) for row in rows}) == 9
    assert any("Frailty" in (row[2] or "") for row in rows)


def test_xlsx_milestone_plan_holds_table_4(bexley):
    book = workbook(export(bexley, "xlsx")[1])
    rows = sheet_rows(book["Milestone plan"])
    assert [row[1] for row in rows] == TABLE_4
    by_title = {row[1]: row for row in rows}
    assert by_title["Roles advertised"][2] == "21 Feb 2022"
    assert by_title["Roles advertised"][3] == dt.datetime(2022, 2, 21)
    assert by_title["Roles advertised"][5] == "Done on 21 Feb 2022"


def test_xlsx_budget_for_2022_23_is_417000_as_a_number_with_a_pound_format(bexley):
    book = workbook(export(bexley, "xlsx")[1])
    sheet = book["Budget by financial year"]
    row = next(r for r in sheet.iter_rows(min_row=3) if r[0].value == "2022/23")
    budget = row[1]
    assert budget.value == 417000 and isinstance(budget.value, (int, float))
    assert budget.data_type == "n"
    assert "£" in budget.number_format
    headroom = row[7].value
    assert Decimal(str(headroom)) == Decimal(417000) - Decimal(str(row[6].value))


def test_pdf_is_a_board_paper_with_the_bexley_figures_and_page_numbers(bexley):
    name, content = export(bexley, "pdf")
    reader = PdfReader(io.BytesIO(content))
    text = pdf_text(content)
    assert name.endswith(".pdf")
    assert "Clinical & Care Professional Leadership: board pack" in text
    assert "Bexley, as of 4 Apr 2022" in text
    assert f"Page 1 of {len(reader.pages)}" in text
    assert f"Page {len(reader.pages)} of {len(reader.pages)}" in text
    assert "£417,000.00" in text
    assert "Task & Finish Group Launched" in text
    assert "Bexley Training Hub" in text
    width, height = reader.pages[0].mediabox.width, reader.pages[0].mediabox.height
    assert (round(float(width)), round(float(height))) == (842, 595)  # A4 landscape


def test_csv_zip_holds_one_csv_per_table_in_utf8_with_a_bom(bexley):
    name, content = export(bexley, "csv")
    archive = zipfile.ZipFile(io.BytesIO(content))
    assert name.endswith(".zip")
    assert len(archive.namelist()) == len(reports.REPORTS)
    for entry, report in zip(sorted(archive.namelist()), reports.REPORTS, strict=True):
        raw = archive.read(entry)
        assert raw.startswith(b"\xef\xbb\xbf")
        rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
        assert rows[0] == [c.heading for c in report.columns]
    budget = list(csv.reader(io.StringIO(archive.read("05-budget_years.csv").decode("utf-8-sig"))))
    assert next(r for r in budget if r[0] == "2022/23")[1] == "417000.00"


def test_each_export_is_logged_with_who_what_and_how_big(bexley):
    user = member(AccessKind.SECRETARIAT, place=bexley.place, first_name="Sam", last_name="Secretariat")
    _name, content = export(bexley, "xlsx", by=user, via="page")
    log = ExportLog.objects.get()
    assert (log.by, log.by_name, log.place, log.ics, log.as_of, log.format, log.via) == (
        user,
        "Sam Secretariat",
        bexley.place,
        None,
        AS_OF,
        "xlsx",
        "page",
    )
    assert log.size_bytes == len(content) and log.rows > 22


# --- Formula escaping, as of, decisions -------------------------------------------------------------------


@pytest.fixture
def formula_place(place):
    RoleFactory(place=place, title=FORMULA, role_type=RoleType.CARE)
    return reports.Scope.of_place(place)


def test_a_formula_title_is_escaped_in_xlsx(formula_place):
    book = workbook(export(formula_place, "xlsx", as_of=timezone.localdate())[1])
    assert book["Roles"]["A3"].value == "'" + FORMULA
    assert book["Roles"]["A3"].data_type == "s"


def test_a_formula_title_is_escaped_in_csv(formula_place):
    archive = zipfile.ZipFile(io.BytesIO(export(formula_place, "csv", as_of=timezone.localdate())[1]))
    rows = list(csv.reader(io.StringIO(archive.read("01-roles.csv").decode("utf-8-sig"))))
    assert rows[1][0] == "'" + FORMULA


def test_a_formula_title_is_escaped_in_pdf(formula_place):
    text = pdf_text(export(formula_place, "pdf", as_of=timezone.localdate())[1])
    assert "'=HYPERLINK" in text
    assert "\n=HYPERLINK" not in text


def test_status_as_of_a_date_comes_from_the_audit_trail(place):
    scope = reports.Scope.of_place(place)
    role = RoleFactory(place=place, title="Frailty", status=RoleStatus.IN_POST, appointee_name="Dr A")
    RoleMoveFactory(role=role, to_status=RoleStatus.PROPOSED, at=dt.datetime(2022, 1, 10, 9, tzinfo=dt.UTC))
    RoleMoveFactory(
        role=role,
        from_status=RoleStatus.CONTRACTED,
        to_status=RoleStatus.IN_POST,
        at=dt.datetime(2022, 4, 4, 9, tzinfo=dt.UTC),
    )
    later = RoleFactory(place=place, title="Added later")
    RoleMoveFactory(role=later, to_status=RoleStatus.PROPOSED, at=dt.datetime(2022, 6, 1, 9, tzinfo=dt.UTC))
    roles = reports.REPORTS_BY_KEY["roles"]
    before = roles.rows(scope, dt.date(2022, 4, 3), None)
    assert [(r[0], r[5], r[8]) for r in before] == [("Frailty", "Proposed", "")]
    after = roles.rows(scope, dt.date(2022, 6, 1), None)
    assert [(r[0], r[5], r[8]) for r in after] == [("Added later", "Proposed", ""), ("Frailty", "In post", "Dr A")]


@pytest.mark.parametrize("as_of", [dt.date(2022, 6, 1), dt.date(2022, 9, 1), dt.date(2023, 1, 31), None])
def test_the_recruitment_table_gives_each_round_the_times_and_counts_its_own_page_gives(bexley, as_of):
    """The table reads rounds as values (`reports.recruitment_rows`); the round's page works its times out
    stage by stage (`hire_times`) and counts its applications one by one: the same figures, for Bexley's
    round run to contract and its round in shortlisting, before, during and after them."""
    from recruitment.selectors import hire_times, rounds_with_times, status_counts
    from roles.models import AdvertRound

    as_of = as_of or timezone.localdate()
    rows = reports.REPORTS_BY_KEY["recruitment"].rows(bexley, as_of, None)
    rounds = rounds_with_times(AdvertRound.objects.filter(role__place=bexley.place, opens_on__lte=as_of))
    expected = []
    for round_ in sorted(rounds, key=lambda r: (r.role.title, r.number)):
        times, counts = hire_times(round_, today=as_of), status_counts(round_)
        expected.append(
            (
                round_.role.title,
                round_.number,
                round_.opens_on,
                round_.closes_on,
                round_.get_outcome_display(),
                sum(counts.values()),
                *(counts[status.value] for status in reports.STAGE_COLUMNS),
                times.to_start,
                times.elapsed,
                times.target_days,
                times.breached,
            )
        )
    assert rows == expected
    if as_of >= dt.date(2023, 1, 31):
        assert any(row[-4] is not None for row in rows), "no round with a confirmed start to compare"


@pytest.fixture
def decisions(place):
    """A public decision taken at an inquorate meeting and a private (Part 2) one."""
    board = Board.objects.create(place=place, name="Bexley Strategic Board", kind=Board.Kind.BOROUGH_STRATEGIC_BOARD)
    public = Meeting.objects.create(board=board, held_on=dt.date(2022, 1, 27))
    private = Meeting.objects.create(board=board, held_on=dt.date(2022, 1, 27), part=Meeting.Part.PRIVATE)
    Decision.objects.create(
        item=AgendaItem.objects.create(meeting=public, number=14, title="C&CPL roles"),
        text="Endorse the Bexley role set",
        inquorate=True,
    )
    Decision.objects.create(
        item=AgendaItem.objects.create(meeting=private, number=3, title="Contracts"),
        text="Agree the interim contracts",
    )
    return board


def test_inquorate_decisions_are_flagged_in_every_format(place, decisions):
    scope = reports.Scope.of_place(place)
    book = workbook(export(scope, "xlsx")[1])
    assert "INQUORATE" in [row[8] for row in sheet_rows(book["Board decisions"])]
    archive = zipfile.ZipFile(io.BytesIO(export(scope, "csv")[1]))
    assert "INQUORATE" in archive.read("10-decisions.csv").decode("utf-8-sig")
    assert "INQUORATE" in pdf_text(export(scope, "pdf")[1])


def test_part_2_decisions_only_for_those_who_may_see_them(place, decisions):
    scope = reports.Scope.of_place(place)
    table = reports.REPORTS_BY_KEY["decisions"]
    team = member(AccessKind.PLACE_TEAM, place=place)
    secretariat = member(AccessKind.SECRETARIAT, place=place)
    seated = member(AccessKind.PLACE_TEAM, place=place)
    BoardMember.objects.create(board=decisions, person=Person.objects.create(name="Cllr Seat", user=seated))
    shown = {
        who: [row[4] for row in table.rows(scope, AS_OF, viewer)]
        for who, viewer in [("team", team), ("secretariat", secretariat), ("seated", seated), ("operator", None)]
    }
    assert shown["team"] == ["Endorse the Bexley role set"]
    for who in ("secretariat", "seated", "operator"):
        assert shown[who] == ["Endorse the Bexley role set", "Agree the interim contracts"]


def test_each_decision_names_the_roles_it_authorises_by_title(place, decisions):
    """The last column: the roles a decision authorises, in order of title (read as values); none, empty."""
    endorse, contracts = Decision.objects.order_by("pk")
    urgent, cancer, frailty = (RoleFactory(place=place, title=t) for t in ("Urgent Care", "Cancer", "Frailty"))
    endorse.roles.set([urgent, cancer, frailty])
    contracts.roles.set([frailty])
    rows = reports.REPORTS_BY_KEY["decisions"].rows(reports.Scope.of_place(place), AS_OF, None)

    assert [(row[4], row[-1]) for row in rows] == [
        ("Endorse the Bexley role set", "Cancer; Frailty; Urgent Care"),
        ("Agree the interim contracts", "Frailty"),
    ]
    contracts.roles.clear()
    rows = reports.REPORTS_BY_KEY["decisions"].rows(reports.Scope.of_place(place), AS_OF, None)
    assert [row[-1] for row in rows] == ["Cancer; Frailty; Urgent Care", ""]


# --- Queries --------------------------------------------------------------------------------------------


def test_each_table_makes_the_same_queries_for_2_and_6_places(db):
    two = reports.Scope.of_ics(build_ics(places=2, roles=3, slug="two"))
    six = reports.Scope.of_ics(build_ics(places=6, roles=8, slug="six"))
    small, large = queries_per_table(two, AS_OF), queries_per_table(six, AS_OF)
    assert small == large
    assert max(large.values()) <= 8
    with CaptureQueriesContext(connection) as captured:
        export(six, "xlsx")
    # The roles (6 queries: the roles; the spatial levels, functions and professions, each read once;
    # the links to functions and professions) are read once for the four tables that show them (roles,
    # template, both budgets, mix), where each table on its own reads them; + the places, and the log
    # row: its checks, a savepoint, the insert.
    assert len(captured.captured_queries) <= sum(large.values()) - 4 * 6 + 5


# --- The page -------------------------------------------------------------------------------------------


@pytest.fixture
def sel():
    ics = ICSFactory(name="South East London", short_name="SEL", slug="sel")
    return {
        "ics": ics,
        "bexley": PlaceFactory(ics=ics, name="Bexley", slug="bexley"),
        "greenwich": PlaceFactory(ics=ics, name="Greenwich", slug="greenwich"),
        "derby": PlaceFactory(ics=ICSFactory(name="JUCD", slug="jucd"), name="Derby City", slug="derby-city"),
    }


def _signed_in(client, kind, **scope):
    client.force_login(member(kind, **scope))
    return client


def _post(client, scope="place:bexley", as_of="2022-04-04", fmt="xlsx"):
    return client.post(reverse("governance:packs"), {"scope": scope, "as_of": as_of, "format": fmt})


def test_the_secretariat_downloads_its_place_pack_in_two_clicks(client, sel):
    _signed_in(client, AccessKind.SECRETARIAT, place=sel["bexley"])
    page = client.get(reverse("governance:packs"))
    assert page.status_code == 200
    assert b"Download" in page.content and b"Board packs" in page.content
    response = _post(client)
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="board-pack-bexley-2022-04-04.xlsx"'
    workbook(b"".join(response.streaming_content))
    assert ExportLog.objects.get().via == "page"
    assert "Bexley" in client.get(reverse("governance:packs")).content.decode()  # the recent exports


def test_the_place_page_preselects_the_place(client, sel):
    _signed_in(client, AccessKind.SECRETARIAT, place=sel["bexley"])
    response = client.get(reverse("governance:place_pack", args=["bexley"]))
    assert response.status_code == 200
    assert '<option value="place:bexley" selected>' in response.content.decode()
    assert "Board pack</a>" in response.content.decode()  # the tab


@pytest.mark.parametrize(
    ("kind", "scope", "target", "status"),
    [
        (AccessKind.SECRETARIAT, {"place": "bexley"}, "place:greenwich", 404),
        (AccessKind.SECRETARIAT, {"place": "bexley"}, "place:derby-city", 404),
        (AccessKind.SECRETARIAT, {"place": "bexley"}, "ics:sel", 403),
        (AccessKind.SECRETARIAT, {"place": "bexley"}, "ics:jucd", 404),
        (AccessKind.SECRETARIAT, {"place": "bexley"}, "place:nowhere", 404),
        (AccessKind.PLACE_TEAM, {"place": "greenwich"}, "place:bexley", 404),
        (AccessKind.HR_RECRUITER, {"place": "bexley"}, "place:bexley", 403),
        (AccessKind.SECRETARIAT, {"place": "bexley"}, "bexley", 400),
        (AccessKind.SECRETARIAT, {"place": "bexley"}, "", 400),
    ],
)
def test_a_scope_outside_the_users_is_refused_and_nothing_logged(client, sel, kind, scope, target, status):
    where = {key: sel[value] for key, value in scope.items()}
    _signed_in(client, kind, **where)
    assert _post(client, scope=target).status_code == status
    assert not ExportLog.objects.exists()


def test_an_ics_administrator_exports_the_ics_wide_pack(client, sel):
    _signed_in(client, AccessKind.ICS_ADMIN, ics=sel["ics"])
    response = _post(client, scope="ics:sel", fmt="csv")
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    roles = archive.read("01-roles.csv").decode("utf-8-sig").splitlines()
    assert roles[0].startswith("Place,Role,")
    assert ExportLog.objects.get().ics == sel["ics"]


@pytest.mark.parametrize("as_of", ["2022-13-01", "2022-02-30", "yesterday", "0001-01-01", ""])
def test_an_as_of_that_is_not_a_date_reshows_the_form_naming_the_format(client, sel, as_of):
    _signed_in(client, AccessKind.SECRETARIAT, place=sel["bexley"])
    response = _post(client, as_of=as_of)
    assert response.status_code == 400
    assert "YYYY-MM-DD" in response.content.decode() or "DD/MM/YYYY" in response.content.decode()
    assert not ExportLog.objects.exists()


def test_an_unknown_format_is_refused(client, sel):
    _signed_in(client, AccessKind.SECRETARIAT, place=sel["bexley"])
    response = _post(client, fmt="docx")
    assert response.status_code == 400
    assert "Choose Excel (XLSX), CSV (zipped) or PDF." in response.content.decode()
    assert not ExportLog.objects.exists()


def test_a_bad_date_in_the_address_is_a_400(client, sel):
    _signed_in(client, AccessKind.SECRETARIAT, place=sel["bexley"])
    assert client.get(reverse("governance:packs"), {"as_of": "31/02/2022"}).status_code == 400
    assert client.get(reverse("governance:packs"), {"as_of": "2022-04-04"}).status_code == 200


def test_users_who_export_nothing_get_403_and_no_link(client, sel):
    _signed_in(client, AccessKind.HR_RECRUITER, place=sel["bexley"])
    assert client.get(reverse("governance:packs")).status_code == 403
    assert client.get(reverse("governance:place_pack", args=["bexley"])).status_code == 403
    assert b"Board packs" not in client.get(reverse("roles:dashboard", args=["bexley"])).content


def test_nobody_signed_in_is_sent_to_log_in(client, sel):
    assert client.get(reverse("governance:packs")).status_code == 302
    assert _post(client).status_code == 302


@fuzz
@given(
    scope=st.one_of(st.sampled_from(["place:bexley", "place:greenwich", "ics:sel", "ics:jucd"]), st.text(max_size=60)),
    as_of=st.one_of(st.dates().map(dt.date.isoformat), st.text(max_size=30)),
    fmt=st.one_of(st.sampled_from(["xlsx", "csv", "pdf"]), st.text(max_size=10)),
    method=st.sampled_from(["get", "post"]),
)
def test_no_query_string_or_post_makes_a_500(client, sel, scope, as_of, fmt, method):
    client.raise_request_exception = False
    _signed_in(client, AccessKind.SECRETARIAT, place=sel["bexley"])
    data = {"scope": scope, "as_of": as_of, "format": fmt}
    before = ExportLog.objects.count()
    response = getattr(client, method)(reverse("governance:packs"), data)
    assert response.status_code in (200, 400, 403, 404)
    made = ExportLog.objects.count() - before
    assert made == (1 if method == "post" and response.status_code == 200 else 0)


# --- The command ----------------------------------------------------------------------------------------


def test_the_command_writes_the_pack_and_logs_it(bexley, tmp_path):
    out = tmp_path / "pack.pdf"
    call_command("board_pack", "--place", "bexley", "--as-of", "2022-04-04", "--format", "pdf", "--out", str(out))
    assert "£417,000.00" in pdf_text(out.read_bytes())
    log = ExportLog.objects.get()
    assert (log.via, log.by, log.format) == ("command", None, "pdf")
    assert log.by_name.startswith("operator")


def test_the_command_exports_an_ics(bexley, tmp_path):
    out = tmp_path / "sel.xlsx"
    call_command("board_pack", "--ics", "sel", "--as-of", "2022-04-04", "--format", "xlsx", "--out", str(out))
    assert workbook(out.read_bytes())["Roles"]["A2"].value == "Place"
    assert ExportLog.objects.get().ics == ICS.objects.get(slug="sel")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--place", "bexley", "--as-of", "04/04/2022"], "YYYY-MM-DD"),
        (["--place", "bexley", "--as-of", "2022-02-30"], "YYYY-MM-DD"),
        (["--place", "bexley", "--as-of", "0001-01-01"], "outside the years"),
        (["--place", "nowhere", "--as-of", "2022-04-04"], "bexley"),
        (["--ics", "nowhere", "--as-of", "2022-04-04"], "sel"),
        (["--place", "bexley", "--ics", "sel", "--as-of", "2022-04-04"], "not allowed with"),
    ],
)
def test_the_command_refuses_bad_input_writing_nothing(bexley, tmp_path, args, message):
    out = tmp_path / "pack.xlsx"
    with pytest.raises(CommandError, match=message):
        call_command("board_pack", *args, "--format", "xlsx", "--out", str(out))
    assert not out.exists()
    assert not ExportLog.objects.exists()


def test_the_command_refuses_an_unknown_format(bexley, tmp_path):
    with pytest.raises(CommandError, match="invalid choice"):
        call_command("board_pack", "--place", "bexley", "--as-of", "2022-04-04", "--format", "docx", "--out", "x")


def test_the_bench_command_reports_constant_queries(db, capsys):
    call_command("bench_board_pack", "--places", "2", "--roles", "3", "--repeat", "1")
    out = capsys.readouterr().out
    assert "Query counts are the same at both sizes." in out
    assert not ICS.objects.filter(slug__startswith="bench").exists()  # rolled back
    assert not RoleMove.objects.exists()


def test_the_export_log_is_in_the_admin_for_the_ics_administrators_of_its_scope(client, sel):
    _signed_in(client, AccessKind.SECRETARIAT, place=sel["bexley"])
    _post(client)
    log = ExportLog.objects.get()
    url = reverse("admin:governance_exportlog_changelist")
    sel_admin = member(AccessKind.ICS_ADMIN, ics=sel["ics"], username="sel-admin")
    client.force_login(sel_admin)
    page = client.get(url)
    assert page.status_code == 200 and "Bexley" in page.content.decode()
    assert client.get(reverse("admin:governance_exportlog_change", args=[log.pk])).status_code == 200
    assert client.post(reverse("admin:governance_exportlog_delete", args=[log.pk])).status_code == 403
    jucd_admin = member(AccessKind.ICS_ADMIN, ics=sel["derby"].ics, username="jucd-admin")
    client.force_login(jucd_admin)
    assert "Bexley" not in client.get(url).content.decode()
    assert client.get(reverse("admin:governance_exportlog_change", args=[log.pk])).status_code in (302, 404)
    assert ExportLog.objects.filter(pk=log.pk).exists()


def test_a_cell_longer_than_a_page_is_cut_in_the_pdf_saying_where_the_whole_text_is():
    """A decision authorising hundreds of roles lists them in one cell: taller than a page, which the
    PDF cannot lay out (it failed at national scale). The PDF cuts it; the XLSX keeps it whole."""
    from governance import renderers

    titles = ", ".join(f"Clinical Lead for Frailty and Care Homes {n}" for n in range(600))
    columns = (reports.Column("meeting", "Meeting"), reports.Column("roles", "Roles it authorises", width=60))
    report = reports.Report("decisions", "Decisions", columns, rows_of=lambda *args: [])
    scope = reports.Scope.of_place(PlaceFactory(name="Manchester", slug="manchester"))
    rows = [("Manchester Locality Board, 3 Feb 2022", titles), ("Second meeting", "Clinical Lead 1")]
    pack = reports.Pack(scope, AS_OF, timezone.now(), [reports.Table(report, columns, rows)])

    content = renderers.render(pack, "pdf").read()

    text = pdf_text(content).replace("\n", " ")
    assert "cut to fit the page: the XLSX and CSV exports hold the whole text" in text
    assert "Second meeting" in text and "Clinical Lead for Frailty and Care Homes 0" in text
    assert "Clinical Lead for Frailty and Care Homes 599" not in text
    sheet = workbook(renderers.render(pack, "xlsx").read()).worksheets[0]
    assert any(titles == cell.value for row in sheet.iter_rows() for cell in row)


def test_the_pdf_shows_the_first_rows_of_a_long_table_and_says_where_the_rest_are():
    from governance import renderers

    columns = (reports.Column("milestone", "Milestone"),)
    report = reports.Report("milestones", "Milestone plan", columns, rows_of=lambda *args: [])
    scope = reports.Scope.of_place(PlaceFactory(name="Manchester", slug="manchester"))
    count = renderers.PDF_ROWS + 25
    rows = [(f"Step {n:05}",) for n in range(count)]
    pack = reports.Pack(scope, AS_OF, timezone.now(), [reports.Table(report, columns, rows)])

    text = pdf_text(renderers.render(pack, "pdf").read())

    assert f"Step {renderers.PDF_ROWS - 1:05}" in text and f"Step {renderers.PDF_ROWS:05}" not in text
    assert f"The first {renderers.PDF_ROWS:,} of {count:,} rows: the other 25 are in the XLSX and CSV" in text
    sheet = workbook(renderers.render(pack, "xlsx").read()).worksheets[0]
    assert sheet.max_row == count + 2  # the title and header rows, then every row


def test_an_ics_pack_reads_the_same_queries_for_2_or_5_places_with_part_2_decisions():
    """As an ICS administrator (who may not read Part 2 everywhere), the decisions table asks who may
    read each private decision: once a place's rows are read with it, not a query per decision."""
    ics = ICSFactory(name="South East London", short_name="SEL", slug="sel")
    admin = member(AccessKind.ICS_ADMIN, ics=ics, username="sel-admin")

    def add_place(n):
        place = PlaceFactory(ics=ics, name=f"Borough {n}", slug=f"borough-{n}")
        board = Board.objects.create(place=place, name=f"Board {n}", kind=Board.Kind.BOROUGH_STRATEGIC_BOARD)
        for part in (Meeting.Part.PUBLIC, Meeting.Part.PRIVATE):
            meeting = Meeting.objects.create(board=board, held_on=AS_OF - dt.timedelta(days=30), part=part)
            item = AgendaItem.objects.create(meeting=meeting, number=1, title="Roles")
            Decision.objects.create(item=item, text=f"Agreed {n}")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            export(reports.Scope.of_ics(ics), "csv", by=admin)
        return len(captured)

    for n in range(2):
        add_place(n)
    queries()  # caches a first export fills
    few = queries()
    for n in range(2, 5):
        add_place(n)
    assert queries() == few
