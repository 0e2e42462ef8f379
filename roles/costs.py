"""Cost arithmetic for leadership roles, in one place.

A *session* is half a day of protected time a week. Ten sessions are one whole-time equivalent.

    annual pay          = sessions per week x rate per session per year
    pay in a year       = annual pay x days the role runs inside the financial year / days in that year
    cost in a year      = pay in a year x (1 + on-cost percent / 100), rounded to the penny once

Financial years run 1 April to 31 March; a year holding 29 February has 366 days.
Worked examples (they are tests): 1 session at £16,400 = £16,400 a year; 10 sessions = 1 WTE =
£164,000; 1 session from 1 Jul 2021 to 31 Mar 2022 = £16,400 x 274/365 = £12,311.23.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

PENNY = Decimal("0.01")
SESSIONS_PER_WTE = Decimal(10)

# The years the product plans for: financial years 2000/01 to 2099/00, so dates from 1 April 2000 to
# 31 March 2100. Anything outside is a typing slip (0001-01-01, 9999-12-31) and is refused with a message.
FIRST_YEAR, LAST_YEAR = 2000, 2099
EARLIEST_DATE, LATEST_DATE = dt.date(FIRST_YEAR, 4, 1), dt.date(LAST_YEAR + 1, 3, 31)


def to_pennies(amount: Decimal) -> Decimal:
    return amount.quantize(PENNY, rounding=ROUND_HALF_UP)


def wte(sessions: Decimal) -> Decimal:
    """Whole-time equivalent of a number of sessions a week (4 sessions = 0.4 WTE)."""
    return Decimal(sessions) / SESSIONS_PER_WTE


def annual_pay(sessions: Decimal, rate_per_session: Decimal) -> Decimal:
    return to_pennies(Decimal(sessions) * Decimal(rate_per_session))


@dataclass(frozen=True, order=True)
class FinancialYear:
    """The NHS financial year that starts on 1 April of `start_year` (2021 is 2021/22)."""

    start_year: int

    @classmethod
    def containing(cls, day: dt.date) -> FinancialYear:
        return cls(day.year if day.month >= 4 else day.year - 1)

    @classmethod
    def current(cls) -> FinancialYear:
        from django.utils import timezone

        return cls.containing(timezone.localdate())

    @classmethod
    def parse(cls, text: str) -> FinancialYear:
        """Read "2022", "2022/23" or "2022-23" between 2000 and 2099; raise ValueError naming the accepted forms."""
        cleaned = (text or "").strip().replace("-", "/")
        head, _, tail = cleaned.partition("/")
        shown = cleaned[:20] + ("…" if len(cleaned) > 20 else "")
        if not (head.isascii() and head.isdigit() and len(head) == 4):
            raise ValueError(f"“{shown}” is not a financial year (use 2022 or 2022/23).")
        year = cls(int(head))
        if tail and tail not in (str(year.start_year + 1)[-2:], str(year.start_year + 1)):
            raise ValueError(f"“{shown}” is not a financial year (use 2022 or 2022/23).")
        if not FIRST_YEAR <= year.start_year <= LAST_YEAR:
            raise ValueError(
                f"{year} is outside the years this service plans for: choose a year from {FIRST_YEAR} to {LAST_YEAR}."
            )
        return year

    @property
    def start(self) -> dt.date:
        return dt.date(self.start_year, 4, 1)

    @property
    def end(self) -> dt.date:
        return dt.date(self.start_year + 1, 3, 31)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def label(self) -> str:
        return f"{self.start_year}/{str(self.start_year + 1)[-2:]}"

    def __str__(self) -> str:
        return self.label

    def days_overlapping(self, start: dt.date | None, end: dt.date | None) -> int:
        """Days from start to end (both inclusive; None = open) that fall inside this year."""
        first = max(start or self.start, self.start)
        last = min(end or self.end, self.end)
        return max((last - first).days + 1, 0)

    def next(self) -> FinancialYear:
        return FinancialYear(self.start_year + 1)

    def previous(self) -> FinancialYear:
        return FinancialYear(self.start_year - 1)


@dataclass(frozen=True)
class Cost:
    """What a role costs in one financial year: pay, employer on-costs and their total."""

    pay: Decimal
    on_cost: Decimal
    days: int

    @property
    def total(self) -> Decimal:
        return self.pay + self.on_cost

    @classmethod
    def zero(cls) -> Cost:
        return cls(pay=Decimal("0.00"), on_cost=Decimal("0.00"), days=0)

    def __add__(self, other: Cost) -> Cost:
        return Cost(pay=self.pay + other.pay, on_cost=self.on_cost + other.on_cost, days=0)


def cost_in_year(
    *,
    sessions: Decimal,
    rate_per_session: Decimal,
    start: dt.date | None,
    end: dt.date | None,
    year: FinancialYear,
    on_cost_percent: Decimal = Decimal(0),
) -> Cost:
    """Pay and on-cost of a role in `year`, pro rata by the days it runs inside the year.

    Exact arithmetic until the end: the total is rounded to the penny once, the pay once,
    and the on-cost is their difference, so pay + on-cost always equals the total shown.
    """
    days = year.days_overlapping(start, end)
    if days == 0:
        return Cost.zero()
    exact_pay = Decimal(sessions) * Decimal(rate_per_session) * Decimal(days) / Decimal(year.days)
    total = to_pennies(exact_pay * (1 + Decimal(on_cost_percent) / 100))
    pay = to_pennies(exact_pay)
    return Cost(pay=pay, on_cost=total - pay, days=days)


def peak_sessions(intervals: list[tuple[Decimal, dt.date | None, dt.date | None]], year: FinancialYear) -> Decimal:
    """The most sessions a week running on any one day of `year`.

    `intervals` holds (sessions, start, end) with inclusive dates, None meaning open.
    Roles that follow one another are not added up; roles that overlap are.
    """
    events: list[tuple[dt.date, Decimal]] = []
    for sessions, start, end in intervals:
        first = max(start or year.start, year.start)
        last = min(end or year.end, year.end)
        if first > last:
            continue
        events.append((first, Decimal(sessions)))
        events.append((last + dt.timedelta(days=1), -Decimal(sessions)))
    # On the same day, a role that ends frees its sessions before one that starts takes them.
    events.sort(key=lambda event: (event[0], event[1]))
    running = peak = Decimal(0)
    for _day, change in events:
        running += change
        peak = max(peak, running)
    return peak
