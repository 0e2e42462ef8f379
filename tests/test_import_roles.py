"""Importing roles into a place from a CSV or XLSX file: all or nothing, a dry run, every bad line
reported with its number and the fix, from the page and from `manage.py import_roles`."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook

from roles import services
from roles.imports import roles_import
from roles.models import AccessKind, Place, Role, RoleMove, RoleType, TemplateRole
from roles.selectors import template_comparison
from roles.setup import SetupRefused
from tests.factories import member
from tests.helpers import fuzz

pytestmark = pytest.mark.django_db

HEADER = "title,type,template_role,functions,sessions_per_week,start_date,end_date,variation_reason,description\n"
GOOD = (
    HEADER
    + "Mental Health,Clinical / Care,Mental Health,,1,04/04/2022,31/03/2024,,\n"
    + "Frailty including Care Homes,Clinical / Care,,Care pathway transformation,1.5,2022-04-04,,"
    + '"Added: ""Addition of Frailty role and aligning with care homes"" (LCP Forum)",'
    + '"Leads frailty work,\nincluding care homes."\n'
)


@pytest.fixture
def greenwich(demo):
    return Place.objects.get(slug="greenwich")


@pytest.fixture
def team(greenwich):
    return member(AccessKind.PLACE_TEAM, place=greenwich, username="greenwich-team")


def xlsx(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_csv_file_adds_its_roles_as_proposed(greenwich, team):
    report = roles_import(place=greenwich, file=GOOD.encode(), by=team)

    assert report.summary == "2 roles added to Greenwich as proposed."
    mental = Role.objects.get(place=greenwich, title="Mental Health")
    template = TemplateRole.objects.get(ics=greenwich.ics, title="Mental Health")
    assert mental.template_role == template
    assert {f.pk for f in mental.functions.all()} == {f.pk for f in template.functions.all()}  # the template's
    assert mental.rate_per_session == greenwich.ics.default_session_rate
    assert (mental.start_date, mental.end_date) == (dt.date(2022, 4, 4), dt.date(2024, 3, 31))
    frailty = Role.objects.get(place=greenwich, title="Frailty including Care Homes")
    assert frailty.template_role is None
    assert frailty.sessions_per_week == Decimal("1.5")
    assert frailty.spatial_level.slug == "place"
    assert [f.slug for f in frailty.functions.all()] == ["care-pathway-transformation"]
    assert frailty.description == "Leads frailty work,\nincluding care homes."
    assert frailty.variation_reason.startswith('Added: "Addition of Frailty role')
    assert RoleMove.objects.filter(place=greenwich, action=RoleMove.Action.CREATED, by=team).count() == 2
    kinds = {row.role.title: row.kind for row in template_comparison(place=greenwich).rows if row.role}
    assert kinds == {"Mental Health": "adopted", "Frailty including Care Homes": "added"}


def test_an_xlsx_file_is_read_the_same_with_real_dates_and_numbers(greenwich, team):
    data = xlsx(
        [
            ["Title", "Type", "Sessions per week", "Start date", "End date"],
            ["End of Life", "Clinical / Care", 1, dt.datetime(2022, 4, 4), dt.date(2024, 3, 31)],
            ["Sexual and Reproductive Health", "clinical", 0.5, "01/07/2022", None],
        ]
    )
    report = roles_import(place=greenwich, file=data, by=team, name="roles.xlsx")

    assert len(report.roles) == 2
    end_of_life = Role.objects.get(place=greenwich, title="End of Life")
    assert (end_of_life.start_date, end_of_life.end_date) == (dt.date(2022, 4, 4), dt.date(2024, 3, 31))
    sexual_health = Role.objects.get(place=greenwich, title="Sexual and Reproductive Health")
    assert sexual_health.role_type == RoleType.CLINICAL
    assert sexual_health.sessions_per_week == Decimal("0.5")
    assert sexual_health.start_date == dt.date(2022, 7, 1)


def test_a_dry_run_reports_the_roles_and_saves_nothing(greenwich, team):
    before = RoleMove.objects.count()
    report = roles_import(place=greenwich, file=GOOD.encode(), by=team, dry_run=True)
    assert [r.title for r in report.roles] == ["Mental Health", "Frailty including Care Homes"]
    assert report.summary == "2 roles would be added to Greenwich as proposed; nothing was saved (a dry run)."
    assert not Role.objects.filter(place=greenwich).exists()
    assert RoleMove.objects.count() == before


def test_every_bad_line_is_reported_with_its_number_and_nothing_is_imported(greenwich, team):
    text = (
        HEADER
        + "Mental Health,Clinical / Care,Mental Health,,1,04/04/2022,,,\n"  # line 2: fine
        + "Planned Care,Surgical,,,1,04/04/2022,,,\n"  # line 3: no such type
        + "Diagnostics,Clinical,Diagnostic Imaging,,1,31/02/2022,,,\n"  # line 4: template and date
        + "Maternity,Clinical,,,eleven,04/04/2022,,,\n"  # line 5: sessions
        + "=HYPERLINK(1),Clinical,,,1,04/04/2022,,,\n"  # line 6: formula
        + "Urgent Care,Clinical,,,1,04/04/2022,01/04/2022,,\n"  # line 7: ends before it starts
        + "mental health,Clinical,,,1,04/04/2022,,,\n"  # line 8: the same title as line 2
        + "Digital,Clinical,,Digital first,1,04/04/2022,,,\n"  # line 9: no such function
    )
    with pytest.raises(SetupRefused) as refused:
        roles_import(place=greenwich, file=text.encode(), by=team)

    problems = refused.value.problems
    assert refused.value.message.startswith("Nothing was imported: the file has 8 problems.")
    assert [p.split(":")[0] for p in problems] == [
        "Line 3",
        "Line 4",
        "Line 4",
        "Line 5",
        "Line 6",
        "Line 7",
        "Line 8",
        "Line 9",
    ]
    assert "type “Surgical” is not one we know: use Clinical, Care, or Clinical / Care." in problems[0]
    assert "“Diagnostic Imaging” is not one of Our Healthier South East London's template roles" in problems[1]
    assert (
        "start_date “31/02/2022” is not a date: February 2022 has 28 days (type it as DD/MM/YYYY, e.g. 27/01/2022)."
        in problems[2]
    )
    assert "sessions_per_week “eleven” is not a number above 0" in problems[3]
    assert "which a spreadsheet would run" in problems[4]
    assert "The end date (1 Apr 2022) is before the start date (4 Apr 2022)" in problems[5]
    assert "is used twice (also Line 2)" in problems[6]
    assert "functions: “Digital first” is not one we know" in problems[7]
    assert not Role.objects.filter(place=greenwich).exists()


def test_a_line_for_a_role_the_place_already_has_is_refused(greenwich, team):
    roles_import(place=greenwich, file=GOOD.encode(), by=team)
    with pytest.raises(SetupRefused) as refused:
        roles_import(place=greenwich, file=GOOD.encode(), by=team)
    assert refused.value.problems[0].startswith("Line 2: Greenwich already has a role called “Mental Health”")
    assert Role.objects.filter(place=greenwich).count() == 2


def test_a_multi_line_cell_reports_the_line_its_record_starts_on(greenwich, team):
    text = HEADER + 'Frailty,Clinical,,,1,04/04/2022,,,"two\nlines"\nEnd of Life,Clinical,,,0,04/04/2022,,,\n'
    with pytest.raises(SetupRefused) as refused:
        roles_import(place=greenwich, file=text.encode(), by=team)
    assert refused.value.problems[0].startswith("Line 4: sessions_per_week “0” is not a number above 0")


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "The file is empty"),
        (b"title,type\nX,Clinical\n", "the column “sessions_per_week” is missing"),
        (b"title,type,sessions,start,colour\n", "the column “colour” is not one we import"),
        (HEADER.encode(), "The file has headers but no roles"),
        ("title,type,sessions,start\nCafé,Clinical,1,04/04/2022\n".encode("latin-1"), "not UTF-8 text"),
        (b"PK\x03\x04 not really a workbook", "could not be read as an Excel workbook"),
    ],
)
def test_a_file_that_cannot_be_read_says_how_to_fix_it(greenwich, team, data, message):
    with pytest.raises(SetupRefused) as refused:
        roles_import(place=greenwich, file=data, by=team)
    assert message in str(refused.value)
    assert not Role.objects.filter(place=greenwich).exists()


def test_someone_who_may_not_edit_the_place_cannot_import(greenwich):
    reader = member(AccessKind.SECRETARIAT, place=greenwich)
    with pytest.raises(services.MoveNotAllowed):
        roles_import(place=greenwich, file=GOOD.encode(), by=reader)
    assert not Role.objects.filter(place=greenwich).exists()


# --- The page -----------------------------------------------------------------------------------------


def upload(name="roles.csv", data: bytes | None = None):
    return SimpleUploadedFile(name, GOOD.encode() if data is None else data, content_type="text/csv")


def test_the_page_checks_a_file_then_imports_it(greenwich, team, client):
    client.force_login(team)
    url = reverse("roles:role_import", args=["greenwich"])
    assert client.get(url).status_code == 200

    checked = client.post(url, {"file": upload(), "check": "1"})
    assert checked.status_code == 200
    assert "2 roles would be added to Greenwich" in checked.content.decode()
    assert not Role.objects.filter(place=greenwich).exists()

    imported = client.post(url, {"file": upload(), "import": "1"})
    assert imported.status_code == 302
    assert imported["Location"] == reverse("roles:role_list", args=["greenwich"])
    assert Role.objects.filter(place=greenwich).count() == 2


def test_the_page_lists_every_problem_and_answers_400(greenwich, team, client):
    client.force_login(team)
    bad = (HEADER + "A,Surgical,,,1,04/04/2022,,,\nB,Clinical,,,1,99/99/2022,,,\n").encode()
    response = client.post(reverse("roles:role_import", args=["greenwich"]), {"file": upload(data=bad), "import": "1"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Line 2: type “Surgical”" in page and "Line 3: start_date “99/99/2022”" in page
    assert not Role.objects.filter(place=greenwich).exists()


def test_the_page_without_a_file_is_400(greenwich, team, client):
    client.force_login(team)
    response = client.post(reverse("roles:role_import", args=["greenwich"]), {"import": "1"})
    assert response.status_code == 400
    assert "Choose the file to import." in response.content.decode()


@fuzz
@given(data=st.binary(max_size=400) | st.text(max_size=400).map(lambda t: (HEADER + t).encode()))
def test_no_file_makes_a_500_or_half_writes(greenwich, team, client, data):
    client.force_login(team)
    before = Role.objects.filter(place=greenwich).count()
    response = client.post(reverse("roles:role_import", args=["greenwich"]), {"file": upload(data=data), "import": "1"})
    assert response.status_code in (302, 400)
    if response.status_code == 400:
        assert Role.objects.filter(place=greenwich).count() == before


# --- The command --------------------------------------------------------------------------------------


def test_the_command_imports_as_the_named_user_with_a_dry_run_first(greenwich, team, tmp_path):
    path = tmp_path / "roles.csv"
    path.write_text(GOOD, encoding="utf-8")
    out = io.StringIO()
    call_command("import_roles", "greenwich", str(path), "--as", "greenwich-team", "--dry-run", stdout=out)
    assert "Dry run: nothing was imported." in out.getvalue()
    assert not Role.objects.filter(place=greenwich).exists()

    out = io.StringIO()
    call_command("import_roles", "greenwich", str(path), "--as", "greenwich-team", stdout=out)
    assert "Mental Health: Clinical / Care (from “Mental Health”)" in out.getvalue()
    assert Role.objects.filter(place=greenwich, moves__by=team).count() == 2


def test_the_command_reports_every_problem_and_imports_nothing(greenwich, team, tmp_path):
    path = tmp_path / "roles.csv"
    path.write_text(HEADER + "A,Surgical,,,1,04/04/2022,,,\n", encoding="utf-8")
    err = io.StringIO()
    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("import_roles", "greenwich", str(path), "--as", "greenwich-team", stderr=err)
    assert "Line 2: type “Surgical”" in err.getvalue()
    with pytest.raises(CommandError, match="There is no place"):
        call_command("import_roles", "nowhere", str(path), "--as", "greenwich-team")
    with pytest.raises(CommandError, match="There is no user"):
        call_command("import_roles", "greenwich", str(path), "--as", "nobody-here")
    assert not Role.objects.filter(place=greenwich).exists()
