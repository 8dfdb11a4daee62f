"""Serial numbers (SendStatus.SerialNo): `YYYYMMDD:<message id>`, the UTC day of acceptance and the row's id.
The day names the message's partition and the id its primary key, so a lookup by serial touches one index
entry of one partition, whatever the table's statistics say."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta


@dataclass(frozen=True)
class SerialRef:
    day: date
    message_id: int

    @property
    def day_start(self) -> datetime:
        return datetime(self.day.year, self.day.month, self.day.day, tzinfo=UTC)

    @property
    def day_end(self) -> datetime:
        return self.day_start + timedelta(days=1)


def format_serial(accepted_at: datetime, message_id: int) -> str:
    return f"{accepted_at.astimezone(UTC):%Y%m%d}:{message_id}"


def biz_id(request_no: int) -> str:
    """A send request's reference as Alibaba's BizId reads it (`<digits>^<digits>`, opaque to clients)."""
    return f"{request_no}^0"


def parse_biz_id(text: str) -> int | None:
    """The request number in a BizId this platform issued; None for anything else."""
    number, sep, tail = text.partition("^")
    if sep != "^" or tail != "0" or not number.isascii() or not number.isdigit() or len(number) > 18:
        return None
    return int(number)


def parse_serial(serial_no: str) -> SerialRef | None:
    """None for anything this platform did not issue."""
    day_text, sep, id_text = serial_no.partition(":")
    if not sep or len(day_text) != 8 or not (day_text + id_text).isascii():
        return None
    if not day_text.isdigit() or not id_text.isdigit() or len(id_text) > 18:
        return None
    try:
        day = date(int(day_text[:4]), int(day_text[4:6]), int(day_text[6:]))
    except ValueError:
        return None
    return SerialRef(day, int(id_text))


# An operator's resend "under a fresh reference" goes to the carrier as `<serial>~<n>`: a carrier deduping on
# the reference then sends it again. The customer keeps seeing the serial itself.
_GENERATION_SEP = "~"


def carrier_ref(serial_no: str, generation: int) -> str:
    """The reference the carrier gets for a message: its serial, or `<serial>~<n>` after the operator's nth
    resend under a fresh reference."""
    return serial_no if generation == 0 else f"{serial_no}{_GENERATION_SEP}{generation}"


def serial_of_ref(ref: str) -> str:
    """The serial a carrier reference stands for (a report of any of its submissions settles the message)."""
    serial_no, sep, generation = ref.partition(_GENERATION_SEP)
    if sep and generation.isascii() and generation.isdigit() and len(generation) <= 4:
        return serial_no
    return ref


# A send request's batches (of <= 200 numbers for the workers) share a random id but its low 8 bits: the first,
# the session, finds all of them through the batch index (UCloud's SessionNo). Up to 256 batches a request.
SESSION_BITS = 8
SESSION_BATCHES_MAX = 1 << SESSION_BITS


def session_batches(seed: uuid.UUID, count: int) -> tuple[uuid.UUID, ...]:
    """A request's batch ids: its session (`seed` with the low bits cleared), then the ids that follow it."""
    if not 1 <= count <= SESSION_BATCHES_MAX:
        raise ValueError(f"a request has 1 to {SESSION_BATCHES_MAX} batches, not {count}")
    base = seed.int >> SESSION_BITS << SESSION_BITS
    return tuple(uuid.UUID(int=base + k) for k in range(count))


def session_of(batch_id: uuid.UUID) -> uuid.UUID:
    return uuid.UUID(int=batch_id.int >> SESSION_BITS << SESSION_BITS)


def parse_session(text: str) -> uuid.UUID | None:
    """A session id this platform issued (a UUID with its low bits clear); None for anything else."""
    try:
        session = uuid.UUID(text)
    except ValueError:
        return None
    return session if session_of(session) == session else None
