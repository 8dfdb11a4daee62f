"""When a waiting signature or template is expected to be reviewed (rule S7): reviewers work only inside the
review hours, on working days that are not holidays, and aim to decide within a target of that working time
(about 2 hours; an urgent item, one marked so after the customer asked support, within a shorter one). Pure:
the caller passes the time zone, already loaded, and the times."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class ReviewHours:
    opens: time
    closes: time
    days: frozenset[int]  # date.weekday(): Monday is 0
    holidays: frozenset[date]
    # Days worked although their weekday is not a working day (China moves workdays around holidays).
    extra_workdays: frozenset[date]
    zone: tzinfo
    target: timedelta
    urgent_target: timedelta

    def __post_init__(self) -> None:
        if self.opens >= self.closes:
            raise ValueError("review hours must open before they close, on the same day")
        if not self.days:
            raise ValueError("at least one review day is needed")
        if self.target <= timedelta(0) or self.urgent_target <= timedelta(0):
            raise ValueError("review targets must be positive")

    def is_workday(self, day: date) -> bool:
        return day not in self.holidays and (day.weekday() in self.days or day in self.extra_workdays)


def expected_review_at(hours: ReviewHours, submitted_at: datetime, urgent_at: datetime | None) -> datetime:
    """When the item should have been reviewed, in the review time zone: `target` of working time after it was
    submitted; if it is urgent, no later than `urgent_target` of working time after it was marked urgent (or
    submitted, for an urgent item resubmitted since)."""
    expected = after_working_time(hours, submitted_at, hours.target)
    if urgent_at is not None:
        expected = min(expected, after_working_time(hours, max(submitted_at, urgent_at), hours.urgent_target))
    return expected


def after_working_time(hours: ReviewHours, start: datetime, amount: timedelta) -> datetime:
    """The moment `amount` of review hours have passed since `start` (an aware datetime). Time outside the
    hours, on days off and on holidays does not count; an item arriving at closing time waits for the next
    opening. Arithmetic is in UTC, so a daylight-saving change inside a window counts as real time."""
    start = start.astimezone(UTC)
    remaining = amount
    day = start.astimezone(hours.zone).date()
    while True:
        if hours.is_workday(day):
            opens = datetime.combine(day, hours.opens, hours.zone).astimezone(UTC)
            closes = datetime.combine(day, hours.closes, hours.zone).astimezone(UTC)
            cursor = max(start, opens)
            if cursor < closes:
                if remaining <= closes - cursor:
                    return (cursor + remaining).astimezone(hours.zone)
                remaining -= closes - cursor
        day += timedelta(days=1)


def parse_window(text: str) -> tuple[time, time]:
    """`09:00-18:00` -> (09:00, 18:00)."""
    opens, sep, closes = text.strip().partition("-")
    if not sep:
        raise ValueError(f"review hours {text!r}: expected HH:MM-HH:MM")
    return _clock_time(opens), _clock_time(closes)


def parse_days(text: str) -> frozenset[int]:
    """`mon-fri`, `mon-fri,sat` or `mon,wed` -> weekday numbers (Monday 0)."""
    days: set[int] = set()
    for part in filter(None, (p.strip().lower() for p in text.split(","))):
        first, sep, last = part.partition("-")
        a, b = _day(first), _day(last) if sep else _day(first)
        if a > b:
            raise ValueError(f"review days {part!r}: a range runs from Monday towards Sunday")
        days.update(range(a, b + 1))
    return frozenset(days)


def parse_dates(text: str) -> frozenset[date]:
    """`2026-10-01,2026-10-02` or `2026-10-01..2026-10-07` (both ends included) -> dates."""
    dates: set[date] = set()
    for part in filter(None, (p.strip() for p in text.split(","))):
        first, sep, last = part.partition("..")
        a = date.fromisoformat(first)
        b = date.fromisoformat(last) if sep else a
        if a > b:
            raise ValueError(f"dates {part!r}: the range ends before it starts")
        dates.update(a + timedelta(days=i) for i in range((b - a).days + 1))
    return frozenset(dates)


def _clock_time(text: str) -> time:
    hh, sep, mm = text.strip().partition(":")
    if not (sep and hh.isdigit() and mm.isdigit() and len(mm) == 2 and 1 <= len(hh) <= 2):
        raise ValueError(f"{text!r} is not a time of day HH:MM")
    return time(int(hh), int(mm))


def _day(name: str) -> int:
    try:
        return DAY_NAMES.index(name.strip())
    except ValueError:
        raise ValueError(f"{name!r} is not a day (mon, tue, ... sun)") from None
