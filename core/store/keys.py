"""API SecretKeys and AppKeys at rest: sealed under the platform's keyring (core/infra/crypto.py), each bound to
its column and row, opened only where a signature is checked or made; and the re-sealing that moves plain
values (rows older than migration 0014) and values under a retired key to the current key
(sql/queries/keys.sql)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from core.infra.crypto import Keyring
from core.store import queries
from core.store.queries import Db
from core.store.sealed_numbers import reseal_messages

# How many rows one re-sealing round reads and writes back (one statement each way).
RESEAL_BATCH = 500


def secret_key_purpose(secret_id: str) -> str:
    return f"api_keys.secret_key:{secret_id}"


def app_key_purpose(sdk_app_id: str) -> str:
    return f"apps.app_key:{sdk_app_id}"


def open_secret_key(keyring: Keyring, secret_id: str, sealed: str) -> str:
    return keyring.open(sealed, secret_key_purpose(secret_id))


def open_app_key(keyring: Keyring, sdk_app_id: str, sealed: str) -> str:
    return keyring.open(sealed, app_key_purpose(sdk_app_id))


@dataclass(frozen=True)
class Resealed:
    secret_keys: int
    app_keys: int
    messages: int


async def reseal_keys(db: Db, keyring: Keyring, *, messages: bool = True) -> Resealed:
    """Seal every plain SecretKey and AppKey (and, unless `messages` is False, message number and content,
    core.store.sealed_numbers) and re-seal those under another key than the current one, in
    rounds of RESEAL_BATCH rows. Safe to run again, and alongside a running platform: a row is written back
    only if it has not changed since it was read."""
    return Resealed(
        await _reseal(db, keyring, "api_keys_to_reseal", "reseal_api_keys", secret_key_purpose),
        await _reseal(db, keyring, "apps_to_reseal", "reseal_apps", app_key_purpose),
        await reseal_messages(db, keyring) if messages else 0,
    )


async def _reseal(db: Db, keyring: Keyring, select: str, update: str, purpose: Callable[[str], str]) -> int:
    prefix = f"v1:{keyring.current_kid}:"
    done, after = 0, ""
    while True:
        rows = await queries.fetch(db, select, prefix=prefix, after=after, limit=RESEAL_BATCH)
        if not rows:
            return done
        ids, olds, news = [], [], []
        for row in rows:
            plain = row["plain"]
            if plain is None:
                plain = keyring.open(row["sealed"], purpose(row["id"]))
            ids.append(row["id"])
            olds.append(row["sealed"])
            news.append(keyring.seal(plain, purpose(row["id"])))
        done += len(await queries.fetch(db, update, ids=ids, olds=olds, news=news))
        after = ids[-1]
