"""Rule B4's display row and export format: masked number and content, ISO 8601 UTC times, the CSV header, and
the time and cursor formats the record search accepts."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta, timezone

import pytest

from core.domain.records import (
    CSV_HEADER,
    Record,
    csv_text,
    decode_cursor,
    encode_cursor,
    masked_row,
    parse_time,
)

AT = datetime(2024, 5, 1, 8, 30, 15, 123456, tzinfo=UTC)


def record(**overrides: object) -> Record:
    fields: dict[str, object] = {
        "id": 42,
        "accepted_at": AT,
        "serial_no": "20240501:42",
        "sdk_app_id": "1400000001",
        "phone": "+8613800138000",
        "iso_code": "CN",
        "status": "delivered",
        "error": "",
        "parts": 1,
        "sign_name": "Bank",
        "template_id": 1000,
        "content": "【Bank】Dear customer, your top-up payment of 1002 USD has been credited",
        "template_text": "Dear customer, your top-up payment of {1} USD has been credited",
        "sent_at": AT + timedelta(seconds=1),
        "reported_at": None,
    }
    fields.update(overrides)
    return Record(**fields)  # type: ignore[arg-type]


def test_the_row_masks_number_and_variables_and_gives_utc_times() -> None:
    row = masked_row(record(accepted_at=AT.astimezone(timezone(timedelta(hours=8)))))
    assert list(row) == list(CSV_HEADER)
    assert row["phone"] == "+86138****8000"
    assert row["content"] == "【Bank】Dear customer, your top-up payment of 1**2 USD has been credited"
    assert row["accepted_at"] == "2024-05-01T08:30:15.123456+00:00"
    assert row["sent_at"] == "2024-05-01T08:30:16.123456+00:00"
    assert row["reported_at"] is None


@pytest.mark.parametrize(
    ("content", "masked"),
    [
        ("【Bank】482913 is your code", "【Bank】4****3 is your code"),  # mainland: 【sign】text
        ("[Bank] 482913 is your code", "[Bank] 4****3 is your code"),  # international: [sign] text
        ("482913 is your code", "4****3 is your code"),  # no signature (S6)
    ],
)
def test_the_signature_is_kept_when_the_template_starts_with_a_variable(content: str, masked: str) -> None:
    row = masked_row(record(content=content, template_text="{1} is your code"))
    assert row["content"] == masked


def test_a_record_whose_template_is_gone_has_its_digit_runs_masked() -> None:
    row = masked_row(record(template_text=None))
    assert row["content"] == "【Bank】Dear customer, your top-up payment of 1**2 USD has been credited"


def test_csv_has_the_header_then_one_masked_line_per_record() -> None:
    text = csv_text([record(), record(id=43, content='Say "hi", 1002\nbye', template_text=None)], header=True)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == list(CSV_HEADER)
    assert len(rows) == 3
    assert rows[1][CSV_HEADER.index("phone")] == "+86138****8000"
    # Quoted, so commas, quotes and line breaks survive.
    assert rows[2][CSV_HEADER.index("content")] == 'Say "hi", 1**2\nbye'
    assert rows[1][CSV_HEADER.index("reported_at")] == ""
    assert "13800138000" not in text
    assert csv_text([]) == ""


@pytest.mark.parametrize(
    ("raw", "parsed"),
    [
        ("1714552215", datetime(2024, 5, 1, 8, 30, 15, tzinfo=UTC)),
        ("1714552215.5", datetime(2024, 5, 1, 8, 30, 15, 500000, tzinfo=UTC)),
        ("2024-05-01T08:30:15Z", datetime(2024, 5, 1, 8, 30, 15, tzinfo=UTC)),
        ("2024-05-01T16:30:15+08:00", datetime(2024, 5, 1, 8, 30, 15, tzinfo=UTC)),
        ("2024-05-01T08:30:15", datetime(2024, 5, 1, 8, 30, 15, tzinfo=UTC)),  # no offset: UTC
        ("2024-05-01", datetime(2024, 5, 1, tzinfo=UTC)),
    ],
)
def test_times_are_unix_seconds_or_iso_8601(raw: str, parsed: datetime) -> None:
    assert parse_time(raw) == parsed


@pytest.mark.parametrize(
    "raw", ["", "yesterday", "2024-13-01", "-5", "1e9", "99999999999999", "１７１４５５２２１５"]
)
def test_malformed_times_are_refused(raw: str) -> None:
    assert parse_time(raw) is None


def test_a_cursor_round_trips_the_position_exactly() -> None:
    position = (AT, 9_007_199_254_740_993)  # beyond a float's precision
    cursor = encode_cursor(position)
    assert cursor.isascii() and "=" not in cursor
    assert decode_cursor(cursor) == position


@pytest.mark.parametrize("raw", ["", "x", "!!!!", "MTIz", "YWJjOjE", "é", encode_cursor((AT, 1)) + "A"])
def test_a_cursor_not_made_by_the_api_is_refused(raw: str) -> None:
    assert decode_cursor(raw) is None
