"""Billing rules as pure functions of the clock (P2, P3): which usage days the daily deduction charges ("the
next morning", after the billing time), recharges as operators type them, months in the platform's time zone,
and the overdue notice's parameters."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.domain.billing import (
    MAX_RECHARGE_MINOR,
    OVERDUE_TEMPLATE,
    due_days,
    last_due_day,
    month,
    overdue_params,
    parse_billing_time,
    recharge_amount,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
TWO = time(2, 0)


def at(day: date, hh: int, mm: int = 0, ss: int = 0, us: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hh, mm, ss, us, tzinfo=SHANGHAI)


def days(first: date, count: int) -> list[date]:
    return [first + timedelta(days=i) for i in range(count)]


MAR_2 = date(2026, 3, 2)


def test_before_the_billing_time_yesterday_is_not_due_yet() -> None:
    """P2: the day's fees are deducted the next morning, at the billing time (02:00 by default)."""
    just_before = at(MAR_2, 1, 59, 59, 999_999)
    assert last_due_day(just_before, TWO) == date(2026, 2, 28)
    assert due_days(just_before, TWO, catchup_days=1, done=set()) == [date(2026, 2, 28)]
    assert due_days(just_before, TWO, catchup_days=1, done={date(2026, 2, 28)}) == []


@pytest.mark.parametrize("clock", [(2, 0, 0), (2, 0, 1), (9, 30, 0), (23, 59, 59)])
def test_at_and_after_the_billing_time_yesterday_is_due(clock: tuple[int, int, int]) -> None:
    now = at(MAR_2, *clock)
    assert last_due_day(now, TWO) == date(2026, 3, 1)
    assert due_days(now, TWO, catchup_days=1, done={date(2026, 2, 28)}) == [date(2026, 3, 1)]


def test_today_is_never_due() -> None:
    for hh in range(24):
        assert MAR_2 not in due_days(at(MAR_2, hh), TWO, catchup_days=5, done=set())


def test_days_already_charged_are_skipped() -> None:
    now = at(MAR_2, 3)
    window = days(date(2026, 2, 25), 5)  # Feb 25 .. Mar 1
    assert due_days(now, TWO, catchup_days=5, done=set()) == window
    assert due_days(now, TWO, catchup_days=5, done=set(window)) == []
    done = {date(2026, 2, 26), date(2026, 3, 1)}
    assert due_days(now, TWO, catchup_days=5, done=done) == [
        date(2026, 2, 25),
        date(2026, 2, 27),
        date(2026, 2, 28),
    ]


def test_missed_days_are_caught_up_oldest_first_within_the_window() -> None:
    """Days missed while no worker ran are charged at the next run, oldest first, but only within the window."""
    last_run_day = date(2026, 2, 20)
    first_charged = date(2025, 11, 1)  # before the 62-day window
    done = set(days(first_charged, (last_run_day - first_charged).days + 1))
    due = due_days(at(MAR_2, 2), TWO, catchup_days=62, done=done)
    assert due == days(date(2026, 2, 21), 9)  # Feb 21 .. Mar 1
    assert due == sorted(due)

    # A short window: days older than it are no longer offered.
    assert due_days(at(MAR_2, 2), TWO, catchup_days=3, done=done) == days(date(2026, 2, 27), 3)


def test_the_due_day_follows_the_local_calendar_across_month_and_year_ends() -> None:
    assert due_days(at(date(2027, 1, 1), 2), TWO, catchup_days=1, done=set()) == [date(2026, 12, 31)]
    assert due_days(at(date(2028, 3, 1), 2), TWO, catchup_days=2, done=set()) == [
        date(2028, 2, 28),
        date(2028, 2, 29),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("02:00", time(2, 0)), ("2:00", time(2, 0)), ("00:00", time(0, 0)), ("23:59", time(23, 59))],
)
def test_parse_billing_time(text: str, expected: time) -> None:
    assert parse_billing_time(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "2", "0200", "02:0", "02:000", "24:00", "02:60", "-1:00", "02:00:00", "a:bc", " 2:00", "2.00"],
)
def test_parse_billing_time_refuses_anything_else(text: str) -> None:
    with pytest.raises(ValueError):
        parse_billing_time(text)


@pytest.mark.parametrize(
    ("typed", "minor"),
    [
        ("100", 100_000),
        ("100.50", 100_500),
        ("0.001", 1),
        (" 12.5 ", 12_500),
        (100, 100_000),
        ("1000000000000", 10**15),
    ],
)
def test_recharge_amount_in_minor_units(typed: object, minor: int) -> None:
    assert recharge_amount(typed, exponent=3, currency="CNY") == minor


def test_recharge_amount_accepts_the_platform_currency_in_any_case() -> None:
    assert recharge_amount("1", exponent=3, currency="CNY", given_currency="cny") == 1000
    assert recharge_amount("1", exponent=3, currency="CNY", given_currency="CNY") == 1000


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("-5", "must be positive"),
        (-5, "must be positive"),
        ("0", "must be positive"),
        ("0.000", "must be positive"),
        (0, "must be positive"),
        ("abc", "not an amount"),
        ("", "not an amount"),
        ("1e3", "not an amount"),
        ("NaN", "not an amount"),
        ("0.0001", "more than 3 decimal places"),
        (True, "decimal string"),
        (False, "decimal string"),
        (12.5, "decimal string"),
        (None, "decimal string"),
        (["1"], "decimal string"),
        ("1000000000000.001", "too large"),
        ("999999999999999", "too large"),
    ],
)
def test_recharge_amount_refuses_what_is_not_a_positive_amount(typed: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        recharge_amount(typed, exponent=3, currency="CNY")


def test_the_largest_recharge_is_the_limit() -> None:
    assert recharge_amount(str(MAX_RECHARGE_MINOR // 1000), exponent=3, currency="CNY") == MAX_RECHARGE_MINOR


@pytest.mark.parametrize("given", ["USD", "", 156, True])
def test_recharge_amount_refuses_another_currency(given: object) -> None:
    with pytest.raises(ValueError, match="bills in CNY"):
        recharge_amount("10", exponent=3, currency="CNY", given_currency=given)


def test_a_month_is_bounded_by_local_midnights() -> None:
    """Asia/Shanghai is UTC+8: November 2026 starts at 2026-10-31T16:00Z."""
    nov = month("2026-11", SHANGHAI)
    assert (nov.first_day, nov.last_day) == (date(2026, 11, 1), date(2026, 11, 30))
    assert nov.since == datetime(2026, 10, 31, 16, 0, tzinfo=UTC)
    assert nov.until == datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
    assert nov.since.utcoffset() == timedelta(0)


def test_december_rolls_over_into_the_next_year() -> None:
    dec = month("2026-12", SHANGHAI)
    assert (dec.first_day, dec.last_day) == (date(2026, 12, 1), date(2026, 12, 31))
    assert dec.since == datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
    assert dec.until == datetime(2026, 12, 31, 16, 0, tzinfo=UTC)
    assert month("2027-01", SHANGHAI).since == dec.until


def test_february_of_a_leap_year() -> None:
    feb = month("2028-02", SHANGHAI)
    assert feb.last_day == date(2028, 2, 29)
    assert feb.until == datetime(2028, 2, 29, 16, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "text", ["2026-13", "2026-00", "2026-1", "26-11", "2026/11", "2026-11-01", "", "abcd-ef"]
)
def test_a_malformed_month_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="YYYY-MM"):
        month(text, SHANGHAI)


def test_overdue_params_fill_the_notice_template() -> None:
    """P2: the overdue SMS names the account, its balance with currency, and the hours left before suspension."""
    params = overdue_params(42, -1_500, exponent=3, currency="CNY", grace_s=12 * 3600)
    assert params == ["42", "-1.500 CNY", "12"]
    assert sorted(set(re.findall(r"\{(\d+)\}", OVERDUE_TEMPLATE))) == ["1", "2", "3"]


@pytest.mark.parametrize(("grace_s", "hours"), [(1800, "1"), (3599, "1"), (7200, "2"), (5 * 3600 + 1, "5")])
def test_overdue_params_never_promise_zero_hours(grace_s: int, hours: str) -> None:
    assert overdue_params(1, -1, exponent=3, currency="CNY", grace_s=grace_s) == ["1", "-0.001 CNY", hours]
