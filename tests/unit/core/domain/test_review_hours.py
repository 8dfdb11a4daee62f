"""When a waiting item is expected to be reviewed (rule S7): only review hours count (09:00-18:00 Monday to
Friday by default, in the platform's zone), holidays are skipped, weekend days worked in lieu count, and an
urgent item gets a shorter target from when it was marked urgent. Each boundary is tested on both sides."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.domain.review_hours import (
    ReviewHours,
    after_working_time,
    expected_review_at,
    parse_dates,
    parse_days,
    parse_window,
)

SH = ZoneInfo("Asia/Shanghai")
H2 = timedelta(hours=2)


def hours(
    *,
    holidays: str = "",
    workdays: str = "",
    days: str = "mon-fri",
    window: str = "09:00-18:00",
    zone: ZoneInfo = SH,
) -> ReviewHours:
    opens, closes = parse_window(window)
    return ReviewHours(
        opens=opens,
        closes=closes,
        days=parse_days(days),
        holidays=parse_dates(holidays),
        extra_workdays=parse_dates(workdays),
        zone=zone,
        target=H2,
        urgent_target=timedelta(minutes=30),
    )


def at(day: str, clock: str, zone: ZoneInfo = SH) -> datetime:
    return datetime.combine(date.fromisoformat(day), time.fromisoformat(clock), zone)


# 2026-10-09 is a Friday, 2026-10-12 the Monday after; 2026-10-07 a Wednesday.
@pytest.mark.parametrize(
    ("submitted", "expected"),
    [
        (at("2026-10-07", "08:59"), at("2026-10-07", "11:00")),  # before opening: the clock starts at 09:00
        (at("2026-10-07", "09:00"), at("2026-10-07", "11:00")),
        (at("2026-10-07", "09:01"), at("2026-10-07", "11:01")),
        (at("2026-10-07", "15:59"), at("2026-10-07", "17:59")),
        (at("2026-10-07", "16:00"), at("2026-10-07", "18:00")),  # ends exactly at closing: still today
        (at("2026-10-07", "16:01"), at("2026-10-08", "09:01")),
        (at("2026-10-07", "17:59"), at("2026-10-08", "10:59")),  # one minute today, the rest tomorrow
        (at("2026-10-07", "18:00"), at("2026-10-08", "11:00")),  # at closing nothing counts today
        (at("2026-10-07", "23:30"), at("2026-10-08", "11:00")),
        (at("2026-10-09", "17:30"), at("2026-10-12", "10:30")),  # Friday evening: Monday morning
        (at("2026-10-10", "12:00"), at("2026-10-12", "11:00")),  # submitted on Saturday
        (at("2026-10-11", "23:59"), at("2026-10-12", "11:00")),  # Sunday just before midnight
        (at("2026-10-12", "00:00"), at("2026-10-12", "11:00")),
    ],
)
def test_only_review_hours_count(submitted: datetime, expected: datetime) -> None:
    got = after_working_time(hours(), submitted, H2)
    assert got == expected and got.utcoffset() == timedelta(hours=8)


def test_the_start_may_come_in_any_zone() -> None:
    # 2026-10-09 09:30 UTC is 17:30 Friday in Shanghai.
    got = after_working_time(hours(), datetime(2026, 10, 9, 9, 30, tzinfo=UTC), H2)
    assert got == at("2026-10-12", "10:30")


def test_holidays_are_skipped_and_the_day_before_still_counts() -> None:
    golden_week = hours(holidays="2026-10-01..2026-10-07")
    # The day before the holiday (Wednesday 30 September) is an ordinary day until closing.
    assert after_working_time(golden_week, at("2026-09-30", "15:00"), H2) == at("2026-09-30", "17:00")
    assert after_working_time(golden_week, at("2026-09-30", "16:00"), H2) == at("2026-09-30", "18:00")
    assert after_working_time(golden_week, at("2026-09-30", "17:00"), H2) == at("2026-10-08", "10:00")
    # Without the holidays the same item is expected on the 1st.
    assert after_working_time(hours(), at("2026-09-30", "17:00"), H2) == at("2026-10-01", "10:00")
    # Submitted on the last holiday: the next day; submitted the first day after: that day.
    assert after_working_time(golden_week, at("2026-10-07", "10:00"), H2) == at("2026-10-08", "11:00")
    assert after_working_time(golden_week, at("2026-10-08", "10:00"), H2) == at("2026-10-08", "12:00")


def test_a_single_holiday_and_a_list() -> None:
    one = hours(holidays="2026-10-08")
    assert after_working_time(one, at("2026-10-07", "17:00"), H2) == at("2026-10-09", "10:00")
    both = hours(holidays="2026-10-08, 2026-10-09")
    assert after_working_time(both, at("2026-10-07", "17:00"), H2) == at("2026-10-12", "10:00")


def test_a_weekend_day_worked_in_lieu_counts() -> None:
    # China works Saturday 2026-10-10 for a holiday elsewhere (an example date).
    lieu = hours(workdays="2026-10-10")
    assert after_working_time(lieu, at("2026-10-09", "17:30"), H2) == at("2026-10-10", "10:30")
    assert after_working_time(hours(), at("2026-10-09", "17:30"), H2) == at("2026-10-12", "10:30")


def test_a_target_longer_than_a_day_spans_days() -> None:
    # 9 hours a day: 20 hours from Monday 09:00 is 2 hours into Wednesday.
    got = after_working_time(hours(), at("2026-10-12", "09:00"), timedelta(hours=20))
    assert got == at("2026-10-14", "11:00")
    got = after_working_time(hours(), at("2026-10-12", "09:00"), timedelta(hours=18))
    assert got == at("2026-10-13", "18:00")


def test_configured_days_and_window() -> None:
    six_days = hours(days="mon-fri,sat", window="08:30-21:00")
    assert after_working_time(six_days, at("2026-10-09", "20:30"), H2) == at("2026-10-10", "10:00")
    assert after_working_time(six_days, at("2026-10-10", "20:30"), H2) == at("2026-10-12", "10:00")
    assert after_working_time(six_days, at("2026-10-12", "08:29"), H2) == at("2026-10-12", "10:30")


def test_the_zone_setting_is_used_and_daylight_saving_counts_real_time() -> None:
    london = ZoneInfo("Europe/London")
    uk = hours(zone=london)
    # Friday 17:30 London is Monday 10:30 London, whatever Shanghai's clock says.
    assert after_working_time(uk, at("2026-10-09", "17:30", london), H2) == at("2026-10-12", "10:30", london)
    # Clocks go back at 02:00 on Sunday 25 October 2026: a window 01:00-03:00 that day lasts 3 real hours.
    night = hours(zone=london, days="sun", window="01:00-03:00")
    start = at("2026-10-25", "01:00", london)
    got = after_working_time(night, start, timedelta(hours=3))
    assert got.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=3)
    assert got == at("2026-10-25", "03:00", london)


def test_an_urgent_item_has_a_shorter_target_from_when_it_was_marked() -> None:
    h = hours()
    submitted = at("2026-10-07", "09:00")
    assert expected_review_at(h, submitted, None) == at("2026-10-07", "11:00")
    # Marked urgent at 10:00: 30 minutes later, ahead of its ordinary 11:00.
    assert expected_review_at(h, submitted, at("2026-10-07", "10:00")) == at("2026-10-07", "10:30")
    # Marked urgent at 10:45: its ordinary 11:00 comes first, and urgency never makes it later.
    assert expected_review_at(h, submitted, at("2026-10-07", "10:45")) == at("2026-10-07", "11:00")
    # Marked urgent after closing on Friday: 30 minutes into Monday (the ordinary time is Monday 09:00).
    late = at("2026-10-09", "16:00")
    assert expected_review_at(h, late, None) == at("2026-10-09", "18:00")
    assert expected_review_at(h, at("2026-10-09", "17:00"), at("2026-10-09", "17:50")) == at(
        "2026-10-12", "09:20"
    )
    # Urgent, then resubmitted later: the urgent clock starts at the resubmission.
    assert expected_review_at(h, at("2026-10-07", "14:00"), at("2026-10-07", "09:00")) == at(
        "2026-10-07", "14:30"
    )


def test_bad_settings_are_refused() -> None:
    for window in ("18:00-09:00", "09:00-09:00", "9-18", "09:00", "25:00-26:00", "09:0-18:00"):
        with pytest.raises(ValueError):
            hours(window=window)
    for days in ("", "monday", "fri-mon", "mon-xyz"):
        with pytest.raises(ValueError):
            hours(days=days)
    for dates in ("2026-13-01", "2026-10-07..2026-10-01", "yesterday"):
        with pytest.raises(ValueError):
            hours(holidays=dates)
    with pytest.raises(ValueError):
        ReviewHours(time(9), time(18), frozenset({0}), frozenset(), frozenset(), SH, timedelta(0), H2)


def test_parsing() -> None:
    assert parse_window(" 9:00-18:30 ") == (time(9), time(18, 30))
    assert parse_days("mon-fri") == frozenset(range(5))
    assert parse_days("sat, sun") == frozenset({5, 6})
    assert parse_days("mon-wed,fri") == frozenset({0, 1, 2, 4})
    assert parse_dates("") == frozenset()
    assert parse_dates("2026-10-01..2026-10-03,2026-12-25") == {
        date(2026, 10, 1),
        date(2026, 10, 2),
        date(2026, 10, 3),
        date(2026, 12, 25),
    }
