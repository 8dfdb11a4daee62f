"""The integers and times every dialect reads at its edge, bounded to what the platform can hold: integers within
Postgres bigint (int64), Unix times within the calendar Python and Postgres share (years 1 to 9999). A value
outside is the caller's error, refused with the dialect's parameter code, never left to fail deeper in."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
_INT64_DIGITS = 19
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# A day inside each end of the calendar, so the instant can be shown in any time zone and a day added or taken.
EARLIEST = datetime(1, 1, 2, tzinfo=UTC)
LATEST = datetime(9999, 12, 30, tzinfo=UTC)
EARLIEST_S = (EARLIEST - _EPOCH).total_seconds()
LATEST_S = (LATEST - _EPOCH).total_seconds()


def int64(value: Any, *, text: bool = True) -> int | None:
    """An int (never a bool) within int64 or, with `text`, its decimal digits with at most one leading "-";
    None otherwise. Text is checked before int() sees it: int() raises past 4,300 digits, reads "--1" as an
    error and Arabic-Indic digits as numbers."""
    if text and isinstance(value, str):
        digits = value[1:] if value.startswith("-") else value
        if not (digits.isascii() and digits.isdigit() and len(digits) <= _INT64_DIGITS):
            return None
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if INT64_MIN <= value <= INT64_MAX else None


def unix_time(seconds: Any) -> datetime | None:
    """Unix seconds (an int or a finite float, never a bool) as a UTC instant; None for anything else or for
    an instant outside years 1-9999 (inf, NaN, 1e20 included)."""
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        return None
    if not (math.isfinite(seconds) and EARLIEST_S <= seconds <= LATEST_S):
        return None
    return _EPOCH + timedelta(seconds=seconds)
