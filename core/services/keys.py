"""Secrets and numbers at rest (issue 14, finding 8): sealing the API SecretKeys, AppKeys and message numbers
and texts that are still plain (rows written before migration 0014) and re-sealing those under a retired
master key after a rotation."""

from __future__ import annotations

from core.infra.crypto import Keyring
from core.store import keys
from core.store.keys import Resealed
from core.store.queries import Db

__all__ = ["Resealed", "reseal_after_migrating", "reseal_keys"]

# The migration that began sealing: messages written before it are plain.
SEALING_MIGRATION = "0014_encryption_at_rest"


async def reseal_keys(db: Db, keyring: Keyring) -> Resealed:
    """Seal plain keys and messages and re-seal old ones under the keyring's current key; how many of each were
    written. `smsctl keys reencrypt` runs it after a rotation."""
    return await keys.reseal_keys(db, keyring)


async def reseal_after_migrating(db: Db, keyring: Keyring, applied: list[str]) -> Resealed:
    """What `smsctl migrate` and `smsctl up` run after the migrations (SQL never sees the master key). The
    key tables are small and always looked at; the messages table is scanned only when some may need it."""
    return await keys.reseal_keys(db, keyring, messages=messages_may_need_sealing(applied, keyring))


def messages_may_need_sealing(applied: list[str], keyring: Keyring) -> bool:
    """A scan of every message is worth it only right after the sealing migration (older rows are plain) or
    while the ring holds an older key (a rotation); otherwise each start would read the whole table."""
    return SEALING_MIGRATION in applied or len(keyring.keys) > 1
