"""How figures are written for people: pounds, sessions and dates. Pages, messages and exports share it."""

import datetime as dt
from decimal import Decimal


def money(value, pennies=True):
    """£12,311.23; a negative figure as −£1,234.00 (a true minus sign). Empty for None."""
    if value is None or value == "":
        return ""
    amount = Decimal(value)
    sign = "−" if amount < 0 else ""
    text = f"{abs(amount):,.2f}" if pennies else f"{abs(amount):,.0f}"
    return f"{sign}£{text}"


def sessions(value):
    """4.00 -> 4, 1.50 -> 1.5."""
    if value is None:
        return ""
    text = f"{Decimal(value):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def day(value: dt.date) -> str:
    """4 Apr 2022, as the pages write a date (the `date:"j M Y"` of the templates)."""
    return f"{value.day} {value:%b %Y}"
