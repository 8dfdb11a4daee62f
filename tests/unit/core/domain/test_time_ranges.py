"""The report APIs' time ranges and pages (spec 6.4, 6.7, 6.8, 10): which requests are refused, with which code."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from core.domain.errors import Code, PlatformError
from core.domain.time_ranges import page_limit, page_offset, parse_hour, pull_window, statistics_window

NOW = datetime(2026, 11, 22, 8, 30, tzinfo=UTC).timestamp()
SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = 86400


def code_of(fn: object, *args: object, **kwargs: object) -> Code:
    with pytest.raises(PlatformError) as err:
        fn(*args, **kwargs)  # type: ignore[operator]
    return err.value.rejection.code


def test_pull_window_reaches_seven_days_back_and_defaults_its_end_to_now() -> None:
    window = pull_window(int(NOW - 7 * DAY), None, now=NOW)
    assert window.begin.timestamp() == NOW - 7 * DAY and window.end.timestamp() == NOW
    assert code_of(pull_window, int(NOW - 7 * DAY - 1), None, now=NOW) is Code.BEGIN_TIME_VERIFY_FAIL
    assert code_of(pull_window, int(NOW + 1), None, now=NOW) is Code.BEGIN_TIME_VERIFY_FAIL
    assert code_of(pull_window, int(NOW - 60), int(NOW - 61), now=NOW) is Code.END_TIME_VERIFY_FAIL
    assert pull_window(int(NOW - 60), int(NOW - 60), now=NOW).end.timestamp() == NOW - 60


def test_statistics_hours_are_platform_time_and_the_end_hour_is_included() -> None:
    # 2026-11-22 08 in Shanghai is 00:00 UTC; the window ends where EndTime's hour ends.
    window = statistics_window("2026112208", "2026112209", tz=SHANGHAI, now=NOW)
    assert window.begin == datetime(2026, 11, 22, 0, tzinfo=UTC)
    assert window.end == datetime(2026, 11, 22, 2, tzinfo=UTC)


@pytest.mark.parametrize(
    ("begin", "end", "code"),
    [
        ("20261122", "2026112209", Code.BEGIN_TIME_VERIFY_FAIL),  # not yyyymmddhh
        ("2026113008", "2026113009", Code.BEGIN_TIME_VERIFY_FAIL),  # in the future
        ("2026022908", "2026030109", Code.BEGIN_TIME_VERIFY_FAIL),  # no such day
        ("2026112224", "2026112209", Code.BEGIN_TIME_VERIFY_FAIL),  # no such hour
        ("２０２６１１２２０８", "2026112209", Code.BEGIN_TIME_VERIFY_FAIL),  # full-width digits
        ("2026112208", "2026112207", Code.END_TIME_VERIFY_FAIL),  # reversed
        ("2026102008", "2026112209", Code.END_TIME_VERIFY_FAIL),  # more than 32 days
        ("2026112208", "x", Code.END_TIME_VERIFY_FAIL),
    ],
)
def test_bad_statistics_ranges(begin: str, end: str, code: Code) -> None:
    assert code_of(statistics_window, begin, end, tz=SHANGHAI, now=NOW) is code


def test_exactly_32_days_is_allowed() -> None:
    window = statistics_window("2026102100", "2026112200", tz=SHANGHAI, now=NOW)
    assert (window.end - window.begin).days == 32


def test_pages() -> None:
    assert (page_limit(1), page_limit(100), page_offset(0)) == (1, 100, 0)
    assert code_of(page_limit, 0) is Code.LIMIT_VERIFY_FAIL
    assert code_of(page_limit, 101) is Code.LIMIT_VERIFY_FAIL
    assert code_of(page_offset, -1) is Code.OFFSET_VERIFY_FAIL


# Issue 14, finding 6: times past year 9999 or before year 1 are the caller's error, not an OverflowError.
@pytest.mark.parametrize("end", [2**62, 253_402_300_800, 10**18])
def test_pull_window_end_past_year_9999_is_end_time_error(end: int) -> None:
    assert code_of(pull_window, int(NOW - 60), end, now=NOW) is Code.END_TIME_VERIFY_FAIL


@pytest.mark.parametrize("hour", ["9999123123", "0001010100", "0001010107"])
def test_hours_whose_window_leaves_the_calendar_are_refused(hour: str) -> None:
    """9999-12-31 23h has no hour after it; year 1's first hours in Shanghai fall before year 1 in UTC."""
    assert parse_hour(hour, SHANGHAI) is None
    assert code_of(statistics_window, "2026112208", hour, tz=SHANGHAI, now=NOW) is Code.END_TIME_VERIFY_FAIL
    assert code_of(statistics_window, hour, "2026112209", tz=SHANGHAI, now=NOW) in (
        Code.BEGIN_TIME_VERIFY_FAIL,
        Code.END_TIME_VERIFY_FAIL,
    )


def test_the_last_whole_hours_of_the_calendar_still_parse() -> None:
    assert parse_hour("9999123122", SHANGHAI) == datetime(9999, 12, 31, 22, tzinfo=SHANGHAI)
