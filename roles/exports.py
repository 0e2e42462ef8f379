"""What every export shares: cells a spreadsheet can never run as a formula."""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """A cell for CSV or XLSX: text that a spreadsheet would read as a formula (it begins with
    = + - @, a tab or a carriage return) gets a leading apostrophe, so it is shown, never run.
    Numbers, dates and empty cells pass unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def is_formula_like(text: str) -> bool:
    return isinstance(text, str) and text.lstrip(" ").startswith(FORMULA_STARTS[:4])
