"""Conversion reports (issue 16): a customer's report that a message converted, stored against the message
and counted in the hourly statistics. Every dialect's report comes here (Tencent's ReportConversion names the
message by its serial; a dialect that names it otherwise, such as UCloud's AddBackfill by session and number,
finds the serial first). The rules are core.domain.conversions."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from core.domain.conversions import (
    Conversion,
    check_after_acceptance,
    check_not_ahead,
    not_found,
    repeated,
)
from core.domain.serial import parse_serial
from core.services.platform import Platform
from core.store import conversions


async def record_conversion(
    platform: Platform,
    *,
    dialect: str,
    account_id: int,
    sdk_app_id: str | None,
    serial_no: str,
    converted_s: int,
    now: float,
) -> Conversion:
    """Record that the message `serial_no` converted at `converted_s` (Unix seconds), as reported through
    `dialect` by `account_id` (for `sdk_app_id` when the dialect names one; None: any of the account's
    applications). Raises PlatformError: RESOURCE_NOT_FOUND for a serial that is not the caller's,
    INVALID_PARAMETER_VALUE for a time before the message or in the future, FAILED_OPERATION for a second
    report with another time (the first stands)."""
    check_not_ahead(converted_s, now=now, max_ahead_s=platform.settings.signature_max_skew_s)
    ref = parse_serial(serial_no)
    if ref is None:
        raise not_found(serial_no)
    target = await conversions.find_target(
        platform.db, account_id=account_id, sdk_app_id=sdk_app_id, ref=ref, serial_no=serial_no
    )
    if target is None:
        raise not_found(serial_no)
    check_after_acceptance(converted_s, accepted_at=target.accepted_at)
    if target.converted_at is None:
        recorded = await conversions.insert_conversion(
            platform.db,
            target,
            account_id=account_id,
            serial_no=serial_no,
            dialect=dialect,
            # Within the message's second and the platform's clock (checked above): a representable instant.
            converted_at=datetime.fromtimestamp(converted_s, UTC),
            reported_at=datetime.fromtimestamp(now, UTC),
        )
        if recorded:
            return Conversion(serial_no, converted_s, first=True)
        # A concurrent report of the same message was recorded first: read what it recorded.
        target = await conversions.find_target(
            platform.db, account_id=account_id, sdk_app_id=sdk_app_id, ref=ref, serial_no=serial_no
        )
        assert target is not None and target.converted_at is not None
    assert target.converted_at is not None
    return repeated(serial_no, converted_s, recorded_s=int(target.converted_at.timestamp()))


async def serial_in_session(
    platform: Platform, account_id: int, session: uuid.UUID, phone: str
) -> str | None:
    """The serial of the account's message to `phone` (E.164) in the send `session` (UCloud's SendNo), for a
    dialect that names a message so (AddBackfill); None when there is none."""
    return await conversions.serial_in_session(
        platform.db, platform.keyring, account_id=account_id, session=session, phone=phone
    )
