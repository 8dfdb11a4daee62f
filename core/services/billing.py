"""Billing (P1-P3). The scheduled steps: the daily deduction for every due day, oldest first; the overdue SMS
once per arrears episode, sent through the platform's own send path by its system tenant; suspension after the
grace period (the worker's cron jobs call these; tests call them with a controlled clock). The operator's side:
prices, recharges, statements, the settlement choice and SMS packages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import structlog

from core.domain.billing import (
    OVERDUE_TEMPLATE,
    Month,
    due_days,
    due_months,
    month_start,
    overdue_params,
    parse_billing_time,
)
from core.domain.phone import normalize_phone
from core.domain.prices import PriceRow
from core.domain.sending import SendRequest
from core.infra.metrics import billing_run
from core.services.alarms import system_sender
from core.services.platform import Platform
from core.services.sending import accept_send
from core.store import billing

__all__ = ["DeductionRun", "Package", "Standing"]
Package = billing.Package
Standing = billing.Standing
log = structlog.get_logger("core.services.billing")


@dataclass
class DeductionRun:
    days: list[billing.DayCharged] = field(default_factory=list)
    months: list[billing.DayCharged] = field(default_factory=list)  # `day` is the month's first day
    notices: int = 0


@billing_run("daily_deduction")
async def run_daily_deduction(platform: Platform) -> DeductionRun:
    """Charge every day that is due and not yet charged, oldest first, each in its own transaction, and every
    month of monthly-settled international usage (P3) from its next month's 1st; then send the overdue
    notices of the accounts that went below zero."""
    pool, settings, now = platform.db, platform.settings, platform.now()
    tz = ZoneInfo(settings.timezone)
    now_local = datetime.fromtimestamp(now, tz)
    billing_time = parse_billing_time(settings.billing_time)
    window_start = now_local.date() - timedelta(days=settings.billing_catchup_days + 2)
    first_usage = await billing.first_usage_day(pool)
    run = DeductionRun()
    if first_usage is None:
        return run  # nothing was ever used
    done = await billing.charged_days(pool, since=window_start)
    days = due_days(now_local, billing_time, catchup_days=settings.billing_catchup_days, done=done)
    at = datetime.fromtimestamp(now, UTC)
    for day in (d for d in days if d >= first_usage):
        charged = await billing.deduct_day(pool, day, now=at, timezone=settings.timezone)
        if charged is not None:
            run.days.append(charged)
            _log_charge("daily deduction", charged)
    months_done = await billing.charged_months(pool, since=month_start(first_usage))
    for first, last in due_months(now_local, billing_time, since=first_usage, done=months_done):
        charged = await billing.deduct_month(pool, first, last, now=at)
        if charged is not None:
            run.months.append(charged)
            _log_charge("monthly deduction", charged)
    if any(d.entered_arrears for d in run.days + run.months):
        run.notices = await send_overdue_notices(platform)
    return run


def _log_charge(event: str, charged: billing.DayCharged) -> None:
    log.info(
        event,
        day=str(charged.day),
        accounts=charged.accounts,
        amount_minor=charged.amount_minor,
        entered_arrears=len(charged.entered_arrears),
    )


async def send_overdue_notices(platform: Platform) -> int:
    """The overdue SMS to each account in arrears that has not had one for this episode; returns how many
    were sent. An account without a usable contact number gets its notice recorded as undeliverable."""
    pool, settings, now = platform.db, platform.settings, platform.now()
    at = datetime.fromtimestamp(now, UTC)
    sent = 0
    for notice in await billing.claim_overdue_notices(pool, now=at):
        phone = normalize_phone(notice.contact_phone) if notice.contact_phone else None
        if phone is None:
            await billing.record_notice(pool, notice, now=at, serial_no=None, detail="no contact number")
            continue
        context = await system_sender(
            pool, platform.keyring, allowlist=frozenset({phone.e164}), template=OVERDUE_TEMPLATE
        )
        params = overdue_params(
            notice.account_id,
            notice.balance_minor,
            exponent=settings.money_exponent,
            currency=settings.currency,
            grace_s=settings.arrears_grace_s,
        )
        outcome = await accept_send(
            platform,
            SendRequest(
                phones=[phone.e164], sign_name=context.sign.name if context.sign else "", params=params
            ),
            context,
            now=now,
        )
        serial = outcome.serials.get(phone.e164)
        detail = "sent" if serial else outcome.plan.results[0].code.value
        await billing.record_notice(pool, notice, now=at, serial_no=serial, detail=detail)
        sent += 1 if serial else 0
        log.warning("overdue notice", account_id=notice.account_id, sent=bool(serial), detail=detail)
    return sent


@billing_run("arrears_watch")
async def run_arrears_watch(platform: Platform) -> list[int]:
    """Every minute: overdue notices still owed, then suspension of accounts past the grace period."""
    await send_overdue_notices(platform)
    suspended = await billing.suspend_overdue(
        platform.db, now=platform.utc_now(), grace_s=platform.settings.arrears_grace_s
    )
    if suspended:
        log.warning("accounts suspended for arrears", accounts=suspended)
    return suspended


# The operator's side (P1-P3): prices, recharges, statements, settlement choice, SMS packages.

EVER_SINCE = datetime.min.replace(tzinfo=UTC)
EVER_UNTIL = datetime.max.replace(tzinfo=UTC)


async def prices(platform: Platform) -> list[tuple[str, int, datetime]]:
    """Every country's price per part (minor units), with when it was set; 'DEF' is the default."""
    return await billing.list_prices(platform.db)


async def set_prices(platform: Platform, rows: Sequence[PriceRow]) -> int:
    """Set the prices of the countries given (one transaction); returns how many rows changed."""
    return await billing.replace_prices(
        platform.db, [(r.iso_code, r.price_minor) for r in rows], now=platform.utc_now()
    )


async def recharge(
    platform: Platform, account_id: int, amount_minor: int, *, by: str, note: str = ""
) -> billing.Standing | None:
    """A ledger entry adding money; back at zero or above ends arrears and suspension at once (P2). None when
    the account does not exist."""
    return await billing.recharge(
        platform.db, account_id, amount_minor, now=platform.utc_now(), by=by, note=note
    )


async def statement(platform: Platform, account_id: int, period: Month) -> dict[str, Any] | None:
    """A month's ledger and per-day usage, with the balance before and after; None: no such account."""
    return await billing.statement(
        platform.db,
        account_id,
        since=period.since,
        until=period.until,
        first_day=period.first_day,
        last_day=period.last_day,
    )


async def set_settlement(platform: Platform, account_id: int, international: str) -> bool:
    """P3: 'daily' or 'monthly' settlement of international usage; False when the account does not exist."""
    return await billing.set_intl_settlement(platform.db, account_id, international)


async def grant_package(
    platform: Platform,
    account_id: int,
    *,
    parts: int,
    valid_from: datetime,
    valid_until: datetime,
    price_minor: int,
    by: str,
) -> tuple[billing.Package, billing.Standing] | None:
    """Grant (price 0) or sell a package of mainland parts; None when the account does not exist."""
    return await billing.grant_package(
        platform.db,
        account_id,
        parts=parts,
        valid_from=valid_from,
        valid_until=valid_until,
        price_minor=price_minor,
        now=platform.utc_now(),
        by=by,
    )


async def packages(
    platform: Platform,
    account_id: int,
    *,
    created_since: datetime = EVER_SINCE,
    created_until: datetime = EVER_UNTIL,
    limit: int = 500,
    offset: int = 0,
) -> list[billing.Package]:
    return await billing.list_packages(
        platform.db,
        account_id,
        created_since=created_since,
        created_until=created_until,
        limit=limit,
        offset=offset,
    )
