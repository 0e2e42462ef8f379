"""Roles imported into a place from a CSV or XLSX file, all or nothing, with a dry run.

The columns are `COLUMNS`. Every line is read and checked before anything is written, and every
problem is reported at once, each with the file's line (CSV) or row (XLSX) and the fix; then
`roles.setup.roles_add` adds the roles, which holds each to the role form's rules. Cells are text,
never evaluated: a cell a spreadsheet would run as a formula is refused.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import re
import zipfile
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from .dates import cell_date
from .exports import is_formula_like
from .models import Function, Place, Profession, RoleType, SpatialLevel, TemplateRole
from .services import ChangeRefused
from .setup import AddReport, NewRole, SetupRefused, roles_add

log = logging.getLogger(__name__)

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 2000
NOT_UTF8 = (
    "The file is not UTF-8 text: in Excel choose File › Save As and save it as CSV UTF-8 "
    "(Comma delimited) (*.csv), or as an Excel workbook (.xlsx), then import that file."
)


@dataclass(frozen=True)
class Column:
    """A column of an imported file (roles here, applications in recruitment): its header, whether it
    must be there, and what it holds, as the import page and the docs show it."""

    header: str
    required: bool
    what: str


COLUMNS = (
    Column("title", True, "The role's title, e.g. Frailty including Care Homes."),
    Column("type", True, "Clinical, Care, or Clinical / Care."),
    Column("sessions_per_week", True, "Protected time, e.g. 1 or 0.5 (10 sessions = 1 WTE)."),
    Column("start_date", True, "When it starts (planned): DD/MM/YYYY or YYYY-MM-DD."),
    Column("end_date", False, "Fixed-term end: DD/MM/YYYY or YYYY-MM-DD; blank if none yet."),
    Column("template_role", False, "The ICS template role it is derived from, by its title; blank if added locally."),
    Column("functions", False, "Priority functions, by name, separated by semicolons; blank for the template's."),
    Column("spatial_level", False, "Where the role sits, by name; blank for Place (LCP)."),
    Column("rate_per_session", False, "£ a year for one session a week; blank for the ICS's standard rate."),
    Column("variation_reason", False, "Why it differs from the template (added, renamed, retyped)."),
    Column("description", False, "The role description."),
    Column("description_signed_off_on", False, "When the description was signed off: DD/MM/YYYY or YYYY-MM-DD."),
    Column("eligible_professions", False, "Professions it is open to, by name, separated by semicolons."),
)
HEADERS = {column.header for column in COLUMNS}
REQUIRED = [column.header for column in COLUMNS if column.required]
# Other spellings people write in a header row.
ALIASES = {"role_type": "type", "sessions": "sessions_per_week", "start": "start_date", "end": "end_date"}


def roles_import(*, place: Place, file, by, dry_run: bool = False, name: str = "") -> AddReport:
    """Import the roles in a CSV or XLSX file (bytes, or a binary file) into `place`, all or none.

    Raises `SetupRefused` listing every problem. With `dry_run` everything is checked, the
    writes included, and nothing is kept."""
    name = name or getattr(file, "name", "") or ""
    data = upload_bytes(file, SetupRefused)
    records = _xlsx(data) if _is_xlsx(data, name) else _csv(data)
    news, problems = _rows(place, records)
    if news:
        try:
            report = roles_add(place=place, roles=news, by=by, dry_run=dry_run or bool(problems))
        except SetupRefused as refused:
            problems += refused.problems
    if problems:
        raise _refused(*sorted(problems, key=_line_of))
    if not news:
        raise _refused("The file has headers but no roles: put one role on each line below the headers.")
    log.info("roles import into %s by %s: %s", place.slug, by, report.summary)
    return report


# --- Reading the file ------------------------------------------------------------------------------


def refusal(kind: type[ChangeRefused], problems) -> ChangeRefused:
    """`kind` (this import's refusal) saying nothing was imported, with every problem listed: the
    words of every import, roles and applications alike."""
    problems = list(problems)
    many = len(problems) != 1
    return kind(
        f"Nothing was imported: the file has {len(problems)} problem{'s' if many else ''}. "
        f"Put {'them' if many else 'it'} right and import the whole file again.",
        problems=problems,
    )


def _refused(*problems: str) -> SetupRefused:
    return refusal(SetupRefused, problems)


def _line_of(problem: str) -> int:
    match = re.match(r"(?:Line|Row) (\d+)", problem)
    return int(match.group(1)) if match else 0


def upload_bytes(file, kind: type[ChangeRefused]) -> bytes:
    """An uploaded file's bytes (or the bytes given), refused as `kind` when larger than `MAX_BYTES`,
    without reading more than that."""
    if getattr(file, "size", None) is not None and file.size > MAX_BYTES:
        raise _too_big(kind)
    data = file if isinstance(file, bytes | bytearray) else file.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise _too_big(kind)
    return bytes(data)


def _too_big(kind: type[ChangeRefused]) -> ChangeRefused:
    return refusal(kind, [f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB: split it into smaller files."])


def _is_xlsx(data: bytes, name: str) -> bool:
    return data[:4] == b"PK\x03\x04" or name.lower().endswith(".xlsx")


def _csv(data: bytes) -> list[tuple[str, list[str]]]:
    """Each non-empty record with where it starts ("Line 3")."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise _refused(NOT_UTF8) from error
    reader = csv.reader(io.StringIO(text, newline=""))
    records, line = [], 1
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                records.append((f"Line {line}", cells))
            line = reader.line_num + 1
    except csv.Error as error:
        raise _refused(
            f"Line {line}: the file could not be read as CSV ({error}): save it again as CSV UTF-8."
        ) from error
    return records


def _xlsx(data: bytes) -> list[tuple[str, list[str]]]:
    """The first sheet's non-empty rows, each cell as text ("Row 3")."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise _refused(
            "The file could not be read as an Excel workbook (.xlsx): save it again from the spreadsheet as "
            "an .xlsx workbook, or as CSV UTF-8."
        ) from error
    try:
        records = []
        for number, row in enumerate(book.worksheets[0].iter_rows(values_only=True), start=1):
            cells = [_text(value) for value in row]
            if any(cell.strip() for cell in cells):
                records.append((f"Row {number}", cells))
            if len(records) > MAX_ROWS + 1:
                break
        return records
    finally:
        book.close()


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return format(Decimal(repr(value)).normalize(), "f")
    return str(value)


# --- Checking every row ----------------------------------------------------------------------------


def _columns(records) -> dict[str, int]:
    if not records:
        raise _refused("The file is empty: put the column headers on the first line and one role on each line below.")
    where, header = records[0]
    accepted = ", ".join(column.header for column in COLUMNS)
    positions, problems = {}, []
    for index, raw in enumerate(header):
        key = re.sub(r"[\s-]+", "_", raw.strip().lower())
        key = ALIASES.get(key, key)
        if not key:
            continue
        if key in positions:
            problems.append(f"{where}: the column “{key}” appears twice: keep one.")
        elif key not in HEADERS:
            problems.append(f"{where}: the column “{short(raw)}” is not one we import: the columns are {accepted}.")
        else:
            positions[key] = index
    for key in REQUIRED:
        if key not in positions:
            problems.append(f"{where}: the column “{key}” is missing: add it (required: {', '.join(REQUIRED)}).")
    if problems:
        raise _refused(*problems)
    return positions


class _Lookups:
    """The names a file may use, each read once: types, template roles, functions, levels, professions."""

    def __init__(self, place: Place):
        self.place = place
        self.types = {}
        for value, label in RoleType.choices:
            for key in (value, str(label), str(label).replace(" ", "")):
                self.types[_key(key)] = value
        self.templates = {
            _key(t.title): t for t in TemplateRole.objects.filter(ics=place.ics).prefetch_related("functions")
        }
        self.functions = _by_name(list(Function.objects.all()))
        self.levels = _by_name(list(SpatialLevel.objects.all()))
        self.professions = _by_name(list(Profession.objects.all()))
        self.default_level = SpatialLevel.objects.filter(slug="place").first()


def _key(text: str) -> str:
    return " ".join(str(text).casefold().split())


def _by_name(rows) -> dict:
    """Rows by name, slug (hyphens or spaces), and a name's first part (“Care pathway transformation”
    for “Care pathway transformation / innovation”)."""
    found = {}
    for row in rows:
        found[_key(row.name)] = row
    for row in rows:
        for key in (row.slug, row.slug.replace("-", " "), row.name.split(" / ")[0]):
            found.setdefault(_key(key), row)
    return found


def _rows(place: Place, records) -> tuple[list[NewRole], list[str]]:
    positions = _columns(records)
    body = records[1:]
    if len(body) > MAX_ROWS:
        raise _refused(f"The file has more than {MAX_ROWS:,} roles: split it into smaller files and import each.")
    look = _Lookups(place)
    news, problems = [], []
    for where, cells in body:
        value = {key: (cells[i] if i < len(cells) else "").strip() for key, i in positions.items()}
        value = {column.header: value.get(column.header, "") for column in COLUMNS}
        found: list[str] = []
        new = _role(value, look, found)
        new.where = where
        if found:
            problems.extend(f"{where}: {text}" for text in found)
        else:
            news.append(new)
    return news, problems


def _role(value: dict[str, str], look: _Lookups, found: list[str]) -> NewRole:
    for key in REQUIRED:
        if not value[key]:
            found.append(f"{key} is empty: every role needs one.")
    for key, text in value.items():
        if key not in ("description", "variation_reason") and is_formula_like(text):
            found.append(
                f"{key} “{short(text)}” starts with “{text.strip()[0]}”, which a spreadsheet would run: remove it."
            )
            value[key] = ""
    role_type = look.types.get(_key(value["type"]))
    if value["type"] and role_type is None:
        found.append(f"type “{short(value['type'])}” is not one we know: use Clinical, Care, or Clinical / Care.")
    template = None
    if value["template_role"]:
        template = look.templates.get(_key(value["template_role"]))
        if template is None:
            found.append(
                f"template_role “{short(value['template_role'])}” is not one of {look.place.ics}'s template roles: "
                "copy its title from the template comparison, or leave it blank."
            )
    functions = _many(value["functions"], look.functions, "functions", found)
    if not value["functions"] and template is not None:
        functions = list(template.functions.all())
    level = look.default_level
    if value["spatial_level"]:
        level = look.levels.get(_key(value["spatial_level"]))
        if level is None:
            names = ", ".join(dict.fromkeys(lv.name for lv in look.levels.values()))
            found.append(f"spatial_level “{short(value['spatial_level'])}” is not one we know: use one of {names}.")
    rate = _number(value["rate_per_session"], "rate_per_session", found) or look.place.ics.default_session_rate
    return NewRole(
        title=value["title"],
        role_type=role_type or "",
        spatial_level=level,
        sessions_per_week=_number(value["sessions_per_week"], "sessions_per_week", found),
        rate_per_session=rate,
        start_date=cell_date(value["start_date"], "start_date", found),
        end_date=cell_date(value["end_date"], "end_date", found),
        functions=functions,
        template_role=template,
        variation_reason=value["variation_reason"],
        description=value["description"],
        description_signed_off_on=cell_date(value["description_signed_off_on"], "description_signed_off_on", found),
        eligible_professions=_many(value["eligible_professions"], look.professions, "eligible_professions", found),
    )


def _many(text: str, known: dict, key: str, found: list[str]) -> list:
    rows = []
    for part in filter(None, (p.strip() for p in text.split(";"))):
        row = known.get(_key(part))
        if row is None:
            names = "; ".join(dict.fromkeys(r.name for r in known.values()))
            found.append(f"{key}: “{short(part)}” is not one we know: use names from {names}, separated by “;”.")
        elif row not in rows:
            rows.append(row)
    return rows


def _number(text: str, key: str, found: list[str]) -> Decimal | None:
    if not text:
        return None
    try:
        number = Decimal(text.replace(",", "").lstrip("£"))
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite() or number <= 0:
        found.append(f"{key} “{short(text)}” is not a number above 0: write it with digits, e.g. 1 or 0.5.")
        return None
    if abs(number.as_tuple().exponent) > 2 or number >= 10**8:
        found.append(f"{key} “{short(text)}” has too many digits: give it to at most 2 decimal places.")
        return None
    return number


def short(text: str, limit: int = 40) -> str:
    """A cell's text on one line, cut short enough to quote in a problem."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
