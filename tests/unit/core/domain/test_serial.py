"""SerialNo: the day names the partition, the id the row (architecture: a lookup touches one partition)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from core.domain.serial import SerialRef, format_serial, parse_serial


def test_a_serial_names_the_utc_day_and_the_message_id() -> None:
    shanghai = timezone(timedelta(hours=8))
    accepted = datetime(2026, 11, 23, 7, 30, tzinfo=shanghai)  # still the 22nd in UTC
    serial = format_serial(accepted, 123456789)
    assert serial == "20261122:123456789"
    ref = parse_serial(serial)
    assert ref == SerialRef(date(2026, 11, 22), 123456789)
    assert ref.day_start == datetime(2026, 11, 22, tzinfo=UTC)
    assert ref.day_end - ref.day_start == timedelta(days=1)


@pytest.mark.parametrize(
    "serial",
    ["", "20261122", "20261122:", ":5", "2026112:5", "20261332:5", "20261122:-5", "20261122:5x",
     "2026\u0661122:5", "20261122:1234567890123456789", "5000:1045710669157053657849499619", "floor:1"],
)  # fmt: skip
def test_serials_the_platform_did_not_issue_are_refused(serial: str) -> None:
    assert parse_serial(serial) is None
