"""What intake reads and writes: the send context in one query, accepted messages in one statement
(sql/queries/intake.sql)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import asyncpg

from core.domain.frequency import DEFAULT_POLICY, FrequencyPolicy
from core.domain.phone import Phone
from core.domain.sending import Account, ApiKey, App, RequestCounts, SendContext, Signature, Template
from core.domain.serial import session_batches
from core.infra.crypto import Keyring
from core.store import queries
from core.store.keys import open_secret_key
from core.store.sealed_numbers import seal_content, seal_numbers


async def load_send_context(
    conn: asyncpg.Connection | asyncpg.Pool,
    keyring: Keyring,
    secret_id: str,
    sdk_app_id: str | None,
    sign_name: str,
    template_id: int,
    phones: Sequence[str] = (),
) -> SendContext | None:
    """Everything SendSms needs, scoped to the key's own account (another tenant's app, sign or template
    simply isn't found). None when the SecretId is unknown. The SecretKey is opened here, to check the
    request's signature. `sdk_app_id` None: the application the key names, else the account's only one."""
    row = await queries.fetchrow(
        conn,
        "load_send_context",
        secret_id=secret_id,
        sdk_app_id=sdk_app_id,
        sign_name=sign_name,
        template_id=template_id,
        phones=list(phones),
    )
    if row is None:
        return None
    account = Account(row["account_id"], row["kind"], row["account_status"])
    secret_key = open_secret_key(keyring, secret_id, row["secret_key_sealed"])
    return context_from_row(row, ApiKey(secret_id, secret_key, row["enabled"], account))


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


async def load_api_key(
    conn: asyncpg.Connection | asyncpg.Pool, keyring: Keyring, secret_id: str
) -> ApiKey | None:
    """The API key with its SecretKey opened (to check a signature); None when the SecretId is unknown."""
    row = await queries.fetchrow(conn, "load_api_key", secret_id=secret_id)
    if row is None:
        return None
    secret_key = open_secret_key(keyring, secret_id, row["secret_key_sealed"])
    return ApiKey(secret_id, secret_key, row["enabled"], Account(row["id"], row["kind"], row["status"]))


@dataclass(frozen=True)
class Batch:
    """A recorded request: its workers' batches (one of <= `chunk` numbers each, in request order)."""

    batch_ids: tuple[uuid.UUID, ...]
    accepted_at: datetime
    # E.164 -> serial number
    serials: dict[str, str]
    request_no: int

    @property
    def batch_id(self) -> uuid.UUID:
        """The first (for a request of at most `chunk` numbers, the only) batch."""
        return self.batch_ids[0]


async def insert_batch(
    conn: asyncpg.Connection | asyncpg.Pool,
    keyring: Keyring,
    *,
    account_id: int,
    sdk_app_id: str,
    sign_name: str,
    template_id: int,
    content: str,
    parts: int,
    session_contexts: Sequence[str],
    phones: Sequence[Phone],
    now: datetime,
    stale_after_s: int,
    counts: RequestCounts,
    usage_day: date,
    chunk: int = 200,
    request_no: int | None = None,
    session: uuid.UUID | None = None,
    slot: int = 0,
) -> Batch:
    """Record a request's accepted messages, status `queued`, its outbox rows, its statistics and its usage
    (on `usage_day`, the platform's day) in ONE statement; the workers get them in batches of <= `chunk`.
    The price in force now is stored on each row and charged: price x parts goes into the account's usage.
    Numbers and content are sealed here, in one pass. `session_contexts`: each number's, in the order of
    `phones`. `session` and `slot`: a part of a request whose batches share one session, its first batch the
    session's `slot`th (None: a new session)."""
    batch_ids = session_batches(session or uuid.uuid4(), max(1, -(-len(phones) // chunk)), slot)
    sealed, hashes = seal_numbers(keyring, [p.e164 for p in phones])
    args = {
        "now": now,
        "batch_ids": list(batch_ids),
        "chunk": chunk,
        "request_no": request_no,
        "account_id": account_id,
        "sdk_app_id": sdk_app_id,
        "sign_name": sign_name,
        "template_id": template_id,
        "content": seal_content(keyring, content),
        "parts": parts,
        "session_contexts": list(session_contexts),
        "phones": sealed,
        "phone_hashes": hashes,
        "isos": [p.iso for p in phones],
        "stale_after_s": stale_after_s,
        "count_iso_codes": list(counts.iso_codes),
        "count_requests": list(counts.requests),
        "count_accepted": list(counts.accepted),
        "count_fee_parts": list(counts.fee_parts),
        "usage_day": usage_day,
    }
    try:
        rows = await queries.fetch(conn, "insert_batch", **args)
    except asyncpg.CheckViolationError as exc:
        if "no partition" not in str(exc):
            raise
        # Upkeep normally creates partitions ahead; never refuse a message because it did not run.
        await ensure_partitions(conn, now, days=1)
        rows = await queries.fetch(conn, "insert_batch", **args)
    numbers = {s: p.e164 for s, p in zip(sealed, phones, strict=True)}
    serials = {numbers[r["phone"]]: r["serial_no"] for r in rows}
    return Batch(batch_ids, now, serials, rows[0]["request_no"] if rows else 0)


async def ensure_partitions(conn: asyncpg.Connection | asyncpg.Pool, now: datetime, days: int) -> int:
    first_day = (now.astimezone(UTC) - timedelta(days=1)).date()
    created: int = await queries.fetchval(conn, "ensure_partitions", first_day=first_day, days=days + 1)
    return created
