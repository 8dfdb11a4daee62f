"""Secrets and numbers at rest (issue 14, finding 8): sealing the API SecretKeys, AppKeys and message numbers
and texts that are still plain (rows written before migration 0014) and re-sealing those under a retired
master key after a rotation."""

from __future__ import annotations

from core.infra.crypto import Keyring
from core.store import keys
from core.store.keys import Resealed
from core.store.queries import Db

__all__ = ["Resealed", "reseal_keys"]


async def reseal_keys(db: Db, keyring: Keyring) -> Resealed:
    """Seal plain keys and messages and re-seal old ones under the keyring's current key; how many of each were
    written.
    `smsctl migrate` runs it after the migrations (it needs the master key, which SQL never sees), and
    `smsctl keys reencrypt` runs it alone after a rotation."""
    return await keys.reseal_keys(db, keyring)
