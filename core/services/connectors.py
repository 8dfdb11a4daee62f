"""The carrier connector interface. Every upstream (the simulator, a real carrier's HTTP API, SMPP next)
implements `Connector` (the implementations live in worker/carriers/); the delivery service knows nothing else
about carriers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class OutboundMessage:
    # Our serial number: the carrier's idempotency key and the reference its reports carry back.
    ref: str
    phone: str  # E.164
    content: str
    sender_id: str = ""


@dataclass(frozen=True)
class SubmitResult:
    ref: str
    # Set when the carrier accepted the message; None when it refused it.
    carrier_id: str | None
    # The carrier's reason for a permanent, per-message refusal.
    error: str = ""


class TransientCarrierError(Exception):
    """The whole call failed in a way worth retrying: timeout, 5xx, connection reset. `maybe_sent`: the request
    may have reached the carrier before the failure (a timeout or a connection lost after sending it, an
    answer we could not read), so its messages may be on their way; False when the carrier surely did not
    take them (no connection, or it answered that it refused them)."""

    def __init__(self, reason: str, *, maybe_sent: bool = False) -> None:
        super().__init__(reason)
        self.maybe_sent = maybe_sent


class PermanentCarrierError(Exception):
    """The whole call was refused and retrying will not help (4xx): every message fails with this reason."""


class Connector(Protocol):
    name: str
    # Whether the carrier treats a second submit of the same `ref` as the first one (answering it again,
    # sending nothing). Only then may a batch whose submit outcome is unknown (its worker died between the
    # call and recording the answer) be resubmitted; otherwise its messages become `unknown` for an operator.
    dedupes_on_ref: bool

    async def submit(self, messages: Sequence[OutboundMessage]) -> list[SubmitResult]:
        """Submit up to 200 messages in ONE upstream call; one result per message, same order."""
        ...

    async def close(self) -> None: ...
