"""The send path every API dialect shares: decide (pure), take the L3 quota, record the accepted messages in
ONE statement, enqueue ONE job. A dialect only translates its wire format to a SendRequest and back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import asyncpg
import structlog
from arq.connections import ArqRedis

from core.db.intake import SendContext, insert_batch
from core.domain.errors import Code
from core.domain.sending import SendLimits, SendPlan, SendRequest, plan_send
from core.limits import refund_intl_quota, take_intl_quota
from core.queue import enqueue_send_batch
from core.settings import Settings

log = structlog.get_logger("core.send")


@dataclass(frozen=True)
class SendOutcome:
    plan: SendPlan
    # E.164 -> serial number, for the accepted numbers
    serials: dict[str, str]


def send_limits(settings: Settings) -> SendLimits:
    return SendLimits(
        settings.max_numbers_per_request, settings.individual_max_variable_len, settings.max_content_chars
    )


async def accept_send(
    request: SendRequest,
    context: SendContext,
    *,
    settings: Settings,
    db: asyncpg.Pool,
    redis: ArqRedis,
    now: float,
) -> SendOutcome:
    """Raises PlatformError for request-level refusals; otherwise every number has its result."""
    account = context.key.account
    local_now = datetime.fromtimestamp(now, ZoneInfo(settings.timezone))
    plan = plan_send(
        request,
        account=account,
        app=context.app,
        sign=context.sign,
        template=context.template,
        now_local=local_now,
        limits=send_limits(settings),
    )
    granted = 0
    if plan.accepted and not plan.mainland:  # L3: international messages per account per day
        granted = await take_intl_quota(
            redis,
            account.id,
            len(plan.accepted),
            limit=settings.intl_daily_limit_per_account,
            local_now=local_now,
        )
        plan = plan.limit_accepted(granted, Code.INTL_DAILY_LIMIT)
    if not plan.accepted:
        return SendOutcome(plan, {})
    assert context.app is not None and context.template is not None  # plan_send refuses otherwise
    try:
        batch = await insert_batch(
            db,
            account_id=account.id,
            sdk_app_id=context.app.sdk_app_id,
            sign_name=context.sign.name if context.sign else "",
            template_id=context.template.id,
            content=plan.content,
            parts=plan.parts,
            session_context=request.session_context,
            phones=plan.accepted,
            now=datetime.fromtimestamp(now, UTC),
            stale_after_s=settings.outbox_stale_after_s,
        )
    except Exception:
        await refund_intl_quota(redis, account.id, granted, local_now=local_now)
        raise
    try:
        await enqueue_send_batch(redis, batch.batch_id, batch.accepted_at)
    except Exception as exc:  # the rows are durable: the outbox sweep enqueues them
        log.warning("enqueue failed; outbox sweep will send", batch_id=str(batch.batch_id), error=str(exc))
    return SendOutcome(plan, batch.serials)
