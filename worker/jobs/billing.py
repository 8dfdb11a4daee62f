"""Billing cron jobs (P2): the daily deduction runs every 10 minutes and charges whatever days are due (so
"the next morning at the billing time" holds, and days missed while no worker ran are caught up); the arrears
watch runs every minute. Both are idempotent: a repeat finds nothing left to do."""

from __future__ import annotations

from typing import Any

from core.services.billing import run_arrears_watch, run_daily_deduction
from worker.deps import get_deps


async def daily_deduction(ctx: dict[str, Any]) -> dict[str, Any]:
    run = await run_daily_deduction(get_deps(ctx).platform)
    return {
        "days": [str(d.day) for d in run.days],
        "accounts": sum(d.accounts for d in run.days),
        "amount_minor": sum(d.amount_minor for d in run.days),
        "notices": run.notices,
    }


async def arrears_watch(ctx: dict[str, Any]) -> dict[str, Any]:
    return {"suspended": await run_arrears_watch(get_deps(ctx).platform)}
