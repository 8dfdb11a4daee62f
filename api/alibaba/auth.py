"""Alibaba Cloud request signatures (spec aliyun-dysmsapi.md sections 2, 3 and 9).

ACS3-HMAC-SHA256 (the Tea SDK's default) and RPC HMAC-SHA1 SignatureVersion 1.0 (Tea `v2`, the legacy
aliyun-python-sdk-core, hand-written clients). The server-side checks and the client-side signers are built on
the same canonicalisation functions. Pure: no I/O, no clock (time is passed in).

Query and form parameters are taken already form-decoded (`urllib.parse.parse_qsl(raw,
keep_blank_values=True)`: `+` is a space); the signature is never computed over the raw query text, because
the SDKs encode it differently on the wire (spec 2.1, 9.3).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from itertools import pairwise
from urllib.parse import quote

ACS3_ALGORITHM = "ACS3-HMAC-SHA256"
RPC_SIGNATURE_METHOD = "HMAC-SHA1"
RPC_SIGNATURE_VERSION = "1.0"
API_VERSION = "2017-05-25"
EMPTY_BODY_SHA256 = hashlib.sha256(b"").hexdigest()
# Both schemes: a timestamp more than 15 minutes from server time is expired (spec 3.1 step 9, 3.2 step 6).
FRESHNESS_WINDOW_S = 900
# Spec 3.1 step 5: these must be signed; content-type too when there is a body. Headers the HTTP library
# adds (Accept-Encoding, Content-Length, the async client's Content-Type on an empty body) are not demanded.
ACS3_REQUIRED_SIGNED_HEADERS = (
    "host",
    "x-acs-action",
    "x-acs-content-sha256",
    "x-acs-date",
    "x-acs-signature-nonce",
    "x-acs-version",
)

_ACCESS_KEY_ID = re.compile(r"[\x21-\x7e]+", re.ASCII)  # visible ASCII; ',' cannot reach it (split first)
_HEADER_NAME = re.compile(r"[a-z0-9!#$%&'*+.^_`|~-]+", re.ASCII)  # an RFC 9110 token, lower case
_HEX_SIGNATURE = re.compile(r"[0-9a-f]{64}", re.ASCII)
_ACS_DATE = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,9}))?Z", re.ASCII
)
_MIN_YEAR = 1970  # anything earlier is not a clock, it is garbage


def _utf8(text: str) -> bytes:
    """UTF-8 bytes, never raising: aiohttp hands undecodable header bytes over as surrogate escapes, which
    go back to the bytes received; any other lone surrogate is passed through rather than crashing."""
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")


def pct(text: str) -> str:
    """Spec 3: UTF-8, `A-Z a-z 0-9 - _ . ~` kept, every other byte %XX in upper-case hex (space is %20)."""
    return quote(_utf8(text), safe="~")


def canonical_query(pairs: Iterable[tuple[str, str]]) -> str:
    """`pct(k)=pct(v)` joined by `&`, sorted by key then value (UTF-8 byte order); empty values kept (`k=`).

    The Python Tea SDK leaves keys unencoded in ACS3; Alibaba's documentation encodes them. They differ only
    for keys outside the unreserved set, which no Dysmsapi parameter has; the documented form is used.
    """
    ordered = sorted(pairs, key=lambda pair: (_utf8(pair[0]), _utf8(pair[1])))
    return "&".join(f"{pct(key)}={pct(value)}" for key, value in ordered)


def lower_header_lists(items: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """Lower-cased header name -> every value received, in order (a header sent twice has two values)."""
    headers: dict[str, list[str]] = {}
    for name, value in items:
        headers.setdefault(name.lower(), []).append(value)
    return headers


def _sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- ACS3-HMAC-SHA256 ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Acs3Authorization:
    access_key_id: str
    signed_headers: tuple[str, ...]  # lower case, sorted, no duplicates
    signature: str  # 64 lower-case hex digits


def parse_acs3_authorization(header: str) -> Acs3Authorization | None:
    """Parse `ACS3-HMAC-SHA256 Credential=<AK>,SignedHeaders=<h1;h2>,Signature=<hex>` (spec 3.1 step 1).

    Spaces after the commas are accepted. None when malformed: another algorithm (ACS3-HMAC-SM3,
    ACS3-RSA-SHA256 are not offered), a missing, unknown or repeated field, an empty or non-token header
    name, names not in sorted order or repeated (the SDK sorts them), a signature that is not 64 lower-case
    hex digits. The caller answers IncompleteSignature (HTTP 400).
    """
    algorithm, space, rest = header.partition(" ")
    if algorithm != ACS3_ALGORITHM or not space:
        return None
    fields: dict[str, str] = {}
    for item in rest.split(","):
        name, equals, value = item.lstrip(" ").partition("=")
        if not equals or name in fields:
            return None
        fields[name] = value
    if fields.keys() != {"Credential", "SignedHeaders", "Signature"}:
        return None
    access_key_id = fields["Credential"]
    signed_headers = tuple(fields["SignedHeaders"].split(";"))
    signature = fields["Signature"]
    if not _ACCESS_KEY_ID.fullmatch(access_key_id) or not _HEX_SIGNATURE.fullmatch(signature):
        return None
    if not all(_HEADER_NAME.fullmatch(name) for name in signed_headers):
        return None
    # Strictly ascending: sorted as the SDK and the docs require, and no name twice.
    if any(a >= b for a, b in pairwise(signed_headers)):
        return None
    return Acs3Authorization(access_key_id, signed_headers, signature)


def acs3_canonical_request(
    *,
    method: str,
    path: str,
    query_pairs: Iterable[tuple[str, str]],
    headers: Mapping[str, Sequence[str]],
    signed_headers: Sequence[str],
    payload_hash: str,
) -> str:
    """Spec 3.1 steps 3-6. headers: lower-case name -> values; a signed header that is absent contributes an
    empty value (the check reports it missing). Several values are trimmed, sorted and joined by `,`."""
    canonical_headers = "".join(
        f"{name}:{','.join(sorted(value.strip() for value in headers.get(name, ())))}\n"
        for name in signed_headers
    )
    return "\n".join(
        [
            method,
            path or "/",
            canonical_query(query_pairs),
            canonical_headers,  # ends in "\n": the blank line before SignedHeaders is intended
            ";".join(signed_headers),
            payload_hash,
        ]
    )


def acs3_string_to_sign(canonical_request: str) -> str:
    """Spec 3.1 step 7: `ACS3-HMAC-SHA256\\n` + hex SHA-256 of the canonical request."""
    return f"{ACS3_ALGORITHM}\n{_sha256_hex(_utf8(canonical_request))}"


def acs3_signature(secret: str, string_to_sign: str) -> str:
    """Spec 3.1 step 8: hex HMAC-SHA256 keyed with the secret as-is (no `&`, unlike RPC)."""
    return hmac.new(_utf8(secret), _utf8(string_to_sign), hashlib.sha256).hexdigest()


class Acs3Failure(StrEnum):
    """Why an ACS3 request was refused; `Acs3Check.header` names the header where there is one."""

    HEADER_NOT_SIGNED = "header_not_signed"  # a required header is not in SignedHeaders
    HEADER_MISSING = "header_missing"  # a header in SignedHeaders is not in the request
    HEADER_REPEATED = "header_repeated"  # a required header was sent more than once
    CONTENT_SHA256_MISMATCH = "content_sha256_mismatch"  # x-acs-content-sha256 is not the body's hash
    SIGNATURE_MISMATCH = "signature_mismatch"


@dataclass(frozen=True)
class Acs3Check:
    failure: Acs3Failure | None
    header: str  # the header concerned by the failure, "" otherwise
    canonical_request: str
    string_to_sign: str  # the server's, for `... server string to sign is:<STS>`

    @property
    def ok(self) -> bool:
        return self.failure is None


def verify_acs3(
    secret: str,
    auth: Acs3Authorization,
    *,
    method: str,
    path: str,
    query_pairs: Sequence[tuple[str, str]],
    headers: Mapping[str, Sequence[str]],
    body: bytes,
) -> Acs3Check:
    """Check an ACS3-HMAC-SHA256 request against the secret of auth.access_key_id (spec 3.1).

    path: the request path as received, without the query. headers: lower-case name -> every value
    received (see lower_header_lists). The canonical request hashes the body as received, so the server's
    string to sign is the truthful one even when x-acs-content-sha256 lies. The signature is always computed
    and compared in constant time, whatever else is wrong. When ok, every required header is present exactly
    once and signed; x-acs-date freshness and nonce reuse are the caller's (parse_acs_date, is_fresh).
    """
    body_hash = _sha256_hex(body)
    canonical_request = acs3_canonical_request(
        method=method,
        path=path,
        query_pairs=query_pairs,
        headers=headers,
        signed_headers=auth.signed_headers,
        payload_hash=body_hash,
    )
    string_to_sign = acs3_string_to_sign(canonical_request)
    signature_matches = hmac.compare_digest(
        acs3_signature(secret, string_to_sign).encode("ascii"), auth.signature.encode("ascii")
    )
    claimed_hashes = headers.get("x-acs-content-sha256", ())
    hash_matches = len(claimed_hashes) == 1 and hmac.compare_digest(
        _utf8(claimed_hashes[0].strip()), body_hash.encode("ascii")
    )

    required = ACS3_REQUIRED_SIGNED_HEADERS + (("content-type",) if body else ())
    failure: Acs3Failure | None = None
    header = ""
    if unsigned := [name for name in required if name not in auth.signed_headers]:
        failure, header = Acs3Failure.HEADER_NOT_SIGNED, unsigned[0]
    elif missing := [name for name in auth.signed_headers if not headers.get(name)]:
        failure, header = Acs3Failure.HEADER_MISSING, missing[0]
    elif repeated := [name for name in required if len(headers[name]) > 1]:
        failure, header = Acs3Failure.HEADER_REPEATED, repeated[0]
    elif not hash_matches:
        failure, header = Acs3Failure.CONTENT_SHA256_MISMATCH, "x-acs-content-sha256"
    elif not signature_matches:
        failure = Acs3Failure.SIGNATURE_MISMATCH
    return Acs3Check(failure, header, canonical_request, string_to_sign)


def sign_acs3(
    access_key_id: str,
    secret: str,
    *,
    method: str,
    path: str,
    query_pairs: Iterable[tuple[str, str]],
    headers: Mapping[str, str],
    body: bytes,
) -> str:
    """The Authorization header value a client sends: every header given is signed (names lower-cased).
    headers must already hold x-acs-content-sha256 = hex SHA-256 of body (acs3_request_headers does it)."""
    lowered = {name.lower(): [value] for name, value in headers.items()}
    signed_headers = tuple(sorted(lowered))
    canonical_request = acs3_canonical_request(
        method=method,
        path=path,
        query_pairs=query_pairs,
        headers=lowered,
        signed_headers=signed_headers,
        payload_hash=_sha256_hex(body),
    )
    signature = acs3_signature(secret, acs3_string_to_sign(canonical_request))
    return f"{ACS3_ALGORITHM} Credential={access_key_id},SignedHeaders={';'.join(signed_headers)},Signature={signature}"


def acs3_request_headers(
    access_key_id: str,
    secret: str,
    *,
    host: str,
    action: str,
    query_pairs: Sequence[tuple[str, str]],
    date: str,
    nonce: str,
    body: bytes = b"",
    content_type: str | None = None,
    method: str = "POST",
    path: str = "/",
    version: str = API_VERSION,
) -> dict[str, str]:
    """The headers of a signed ACS3 request, Authorization included, as the Tea SDK builds them (spec 2.1).
    date: format_acs_date(now); nonce: a fresh random string per request (the caller's randomness)."""
    headers = {
        "host": host,
        "x-acs-action": action,
        "x-acs-version": version,
        "x-acs-date": date,
        "x-acs-signature-nonce": nonce,
        "x-acs-content-sha256": _sha256_hex(body),
    }
    if content_type is not None:
        headers["content-type"] = content_type
    headers["authorization"] = sign_acs3(
        access_key_id, secret, method=method, path=path, query_pairs=query_pairs, headers=headers, body=body
    )
    return headers


# --- RPC HMAC-SHA1, SignatureVersion 1.0 --------------------------------------------------------------


def rpc_param(params: Iterable[tuple[str, str]], name: str) -> str | None:
    """The value of a parameter sent exactly once; None if absent or sent more than once."""
    values = [value for key, value in params if key == name]
    return values[0] if len(values) == 1 else None


def rpc_string_to_sign(method: str, params: Iterable[tuple[str, str]]) -> str:
    """Spec 3.2 steps 1-4: `METHOD&%2F&pct(canonical query)` over every parameter but `Signature`.

    params: the form-decoded query pairs, plus the form-body pairs when the content type is
    application/x-www-form-urlencoded. Empty values are kept (the legacy SDK signs `SignatureType=`).
    """
    signed = canonical_query(pair for pair in params if pair[0] != "Signature")
    return f"{method}&{pct('/')}&{pct(signed)}"


def rpc_signature(secret: str, string_to_sign: str) -> str:
    """Spec 3.2 step 5: Base64(HMAC-SHA1(secret + "&", string to sign))."""
    digest = hmac.new(_utf8(secret + "&"), _utf8(string_to_sign), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


class RpcFailure(StrEnum):
    UNSUPPORTED_SIGNATURE_METHOD = "unsupported_signature_method"  # SignatureMethod not exactly HMAC-SHA1
    UNSUPPORTED_SIGNATURE_VERSION = "unsupported_signature_version"  # SignatureVersion not exactly 1.0
    SIGNATURE_MISMATCH = "signature_mismatch"


@dataclass(frozen=True)
class RpcCheck:
    failure: RpcFailure | None
    string_to_sign: str  # the server's, for `... server string to sign is:<STS>`

    @property
    def ok(self) -> bool:
        return self.failure is None


def verify_rpc(
    secret: str, signature_b64: str, *, method: str, params: Sequence[tuple[str, str]]
) -> RpcCheck:
    """Check an RPC request's Signature against the secret of its AccessKeyId (spec 3.2).

    params as for rpc_string_to_sign (a `Signature` pair in it is ignored). SignatureMethod and
    SignatureVersion must each be sent once with the only supported value. The signature is always computed
    and compared in constant time. Timestamp freshness and SignatureNonce reuse are the caller's.
    """
    string_to_sign = rpc_string_to_sign(method, params)
    matches = hmac.compare_digest(rpc_signature(secret, string_to_sign).encode("ascii"), _utf8(signature_b64))
    failure: RpcFailure | None = None
    if rpc_param(params, "SignatureMethod") != RPC_SIGNATURE_METHOD:
        failure = RpcFailure.UNSUPPORTED_SIGNATURE_METHOD
    elif rpc_param(params, "SignatureVersion") != RPC_SIGNATURE_VERSION:
        failure = RpcFailure.UNSUPPORTED_SIGNATURE_VERSION
    elif not matches:
        failure = RpcFailure.SIGNATURE_MISMATCH
    return RpcCheck(failure, string_to_sign)


def sign_rpc(secret: str, *, method: str, params: Iterable[tuple[str, str]]) -> str:
    """The Signature value a client sends for these parameters (query + form body, without Signature)."""
    return rpc_signature(secret, rpc_string_to_sign(method, params))


def rpc_request_params(
    access_key_id: str,
    secret: str,
    *,
    action: str,
    params: Sequence[tuple[str, str]],
    timestamp: str,
    nonce: str,
    body_params: Sequence[tuple[str, str]] = (),
    method: str = "POST",
    version: str = API_VERSION,
) -> list[tuple[str, str]]:
    """The query parameters of a signed RPC request, Signature last, as the Tea `v2` client builds them
    (spec 2.2). body_params travel in a form body and are signed too. timestamp: format_acs_date(now)."""
    query = [
        ("Action", action),
        ("Format", "JSON"),
        ("Version", version),
        ("Timestamp", timestamp),
        ("SignatureNonce", nonce),
        *params,
        ("SignatureMethod", RPC_SIGNATURE_METHOD),
        ("SignatureVersion", RPC_SIGNATURE_VERSION),
        ("AccessKeyId", access_key_id),
    ]
    return [*query, ("Signature", sign_rpc(secret, method=method, params=[*query, *body_params]))]


# --- Timestamps -----------------------------------------------------------------------------------------


def parse_acs_date(text: str) -> float | None:
    """Unix time of `yyyy-MM-ddTHH:mm:ssZ` (x-acs-date, RPC Timestamp), fractional seconds allowed
    (`...:10.973Z`, some third-party clients). None for any other form, an impossible date, or a year
    before 1970; never raises."""
    match = _ACS_DATE.fullmatch(text)
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(group) for group in match.groups()[:6])
    if year < _MIN_YEAR:
        return None
    try:
        moment = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError:  # month 13, February 30, second 60, ...
        return None
    return moment.timestamp() + float(f"0.{match.group(7) or 0}")


def format_acs_date(ts: float) -> str:
    """`yyyy-MM-ddTHH:mm:ssZ` in UTC, second precision, as the SDKs send it."""
    return datetime.fromtimestamp(math.floor(ts), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def is_fresh(ts: float, now: float, window_s: float = FRESHNESS_WINDOW_S) -> bool:
    """True if the request time is within window_s seconds of now, either way (InvalidTimeStamp.Expired)."""
    return abs(now - ts) <= window_s
