"""Message records as operators see them (rule B4): searched by number and time range and exported, with the
number and the content's variable values masked wherever a record is displayed. Pure: the record, its masked
display row, the CSV rendering, the time and cursor formats the search accepts."""

from __future__ import annotations

import base64
import binascii
import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from core.domain.masking import mask_content, mask_number

DEFAULT_SPAN = timedelta(hours=24)
CSV_HEADER = (
    "serial_no",
    "sdk_app_id",
    "phone",
    "iso_code",
    "status",
    "error",
    "parts",
    "sign_name",
    "template_id",
    "content",
    "accepted_at",
    "sent_at",
    "reported_at",
)
_UNIX_SECONDS = re.compile(r"[0-9]{1,11}(\.[0-9]{1,6})?", re.ASCII)
_CURSOR = re.compile(r"(-?[0-9]{1,19}):([0-9]{1,19})", re.ASCII)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

Value = str | int | None


@dataclass(frozen=True)
class RecordFilter:
    """Which records a search or an export covers: an account and/or an application (one is required), maybe
    one number (E.164), and the time range [since, until)."""

    account_id: int | None
    sdk_app_id: str | None
    phone: str | None
    since: datetime
    until: datetime


@dataclass(frozen=True)
class Record:
    """One row of `messages` with its template's current text (None when the template is gone)."""

    id: int
    accepted_at: datetime
    serial_no: str
    sdk_app_id: str
    phone: str
    iso_code: str
    status: str
    error: str
    parts: int
    sign_name: str
    template_id: int
    content: str
    template_text: str | None
    sent_at: datetime | None
    reported_at: datetime | None

    @property
    def position(self) -> tuple[datetime, int]:
        """Where the record sits in the newest-first order: the keyset the next page starts before."""
        return self.accepted_at, self.id


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat()


def masked_content(record: Record) -> str:
    return mask_content(record.content, record.template_text, record.sign_name)


def masked_row(record: Record) -> dict[str, Value]:
    """The record as displayed and exported: the CSV_HEADER columns, number and content masked, times in
    ISO 8601 UTC."""
    return {
        "serial_no": record.serial_no,
        "sdk_app_id": record.sdk_app_id,
        "phone": mask_number(record.phone),
        "iso_code": record.iso_code,
        "status": record.status,
        "error": record.error,
        "parts": record.parts,
        "sign_name": record.sign_name,
        "template_id": record.template_id,
        "content": masked_content(record),
        "accepted_at": _iso(record.accepted_at),
        "sent_at": _iso(record.sent_at),
        "reported_at": _iso(record.reported_at),
    }


def csv_text(records: Sequence[Record], *, header: bool = False) -> str:
    """The records as CSV lines (RFC 4180, CRLF), masked; with `header`, the header line first. One small
    buffer per call, so an export holds one chunk of text at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    if header:
        writer.writerow(CSV_HEADER)
    writer.writerows(masked_row(r).values() for r in records)
    return buffer.getvalue()


def parse_time(raw: str) -> datetime | None:
    """A search bound: Unix seconds ("1714550400", fractions allowed) or ISO 8601 ("2024-05-01T08:00:00Z";
    without an offset it is UTC). None when malformed."""
    raw = raw.strip()
    try:
        if _UNIX_SECONDS.fullmatch(raw):
            return _EPOCH + timedelta(seconds=float(raw))
        parsed = datetime.fromisoformat(raw)
    except (ValueError, OverflowError):
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def encode_cursor(position: tuple[datetime, int]) -> str:
    """An opaque page cursor: the last record's acceptance time (microseconds since the epoch) and id."""
    accepted_at, message_id = position
    micros = (accepted_at - _EPOCH) // timedelta(microseconds=1)
    return base64.urlsafe_b64encode(f"{micros}:{message_id}".encode()).decode().rstrip("=")


def decode_cursor(raw: str) -> tuple[datetime, int] | None:
    """The position a cursor from encode_cursor names; None for anything else."""
    try:
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode("ascii")
    except (binascii.Error, ValueError):
        return None
    found = _CURSOR.fullmatch(text)
    if found is None:
        return None
    try:
        return _EPOCH + timedelta(microseconds=int(found.group(1))), int(found.group(2))
    except OverflowError:
        return None
