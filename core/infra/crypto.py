"""Encryption at rest: AES-256-GCM under a keyring of master keys, and keyed hashes for look-ups.

The keyring comes from one setting, `master_key` (env SMS_MASTER_KEY): comma-separated `kid:base64` entries,
each the base64 of 32 random bytes; the FIRST is the current key (new values are sealed under it), the others
are older keys kept so values sealed under them still open until `smsctl keys reencrypt` re-seals them.
Rotation: put a new key first, keep the old one after it, run the command, then drop the old one.

A sealed value is text: `v1:<kid>:<base64url(nonce || ciphertext+tag)>`, so the key id travels with the
value. The associated data is the version, the key id and a `purpose` naming the column and its row (for
instance "api_keys.secret_key:AKID..."): a value copied to another column or row does not open.

Look-up hashes are HMAC-SHA256 under a key derived (HKDF) from a master key, one per key of the ring, so a
column can be searched by equality without holding the plain value."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

# A development default: 32 bytes anyone can read here. Set SMS_MASTER_KEY in production.
DEV_MASTER_KEY = "dev:" + base64.b64encode(b"development-only master key 0001").decode()

_VERSION = "v1"
_NONCE_BYTES = 12
_KID = re.compile(r"^[A-Za-z0-9_-]{1,16}$")


class SealError(ValueError):
    """A sealed value that does not open: malformed, sealed under a key not in the ring, tampered with, or
    sealed for another purpose."""


@dataclass(frozen=True)
class _Key:
    kid: str
    aead: AESGCM
    lookup_key: bytes


@dataclass(frozen=True)
class Keyring:
    keys: tuple[_Key, ...]
    _by_kid: dict[str, _Key] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.keys:
            raise ValueError("a keyring needs at least one key")
        object.__setattr__(self, "_by_kid", {k.kid: k for k in self.keys})

    @classmethod
    def parse(cls, setting: str, name: str = "SMS_MASTER_KEY") -> Keyring:
        """The keyring a `master_key` setting describes; ValueError naming the setting when it is malformed."""
        entries = [e.strip() for e in setting.split(",") if e.strip()]
        if not entries:
            raise ValueError(f"{name} is empty: set it to kid:base64-of-32-bytes")
        keys: list[_Key] = []
        for entry in entries:
            kid, sep, encoded = entry.partition(":")
            if not sep or not _KID.match(kid):
                raise ValueError(f"{name}: each entry is kid:base64 with a kid of [A-Za-z0-9_-]{{1,16}}")
            try:
                secret = base64.b64decode(encoded, validate=True)
            except binascii.Error:
                raise ValueError(f"{name}: the key {kid!r} is not base64") from None
            if len(secret) != 32:
                raise ValueError(f"{name}: the key {kid!r} must be 32 bytes, not {len(secret)}")
            if any(k.kid == kid for k in keys):
                raise ValueError(f"{name}: the key id {kid!r} appears twice")
            keys.append(_Key(kid, AESGCM(secret), _derive_lookup_key(secret)))
        return cls(tuple(keys))

    @property
    def current_kid(self) -> str:
        return self.keys[0].kid

    def seal(self, plaintext: str, purpose: str) -> str:
        key = self.keys[0]
        nonce = os.urandom(_NONCE_BYTES)
        sealed = key.aead.encrypt(nonce, plaintext.encode("utf-8"), _aad(key.kid, purpose))
        return f"{_VERSION}:{key.kid}:{base64.urlsafe_b64encode(nonce + sealed).decode('ascii')}"

    def open(self, token: str, purpose: str) -> str:
        kid, body = _split(token)
        key = self._by_kid.get(kid)
        if key is None:
            raise SealError(f"sealed under key {kid!r}, which is not in the keyring")
        try:
            raw = base64.urlsafe_b64decode(body)
        except (binascii.Error, ValueError):
            raise SealError("a sealed value's body is not base64") from None
        if len(raw) <= _NONCE_BYTES:
            raise SealError("a sealed value is too short")
        try:
            plain = key.aead.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], _aad(kid, purpose))
        except InvalidTag:
            raise SealError("a sealed value does not open for this purpose (tampered or misplaced)") from None
        return plain.decode("utf-8")

    def kid_of(self, token: str) -> str:
        return _split(token)[0]

    def is_current(self, token: str) -> bool:
        return self.kid_of(token) == self.current_kid

    def lookup_hash(self, value: str, purpose: str) -> bytes:
        """The keyed hash to store beside a sealed value (under the current key)."""
        return _lookup(self.keys[0].lookup_key, value, purpose)

    def lookup_hashes(self, value: str, purpose: str) -> list[bytes]:
        """Every hash `value` may be stored under (one per key of the ring), for a search by equality that
        still finds rows written before a rotation."""
        return [_lookup(k.lookup_key, value, purpose) for k in self.keys]


def _aad(kid: str, purpose: str) -> bytes:
    return f"{_VERSION}:{kid}:{purpose}".encode()


def _split(token: str) -> tuple[str, str]:
    version, _, rest = token.partition(":")
    kid, sep, body = rest.partition(":")
    if version != _VERSION or not sep or not _KID.match(kid):
        raise SealError("not a sealed value")
    return kid, body


def _derive_lookup_key(master: bytes) -> bytes:
    # A key of its own for hashing, so the encryption key is never used for two jobs.
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"sms lookup hash v1").derive(master)


def _lookup(key: bytes, value: str, purpose: str) -> bytes:
    return hmac.digest(key, f"{purpose}\x00{value}".encode(), hashlib.sha256)
