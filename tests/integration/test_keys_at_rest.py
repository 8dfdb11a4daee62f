"""Issue 14, finding 8: API SecretKeys and AppKeys are sealed at rest (bound to their row), opened only to check
a signature, and plain rows from before migration 0014 are sealed (and old ones re-sealed after a rotation) by
`smsctl migrate` / `smsctl keys reencrypt`."""

from __future__ import annotations

import asyncio
import base64
import json
import sys
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from core.infra.crypto import DEV_MASTER_KEY, Keyring, SealError
from core.infra.settings import environment_with
from core.services.keys import reseal_keys
from core.store import admin
from core.store.intake import ensure_partitions, load_api_key
from core.store.legacy import load_legacy_app
from core.store.records import search_records
from core.store.report_feed import callback_target
from tests.integration.test_cli import smsctl
from tests.keyring import KEYRING
from tests.records_seed import seed_tenant

NOW = datetime.now(UTC).replace(microsecond=0)
NEW_KEY = "k2:" + base64.b64encode(bytes(range(32, 64))).decode()


async def raw_keys(db: asyncpg.Pool) -> list[asyncpg.Record]:
    return await db.fetch(
        "SELECT k.secret_key, k.secret_key_sealed, app.app_key, app.app_key_sealed"
        " FROM api_keys k JOIN apps app ON app.account_id = k.account_id"
    )


async def test_created_keys_are_stored_sealed_and_open_only_through_the_keyring(db: asyncpg.Pool) -> None:
    acct = await admin.create_account(db, KEYRING, name="Acme", kind="organization")
    app = await admin.create_app(db, KEYRING, account_id=acct.account_id, name="shop")
    [row] = await raw_keys(db)
    assert row["secret_key"] is None and row["app_key"] is None
    assert row["secret_key_sealed"].startswith("v1:dev:") and row["app_key_sealed"].startswith("v1:dev:")
    assert acct.secret_key not in row["secret_key_sealed"] and app.app_key not in row["app_key_sealed"]

    key = await load_api_key(db, KEYRING, acct.secret_id)
    assert key is not None and key.secret_key == acct.secret_key
    legacy = await load_legacy_app(db, KEYRING, app.sdk_app_id)
    assert legacy is not None and legacy.app_key == app.app_key
    target = await callback_target(db, KEYRING, app.sdk_app_id)
    assert target is not None and target.app_key == app.app_key


async def test_a_sealed_key_copied_to_another_row_does_not_open(db: asyncpg.Pool) -> None:
    """Someone who can write the table cannot give their own AppKey to another tenant's application."""
    mine = await admin.create_account(db, KEYRING, name="Mallory", kind="organization")
    theirs = await admin.create_account(db, KEYRING, name="Acme", kind="organization")
    my_app = await admin.create_app(db, KEYRING, account_id=mine.account_id, name="m")
    their_app = await admin.create_app(db, KEYRING, account_id=theirs.account_id, name="a")
    await db.execute(
        "UPDATE apps SET app_key_sealed = (SELECT app_key_sealed FROM apps WHERE sdk_app_id = $1)"
        " WHERE sdk_app_id = $2",
        my_app.sdk_app_id,
        their_app.sdk_app_id,
    )
    with pytest.raises(SealError):
        await load_legacy_app(db, KEYRING, their_app.sdk_app_id)


async def test_plain_keys_from_before_the_migration_are_sealed_once(db: asyncpg.Pool) -> None:
    account_id = await db.fetchval(
        "INSERT INTO accounts (name, kind) VALUES ('Old', 'individual') RETURNING id"
    )
    await db.execute(
        "INSERT INTO api_keys (secret_id, account_id, secret_key) VALUES ('AKIDold', $1, 'old-secret')",
        account_id,
    )
    sdk_app_id = await db.fetchval(
        "INSERT INTO apps (account_id, name, app_key) VALUES ($1, 'old', 'old-app-key') RETURNING sdk_app_id",
        account_id,
    )
    sealed = await reseal_keys(db, KEYRING)
    assert (sealed.secret_keys, sealed.app_keys) == (1, 1)
    [row] = await raw_keys(db)
    assert row["secret_key"] is None and row["app_key"] is None
    assert "old-secret" not in row["secret_key_sealed"] and "old-app-key" not in row["app_key_sealed"]
    key = await load_api_key(db, KEYRING, "AKIDold")
    assert key is not None and key.secret_key == "old-secret"
    legacy = await load_legacy_app(db, KEYRING, sdk_app_id)
    assert legacy is not None and legacy.app_key == "old-app-key"
    again = await reseal_keys(db, KEYRING)
    assert (again.secret_keys, again.app_keys) == (0, 0)


async def test_rotation_reseals_under_the_new_key_and_the_old_one_can_then_be_dropped(
    db: asyncpg.Pool,
) -> None:
    acct = await admin.create_account(db, KEYRING, name="Acme", kind="organization")
    app = await admin.create_app(db, KEYRING, account_id=acct.account_id, name="shop")
    rotated = Keyring.parse(f"{NEW_KEY},{KEYRING.current_kid}:{_dev_secret()}")
    sealed = await reseal_keys(db, rotated)
    assert (sealed.secret_keys, sealed.app_keys) == (1, 1)
    [row] = await raw_keys(db)
    assert row["secret_key_sealed"].startswith("v1:k2:") and row["app_key_sealed"].startswith("v1:k2:")

    only_new = Keyring.parse(NEW_KEY)
    key = await load_api_key(db, only_new, acct.secret_id)
    assert key is not None and key.secret_key == acct.secret_key
    legacy = await load_legacy_app(db, only_new, app.sdk_app_id)
    assert legacy is not None and legacy.app_key == app.app_key
    with pytest.raises(SealError):
        await load_api_key(db, KEYRING, acct.secret_id)


async def test_smsctl_migrate_seals_plain_keys_and_keys_reencrypt_rotates(database_url: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        account_id = await conn.fetchval(
            "INSERT INTO accounts (name, kind) VALUES ('Old', 'individual') RETURNING id"
        )
        await conn.execute(
            "INSERT INTO api_keys (secret_id, account_id, secret_key) VALUES ('AKIDold', $1, 'old-secret')",
            account_id,
        )
        code, out, err = await smsctl(database_url, "migrate")
        assert code == 0, err
        assert out == {"applied": [], "sealed": {"secret_keys": 1, "app_keys": 0, "messages": 0}}
        assert str(await conn.fetchval("SELECT secret_key_sealed FROM api_keys")).startswith("v1:dev:")

        code, out, err = await _smsctl_with_key(database_url, f"{NEW_KEY},dev:{_dev_secret()}")
        assert code == 0, err
        assert out == {"secret_keys": 1, "app_keys": 0, "messages": 0}
        sealed = str(await conn.fetchval("SELECT secret_key_sealed FROM api_keys"))
        assert sealed.startswith("v1:k2:")
        assert Keyring.parse(NEW_KEY).open(sealed, "api_keys.secret_key:AKIDold") == "old-secret"

        code, _, err = await _smsctl_with_key(database_url, "k2:too-short")
        assert code != 0 and "SMS_MASTER_KEY" in err and "Traceback" not in err
    finally:
        await conn.close()


async def _smsctl_with_key(database_url: str, master_key: str) -> tuple[int, object, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "cli",
        "keys",
        "reencrypt",
        env=environment_with(DATABASE_URL=database_url, SMS_LOG_JSON="1", SMS_MASTER_KEY=master_key),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, json.loads(out) if proc.returncode == 0 else None, err.decode()


def _dev_secret() -> str:
    return DEV_MASTER_KEY.partition(":")[2]


async def test_messages_from_before_the_migration_are_sealed_hashed_and_found_by_number_after_a_rotation(
    db: asyncpg.Pool,
) -> None:
    """Finding 8 (numbers at rest): a plain row is sealed with its look-up hash; after a rotation it is
    re-sealed and re-hashed under the new key, and a search by number still finds it with the old key gone."""
    await ensure_partitions(db, NOW, days=1)
    tenant = await seed_tenant(db, "Acme")
    await db.execute(
        "INSERT INTO messages (id, accepted_at, serial_no, batch_id, account_id, sdk_app_id, phone, iso_code,"
        " template_id, content, parts, price_minor, status) VALUES (nextval('message_id_seq'), $1, 'x', "
        " gen_random_uuid(), $2, $3, '+8613800138000', 'CN', $4, 'your code is 1234', 1, 1, 'delivered')",
        NOW - timedelta(minutes=1),
        tenant.account_id,
        tenant.apps[0],
        tenant.template_id,
    )
    assert (await reseal_keys(db, KEYRING)).messages == 1
    row = await db.fetchrow("SELECT phone, content, phone_hash FROM messages")
    assert "13800138000" not in row["phone"] and "1234" not in row["content"]
    assert row["phone_hash"] == KEYRING.lookup_hash("+8613800138000", "messages.phone")
    assert (await reseal_keys(db, KEYRING)).messages == 0

    rotated = Keyring.parse(f"{NEW_KEY},dev:{_dev_secret()}")
    assert (await reseal_keys(db, rotated)).messages == 1
    only_new = Keyring.parse(NEW_KEY)
    [found] = await search_records(
        db, only_new, account_id=None, sdk_app_id=tenant.apps[0], phone="+8613800138000",
        since=NOW - timedelta(hours=1), until=NOW, limit=10, before=None,
    )  # fmt: skip
    assert (found.phone, found.content) == ("+8613800138000", "your code is 1234")
