"""SerialNo: the day names the partition, the id the row (architecture: a lookup touches one partition)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from core.domain.serial import SerialRef, carrier_ref, format_serial, parse_serial, serial_of_ref


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


@pytest.mark.parametrize(
    ("serial", "generation", "ref"),
    [("20261122:5", 0, "20261122:5"), ("20261122:5", 1, "20261122:5~1"), ("20261122:5", 12, "20261122:5~12")],
)
def test_the_carrier_reference_is_the_serial_until_an_operator_resends_under_a_fresh_one(
    serial: str, generation: int, ref: str
) -> None:
    """Issue 14, finding 5: a fresh reference keeps the serial recoverable, so its reports still settle it."""
    assert carrier_ref(serial, generation) == ref
    assert serial_of_ref(ref) == serial


@pytest.mark.parametrize("ref", ["20261122:5~", "20261122:5~x", "20261122:5~12345", "20261122:5~-1"])
def test_a_reference_with_a_malformed_suffix_is_not_taken_for_a_serial(ref: str) -> None:
    assert serial_of_ref(ref) == ref
    assert parse_serial(serial_of_ref(ref)) is None
