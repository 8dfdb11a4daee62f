"""What intake reads and writes: the send context in one query, accepted messages in one statement."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import asyncpg

from core.domain.frequency import DEFAULT_POLICY, FrequencyPolicy
from core.domain.phone import Phone
from core.domain.sending import Account, App, RequestCounts, Signature, Template
from core.store.stats import count_requests_sql, request_count_args
from core.store.usage import add_usage_sql


@dataclass(frozen=True)
class ApiKey:
    secret_id: str
    secret_key: str
    enabled: bool
    account: Account


@dataclass(frozen=True)
class SendContext:
    key: ApiKey
    app: App | None
    sign: Signature | None
    template: Template | None
    # The application's stored policy (the one in force also depends on the account kind) and allowlist.
    policy: FrequencyPolicy = DEFAULT_POLICY
    allowlist: frozenset[str] = frozenset()
    # Numbers of this request on the account's unsubscribe blocklist (B1).
    blocked: frozenset[str] = frozenset()
    # ISO codes the application may send international SMS to; None: all (L4).
    intl_countries: frozenset[str] | None = None
    # The application's usual messages per day (0: not known yet), for the volume alarm (L4).
    usual_daily_volume: int = 0


_LOAD_SEND_CONTEXT = """
SELECT k.secret_key, k.enabled, a.id AS account_id, a.kind, a.status AS account_status,
       app.sdk_app_id, app.status AS app_status,
       app.limit_same_content_30s, app.limit_one_hour, app.limit_daily, app.limit_same_content_daily,
       app.cap_daily, app.cap_daily_mainland, app.cap_daily_international, app.intl_countries,
       app.usual_daily_volume,
       ARRAY(SELECT phone FROM app_allowlist l WHERE l.sdk_app_id = app.sdk_app_id) AS allowlist,
       ARRAY(SELECT phone FROM blocklist b WHERE b.account_id = k.account_id AND b.phone = ANY($5::text[])
             AND b.status <> 'lifted') AS blocked,
       s.name AS sign_name, s.international AS sign_international, s.status AS sign_status,
       t.id AS template_id, t.content, t.sms_type, t.international AS template_international,
       t.status AS template_status
FROM api_keys k
JOIN accounts a ON a.id = k.account_id
LEFT JOIN apps app ON app.sdk_app_id = $2 AND app.account_id = k.account_id
LEFT JOIN LATERAL (
    SELECT name, international, status FROM signatures
    WHERE account_id = k.account_id AND name = $3 AND status <> 'deleted'
    ORDER BY status = 'approved' DESC, id DESC LIMIT 1
) s ON true
LEFT JOIN templates t ON t.id = $4 AND t.account_id = k.account_id AND t.status <> 'deleted'
WHERE k.secret_id = $1
"""


async def load_send_context(
    conn: asyncpg.Connection | asyncpg.Pool,
    secret_id: str,
    sdk_app_id: str,
    sign_name: str,
    template_id: int,
    phones: Sequence[str] = (),
) -> SendContext | None:
    """Everything SendSms needs, scoped to the key's own account (another tenant's app, sign or template
    simply isn't found). None when the SecretId is unknown."""
    row = await conn.fetchrow(_LOAD_SEND_CONTEXT, secret_id, sdk_app_id, sign_name, template_id, list(phones))
    if row is None:
        return None
    account = Account(row["account_id"], row["kind"], row["account_status"])
    return context_from_row(row, ApiKey(secret_id, row["secret_key"], row["enabled"], account))


def context_from_row(row: asyncpg.Record, key: ApiKey) -> SendContext:
    """A send context from a row of the context query's columns (API 3.0's here, the legacy dialect's in
    core.store.legacy): the application, its policy and lists, the signature and the template."""
    return SendContext(
        key=key,
        app=App(row["sdk_app_id"], key.account.id, row["app_status"]) if row["sdk_app_id"] else None,
        policy=policy_from_row(row) if row["sdk_app_id"] else DEFAULT_POLICY,
        allowlist=frozenset(row["allowlist"] or ()),
        blocked=frozenset(row["blocked"] or ()),
        intl_countries=frozenset(row["intl_countries"]) if row["intl_countries"] is not None else None,
        usual_daily_volume=row["usual_daily_volume"] or 0,
        sign=(
            Signature(row["sign_name"], row["sign_international"], row["sign_status"])
            if row["sign_name"] is not None
            else None
        ),
        template=(
            Template(
                row["template_id"],
                row["content"],
                row["sms_type"],
                row["template_international"],
                row["template_status"],
            )
            if row["template_id"] is not None
            else None
        ),
    )


def policy_from_row(row: asyncpg.Record) -> FrequencyPolicy:
    return FrequencyPolicy(
        same_content_30s=row["limit_same_content_30s"],
        one_hour=row["limit_one_hour"],
        daily=row["limit_daily"],
        same_content_daily=row["limit_same_content_daily"],
        cap_daily=row["cap_daily"],
        cap_daily_mainland=row["cap_daily_mainland"],
        cap_daily_international=row["cap_daily_international"],
    )


async def load_api_key(conn: asyncpg.Connection | asyncpg.Pool, secret_id: str) -> ApiKey | None:
    row = await conn.fetchrow(
        "SELECT k.secret_key, k.enabled, a.id, a.kind, a.status FROM api_keys k"
        " JOIN accounts a ON a.id = k.account_id WHERE k.secret_id = $1",
        secret_id,
    )
    if row is None:
        return None
    return ApiKey(
        secret_id, row["secret_key"], row["enabled"], Account(row["id"], row["kind"], row["status"])
    )


@dataclass(frozen=True)
class Batch:
    batch_id: uuid.UUID
    accepted_at: datetime
    # E.164 -> serial number
    serials: dict[str, str]


_INSERT_MESSAGES = (
    """
WITH outbox AS (
    INSERT INTO send_outbox (batch_id, accepted_at, due_at)
    VALUES ($2::uuid, $1::timestamptz, $1::timestamptz + make_interval(secs => $12::int))
), counted AS ("""  # noqa: S608 - fixed SQL fragments, values are parameters
    + count_requests_sql(13)
    + """
), ins AS (
    INSERT INTO messages (id, accepted_at, serial_no, batch_id, account_id, sdk_app_id, phone, iso_code,
                          sign_name, template_id, content, parts, price_minor, session_context)
    SELECT n.id, $1::timestamptz, to_char($1::timestamptz AT TIME ZONE 'UTC', 'YYYYMMDD') || ':' || n.id,
           $2::uuid, $3::bigint, $4::text, n.phone, n.iso, $5::text, $6::bigint, $7::text, $8::int,
           COALESCE(p.price_minor, d.price_minor, 0), $9::text
    FROM (SELECT nextval('message_id_seq') AS id, u.phone, u.iso, u.ord
          FROM unnest($10::text[], $11::text[]) WITH ORDINALITY AS u(phone, iso, ord)) n
    LEFT JOIN prices p ON p.iso_code = n.iso
    LEFT JOIN prices d ON d.iso_code = 'DEF'
    ORDER BY n.ord
    RETURNING phone, serial_no, account_id, iso_code, parts, price_minor
), billed AS ("""
    + add_usage_sql("ins", day_param="$20")
    + """
)
SELECT phone, serial_no FROM ins
"""
)


async def insert_batch(
    conn: asyncpg.Connection | asyncpg.Pool,
    *,
    account_id: int,
    sdk_app_id: str,
    sign_name: str,
    template_id: int,
    content: str,
    parts: int,
    session_context: str,
    phones: Sequence[Phone],
    now: datetime,
    stale_after_s: int,
    counts: RequestCounts,
    usage_day: date,
) -> Batch:
    """Record a request's accepted messages, status `queued`, its outbox row, its statistics and its usage
    (on `usage_day`, the platform's day) in ONE statement. The price in force now is stored on each row and
    charged: price x parts goes into the account's usage."""
    batch_id = uuid.uuid4()
    args = (
        now,
        batch_id,
        account_id,
        sdk_app_id,
        sign_name,
        template_id,
        content,
        parts,
        session_context,
        [p.e164 for p in phones],
        [p.iso for p in phones],
        stale_after_s,
        *request_count_args(account_id, sdk_app_id, now, counts),
        usage_day,
    )
    try:
        rows = await conn.fetch(_INSERT_MESSAGES, *args)
    except asyncpg.CheckViolationError as exc:
        if "no partition" not in str(exc):
            raise
        # Upkeep normally creates partitions ahead; never refuse a message because it did not run.
        await ensure_partitions(conn, now, days=1)
        rows = await conn.fetch(_INSERT_MESSAGES, *args)
    return Batch(batch_id, now, {r["phone"]: r["serial_no"] for r in rows})


async def ensure_partitions(conn: asyncpg.Connection | asyncpg.Pool, now: datetime, days: int) -> int:
    first_day = (now.astimezone(UTC) - timedelta(days=1)).date()
    created: int = await conn.fetchval("SELECT ensure_message_partitions($1, $2)", first_day, days + 1)
    return created
