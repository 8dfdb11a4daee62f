"""Messages whose submit outcome is unknown: a worker died between handing them to a carrier that does not
dedupe on our serial and recording its answer. They are never resent by the platform itself; an operator
resends them (same serial, or a fresh carrier reference on request) or fails them. What is shown of one, and
which serials an operator's request names."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.domain.masking import mask_number
from core.domain.serial import SerialRef, parse_serial

# Serials one resend or fail may name (a dead worker's batch holds at most a request's 200 messages).
MAX_SERIALS = 1000
MAX_REASON_CHARS = 500
# The error a failed unknown message carries when the operator gives no reason.
DEFAULT_FAIL_REASON = "submit outcome unknown: failed by an operator"


@dataclass(frozen=True)
class UnknownOutcome:
    serial_no: str
    sdk_app_id: str
    account_id: int
    phone: str  # E.164; shown masked
    iso_code: str
    accepted_at: datetime
    claimed_at: datetime | None  # when the dead worker claimed it
    marked_at: datetime  # when the sweep found its worker dead
    worker_id: str | None
    attempts: int
    fresh_refs: int  # resends under a fresh carrier reference so far
    message_id: int

    def to_json(self) -> dict[str, Any]:
        return {
            "serial_no": self.serial_no,
            "sdk_app_id": self.sdk_app_id,
            "account_id": self.account_id,
            "phone": mask_number(self.phone),
            "iso_code": self.iso_code,
            "accepted_at": self.accepted_at.isoformat(),
            "claimed_at": self.claimed_at.isoformat() if self.claimed_at else None,
            "marked_at": self.marked_at.isoformat(),
            "worker_id": self.worker_id,
            "attempts": self.attempts,
            "fresh_refs": self.fresh_refs,
        }


class BadOperatorRequest(ValueError):
    """An operator's resend or fail that cannot be done as asked; the message says why."""


def parse_serials(given: Sequence[str]) -> list[tuple[str, SerialRef]]:
    """Each distinct serial with its day and id; refuses an empty or too long list and any serial this
    platform did not issue (naming the first few)."""
    if not given:
        raise BadOperatorRequest("Give at least one serial number.")
    if len(given) > MAX_SERIALS:
        raise BadOperatorRequest(f"At most {MAX_SERIALS} serial numbers per request.")
    parsed: dict[str, SerialRef] = {}
    invalid: list[str] = []
    for serial in given:
        ref = parse_serial(serial)
        if ref is None:
            invalid.append(serial)
        else:
            parsed[serial] = ref
    if invalid:
        shown = ", ".join(repr(s[:40]) for s in invalid[:5])
        raise BadOperatorRequest(f"Not serial numbers of this platform: {shown}.")
    return list(parsed.items())


def fail_reason(raw: str) -> str:
    """The error the failed messages carry: the operator's reason, or a default that says what happened."""
    reason = raw.strip()
    if len(reason) > MAX_REASON_CHARS:
        raise BadOperatorRequest(f"The reason is at most {MAX_REASON_CHARS} characters.")
    return reason or DEFAULT_FAIL_REASON
