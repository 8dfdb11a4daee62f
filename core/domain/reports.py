"""Delivery reports and replies on their way out to the customer (B2, B3): what a carrier's status means for
the statistics. The shapes of the pull answers live with their dialect (api/), the callback bodies in
core.domain.callbacks.

Queued items (pull queue, callback queue) are JSON objects written by SQL in core.store.report_feed:
a status is {serial_no, phone, delivered, error, report_time (Unix s), session_context};
a reply is {phone, text, sign, extend, time (Unix s)}."""

from __future__ import annotations

from enum import StrEnum


class Outcome(StrEnum):
    """A final status as CallbackStatusStatistics counts it: delivered, or failed of one kind."""

    DELIVERED = "delivered"
    FAILED = "failed"  # a failure of no particular kind
    INTERNAL_ERROR = "internal_error"
    INVALID_NUMBER = "invalid_number"
    SHUTDOWN = "shutdown"
    BLACKLIST = "blacklist"
    FREQUENCY_LIMIT = "frequency_limit"


# Carrier status codes (CMPP/SMGP-style `stat` values) by failure kind. Unlisted codes count as plain
# failures. Submit failures (no carrier status at all) are internal errors.
_KINDS: dict[str, Outcome] = {
    **dict.fromkeys(("MK:0001", "MN:0001", "EMPTY", "UNKNOWN", "IC:0001", "MI:0013"), Outcome.INVALID_NUMBER),
    **dict.fromkeys(("MK:0005", "MN:0010", "SHUTDOWN", "POWEROFF", "MI:0020"), Outcome.SHUTDOWN),
    **dict.fromkeys(("BLACK", "BLACKLIST", "MK:0008", "MI:0008", "DB:0141"), Outcome.BLACKLIST),
    **dict.fromkeys(("FREQLIMIT", "MK:0012", "IB:0008", "MI:0012"), Outcome.FREQUENCY_LIMIT),
    **dict.fromkeys(("REJECTD", "ERR", "SYSERR", "MA:0001"), Outcome.INTERNAL_ERROR),
}


def report_outcome(delivered: bool, error: str) -> Outcome:
    if delivered:
        return Outcome.DELIVERED
    return _KINDS.get(error.strip().upper(), Outcome.FAILED)


def submit_failure_outcome() -> Outcome:
    """A message the carrier never took (refused at submit, or retries exhausted)."""
    return Outcome.INTERNAL_ERROR
