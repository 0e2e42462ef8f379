"""The cost arithmetic of issue 3, with the figures from the Bexley paper."""

import datetime as dt
from decimal import Decimal

import pytest

from roles.costs import FinancialYear, annual_pay, cost_in_year, peak_sessions, wte

FY21 = FinancialYear(2021)
D = Decimal


def test_one_session_a_year_costs_the_standard_rate():
    assert annual_pay(D(1), D(16400)) == D("16400.00")


def test_ten_sessions_are_one_wte_at_164k():
    assert wte(D(10)) == D(1)
    assert annual_pay(D(10), D(16400)) == D("164000.00")


def test_point_four_wte_is_four_sessions():
    assert wte(D(4)) == D("0.4")


def test_bexleys_eleven_sessions_pay_180400_a_year():
    assert annual_pay(D(11), D(16400)) == D("180400.00")


def test_one_session_from_1_july_2021_to_31_march_2022_is_274_days_of_365():
    cost = cost_in_year(
        sessions=D(1), rate_per_session=D(16400), start=dt.date(2021, 7, 1), end=dt.date(2022, 3, 31), year=FY21
    )
    assert cost.days == 274
    assert cost.pay == D("12311.23")
    assert cost.total == D("12311.23")


def test_a_year_holding_29_february_has_366_days():
    assert FinancialYear(2023).days == 366  # 1 Apr 2023 to 31 Mar 2024 holds 29 Feb 2024
    assert FinancialYear(2022).days == 365
    full_leap_year = cost_in_year(
        sessions=D(1), rate_per_session=D(16400), start=dt.date(2023, 4, 1), end=None, year=FinancialYear(2023)
    )
    assert full_leap_year.pay == D("16400.00")
    half = cost_in_year(
        sessions=D(1), rate_per_session=D(16400), start=dt.date(2023, 10, 1), end=None, year=FinancialYear(2023)
    )
    assert half.days == 183
    assert half.pay == D("8200.00")  # 16400 x 183/366


def test_on_cost_is_added_and_pay_plus_on_cost_equals_the_total():
    cost = cost_in_year(
        sessions=D(1),
        rate_per_session=D(16400),
        start=dt.date(2021, 7, 1),
        end=dt.date(2022, 3, 31),
        year=FY21,
        on_cost_percent=D("20.29"),
    )
    assert cost.pay == D("12311.23")
    assert cost.total == D("14809.18")  # 16400 x 274/365 x 1.2029, rounded once
    assert cost.on_cost == D("2497.95")
    assert cost.pay + cost.on_cost == cost.total


def test_rounding_happens_once_at_the_end():
    # 3 x 1/3 session: rounding each third first would lose a penny.
    cost = cost_in_year(
        sessions=D("0.33"), rate_per_session=D("16400"), start=dt.date(2021, 4, 1), end=dt.date(2021, 4, 1), year=FY21
    )
    assert cost.pay == D("14.83")  # 0.33 x 16400 / 365 = 14.8274


def test_a_role_outside_the_year_costs_nothing():
    cost = cost_in_year(sessions=D(2), rate_per_session=D(16400), start=dt.date(2022, 4, 4), end=None, year=FY21)
    assert cost.total == D("0.00") and cost.days == 0


def test_a_role_across_two_years_is_split_by_days():
    start, end = dt.date(2022, 1, 1), dt.date(2022, 12, 31)
    first = cost_in_year(sessions=D(1), rate_per_session=D(16400), start=start, end=end, year=FY21)
    second = cost_in_year(sessions=D(1), rate_per_session=D(16400), start=start, end=end, year=FinancialYear(2022))
    assert (first.days, second.days) == (90, 275)
    assert first.pay == D("4043.84") and second.pay == D("12356.16")


@pytest.mark.parametrize(
    ("day", "year"),
    [(dt.date(2022, 3, 31), 2021), (dt.date(2022, 4, 1), 2022), (dt.date(2026, 11, 23), 2026)],
)
def test_the_financial_year_runs_1_april_to_31_march(day, year):
    assert FinancialYear.containing(day) == FinancialYear(year)


@pytest.mark.parametrize("text", ["2022", "2022/23", "2022-23", "2022/2023"])
def test_financial_years_are_read_in_the_usual_forms(text):
    assert FinancialYear.parse(text) == FinancialYear(2022)


@pytest.mark.parametrize("text", ["", "22", "2022/24", "twenty", "2022/2a"])
def test_a_malformed_financial_year_says_what_to_type(text):
    with pytest.raises(ValueError, match="use 2022 or 2022/23"):
        FinancialYear.parse(text)


def test_peak_sessions_adds_roles_that_overlap_but_not_ones_that_follow():
    fy = FinancialYear(2022)
    follow = [(D(3), dt.date(2022, 4, 1), dt.date(2022, 6, 30)), (D(4), dt.date(2022, 7, 1), None)]
    overlap = [(D(3), dt.date(2022, 4, 1), dt.date(2022, 7, 1)), (D(4), dt.date(2022, 7, 1), None)]
    assert peak_sessions(follow, fy) == D(4)
    assert peak_sessions(overlap, fy) == D(7)
    assert peak_sessions([(D(5), dt.date(2021, 4, 1), dt.date(2022, 3, 31))], fy) == D(0)
