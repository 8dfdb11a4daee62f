"""Anti-bombing alarms (rule L4). Intake counts an application's per-number limit refusals in a window; when
they cross the threshold, a job raises ONE alarm for that window: an SMS to the account's alarm recipients,
sent through the platform's own send path by its system tenant, and a POST to the account's alarm webhook."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg
import structlog

from core.domain.sending import Account, ApiKey, App, SendContext, SendRequest, Signature, Template
from core.infra.crypto import Keyring
from core.infra.outbound import GuardedClient
from core.services.platform import Platform
from core.services.sending import accept_send
from core.store import admin

SYSTEM_SIGN = "SMSPlatform"
SYSTEM_TEMPLATE = "Alert for your application {1}: {2}. Please check your sending."
log = structlog.get_logger("core.services.alarms")


@dataclass(frozen=True)
class RaisedAlarm:
    id: int
    serials: list[str]
    webhook_status: str


async def raise_alarm(
    platform: Platform,
    outbound: GuardedClient,
    *,
    account_id: int,
    sdk_app_id: str,
    kind: str,
    window_key: str,
    detail: str,
    now: float,
) -> RaisedAlarm | None:
    """Record the alarm (once per window) and deliver it, the webhook through the guarded client (public
    addresses only, no redirects); None when it was raised already."""
    pool = platform.db
    alarm_id = await pool.fetchval(
        "INSERT INTO alarms (account_id, sdk_app_id, kind, window_key, detail) VALUES ($1, $2, $3, $4, $5)"
        " ON CONFLICT DO NOTHING RETURNING id",
        account_id,
        sdk_app_id,
        kind,
        window_key,
        detail,
    )
    if alarm_id is None:
        return None
    phones, webhook = await pool.fetchrow(
        "SELECT alarm_phones, alarm_webhook FROM accounts WHERE id = $1", account_id
    ) or ([], "")
    serials: list[str] = []
    if phones:
        context = await system_sender(pool, platform.keyring, allowlist=frozenset(phones))
        outcome = await accept_send(
            platform,
            SendRequest(phones=list(phones), sign_name=SYSTEM_SIGN, params=[sdk_app_id, detail]),
            context,
            now=now,
        )
        serials = list(outcome.serials.values())
    webhook_status = (
        await _post_webhook(platform, outbound, webhook, account_id, sdk_app_id, kind, detail, now)
        if webhook
        else ""
    )
    await pool.execute(
        "UPDATE alarms SET serials = $2, webhook_status = $3 WHERE id = $1", alarm_id, serials, webhook_status
    )
    log.warning("alarm raised", account_id=account_id, app=sdk_app_id, kind=kind, sms=len(serials))
    return RaisedAlarm(alarm_id, serials, webhook_status)


async def _post_webhook(
    platform: Platform,
    outbound: GuardedClient,
    url: str,
    account_id: int,
    sdk_app_id: str,
    kind: str,
    detail: str,
    now: float,
) -> str:
    """'HTTP 2xx' when the webhook took the alarm, else 'failed: <why>' in words fit for the customer."""
    body = {
        "account_id": account_id,
        "sdk_app_id": sdk_app_id,
        "kind": kind,
        "detail": detail,
        "raised_at": datetime.fromtimestamp(now, UTC).isoformat(),
    }
    answer = await outbound.post(
        url,
        json.dumps(body).encode(),
        {"Content-Type": "application/json"},
        timeout_s=platform.settings.callback_timeout_s,
    )
    if isinstance(answer, str):
        return f"failed: {answer}"
    if 200 <= answer.status < 300:
        return f"HTTP {answer.status}"
    if 300 <= answer.status < 400:
        return f"failed: HTTP {answer.status} (redirects are not followed)"
    return f"failed: HTTP {answer.status}"


async def system_sender(
    pool: asyncpg.Pool, keyring: Keyring, *, allowlist: frozenset[str], template: str = SYSTEM_TEMPLATE
) -> SendContext:
    """The platform's own tenant (created on first use): an organization with an app, an approved signature
    and an approved template per kind of notice (`template`, created on first use too). Its recipients
    (alarm phones, contact numbers) are exempt from the per-number limits."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(7310442002)")  # one creator at a time
        row = await conn.fetchrow(
            "SELECT a.id, k.secret_id, app.sdk_app_id FROM accounts a"
            " JOIN api_keys k ON k.account_id = a.id JOIN apps app ON app.account_id = a.id"
            " WHERE a.system LIMIT 1"
        )
        if row is None:
            new = await admin.create_account(conn, keyring, name="SMS platform", kind="organization")
            await conn.execute("UPDATE accounts SET system = true WHERE id = $1", new.account_id)
            app = await admin.create_app(conn, keyring, account_id=new.account_id, name="alarms")
            await admin.create_signature(
                conn, account_id=new.account_id, name=SYSTEM_SIGN, international=False, approve=True
            )
            account_id, secret_id, sdk_app_id = new.account_id, new.secret_id, app.sdk_app_id
        else:
            account_id, secret_id, sdk_app_id = row["id"], row["secret_id"], row["sdk_app_id"]
        template_id = await conn.fetchval(
            "SELECT id FROM templates WHERE account_id = $1 AND content = $2 AND status = 'approved'"
            " ORDER BY id LIMIT 1",
            account_id,
            template,
        )
        if template_id is None:
            template_id = await admin.create_template(
                conn, account_id=account_id, content=template, sms_type=2, international=False, approve=True
            )
    account = Account(account_id, "organization", "active")
    return SendContext(
        # The platform's own sends are not signed requests: its SecretKey stays sealed.
        key=ApiKey(secret_id, "", True, account),
        app=App(sdk_app_id, account_id, "active"),
        sign=Signature(SYSTEM_SIGN, False, "approved"),
        template=Template(template_id, template, 2, False, "approved"),
        allowlist=allowlist,
    )
