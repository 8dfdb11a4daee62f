"""Message rows written straight into `messages` for the record search and export tests (rule B4): a tenant's
account, applications and template, single rows at chosen times, and bulk rows from generate_series. They are
written plain, as before migration 0014, and sealed by the step `smsctl migrate` runs after it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from core.store import admin
from core.store.sealed_numbers import reseal_messages
from tests.keyring import KEYRING

SIGN = "Bank"
TEMPLATE = "Dear customer, your top-up payment of {1} USD has been credited"

_COLUMNS = """(id, accepted_at, serial_no, batch_id, account_id, sdk_app_id, phone, iso_code, sign_name,
               template_id, content, parts, price_minor, status)"""


@dataclass(frozen=True)
class SeedTenant:
    account_id: int
    apps: list[str]
    template_id: int


async def seed_tenant(db: asyncpg.Pool, name: str, *, apps: int = 1) -> SeedTenant:
    account = await admin.create_account(db, KEYRING, name=name, kind="organization")
    app_ids = [
        (await admin.create_app(db, KEYRING, account_id=account.account_id, name=f"{name} {i}")).sdk_app_id
        for i in range(apps)
    ]
    template_id = await admin.create_template(
        db, account_id=account.account_id, content=TEMPLATE, sms_type=0, international=False, approve=True
    )
    return SeedTenant(account.account_id, app_ids, template_id)


async def insert_message(
    db: asyncpg.Pool, tenant: SeedTenant, *, phone: str, amount: str, at: datetime, app: int = 0
) -> int:
    """One delivered message of the tenant's template, rendered with `amount`; returns its id."""
    message_id: int = await db.fetchval(
        f"""
        INSERT INTO messages {_COLUMNS}
        SELECT i, $1, to_char($1 AT TIME ZONE 'UTC', 'YYYYMMDD') || ':' || i, gen_random_uuid(), $2, $3, $4,
               'CN', $5, $6, $7, 1, 4, 'delivered'
        FROM (SELECT nextval('message_id_seq') AS i) s
        RETURNING id
        """,  # noqa: S608 - a fixed column list
        at,
        tenant.account_id,
        tenant.apps[app],
        phone,
        SIGN,
        tenant.template_id,
        f"【{SIGN}】" + TEMPLATE.replace("{1}", amount),
    )
    await reseal_messages(db, KEYRING)  # sealed as migration 0014 leaves the rows written before it
    return message_id


async def insert_bulk(
    db: asyncpg.Pool, tenant: SeedTenant, *, count: int, newest: datetime, app: int = 0
) -> None:
    """`count` messages in ONE statement, a millisecond apart going back from `newest`, each to its own number
    with its own amount."""
    await db.execute(
        f"""
        INSERT INTO messages {_COLUMNS}
        SELECT i, at, to_char(at AT TIME ZONE 'UTC', 'YYYYMMDD') || ':' || i, gen_random_uuid(), $2, $3,
               '+86139' || lpad(g::text, 8, '0'), 'CN', $4, $5,
               '【' || $4 || '】Dear customer, your top-up payment of ' || (1000 + g) || ' USD has been credited',
               1, 4, 'delivered'
        FROM generate_series(1, $6) AS g,
             LATERAL (SELECT nextval('message_id_seq') AS i, $1::timestamptz - g * interval '1 millisecond' AS at) s
        """,  # noqa: S608 - a fixed column list
        newest,
        tenant.account_id,
        tenant.apps[app],
        SIGN,
        tenant.template_id,
        count,
    )
    await reseal_messages(db, KEYRING)
