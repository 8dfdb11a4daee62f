"""The send path every API dialect shares: decide (pure), pass the per-number gate (one Redis round trip),
record the accepted messages in ONE statement, enqueue ONE job. A dialect only translates its wire format to a SendRequest and back."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import asyncpg
import structlog

from core.domain.errors import Code
from core.domain.frequency import policy_for
from core.domain.sending import AppContext, SendContext, SendLimits, SendPlan, SendRequest, plan_send
from core.infra.gate import GateRequest
from core.infra.metrics import count_messages, count_refusals
from core.infra.queue import enqueue_send_batch
from core.infra.settings import Settings
from core.services.limit_alarms import check_volume, count_limit_refusals
from core.services.platform import Platform
from core.store.intake import insert_batch, load_send_context
from core.store.legacy import load_legacy_app
from core.store.stats import count_requests

log = structlog.get_logger("core.services.sending")


@dataclass(frozen=True)
class SendOutcome:
    plan: SendPlan
    # E.164 -> serial number, for the accepted numbers
    serials: dict[str, str]
    # The request's number (Alibaba's BizId is made from it); 0 when no number was accepted.
    request_no: int = 0
    # The request's session: its first batch id, which finds all of its batches (UCloud's SessionNo).
    session: uuid.UUID | None = None
    # How many of the session's batch ids the send took (0 when nothing was recorded).
    batches: int = 0


def send_limits(settings: Settings) -> SendLimits:
    return SendLimits(
        settings.max_numbers_per_request, settings.individual_max_variable_len, settings.max_content_chars
    )


async def accept_send(
    platform: Platform,
    request: SendRequest,
    context: SendContext,
    *,
    now: float,
    max_numbers: int | None = None,
    request_no: int | None = None,
    session: uuid.UUID | None = None,
    slot: int = 0,
) -> SendOutcome:
    """Raises PlatformError for request-level refusals; otherwise every number has its result. `now` is the
    request's own clock reading (the one its signature was checked against). `max_numbers`: a dialect whose
    requests may name more numbers than the platform's per-request limit (Alibaba's SendSms: 1,000); the
    workers still get them in batches of at most that limit, through the same gate, record and queue.
    `request_no`: the number of the request this send is a part of (Alibaba's SendBatchSms sends its numbers
    in groups sharing one BizId); None draws a new one. `session` and `slot`: likewise one session for a
    request sent in parts (UCloud's SendBatchUSMSMessage), this part's batches from its `slot`th batch id on."""
    settings, db, redis, gate = platform.settings, platform.db, platform.queue, platform.gate
    account = context.key.account
    local_now = datetime.fromtimestamp(now, ZoneInfo(settings.timezone))
    limits = send_limits(settings)
    plan = plan_send(
        request,
        account=account,
        app=context.app,
        sign=context.sign,
        template=context.template,
        now_local=local_now,
        limits=limits if max_numbers is None else replace(limits, max_numbers=max_numbers),
    )
    # B1: numbers that unsubscribed from this account fail one by one, before any limit is counted for them;
    # so do international numbers in countries the application may not send to (L4).
    refused = {p.e164: Code.PHONE_IN_BLACKLIST for p in plan.accepted if p.e164 in context.blocked}
    if not plan.mainland and context.intl_countries is not None:
        refused |= {
            p.e164: Code.APP_COUNTRY_NOT_ALLOWED
            for p in plan.accepted
            if p.iso not in context.intl_countries and p.e164 not in refused
        }
    plan = plan.refuse(refused)
    count_refusals(refused.values())
    assert context.app is not None  # plan_send refuses a request without its account's application
    if not plan.accepted:  # the template is not checked when no number is valid: it may be None here
        return await _refused_outright(plan, db, account.id, context.app.sdk_app_id, now)
    assert context.template is not None  # plan_send refuses otherwise
    decision = await gate.check(
        GateRequest(
            sdk_app_id=context.app.sdk_app_id,
            account_id=account.id,
            phones=plan.accepted,
            content=plan.content,
            mainland=plan.mainland,
            policy=policy_for(account.kind, context.policy),
            allowlist=context.allowlist,
            intl_daily_limit=settings.intl_daily_limit_per_account,
            local_now=local_now,
        )
    )
    plan = plan.refuse(decision.refused)
    count_refusals(decision.refused.values())
    try:
        if decision.refused:
            await count_limit_refusals(
                redis, settings, account.id, context.app.sdk_app_id, decision.refused, now
            )
        await check_volume(
            redis,
            settings,
            account.id,
            context.app.sdk_app_id,
            usual=context.usual_daily_volume,
            today_before=decision.app_today - decision.passed,
            today_after=decision.app_today,
            day=f"{local_now:%Y%m%d}",
        )
    except Exception as exc:  # an alarm that cannot be raised must not fail the customer's request
        log.warning("anti-bombing alarm not raised", error=str(exc))
    if not plan.accepted:
        return await _refused_outright(plan, db, account.id, context.app.sdk_app_id, now)
    try:
        batch = await insert_batch(
            db,
            platform.keyring,
            account_id=account.id,
            sdk_app_id=context.app.sdk_app_id,
            sign_name=context.sign.name if context.sign else "",
            template_id=context.template.id,
            content=plan.content,
            parts=plan.parts,
            session_contexts=[plan.session_of(p.e164, request.session_context) for p in plan.accepted],
            phones=plan.accepted,
            now=datetime.fromtimestamp(now, UTC),
            stale_after_s=settings.outbox_stale_after_s,
            counts=plan.counts(),
            usage_day=local_now.date(),
            chunk=settings.max_numbers_per_request,
            request_no=request_no,
            session=session,
            slot=slot,
        )
    except Exception:
        await gate.refund(decision)  # nothing was recorded: the limits give back what they counted
        raise
    for batch_id in batch.batch_ids:
        try:
            await enqueue_send_batch(redis, batch_id, batch.accepted_at)
        except Exception as exc:  # the rows are durable: the outbox sweep enqueues them
            log.warning("enqueue failed; outbox sweep will send", batch_id=str(batch_id), error=str(exc))
    count_messages("accepted", (p.iso for p in plan.accepted))
    count_messages("refused", (r.iso_code for r in plan.results if not r.accepted))
    return SendOutcome(plan, batch.serials, batch.request_no, batch.batch_id, len(batch.batch_ids))


async def _refused_outright(
    plan: SendPlan, db: asyncpg.Pool, account_id: int, sdk_app_id: str, now: float
) -> SendOutcome:
    """No number was accepted: nothing to record but the request in the statistics (its one statement)."""
    await count_requests(db, account_id, sdk_app_id, datetime.fromtimestamp(now, UTC), plan.counts())
    count_messages("refused", (r.iso_code for r in plan.results))
    return SendOutcome(plan, {})


async def send_context(
    platform: Platform,
    secret_id: str,
    sdk_app_id: str | None,
    sign_name: str,
    template_id: int,
    phones: Sequence[str],
) -> SendContext | None:
    """The API key and everything a send needs (application, policy, lists, signature, template, which of
    `phones` are blocklisted) in ONE query, scoped to the key's account; None when the SecretId is unknown.
    `sdk_app_id` None: the application the key names for dialects whose calls name none (Alibaba, UCloud),
    else the account's only application; the context has no application when neither exists."""
    return await load_send_context(
        platform.db, platform.keyring, secret_id, sdk_app_id, sign_name, template_id, phones
    )


async def app_context(
    platform: Platform,
    sdk_app_id: str,
    *,
    sign_name: str = "",
    template_id: int = -1,
    phones: Sequence[str] = (),
    default_sign: bool = False,
    with_templates: bool = False,
) -> AppContext | None:
    """An application with its AppKey and, for a send, its send context, in ONE query (see core.store.legacy);
    None when no such application exists."""
    return await load_legacy_app(
        platform.db,
        platform.keyring,
        sdk_app_id,
        sign_name=sign_name,
        template_id=template_id,
        phones=phones,
        default_sign=default_sign,
        with_templates=with_templates,
    )
