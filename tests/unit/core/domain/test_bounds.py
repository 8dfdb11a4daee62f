"""Issue 14, finding 6: the integers and times every dialect reads at its edge. Each refused value once reached
int(), datetime or Postgres and came back as an internal error."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

import pytest

from core.domain.bounds import INT64_MAX, INT64_MIN, int64, unix_time


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, 0),
        (-5, -5),
        ("42", 42),
        ("-42", -42),
        ("0007", 7),
        (INT64_MAX, INT64_MAX),
        (INT64_MIN, INT64_MIN),
        (str(INT64_MAX), INT64_MAX),
    ],
)
def test_int64_reads_ints_and_their_digits(value: Any, expected: int) -> None:
    assert int64(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "--1",  # int() raises ValueError
        "-",
        "",
        "+1",
        " 1",
        "1e5",
        "٣",  # an Arabic-Indic three: isdigit() holds, int() reads it
        "²",  # isdigit() holds, int() raises
        pytest.param("9" * 5000, id="5000 digits"),  # past int()'s 4,300-digit limit
        "9" * 20,
        INT64_MAX + 1,
        INT64_MIN - 1,
        pytest.param(10**5000, id="10**5000"),
        True,
        False,
        1.0,
        None,
        [],
        {},
    ],
)
def test_int64_refuses_everything_else(value: Any) -> None:
    assert int64(value) is None


def test_int64_without_text_refuses_digit_strings() -> None:
    assert int64("42", text=False) is None and int64(42, text=False) == 42


@pytest.mark.parametrize(
    "seconds",
    [math.inf, -math.inf, math.nan, 1e20, -1e20, 10**20, 253_402_300_800, -62_135_596_801, True, "1", None],
)
def test_unix_time_refuses_what_is_not_a_time_within_years_1_to_9999(seconds: Any) -> None:
    assert unix_time(seconds) is None


def test_unix_time_reads_ints_and_floats() -> None:
    assert unix_time(1_780_000_000) == datetime.fromtimestamp(1_780_000_000, UTC)
    assert unix_time(1.5) == datetime(1970, 1, 1, 0, 0, 1, 500_000, tzinfo=UTC)
    assert unix_time(-86_400) == datetime(1969, 12, 31, tzinfo=UTC)
