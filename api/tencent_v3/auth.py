"""TC3-HMAC-SHA256 request signatures, verified server-side (spec section 3)."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

ALGORITHM = "TC3-HMAC-SHA256"
SERVICE = "sms"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
# Tencent requires these two to be signed; signing "host" is what stops a signature being replayed elsewhere.
REQUIRED_SIGNED_HEADERS = frozenset({"content-type", "host"})

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
_HEADER_NAME = re.compile(r"[a-z0-9-]+", re.ASCII)
_SIGNATURE = re.compile(r"[0-9a-f]{64}", re.ASCII)


@dataclass(frozen=True)
class Tc3Authorization:
    secret_id: str
    date: str  # YYYY-MM-DD, the credential scope date
    service: str
    signed_headers: tuple[str, ...]
    signature: str  # 64 lower-case hex digits


def parse_authorization(header: str) -> Tc3Authorization | None:
    """Parse an Authorization header (spec section 3, step 1):
    "TC3-HMAC-SHA256 Credential=<id>/<date>/<service>/tc3_request, SignedHeaders=a;b, Signature=<hex>".
    None when malformed (AuthFailure.InvalidAuthorization)."""
    algorithm, _, rest = header.partition(" ")
    if algorithm != ALGORITHM:
        return None
    fields: dict[str, str] = {}
    for item in rest.split(","):
        name, sep, value = item.strip().partition("=")
        if not sep or name in fields:
            return None
        fields[name] = value
    if fields.keys() != {"Credential", "SignedHeaders", "Signature"}:
        return None

    scope = fields["Credential"].split("/")
    if len(scope) != 4 or scope[3] != "tc3_request":
        return None
    secret_id, date, service = scope[:3]
    if not secret_id or not service or not _DATE.fullmatch(date):
        return None

    signed_headers = tuple(fields["SignedHeaders"].split(";"))
    if len(set(signed_headers)) != len(signed_headers):
        return None
    if not all(_HEADER_NAME.fullmatch(name) for name in signed_headers):
        return None

    signature = fields["Signature"]
    if not _SIGNATURE.fullmatch(signature):
        return None
    return Tc3Authorization(secret_id, date, service, signed_headers, signature)


def _sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()


def tc3_signature(
    secret_key: str,
    *,
    method: str,
    query: str,
    headers: Mapping[str, str],
    signed_headers: Sequence[str],
    payload: bytes,
    timestamp: int,
    date: str,
    service: str,
    unsigned_payload: bool = False,
    normalize_header_values: bool = True,
) -> str:
    """The hex signature a client holding secret_key would have sent.

    headers: lower-cased names -> values as received; every signed header must be present (KeyError).
    POST signs the raw body bytes and an empty query; GET signs the raw query string (never re-encoded) and
    an empty payload. With unsigned_payload the literal "UNSIGNED-PAYLOAD" is hashed instead of the body.
    normalize_header_values: lower-case and trim values as Tencent's doc says; False signs the raw values,
    as the Python SDK does (they differ only when e.g. the Host has upper-case letters).
    """
    is_get = method == "GET"
    if unsigned_payload:
        payload_hash = _sha256_hex(UNSIGNED_PAYLOAD.encode())
    else:
        payload_hash = _sha256_hex(b"" if is_get else payload)
    canonical_headers = "".join(
        f"{name}:{headers[name].strip().lower() if normalize_header_values else headers[name]}\n"
        for name in signed_headers
    )
    canonical_request = "\n".join(
        [
            method,
            "/",  # canonical URI is a constant: the SDK signs "/" whatever path it sends to
            query if is_get else "",
            canonical_headers,
            ";".join(signed_headers),
            payload_hash,
        ]
    )
    string_to_sign = "\n".join(
        [
            ALGORITHM,
            str(timestamp),
            f"{date}/{service}/tc3_request",
            _sha256_hex(canonical_request.encode("utf-8")),
        ]
    )
    k_date = _hmac(("TC3" + secret_key).encode("utf-8"), date)
    k_service = _hmac(k_date, service)
    k_signing = _hmac(k_service, "tc3_request")
    return hmac.new(k_signing, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def utc_date(timestamp: int) -> str | None:
    """YYYY-MM-DD of a Unix timestamp in UTC (the credential scope date the SDK uses); None if absurd."""
    try:
        return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    except (OverflowError, OSError, ValueError):
        return None


def verify_tc3(
    secret_key: str,
    auth: Tc3Authorization,
    *,
    method: str,
    query: str,
    headers: Mapping[str, str],
    payload: bytes,
    timestamp: int,
) -> bool:
    """True if auth.signature is what secret_key gives for this request, else AuthFailure.SignatureFailure.

    Also requires service "sms", the scope date to be the UTC date of the timestamp, and content-type and host
    among the signed headers. Header values are tried lower-cased+trimmed, then raw (spec section 3, step 6).
    The freshness of the timestamp is a separate check (check_timestamp, AuthFailure.SignatureExpire).
    """
    if auth.service != SERVICE or auth.date != utc_date(timestamp):
        return False
    if not REQUIRED_SIGNED_HEADERS.issubset(auth.signed_headers):
        return False
    if not all(name in headers for name in auth.signed_headers):
        return False
    unsigned = headers.get("x-tc-content-sha256") == UNSIGNED_PAYLOAD
    matched = False
    for normalize in (True, False):
        expected = tc3_signature(
            secret_key,
            method=method,
            query=query,
            headers=headers,
            signed_headers=auth.signed_headers,
            payload=payload,
            timestamp=timestamp,
            date=auth.date,
            service=auth.service,
            unsigned_payload=unsigned,
            normalize_header_values=normalize,
        )
        # No early exit: both candidates are always computed and compared.
        matched |= hmac.compare_digest(expected, auth.signature)
    return matched


def check_timestamp(timestamp: int, now: float, max_skew_s: int) -> bool:
    """True if the request time is within max_skew_s seconds of now, either way (Tencent: 300 s)."""
    return abs(now - timestamp) <= max_skew_s
