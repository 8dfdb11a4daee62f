"""UCloud's request signature (spec B2): every form parameter but `Signature`, sorted by name in code-point
order, concatenated as name + value with no separators, then the PrivateKey; lower-case hex SHA-1. Written by
hand: no library implements it, and it is five lines. The signed text has no timestamp or nonce."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable


def string_to_sign(params: Iterable[tuple[str, str]], private_key: str) -> str:
    pairs = sorted((name, value) for name, value in params if name != "Signature")
    return "".join(name + value for name, value in pairs) + private_key


def signature(params: Iterable[tuple[str, str]], private_key: str) -> str:
    """The Signature a client holding `private_key` sends for these form parameters."""
    return hashlib.sha1(string_to_sign(params, private_key).encode("utf-8")).hexdigest()  # noqa: S324 - UCloud's scheme


def normalized(sent: str) -> str:
    """A Signature as compared: hex digits in any case, surrounding blanks ignored."""
    return sent.strip().lower()


def verify(params: Iterable[tuple[str, str]], sent: str, private_key: str) -> bool:
    """Whether `sent` is the request's signature under `private_key` (constant-time comparison)."""
    expected = signature(params, private_key).encode("ascii")
    return hmac.compare_digest(expected, normalized(sent).encode("utf-8", "replace"))
