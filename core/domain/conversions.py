"""Conversion reports (issue 16), pure: the customer tells the platform that a message did its job (the
recipient typed the code in, say), naming the message and when the conversion happened. Every dialect that
takes such reports (Tencent's ReportConversion, UCloud's AddBackfill) is held to these rules.

- A conversion cannot happen before its message was accepted (to the second: reports carry Unix seconds), nor
  in the future; a clock ahead of the platform's by no more than the skew it tolerates in signed requests is
  not "the future".
- One conversion per message, and the first report stands: the same report again (an honest retry) is
  answered as recorded; one with another time is refused, so the customer learns it was not taken."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from core.domain.errors import Code, PlatformError


@dataclass(frozen=True)
class Conversion:
    """A message's conversion as recorded. `first`: this report recorded it (False: an earlier identical one
    did)."""

    serial_no: str
    converted_s: int  # Unix seconds
    first: bool


def not_found(serial_no: str) -> PlatformError:
    """The message is not one of the caller's (or does not exist): the same answer either way."""
    shown = serial_no if len(serial_no) <= 64 else serial_no[:61] + "..."
    return PlatformError(Code.RESOURCE_NOT_FOUND, f"No message of this application has the serial {shown!r}.")


def check_not_ahead(converted_s: int, *, now: float, max_ahead_s: int) -> None:
    """A conversion time later than the platform's clock allows (now, plus the tolerated skew) is refused."""
    if converted_s > now + max_ahead_s:
        raise PlatformError(Code.INVALID_PARAMETER_VALUE, "The conversion time is in the future.")


def check_after_acceptance(converted_s: int, *, accepted_at: datetime) -> None:
    """A conversion before the second its message was accepted is refused."""
    if converted_s < math.floor(accepted_at.timestamp()):
        raise PlatformError(
            Code.INVALID_PARAMETER_VALUE, "The conversion time is before the message was sent."
        )


def repeated(serial_no: str, converted_s: int, *, recorded_s: int) -> Conversion:
    """A report for a message whose conversion is recorded already (at `recorded_s`): the first one stands."""
    if converted_s != recorded_s:
        raise PlatformError(
            Code.FAILED_OPERATION,
            f"A conversion was already reported for this message (at {recorded_s}); the first report stands.",
        )
    return Conversion(serial_no, recorded_s, first=False)
