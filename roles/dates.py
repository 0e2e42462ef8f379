"""Dates as people in the UK type them: day first, whatever language the browser is set to.

Every form's date is a plain text box read here (not the browser's own date box, which follows the
browser's locale: set to US English, 01102025 became 10 January). What is accepted:

| typed                         | read as       |
|-------------------------------|---------------|
| 1/10/2025, 01/10/2025         | 1 Oct 2025    |
| 1-10-2025, 1.10.2025, 1 10 25 | 1 Oct 2025    |
| 01102025 (eight digits)       | 1 Oct 2025    |
| 1 Oct 2025, 1 October 2025    | 1 Oct 2025    |
| 2025-10-01, 2025/10/01        | 1 Oct 2025    |

Month-first (US) order is never guessed. A problem is named with the fix, the date written day
first as the box shows it: "“10/31/2025” has no month 31: type the day first, e.g. 31/10/2025."
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

from django.core.exceptions import ValidationError

TYPED_FORMAT = "%d/%m/%Y"  # how a form's date box shows a date
HINT = "Day/month/year, e.g. 27/01/2022."
HOW = "type it as DD/MM/YYYY, e.g. 27/01/2022"

_SEPARATED = re.compile(r"(\d{1,2})[/.\- ](\d{1,2})[/.\- ](\d{2}|\d{4})")
_COMPACT = re.compile(r"(\d{2})(\d{2})(\d{4})")
_YEAR_FIRST = re.compile(r"(\d{4})[/.\-](\d{1,2})[/.\-](\d{1,2})")
_WORDS = re.compile(r"(\d{1,2}) ?([a-z]+)\.? ?(\d{4})")
MONTH_NAMES = (
    "January February March April May June July August September October November December"
).split()  # English whatever the server's locale
_MONTHS = {name.lower(): number for number, name in enumerate(MONTH_NAMES, 1)} | {
    name[:3].lower(): number for number, name in enumerate(MONTH_NAMES, 1)
}
_MONTHS["sept"] = 9


class NotADate(ValueError):
    """What was typed is not a date; the message names the fix."""


def shown(text: str) -> str:
    """What was typed, cut short enough to quote in a message."""
    return text[:20] + ("…" if len(text) > 20 else "")


def parse_day(text: str) -> dt.date:
    """The date `text` gives, read day first; `NotADate` naming the fix when it gives none."""
    cleaned = re.sub(r" ?([/.\-]) ?", r"\1", " ".join(str(text).split()).lower().replace(",", ""))
    parts = _parts(cleaned)
    if parts is None:
        raise NotADate(f"“{shown(str(text).strip())}” is not a date: {HOW}.")
    year, month, day = parts
    quoted = shown(str(text).strip())
    if not 1 <= month <= 12:
        swapped = _date_or_none(year, day, month)
        if swapped is not None:
            raise NotADate(
                f"“{quoted}” has no month {month}: type the day first, e.g. {swapped.strftime(TYPED_FORMAT)}."
            )
        raise NotADate(f"“{quoted}” has no month {month}: months run from 1 to 12 ({HOW}).")
    if year < 1:
        raise NotADate(f"“{quoted}” is not a date: give the year in full ({HOW}).")
    days_in_month = calendar.monthrange(year, month)[1]
    if not 1 <= day <= days_in_month:
        raise NotADate(f"“{quoted}” is not a date: {MONTH_NAMES[month - 1]} {year} has {days_in_month} days ({HOW}).")
    return dt.date(year, month, day)


def _parts(cleaned: str) -> tuple[int, int, int] | None:
    """(year, month, day) as numbers from the accepted shapes, unchecked; None for any other shape."""
    if match := _YEAR_FIRST.fullmatch(cleaned):
        return int(match[1]), int(match[2]), int(match[3])
    if match := _SEPARATED.fullmatch(cleaned) or _COMPACT.fullmatch(cleaned):
        year = int(match[3])
        return (2000 + year if len(match[3]) == 2 else year), int(match[2]), int(match[1])
    if (match := _WORDS.fullmatch(cleaned)) and match[2] in _MONTHS:
        return int(match[3]), _MONTHS[match[2]], int(match[1])
    return None


def _date_or_none(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def cell_date(text: str, column: str, found: list[str]) -> dt.date | None:
    """A date cell of an imported file (roles, applications), read as a form's date box reads one and
    refused outside the years the product plans for. A problem is added to `found`, naming the
    column and the fix; blank is no date."""
    from .models import plausible_date  # models import this module's neighbours: read it when called

    if not text:
        return None
    try:
        value = parse_day(text)
        plausible_date(value)
    except NotADate as error:
        found.append(f"{column} {error}")
        return None
    except ValidationError as error:
        found.append(f"{column} “{shown(text)}”: {' '.join(error.messages)}")
        return None
    return value
