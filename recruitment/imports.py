"""Applications imported into an advert round from a CSV file, all or nothing.

The columns are `COLUMNS` (documented in docs/applications-csv.md). Every row is checked before
anything is written and every problem is reported at once, each with the file's line number and the
fix; then `recruitment.services.applications_add` adds them all in one transaction. Cells are text,
never evaluated: a cell a spreadsheet would run as a formula is refused, and the statement is kept
verbatim (exports escape it with `roles.exports.safe_cell`).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.db import transaction
from django.db.models.functions import Lower

from roles.dates import cell_date
from roles.exports import is_formula_like
from roles.formatting import day
from roles.imports import Column, refusal, short, upload_bytes
from roles.models import AdvertRound, Person, Profession
from roles.services import ChangeRefused

from .models import Application, EqualityAnswers
from .services import NewApplication, applications_add, must_recruit

log = logging.getLogger(__name__)

MAX_ROWS = 5000

REQUIRED = ("name", "email", "profession", "received_on", "statement")
OPTIONAL = ("employer", "registration", "phone", *EqualityAnswers.QUESTIONS)
# Cells refused when they begin as a formula would; the phone may begin with "+" and digits, and
# the statement is kept verbatim.
NO_FORMULAS = ("name", "email", "profession", "employer", "registration", *EqualityAnswers.QUESTIONS)
EQUALITY_CHOICES = {name: EqualityAnswers._meta.get_field(name).choices for name in EqualityAnswers.QUESTIONS}


COLUMNS = (
    Column("name", True, "The applicant's full name, e.g. Dr Alex Example."),
    Column("email", True, "Their e-mail address; one line per applicant."),
    Column("profession", True, "One of the professions below, by name or short name (e.g. gp, nurse)."),
    Column("received_on", True, "The day the application arrived: DD/MM/YYYY or YYYY-MM-DD."),
    Column("statement", True, "The supporting statement, kept word for word."),
    Column("employer", False, "Where they work now."),
    Column("registration", False, "Professional registration, e.g. GMC 1234567."),
    Column("phone", False, "Phone number; it may begin with + followed by digits and spaces."),
    *(
        Column(name, False, "Equality monitoring: " + ", ".join(str(label) for _, label in choices) + ", or blank.")
        for name, choices in EQUALITY_CHOICES.items()
    ),
)

PHONE = re.compile(r"\+[\d ]+")
NOT_UTF8 = (
    "The file is not UTF-8 text: in Excel choose File › Save As and save it as CSV UTF-8 "
    "(Comma delimited) (*.csv), then import that file."
)


class ImportRefused(ChangeRefused):
    """The file cannot be imported, and nothing was: `problems` lists every problem found, each with
    its line and the fix."""


@dataclass(frozen=True)
class ImportRow:
    """One application the file adds (or would add)."""

    line: int
    name: str
    email: str
    profession: Profession
    received_on: dt.date
    late: bool
    new: NewApplication = field(repr=False, compare=False)


@dataclass
class ImportReport:
    """What was imported, or with `dry_run` what would be."""

    round: AdvertRound
    rows: list[ImportRow]
    dry_run: bool
    applications: list[Application] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.rows)

    @property
    def late_count(self) -> int:
        return sum(row.late for row in self.rows)

    @property
    def summary(self) -> str:
        done = "would be imported" if self.dry_run else "imported"
        late = (
            f", {self.late_count} of them after the closing date ({day(self.round.closes_on)})"
            if self.late_count
            else ""
        )
        plural = "application" if self.count == 1 else "applications"
        return f"{self.count} {plural} {done} into round {self.round.number} of “{self.round.role.title}”{late}."


def applications_import(*, round: AdvertRound, file, by, dry_run: bool = False) -> ImportReport:
    """Import the applications in a CSV file (bytes, or a binary file) into the round, all or none.

    Raises `ImportRefused` listing every problem in the file, or the `ChangeRefused` of
    `applications_add` (who may import, the round's stage). With `dry_run` everything is checked,
    `applications_add` included, and nothing is kept."""
    must_recruit(by, round.role)
    header, records = _read(file)
    rows = _check(round, header, records)
    news = [row.new for row in rows]
    with transaction.atomic():
        added = applications_add(round=round, applications=news, by=by)
        if dry_run:
            transaction.set_rollback(True)
    report = ImportReport(round=round, rows=rows, dry_run=dry_run, applications=[] if dry_run else added)
    log.info("Import into round %s by %s: %s", round.pk, by or "system", report.summary)
    return report


# --- Reading the file --------------------------------------------------------------------------------


def _refused(*problems: str) -> ImportRefused:
    return refusal(ImportRefused, problems)


def _read(file) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header row and the non-empty records, each with the line of the file it starts on."""
    data = upload_bytes(file, ImportRefused)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise _refused(NOT_UTF8) from error
    reader = csv.reader(io.StringIO(text, newline=""))
    header, records, line = None, [], 1
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                if header is None:
                    header = (line, cells)
                else:
                    records.append((line, cells))
                    if len(records) > MAX_ROWS:
                        raise _refused(
                            f"The file has more than {MAX_ROWS:,} applicants: split it into files of at most "
                            f"{MAX_ROWS:,} lines and import each."
                        )
            line = reader.line_num + 1
    except csv.Error as error:
        raise _refused(
            f"Line {line}: the file could not be read as CSV ({error}): save it again as CSV UTF-8 from the "
            "spreadsheet."
        ) from error
    if header is None:
        raise _refused("The file is empty: put the column headers on line 1 and one applicant on each line below.")
    if header[0] != 1:
        raise _refused(f"Line 1 is empty: put the column headers on line 1 (they are on line {header[0]}).")
    return header[1], records


# --- Checking every row ------------------------------------------------------------------------------


def _columns(header: list[str], records) -> dict[str, int]:
    """Each known column's position; every header problem at once."""
    accepted = ", ".join((*REQUIRED, *OPTIONAL))
    positions, problems = {}, []
    for index, raw in enumerate(header):
        name = raw.strip().lower()
        if not name:
            if any(index < len(cells) and cells[index].strip() for _, cells in records):
                problems.append(f"Line 1: column {index + 1} has no header but holds values: name it or remove it.")
        elif name in positions:
            problems.append(f"Line 1: the column “{name}” appears twice: keep one.")
        elif name not in REQUIRED and name not in OPTIONAL:
            problems.append(
                f"Line 1: the column “{short(raw.strip())}” is not one we import: the columns are {accepted}."
            )
        else:
            positions[name] = index
    for name in REQUIRED:
        if name not in positions:
            problems.append(
                f"Line 1: the column “{name}” is missing: add it (the required columns are {', '.join(REQUIRED)})."
            )
    if problems:
        raise _refused(*problems)
    return positions


def _check(round_: AdvertRound, header: list[str], records) -> list[ImportRow]:
    positions = _columns(header, records)
    professions = _professions()
    applied = set(round_.applications.annotate(e=Lower("person__email")).values_list("e", flat=True))
    seen: dict[str, int] = {}
    rows, problems = [], []
    for line, cells in records:
        value = {name: _cell(cells, positions.get(name)) for name in (*REQUIRED, *OPTIONAL)}
        found: list[str] = []
        extra = [cell for cell in cells[len(header) :] if cell.strip()]
        if extra:
            found.append(f"there are more cells than columns (“{short(extra[0])}”): put each value in its column.")
        new = _application(value, professions, found)
        if new.email:
            email = new.email.lower()
            if email in seen:
                found.append(f"{new.email} is already on line {seen[email]}: give each applicant once.")
            elif email in applied:
                found.append(f"{new.email} has already applied to this round: remove the line.")
            seen.setdefault(email, line)
        if found:
            problems.extend(f"Line {line}: {text}" for text in found)
            continue
        rows.append(
            ImportRow(
                line=line,
                name=new.name,
                email=new.email,
                profession=new.profession,
                received_on=new.received_on,
                late=new.received_on > round_.closes_on,
                new=new,
            )
        )
    if problems:
        raise _refused(*problems)
    if not rows:
        raise _refused("The file has headers but no applicants: put one applicant on each line below the headers.")
    return rows


def _cell(cells: list[str], index: int | None) -> str:
    return cells[index] if index is not None and index < len(cells) else ""


def _application(value: dict[str, str], professions: dict[str, Profession], found: list[str]) -> NewApplication:
    """One row's application; what is wrong with it is added to `found`."""
    for name in REQUIRED:
        if not value[name].strip():
            found.append(f"{name} is empty: every applicant needs one.")
    for name in NO_FORMULAS:
        if is_formula_like(value[name]):
            found.append(_formula(name, value[name]))
    phone = value["phone"].strip()
    if is_formula_like(phone) and not PHONE.fullmatch(phone):
        found.append(
            f"phone “{short(phone)}” starts with “{phone[0]}”, which a spreadsheet would run as a formula: "
            "write it with digits and spaces only, optionally after a leading +."
        )
    for name in ("name", "email", "employer", "registration", "phone"):
        limit = Person._meta.get_field(name).max_length
        if len(value[name].strip()) > limit:
            found.append(f"{name} is {len(value[name].strip())} characters long; at most {limit} fit: shorten it.")
    email = value["email"].strip()
    if email and not is_formula_like(email):
        try:
            EmailValidator()(email)
        except ValidationError:
            found.append(f"email “{short(email)}” is not an e-mail address: correct it (e.g. name@example.nhs.uk).")
            email = ""
    else:
        email = ""
    profession = value["profession"].strip()
    if profession and not is_formula_like(profession) and profession.lower() not in professions:
        names = ", ".join(p.name for p in dict.fromkeys(professions.values()))
        found.append(f"profession “{short(profession)}” is not one we know: use one of {names}.")
    return NewApplication(
        name=value["name"].strip(),
        email=email,
        received_on=_date(value["received_on"].strip(), found),
        statement=value["statement"],
        profession=professions.get(profession.lower()),
        employer=value["employer"].strip(),
        registration=value["registration"].strip(),
        phone=phone,
        equality={name: answer for name in EqualityAnswers.QUESTIONS if (answer := _answer(name, value[name], found))},
    )


def _professions() -> dict[str, Profession]:
    """Every profession by its lower-case name and slug."""
    found = {}
    for profession in Profession.objects.order_by("order", "name"):
        found[profession.name.lower()] = profession
        found.setdefault(profession.slug.lower(), profession)
    return found


def _date(text: str, found: list[str]) -> dt.date | None:
    if text and is_formula_like(text):
        found.append(_formula("received_on", text))
        return None
    return cell_date(text, "received_on", found)


def _answer(name: str, text: str, found: list[str]) -> str:
    """An equality answer's code, from its code or label in any case; blank is not answered."""
    text = text.strip()
    if not text or is_formula_like(text):
        return ""
    choices = EQUALITY_CHOICES[name]
    for code, label in choices:
        if text.lower() in (code.lower(), str(label).lower()):
            return code
    labels = ", ".join(str(label) for _, label in choices)
    found.append(f"{name} “{short(text)}” is not one of the answers: use {labels}, or leave it blank.")
    return ""


def _formula(name: str, text: str) -> str:
    text = text.strip()
    return f"{name} “{short(text)}” starts with “{text[0]}”, which a spreadsheet would run as a formula: remove it."
