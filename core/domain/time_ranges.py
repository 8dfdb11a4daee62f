"""The time ranges the report APIs accept (spec 6.4, 6.7, 6.8, 10): Unix-second windows reaching at most 7
days back for pulls by number, `yyyymmddhh` hour ranges of at most 32 days for statistics."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from core.domain.bounds import unix_time
from core.domain.errors import Code, PlatformError

PULL_LOOKBACK = timedelta(days=7)
RECORDS_LOOKBACK = timedelta(days=90)
STATISTICS_SPAN = timedelta(days=32)
MAX_PAGE = 100


@dataclass(frozen=True)
class Window:
    begin: datetime
    end: datetime  # inclusive: a report at exactly EndTime is in the window


def pull_window(
    begin_s: int, end_s: int | None, *, now: float, lookback: timedelta = PULL_LOOKBACK
) -> Window:
    """BeginTime no more than 7 days back (by default) and not in the future; EndTime (default now) not
    before it."""
    if begin_s < now - lookback.total_seconds() or begin_s > now:
        raise PlatformError(
            Code.BEGIN_TIME_VERIFY_FAIL, f"BeginTime must lie within the last {lookback.days} days."
        )
    end = now if end_s is None else end_s
    if end < begin_s:
        raise PlatformError(Code.END_TIME_VERIFY_FAIL, "EndTime must not be before BeginTime.")
    begin_at, end_at = unix_time(begin_s), unix_time(end)
    if begin_at is None:  # only when `now` itself is absurd: begin lies within lookback of it
        raise PlatformError(Code.BEGIN_TIME_VERIFY_FAIL, "BeginTime is not a representable time.")
    if end_at is None:
        raise PlatformError(Code.END_TIME_VERIFY_FAIL, "EndTime must be a Unix time within the years 1-9999.")
    return Window(begin_at, end_at)


def parse_hour(text: str, tz: ZoneInfo) -> datetime | None:
    """`2021050113` -> that hour in the platform's time zone; None when malformed, or when the hour or the
    one after it falls outside the calendar once in UTC (year 1's first hours east of UTC, 9999-12-31 23h)."""
    if len(text) != 10 or not text.isascii() or not text.isdigit():
        return None
    try:
        hour = datetime.strptime(text, "%Y%m%d%H").replace(tzinfo=tz)
        (hour + timedelta(hours=1)).astimezone(UTC)
        hour.astimezone(UTC)
    except (ValueError, OverflowError):
        return None
    return hour


def statistics_window(begin: str, end: str, *, tz: ZoneInfo, now: float) -> Window:
    """Whole hours from BeginTime's through EndTime's, at most 32 days apart, not starting in the future.
    `end` of the window is exclusive here: the start of the hour after EndTime."""
    first = parse_hour(begin, tz)
    if first is None or first.timestamp() > now:
        raise PlatformError(Code.BEGIN_TIME_VERIFY_FAIL, "BeginTime must be a past hour as yyyymmddhh.")
    last = parse_hour(end, tz)
    if last is None or last < first:
        raise PlatformError(
            Code.END_TIME_VERIFY_FAIL, "EndTime must be an hour as yyyymmddhh, not before BeginTime."
        )
    if last - first > STATISTICS_SPAN:
        raise PlatformError(Code.END_TIME_VERIFY_FAIL, "EndTime may be at most 32 days after BeginTime.")
    return Window(first.astimezone(UTC), (last + timedelta(hours=1)).astimezone(UTC))


def page_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_PAGE:
        raise PlatformError(Code.LIMIT_VERIFY_FAIL, f"Limit must be between 1 and {MAX_PAGE}.")
    return limit


def page_offset(offset: int) -> int:
    if offset < 0:
        raise PlatformError(Code.OFFSET_VERIFY_FAIL, "Offset must not be negative.")
    return offset


MAX_REPORT_DAYS = 366
DEFAULT_REPORT_DAYS = 7


def report_days(first: date | None, last: date | None, *, today: date) -> tuple[date, date]:
    """The operator's day range, both ends included: by default the 7 days up to today; at most a year.
    Raises ValueError with a message for the operator."""
    last = last or today
    first = first or last - timedelta(days=DEFAULT_REPORT_DAYS - 1)
    if last < first or (last - first).days >= MAX_REPORT_DAYS:
        raise ValueError(f"`to` must be on or after `from`, within {MAX_REPORT_DAYS} days.")
    return first, last


def day_bounds(first: date, last: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants [start of `first`, end of `last`) for days in the platform's time zone."""
    since = datetime.combine(first, time(), tz).astimezone(UTC)
    until = datetime.combine(last + timedelta(days=1), time(), tz).astimezone(UTC)
    return since, until
