"""The keyring tests seal with: the development default, which every test stack's Settings() uses too; and
what a test reads back from `messages`, whose numbers and content are sealed (issue 14, finding 8)."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from core.infra.crypto import DEV_MASTER_KEY, Keyring
from core.infra.settings import Settings
from core.store.sealed_numbers import CONTENT, PHONE

KEYRING = Keyring.parse(Settings().master_key)
# For `smsctl api|worker` children, which refuse the development default: a test key of their own first, the
# default after it (an older key of the ring), so they open what the tests' in-process API sealed.
CHILD_MASTER_KEY = "test:" + base64.b64encode(b"t" * 32).decode() + "," + DEV_MASTER_KEY


def opened(row: Mapping[str, Any]) -> dict[str, Any]:
    """A messages row with its number and content opened (the columns it has of the two)."""
    out = dict(row)
    if "phone" in out:
        out["phone"] = KEYRING.open(out["phone"], PHONE)
    if "content" in out:
        out["content"] = KEYRING.open(out["content"], CONTENT)
    return out


def number_hash(e164: str) -> bytes:
    return KEYRING.lookup_hash(e164, PHONE)
