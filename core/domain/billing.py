"""Billing rules (P2, P3) as pure functions of the clock: which usage days are due for the daily deduction,
and the overdue notice's wording. Time is a parameter; the platform's time zone decides what a day is."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from core.domain.money import format_amount, parse_amount

OVERDUE_TEMPLATE = (
    "Your SMS account {1} is in arrears: balance {2}. Please recharge within {3} hours to avoid suspension."
)


def parse_billing_time(text: str) -> time:
    """ "02:00" -> 02:00; raises ValueError for anything else."""
    hour, sep, minute = text.partition(":")
    if not sep or not (hour + minute).isdigit() or len(minute) != 2:
        raise ValueError(f"billing time {text!r} is not HH:MM")
    return time(int(hour), int(minute))


def last_due_day(now_local: datetime, billing_time: time) -> date:
    """The latest day whose usage may be charged: yesterday once the billing time has passed ("the next
    morning"), the day before otherwise."""
    today = now_local.date()
    return today - timedelta(days=1 if now_local.time() >= billing_time else 2)


def due_days(now_local: datetime, billing_time: time, *, catchup_days: int, done: set[date]) -> list[date]:
    """Days to charge now, oldest first: every day up to last_due_day within the catch-up window that has not
    been charged yet (`done`), so days missed while no worker ran are charged at the next run."""
    last = last_due_day(now_local, billing_time)
    first = last - timedelta(days=catchup_days - 1)
    return [d for d in (first + timedelta(days=i) for i in range(catchup_days)) if d not in done]


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(first: date) -> date:
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


def due_months(
    now_local: datetime, billing_time: time, *, since: date, done: set[date]
) -> list[tuple[date, date]]:
    """Months of monthly-settled international usage to charge now (P3), oldest first, as (first, last day):
    a month is due from its next month's 1st at the billing time; months from `since` on not yet `done`."""
    last_due = month_start(last_due_day(now_local, billing_time) + timedelta(days=1)) - timedelta(days=1)
    months = []
    first = month_start(since)
    while next_month(first) - timedelta(days=1) <= last_due:
        if first not in done:
            months.append((first, next_month(first) - timedelta(days=1)))
        first = next_month(first)
    return months


def overdue_params(
    account_id: int, balance_minor: int, *, exponent: int, currency: str, grace_s: int
) -> list[str]:
    """The overdue notice's template parameters: account, balance with currency, hours left."""
    return [
        str(account_id),
        f"{format_amount(balance_minor, exponent)} {currency}",
        str(max(1, grace_s // 3600)),
    ]


MAX_RECHARGE_MINOR = 10**15


def recharge_amount(text: object, *, exponent: int, currency: str, given_currency: object = None) -> int:
    """A recharge as the operator typed it ("100", "100.50"), in minor units; refused (ValueError) when it is
    not a plain positive amount of the platform's currency."""
    if given_currency is not None and (
        not isinstance(given_currency, str) or given_currency.upper() != currency
    ):
        raise ValueError(f"currency {given_currency!r}; this platform bills in {currency}")
    if isinstance(text, bool) or not isinstance(text, (str, int)):
        raise ValueError("the amount must be a decimal string such as 100.00")
    amount = parse_amount(str(text), exponent)
    if amount <= 0:
        raise ValueError("a recharge must be positive")
    if amount > MAX_RECHARGE_MINOR:
        raise ValueError("the amount is too large")
    return amount


@dataclass(frozen=True)
class Month:
    first_day: date
    last_day: date
    since: datetime  # UTC instants of the month's start and end in the platform's time zone
    until: datetime


def month(text: str, tz: ZoneInfo) -> Month:
    """ "2026-11" -> its days and instants in the platform's time zone; ValueError when malformed."""
    year, sep, mon = text.partition("-")
    if not sep or len(year) != 4 or len(mon) != 2 or not (year + mon).isdigit() or not 1 <= int(mon) <= 12:
        raise ValueError(f"month {text!r} is not YYYY-MM")
    first = date(int(year), int(mon), 1)
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return Month(
        first,
        following - timedelta(days=1),
        datetime.combine(first, time(), tz).astimezone(UTC),
        datetime.combine(following, time(), tz).astimezone(UTC),
    )


MAX_PACKAGE_PARTS = 10**9


def package_terms(parts: object, valid_from: datetime, valid_until: datetime) -> int:
    """A package's part count, checked with its validity; ValueError with the reason otherwise."""
    if isinstance(parts, bool) or not isinstance(parts, int) or not 0 < parts <= MAX_PACKAGE_PARTS:
        raise ValueError(f"`parts` must be a whole number from 1 to {MAX_PACKAGE_PARTS}")
    if valid_until <= valid_from:
        raise ValueError("a package must end after it starts")
    return parts
