"""Importing applications into an advert round from a CSV file: the service, the command, the admin page.

Bexley's frailty round (`tests.recruiting.RoundSetup`) closed on 4 Mar 2022 and is shortlisting.
Every refusal leaves nothing written and names the file's line (the header is line 1) and the fix.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import partial
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.db import SessionStore
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.http import Http404
from django.test import RequestFactory

from recruitment.admin_import import import_view
from recruitment.imports import ImportRefused, applications_import
from recruitment.models import Application, ApplicationEvent, EqualityAnswers
from roles.models import AccessKind, AdvertRound, Person, RoleStatus
from roles.services import ChangeRefused, MoveNotAllowed
from tests.factories import PlaceFactory, member
from tests.recruiting import RoundSetup

EXAMPLE = Path(settings.BASE_DIR) / "docs" / "examples" / "applications.csv"
HEADER = "name,email,profession,received_on,statement"

NO_30_FEB = (
    "received_on “30/02/2022” is not a date: February 2022 has 28 days (type it as DD/MM/YYYY, e.g. 27/01/2022)."
)


def csv_file(*lines: str, header: str = HEADER) -> bytes:
    return "\r\n".join([header, *lines, ""]).encode()


def applicant(n: int, *, received_on: str = "01/03/2022", profession: str = "gp", name: str = "") -> str:
    return f"{name or f'Dr Alex Example {n}'},alex{n}@example.org,{profession},{received_on},Statement {n}."


@pytest.fixture
def setup(place):
    return RoundSetup(place)


def refused(setup, data: bytes, **kwargs) -> ImportRefused:
    """The refusal of importing `data`, checking that nothing was written."""
    people = Person.objects.count()
    with pytest.raises(ImportRefused) as caught:
        applications_import(round=setup.round, file=data, by=setup.recruiter, **kwargs)
    assert not Application.objects.filter(round=setup.round).exists()
    assert Person.objects.count() == people
    assert "Nothing was imported" in caught.value.message
    return caught.value


# --- The service: what is imported -------------------------------------------------------------------


def test_a_dry_run_reports_what_would_be_imported_and_writes_nothing(setup):
    people = Person.objects.count()

    report = applications_import(round=setup.round, file=EXAMPLE.read_bytes(), by=setup.recruiter, dry_run=True)

    assert [(row.line, row.email) for row in report.rows] == [
        (2, "alex.example@example.org"),
        (3, "sam.sample@example.org"),
        (4, "jo.placeholder@example.org"),
        (5, "chris.fictional@example.org"),
    ]
    assert report.count == 4 and report.late_count == 1
    assert "4 applications would be imported" in report.summary
    assert not Application.objects.exists()
    assert Person.objects.count() == people


def test_the_example_file_imports_every_applicant_and_flags_the_late_one(setup):
    report = applications_import(round=setup.round, file=EXAMPLE.read_bytes(), by=setup.recruiter)

    applications = list(Application.objects.filter(round=setup.round).select_related("person__profession"))
    assert [a.person.name for a in applications] == [
        "Dr Alex Example",
        "Sam Sample",
        "Jo Placeholder",
        "Dr Chris Fictional",
    ]
    assert [a.is_late for a in applications] == [False, False, False, True]
    assert [row.late for row in report.rows] == [False, False, False, True]
    assert applications[0].received_on == dt.date(2022, 2, 28)
    assert applications[1].received_on == dt.date(2022, 3, 1)
    assert applications[1].person.profession.slug == "nurse"
    assert applications[0].person.phone == "+44 20 7946 0001"
    assert all(a.created_by == setup.recruiter for a in applications)
    assert report.applications == applications
    assert "4 applications imported" in report.summary and "1 of them after the closing date" in report.summary


def test_equality_answers_are_taken_by_code_or_label_in_any_case(setup):
    applications_import(round=setup.round, file=EXAMPLE.read_bytes(), by=setup.recruiter)

    answers = {
        a.application.person.email: (a.age_band, a.sex, a.ethnic_group, a.disability)
        for a in EqualityAnswers.objects.select_related("application__person")
    }
    assert answers == {
        "alex.example@example.org": ("40_49", "female", "white", "no"),
        "sam.sample@example.org": ("50_59", "male", "asian", "no"),
        "jo.placeholder@example.org": ("", "", "prefer_not_to_say", ""),
        "chris.fictional@example.org": ("60_plus", "", "", ""),
    }


def test_headers_match_in_any_case_with_spaces_and_a_byte_order_mark(setup):
    data = "\ufeff Name ,EMAIL, Profession,Received_On ,Statement\r\n".encode() + applicant(1).encode()

    report = applications_import(round=setup.round, file=data, by=setup.recruiter)

    assert report.rows[0].name == "Dr Alex Example 1"


def test_a_profession_matches_by_name_or_short_name_in_any_case(setup):
    data = csv_file(applicant(1, profession="NURSE"), applicant(2, profession="doctor: general practitioner"))

    report = applications_import(round=setup.round, file=data, by=setup.recruiter, dry_run=True)

    assert [row.profession.slug for row in report.rows] == ["nurse", "gp"]


def test_the_statement_is_kept_word_for_word_even_when_it_looks_like_a_formula(setup):
    data = csv_file('Dr Alex Example,alex@example.org,gp,01/03/2022,"=SUM(A1:A2)\nand a second line"')

    applications_import(round=setup.round, file=data, by=setup.recruiter)

    assert Application.objects.get().statement == "=SUM(A1:A2)\nand a second line"


def test_line_numbers_are_the_files_even_after_a_statement_over_several_lines(setup):
    data = csv_file(
        'Dr Alex Example,alex@example.org,gp,01/03/2022,"First line\nsecond line\nthird"',
        applicant(2, received_on="30/02/2022"),
    )

    problem = refused(setup, data)

    assert problem.problems == [f"Line 5: {NO_30_FEB}"]


def test_a_file_object_is_read_as_well_as_bytes(setup):
    upload = SimpleUploadedFile("applications.csv", csv_file(applicant(1)), content_type="text/csv")

    report = applications_import(round=setup.round, file=upload, by=setup.recruiter)

    assert report.count == 1


# --- The service: what is refused --------------------------------------------------------------------


def test_an_impossible_date_is_refused_with_its_line(setup):
    data = csv_file(applicant(1), applicant(2), applicant(3, received_on="30/02/2022"))

    problem = refused(setup, data)

    assert problem.problems == [f"Line 4: {NO_30_FEB}"]


def test_a_date_in_another_format_is_refused_naming_the_formats(setup):
    problem = refused(setup, csv_file(applicant(1, received_on="March 1st")))

    assert problem.problems == [
        "Line 2: received_on “March 1st” is not a date: type it as DD/MM/YYYY, e.g. 27/01/2022."
    ]


def test_a_date_outside_the_planned_years_is_refused(setup):
    problem = refused(setup, csv_file(applicant(1, received_on="01/03/1922")))

    assert problem.problems[0].startswith("Line 2: received_on “01/03/1922”: ")
    assert "outside the years this service plans for" in problem.problems[0]


def test_a_missing_column_is_refused_naming_it(setup):
    data = csv_file("Dr Alex Example,alex@example.org,gp,01/03/2022", header="name,email,profession,received_on")

    problem = refused(setup, data)

    assert len(problem.problems) == 1
    assert problem.problems[0].startswith("Line 1: the column “statement” is missing: add it")


def test_an_unknown_column_is_refused_naming_the_accepted_ones(setup):
    data = csv_file(applicant(1) + ",GP partner", header=HEADER + ",job title")

    problem = refused(setup, data)

    assert problem.problems == [
        "Line 1: the column “job title” is not one we import: the columns are name, email, profession, "
        "received_on, statement, employer, registration, phone, age_band, sex, ethnic_group, disability."
    ]


def test_an_email_twice_in_the_file_is_refused_naming_the_line_it_first_appears_on(setup):
    data = csv_file(applicant(1), applicant(2), applicant(1, name="Dr Alex Again").replace("alex1@", "ALEX1@"))

    problem = refused(setup, data)

    assert problem.problems == ["Line 4: ALEX1@example.org is already on line 2: give each applicant once."]


def test_an_email_already_in_the_round_is_refused_and_not_doubled(setup):
    setup.add(1)  # applicant1@example.org
    data = csv_file("Dr Test Applicant 1,Applicant1@Example.org,gp,01/03/2022,Again.", applicant(2))

    with pytest.raises(ImportRefused) as caught:
        applications_import(round=setup.round, file=data, by=setup.recruiter)

    assert caught.value.problems == [
        "Line 2: Applicant1@Example.org has already applied to this round: remove the line."
    ]
    assert Application.objects.filter(round=setup.round).count() == 1


def test_a_cell_that_a_spreadsheet_would_run_as_a_formula_is_refused(setup):
    data = csv_file(applicant(1), applicant(2), applicant(3), applicant(4, name='=HYPERLINK("http://x.example")'))

    problem = refused(setup, data)

    assert problem.problems == [
        'Line 5: name “=HYPERLINK("http://x.example")” starts with “=”, which a spreadsheet would run as a '
        "formula: remove it."
    ]


@pytest.mark.parametrize("column", ["email", "profession", "employer", "registration", "sex"])
@pytest.mark.parametrize("start", ["=", "+", "-", "@"])
def test_a_formula_is_refused_in_every_checked_column(setup, column, start):
    cells = {
        "name": "Dr Alex Example",
        "email": "alex@example.org",
        "profession": "gp",
        "received_on": "01/03/2022",
        "statement": "Statement.",
        "employer": "",
        "registration": "",
        "sex": "",
    }
    cells[column] = f"{start}cmd|' /C calc'!A0"
    data = csv_file(",".join(cells.values()), header=",".join(cells))

    problem = refused(setup, data)

    assert f"Line 2: {column} “{start}cmd|' /C calc'!A0” starts with “{start}”" in problem.problems[0]


def test_a_phone_may_start_with_plus_and_digits_but_not_a_formula(setup):
    header = HEADER + ",phone"
    ok = applications_import(
        round=setup.round,
        file=csv_file(applicant(1) + ",+44 20 7946 0000", header=header),
        by=setup.recruiter,
        dry_run=True,
    )
    assert ok.count == 1

    problem = refused(setup, csv_file(applicant(1) + ",+1+cmd", header=header))

    assert problem.problems[0].startswith("Line 2: phone “+1+cmd” starts with “+”")


def test_a_file_not_in_utf8_is_refused_naming_the_fix(setup):
    data = csv_file(applicant(1, name="Dr Zoë Example")).decode().encode("cp1252")

    problem = refused(setup, data)

    assert "save it as CSV UTF-8" in problem.problems[0]


def test_an_unknown_profession_is_refused_listing_the_valid_names(setup):
    problem = refused(setup, csv_file(applicant(1), applicant(2, profession="Surgeon")))

    assert problem.problems[0].startswith("Line 3: profession “Surgeon” is not one we know: use one of ")
    assert "Doctor: general practitioner" in problem.problems[0] and "Nurse" in problem.problems[0]


def test_a_bad_email_is_refused(setup):
    data = csv_file("Dr Alex Example,alex at example.org,gp,01/03/2022,Statement.")

    problem = refused(setup, data)

    assert problem.problems == [
        "Line 2: email “alex at example.org” is not an e-mail address: correct it (e.g. name@example.nhs.uk)."
    ]


def test_an_unknown_equality_answer_is_refused_listing_the_answers(setup):
    data = csv_file(applicant(1) + ",forty-ish", header=HEADER + ",age_band")

    problem = refused(setup, data)

    assert problem.problems[0].startswith("Line 2: age_band “forty-ish” is not one of the answers: use Under 30, ")


def test_every_problem_of_every_line_is_reported_at_once(setup):
    data = csv_file(
        applicant(1),
        ",alex2@example.org,gp,01/03/2022,Statement.",
        "Dr Alex Example 3,alex3@,Surgeon,31/04/2022,",
    )

    problem = refused(setup, data)

    assert [p.split(":")[0] for p in problem.problems] == ["Line 3", "Line 4", "Line 4", "Line 4", "Line 4"]
    assert "Line 3: name is empty: every applicant needs one." in problem.problems
    assert "Line 4: statement is empty: every applicant needs one." in problem.problems
    assert "3 problems" not in problem.message and "5 problems" in problem.message


def test_a_file_with_more_than_5000_applicants_is_refused(setup):
    data = csv_file(*(applicant(n) for n in range(1, 5002)))

    problem = refused(setup, data)

    assert problem.problems == [
        "The file has more than 5,000 applicants: split it into files of at most 5,000 lines and import each."
    ]


def test_a_file_over_5_mb_is_refused(setup):
    data = csv_file(applicant(1)) + b" " * (5 * 1024 * 1024)

    problem = refused(setup, data)

    assert problem.problems == ["The file is larger than 5 MB: split it into smaller files."]


def test_an_empty_file_is_refused(setup):
    problem = refused(setup, b"")

    assert problem.problems[0].startswith("The file is empty")


def test_someone_who_does_not_recruit_for_the_place_is_refused_even_in_a_dry_run(setup):
    with pytest.raises(MoveNotAllowed):
        applications_import(round=setup.round, file=csv_file(applicant(1)), by=setup.team, dry_run=True)


def test_a_dry_run_checks_the_rounds_stage_as_the_import_does(place):
    setup = RoundSetup(place, status=RoleStatus.INTERVIEWING)

    with pytest.raises(ChangeRefused, match="Adding applications needs"):
        applications_import(round=setup.round, file=csv_file(applicant(1)), by=setup.recruiter, dry_run=True)


# --- The command -------------------------------------------------------------------------------------


def call(*args, **options):
    """call_command's stdout and stderr."""
    out, err = StringIO(), StringIO()
    call_command("import_applications", *args, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def test_the_command_imports_the_file_as_the_system(setup):
    out, _ = call(str(setup.round.pk), str(EXAMPLE))

    assert "4 applications imported" in out
    assert "Line 5: Dr Chris Fictional <chris.fictional@example.org>" in out and "(late)" in out
    assert Application.objects.filter(round=setup.round, created_by=None).count() == 4
    assert not ApplicationEvent.objects.exclude(by=None).exists()


def test_the_command_imports_as_a_user_with_as(setup):
    call(str(setup.round.pk), str(EXAMPLE), "--as", setup.recruiter.username)

    assert Application.objects.filter(round=setup.round, created_by=setup.recruiter).count() == 4


def test_the_commands_dry_run_writes_nothing(setup):
    out, _ = call(str(setup.round.pk), str(EXAMPLE), "--dry-run")

    assert "4 applications would be imported" in out and "nothing was imported" in out
    assert not Application.objects.exists()


def test_the_command_prints_each_problem_and_fails(setup, tmp_path):
    path = tmp_path / "applications.csv"
    path.write_bytes(csv_file(applicant(1), applicant(2, received_on="30/02/2022"), applicant(3, profession="Surgeon")))
    err = StringIO()

    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("import_applications", str(setup.round.pk), str(path), stderr=err)

    assert err.getvalue().splitlines()[0] == f"Line 3: {NO_30_FEB}"
    assert err.getvalue().splitlines()[1].startswith("Line 4: profession “Surgeon”")
    assert not Application.objects.exists()


def test_the_command_refuses_a_user_who_does_not_recruit(setup):
    with pytest.raises(CommandError, match="does not run recruitment for Bexley.*Nothing was imported"):
        call(str(setup.round.pk), str(EXAMPLE), "--as", setup.team.username)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["999999", str(EXAMPLE)], "There is no advert round 999999: give the id of an existing round"),
        (["{round}", "/nowhere/applications.csv"], "There is no file at /nowhere/applications.csv"),
        (["{round}", str(EXAMPLE), "--as", "nobody-here"], "There is no user “nobody-here”"),
    ],
)
def test_the_command_names_the_fix_for_a_wrong_round_file_or_user(setup, args, message):
    with pytest.raises(CommandError, match=re.escape(message)):
        call(*(arg.format(round=setup.round.pk) for arg in args))


# --- The admin page ----------------------------------------------------------------------------------


def admin_page(user, round_: AdvertRound, *, post: dict | None = None):
    """The import page, wired as the round's admin wires it, answering `user`."""
    model_admin = admin.site._registry.get(AdvertRound) or admin.ModelAdmin(AdvertRound, admin.site)
    path = f"/admin/roles/advertround/{round_.pk}/import/"
    request = RequestFactory().post(path, post) if post is not None else RequestFactory().get(path)
    request.user = user
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    request._dont_enforce_csrf_checks = True
    response = admin.site.admin_view(partial(import_view, model_admin))(request, round_id=round_.pk)
    if hasattr(response, "render"):
        response.render()
    response.wsgi_request = request
    return response


def upload(data: bytes, button: str) -> dict:
    return {"file": SimpleUploadedFile("applications.csv", data, content_type="text/csv"), button: "1"}


INLINE = re.compile(r"<[^>]*\sstyle\s*=|<style[\s>]|<script(?![^>]*\ssrc=)[^>]*>", re.IGNORECASE)


def test_the_recruiter_sees_the_upload_form_and_the_columns(setup):
    response = admin_page(setup.recruiter, setup.round)

    assert response.status_code == 200
    html = response.content.decode()
    assert 'enctype="multipart/form-data"' in html
    assert 'value="Dry run first"' in html and 'value="Import"' in html
    assert "<code>received_on</code>" in html and "Prefer not to say" in html and "(<code>gp</code>)" in html
    assert not INLINE.findall(html), "the Content-Security-Policy forbids inline script and style"


def test_a_dry_run_in_the_admin_shows_the_table_and_writes_nothing(setup):
    response = admin_page(setup.recruiter, setup.round, post=upload(EXAMPLE.read_bytes(), "_dry_run"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "4 applications would be imported" in html
    assert "<td>Dr Chris Fictional</td>" in html and "<td>Late</td>" in html
    assert not Application.objects.exists()


def test_importing_in_the_admin_writes_and_goes_back_to_the_round(setup):
    response = admin_page(setup.recruiter, setup.round, post=upload(EXAMPLE.read_bytes(), "_import"))

    assert response.status_code == 302
    assert Application.objects.filter(round=setup.round).count() == 4
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "4 applications imported into round 1 of “Frailty including Care Homes”, 1 of them after the closing date "
        "(4 Mar 2022)."
    ]


def test_a_refused_file_in_the_admin_lists_every_problem_with_400(setup):
    data = csv_file(applicant(1), applicant(2, received_on="30/02/2022"), applicant(3, profession="Surgeon"))

    response = admin_page(setup.recruiter, setup.round, post=upload(data, "_import"))

    assert response.status_code == 400
    html = response.content.decode()
    assert "Nothing was imported: the file has 2 problems." in html
    assert "Line 3: received_on “30/02/2022” is not a date" in html and "Line 4: profession “Surgeon”" in html
    assert not Application.objects.exists()


def test_posting_without_a_file_shows_the_form_again_with_400(setup):
    response = admin_page(setup.recruiter, setup.round, post={"_import": "1"})

    assert response.status_code == 400
    assert not Application.objects.exists()


def test_another_places_recruiter_does_not_find_the_round(setup):
    greenwich = PlaceFactory(name="Greenwich", slug="greenwich", ics=setup.place.ics)
    other = member(AccessKind.HR_RECRUITER, place=greenwich)

    with pytest.raises(Http404):
        admin_page(other, setup.round)


def test_a_place_team_member_is_not_staff_and_is_sent_to_the_admin_login(setup):
    response = admin_page(setup.team, setup.round)

    assert response.status_code == 302
    assert response.url.startswith("/admin/login/")
