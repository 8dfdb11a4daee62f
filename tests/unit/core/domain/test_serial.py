"""SerialNo: the day names the partition, the id the row (architecture: a lookup touches one partition)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from core.domain.serial import (
    SESSION_BATCHES_MAX,
    SerialRef,
    carrier_ref,
    format_serial,
    parse_serial,
    serial_of_ref,
    session_batches,
    session_last,
    session_of,
)


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


def test_a_request_in_parts_takes_its_sessions_next_batch_ids() -> None:
    seed = uuid.UUID("12345678-1234-4234-9234-1234567890ab")
    session = session_of(seed)
    assert session_batches(seed, 2) == (session, uuid.UUID(int=session.int + 1))
    assert session_batches(seed, 2, start=5) == (
        uuid.UUID(int=session.int + 5),
        uuid.UUID(int=session.int + 6),
    )
    # The session's last id is its range's end: every batch of the session lies in [session, last].
    last = session_batches(seed, 1, start=SESSION_BATCHES_MAX - 1)[0]
    assert last == session_last(session) and session_of(last) == session
    assert session_of(uuid.UUID(int=last.int + 1)) != session
    for count, start in ((0, 0), (1, -1), (1, SESSION_BATCHES_MAX), (SESSION_BATCHES_MAX, 1)):
        with pytest.raises(ValueError):
            session_batches(seed, count, start)
