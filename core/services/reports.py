"""Delivery reports and replies (B1-B3): what carriers hand back is recorded (each final status published to
the pull queue, the callback queue and the statistics in the same statement) and callback delivery is woken;
what customers pull is handed out once, or looked up by number."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import structlog

from core.domain.replies import ATTRIBUTION_WINDOW
from core.infra.metrics import MESSAGES, country
from core.infra.queue import enqueue_callbacks
from core.services.platform import Platform
from core.store import report_feed
from core.store.messages import DeliveryReport, apply_reports
from core.store.replies import IncomingReply, record_replies
from core.store.report_feed import ReceiptRow, SendDetailRow, SendRecordRow

__all__ = ["DeliveryReport", "IncomingReply", "ReceiptRow", "SendDetailRow", "SendRecordRow"]
log = structlog.get_logger("core.services.reports")
Kind = Literal["status", "reply"]


async def record_carrier_reports(platform: Platform, reports: Sequence[DeliveryReport]) -> int:
    """Apply a carrier's delivery reports in one statement; returns how many matched a message."""
    applied = await apply_reports(platform.db, reports)
    for (iso, delivered), n in applied.outcomes.items():
        MESSAGES.labels("delivered" if delivered else "failed", country(iso)).inc(n)
    await _start_callbacks(platform, applied.callback_apps)
    log.info("carrier reports", received=len(reports), applied=applied.count)
    return applied.count


@dataclass(frozen=True)
class RepliesRecorded:
    stored: int
    unattributed: int
    unsubscribes: int


async def record_carrier_replies(platform: Platform, replies: Sequence[IncomingReply]) -> RepliesRecorded:
    """Store mobile-originated messages (free, P4), attribute each to the message it answers within the
    window (B2), and blocklist the unsubscribes (B1)."""
    stored = await record_replies(
        platform.db, platform.keyring, replies, window_s=int(ATTRIBUTION_WINDOW.total_seconds())
    )
    await _start_callbacks(platform, [r.sdk_app_id for r in stored if r.callback and r.sdk_app_id])
    outcome = RepliesRecorded(
        stored=len(stored),
        unattributed=sum(1 for r in stored if r.account_id is None),
        unsubscribes=sum(1 for r in stored if r.unsubscribe and r.account_id is not None),
    )
    log.info("carrier replies", received=len(replies), **outcome.__dict__)
    return outcome


async def _start_callbacks(platform: Platform, sdk_app_ids: list[str]) -> None:
    """Wake the callback delivery for these applications; if Redis is down the worker's sweep finds them."""
    if not sdk_app_ids:
        return
    try:
        await enqueue_callbacks(platform.queue, sdk_app_ids)
    except Exception as exc:
        log.warning("callback delivery not started; the sweep will", apps=len(sdk_app_ids), error=str(exc))


async def app_owner(platform: Platform, sdk_app_id: str) -> int | None:
    """The account an application belongs to (None: no such application)."""
    return await report_feed.app_owner(platform.db, sdk_app_id)


async def pull(platform: Platform, sdk_app_id: str, kind: Kind, limit: int) -> list[dict[str, Any]]:
    """The application's oldest queued statuses or replies, each handed out once (see report_feed)."""
    return await report_feed.take_pulled(platform.db, platform.keyring, sdk_app_id, kind, limit)


async def by_phone(
    platform: Platform,
    sdk_app_id: str,
    kind: Kind,
    phone: str,
    *,
    begin: datetime,
    end: datetime,
    limit: int,
    offset: int,
) -> list[dict[str, Any]]:
    """Final statuses (reported) or replies (received) of one number in [begin, end], oldest first."""
    if kind == "status":
        return await report_feed.statuses_by_phone(
            platform.db, platform.keyring, sdk_app_id, phone, begin=begin, end=end, limit=limit, offset=offset
        )
    return await report_feed.replies_by_phone(
        platform.db, sdk_app_id, phone, begin=begin, end=end, limit=limit, offset=offset
    )


async def send_records(
    platform: Platform,
    sdk_app_id: str,
    phone: str,
    *,
    begin: datetime,
    end: datetime,
    limit: int,
    offset: int,
) -> tuple[int, list[SendRecordRow]]:
    """The application's messages to `phone` sent in [begin, end], newest first, and how many in all."""
    return await report_feed.send_records_by_phone(
        platform.db, platform.keyring, sdk_app_id, phone, begin=begin, end=end, limit=limit, offset=offset
    )


async def send_details(
    platform: Platform,
    account_id: int,
    phone: str,
    *,
    begin: datetime,
    end: datetime,
    request_no: int | None,
    limit: int,
    offset: int,
) -> tuple[int, list[SendDetailRow]]:
    """The account's messages to `phone` (E.164) accepted in [begin, end), of one send request when
    `request_no` is given, newest first, and how many there are in all (Alibaba's QuerySendDetails)."""
    return await report_feed.send_details_by_phone(
        platform.db,
        platform.keyring,
        account_id,
        phone,
        begin=begin,
        end=end,
        request_no=request_no,
        limit=limit,
        offset=offset,
    )


async def receipts(platform: Platform, account_id: int, batch_ids: Sequence[uuid.UUID]) -> list[ReceiptRow]:
    """The account's messages with a final status in these batches (a request's session and the batches
    that follow it: UCloud's GetUSMSSendReceipt)."""
    return await report_feed.receipts_by_batches(platform.db, platform.keyring, account_id, batch_ids)
