"""Alibaba Cloud SMS (Dysmsapi 2017-05-25) on `/`: every action is POST (or GET) `/` named by the
`x-acs-action` header (Tea SDK, ACS3-HMAC-SHA256) or the `Action` query parameter (RPC HMAC-SHA1: Tea's "v2"
and the legacy aliyun-python-sdk-core). A request is read once (query and form body merged), its action
checked, its caller authenticated (signature, 15-minute window, nonce used once), then handed to the action;
the answer is Alibaba's JSON envelope, whatever happens (spec sections 3, 4 and 9)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import structlog
from aiohttp import web
from aiohttp.web_protocol import RequestPayloadError

from api.alibaba import auth, catalog, codes, queries, sends
from api.alibaba.not_offered import NOT_OFFERED
from api.alibaba.wire import (
    ActionHandler,
    AliCall,
    AliError,
    Params,
    answer,
    new_request_id,
    refusal,
    unstorable,
)
from api.context import STATE, ApiState
from api.limits import limit_source_ip
from core.domain.errors import Code, PlatformError, Rejection
from core.domain.sending import ApiKey
from core.domain.text import is_storable
from core.infra.metrics import observe_request
from core.infra.replays import window_ttl
from core.services import accounts

log = structlog.get_logger("api.alibaba")

VERSION = "2017-05-25"
WINDOW_S = 900  # spec 3.1 step 9: x-acs-date / Timestamp within 15 minutes, a nonce used once in that time
FORM = "application/x-www-form-urlencoded"
METHODS = ("GET", "POST")  # not HEAD (aiohttp's GET route takes it): an action must not run unanswered
RPC_MARKS = ("Action", "AccessKeyId", "SignatureNonce")

# SendSms is run with the send context loaded with the key (one query): not a handler of its own.
SEND_SMS = "SendSms"
ACTIONS: dict[str, ActionHandler] = {
    "SendBatchSms": sends.send_batch_sms,
    **queries.ACTIONS,
    **catalog.ACTIONS,
}
SERVED = frozenset({SEND_SMS, *ACTIONS})


def claims(request: web.Request) -> bool:
    """Whether a request on `/` is Alibaba's: no Tencent `X-TC-Action` header, and a mark only Alibaba's
    clients put there: an `x-acs-*` header (x-acs-action and the others every SDK signs), an ACS3
    Authorization, or an RPC parameter in the query (`Action`, `AccessKeyId`, `SignatureNonce`). A request
    missing its action is then refused in Alibaba's words (MissingAction), not Tencent's."""
    headers = request.headers
    if "X-TC-Action" in headers:
        return False
    if headers.get("Authorization", "").startswith("ACS3-"):
        return True
    if any(name.lower().startswith("x-acs-") for name in headers):
        return True
    query = request.rel_url.query
    return any(name in query for name in RPC_MARKS)


async def handle(request: web.Request) -> web.Response:
    state = request.app[STATE]
    request_id = new_request_id()
    started = time.perf_counter()
    action = ""
    bound = log.bind(request_id=request_id)
    try:
        read = await _read(request)
        action = read.action
        bound = bound.bind(action=action)
        response, outcome = await _respond(request, state, read, request_id)
    except AliError as exc:
        response, outcome = refusal(request_id, exc), {"code": exc.code}
    except PlatformError as exc:
        error = codes.from_rejection(exc.rejection)
        response, outcome = refusal(request_id, error), {"code": error.code}
    except Exception:
        # Postgres or Redis unreachable, or a bug: logged with context, answered in Alibaba's envelope.
        bound.exception("request failed")
        error = codes.from_rejection(Rejection(Code.INTERNAL_ERROR))
        response, outcome = refusal(request_id, error), {"code": error.code}
    label = f"alibaba/{action}" if action in SERVED else "alibaba/other"  # the action is the client's
    bound.info("request", ms=observe_request(label, outcome.get("code", "OK"), started), **outcome)
    return response


@dataclass(frozen=True)
class Read:
    """A request as read, before anyone is authenticated."""

    action: str
    version: str
    body: bytes
    query: list[tuple[str, str]]
    form: list[tuple[str, str]]

    @property
    def params(self) -> Params:
        # The legacy SDK puts everything in the query, the Tea SDK some parameters in the form body: both read.
        return Params(dict(self.query) | dict(self.form))


async def _read(request: web.Request) -> Read:
    if request.method not in METHODS:
        raise AliError(
            "UnsupportedHTTPMethod",
            f"HTTP method {request.method} is not supported: send POST (or GET).",
            405,
        )
    try:
        body = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise codes.from_rejection(Rejection(Code.REQUEST_SIZE_LIMIT)) from None
    except RequestPayloadError:  # a Content-Encoding (gzip, deflate) the body is not in
        raise AliError("InvalidParameter", "The request body cannot be decoded.", 400) from None
    query = _pairs(request.rel_url.raw_query_string)
    form: list[tuple[str, str]] = []
    if body and request.content_type == FORM:
        try:
            form = _pairs(body.decode("utf-8"))
        except UnicodeDecodeError:
            raise AliError("InvalidParameter", "The form body is not UTF-8.", 400) from None
    # The headers read as text (aiohttp hands bytes that are not UTF-8 over as lone surrogates).
    read = [v for k, v in request.headers.items() if k.lower().startswith(("x-acs-", "authorization"))]
    if not is_storable([list(p) for p in query + form] + read):
        raise unstorable()
    merged = dict(query) | dict(form)
    action = request.headers.get("x-acs-action") or merged.get("Action", "")
    version = request.headers.get("x-acs-version") or merged.get("Version", "")
    return Read(action, version, body, query, form)


def _pairs(text: str) -> list[tuple[str, str]]:
    # Form decoding (`+` is a space): the signature is computed over the decoded values, never the raw text.
    return parse_qsl(text, keep_blank_values=True, errors="surrogateescape")


async def _respond(
    request: web.Request, state: ApiState, read: Read, request_id: str
) -> tuple[web.Response, dict[str, Any]]:
    now = state.clock()
    await limit_source_ip(request, state, now)  # first: unknown actions count against the budget too
    if not read.action:
        raise AliError("MissingAction", "Action is mandatory for this request.", 400)
    if read.action in NOT_OFFERED:
        raise AliError(
            "UnsupportedOperation",
            f"The action {read.action} ({NOT_OFFERED[read.action]}) is not offered by this platform: it "
            "serves SMS sending, reports, statistics, signatures and templates.",
            400,
        )
    if read.action not in SERVED:
        raise AliError(
            "InvalidAction.NotFound",
            f"Specified api {read.action} is not found, please check your url and method.",
            404,
        )
    if read.version != VERSION:
        raise AliError("InvalidVersion", f"Specified parameter Version is not valid: use {VERSION}.", 400)
    params = read.params
    # SendSms's fields are read first (its context is loaded with the key, in one query), but a refusal of
    # them waits until the caller is authenticated: a stranger learns nothing from it.
    refused: AliError | PlatformError | None = None
    try:
        send = sends.read_for_context(read.action, params)
    except (AliError, PlatformError) as exc:
        send, refused = None, exc
    signed = _signed(request, read)
    if send is not None:
        context = await sends.load_context(state, signed.access_key_id, send)
        key = await _authenticate(request, state, read, signed, context.key if context else None, now)
    else:
        context = None
        found = await accounts.api_key(state.platform, signed.access_key_id)
        key = await _authenticate(request, state, read, signed, found, now)
    if refused is not None:
        raise refused
    call = AliCall(state, key, params, now, request_id)
    if send is not None:
        fields, outcome = await sends.send_with_context(call, send, context)
    else:
        fields, outcome = await ACTIONS[read.action](call)
    return answer(request_id, fields), outcome


@dataclass(frozen=True)
class Signed:
    """Who the request says signed it, and how."""

    scheme: str  # "acs3" | "rpc"
    access_key_id: str
    signed_at: str  # x-acs-date or Timestamp, as sent
    nonce: str
    acs3: auth.Acs3Authorization | None = None
    signature: str = ""  # RPC: the Signature parameter


def _signed(request: web.Request, read: Read) -> Signed:
    header = request.headers.get("Authorization", "")
    if header:
        parsed = auth.parse_acs3_authorization(header)
        if parsed is None:
            raise AliError(
                "IncompleteSignature", "The Authorization header is not a valid ACS3-HMAC-SHA256 one.", 400
            )
        return Signed(
            "acs3",
            parsed.access_key_id,
            request.headers.get("x-acs-date", ""),
            request.headers.get("x-acs-signature-nonce", ""),
            acs3=parsed,
        )
    params = read.params.values
    if "Signature" not in params:
        raise AliError(
            "IncompleteSignature", "The request is not signed: no Authorization header or Signature.", 400
        )
    if not params.get("AccessKeyId"):
        raise AliError("MissingAccessKeyId", "AccessKeyId is mandatory for this action.", 400)
    return Signed(
        "rpc", params["AccessKeyId"], params.get("Timestamp", ""), params.get("SignatureNonce", ""),
        signature=params["Signature"],
    )  # fmt: skip


async def _authenticate(
    request: web.Request, state: ApiState, read: Read, signed: Signed, key: ApiKey | None, now: float
) -> ApiKey:
    """In order: the time (format, then the window), the key, the signature, the key enabled, the nonce
    (remembered only once the signature verified, so a stranger cannot burn an honest client's nonce)."""
    signed_at = auth.parse_acs_date(signed.signed_at)
    if signed_at is None:
        raise AliError(
            "InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted.", 400
        )
    if not auth.is_fresh(signed_at, now, WINDOW_S):
        raise AliError("InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.", 400)
    if not signed.nonce:
        raise AliError("MissingSignatureNonce", "SignatureNonce is mandatory for this request.", 400)
    if key is None:
        raise AliError("InvalidAccessKeyId.NotFound", "Specified access key is not found.", 404)
    _verify(request, read, signed, key.secret_key)
    if not key.enabled:
        raise AliError("InvalidAccessKeyId.Inactive", "Specified access key is disabled.", 400)
    ttl = window_ttl(signed_at, WINDOW_S, now)
    if not await state.platform.replays.first_use("alibaba", key.secret_id, signed.nonce, ttl):
        raise AliError("SignatureNonceUsed", "Specified signature nonce was used already.", 400)
    return key


def _verify(request: web.Request, read: Read, signed: Signed, secret: str) -> None:
    if signed.acs3 is not None:
        headers: dict[str, list[str]] = {}
        for name, value in request.headers.items():
            headers.setdefault(name.lower(), []).append(value)
        check: auth.Acs3Check | auth.RpcCheck = auth.verify_acs3(
            secret, signed.acs3, method=request.method, path=request.rel_url.raw_path,
            query_pairs=read.query, headers=headers, body=read.body,
        )  # fmt: skip
    else:
        pairs = [(k, v) for k, v in read.query + read.form if k != "Signature"]
        check = auth.verify_rpc(secret, signed.signature, method=request.method, params=pairs)
    if check.ok:
        return
    mismatches = (
        auth.Acs3Failure.SIGNATURE_MISMATCH,
        auth.Acs3Failure.CONTENT_SHA256_MISMATCH,
        auth.RpcFailure.SIGNATURE_MISMATCH,
    )
    if check.failure not in mismatches:
        # A required header unsigned or sent twice, another SignatureMethod or SignatureVersion: the
        # gateway's answer to a request not signed the way its standard says.
        detail = f" (header {check.header})" if isinstance(check, auth.Acs3Check) and check.header else ""
        raise AliError(
            "IncompleteSignature",
            f"The request signature does not conform to Aliyun standards{detail}. "
            f"server string to sign is:{check.string_to_sign}",
            400,
        )
    # A wrong signature, or a body whose hash is not the signed one. The legacy SDK reads the string to sign
    # after the colon (spec 3.3): keep it.
    raise AliError(
        "SignatureDoesNotMatch",
        f"Specified signature is not matched with our calculation. server string to sign is:{check.string_to_sign}",
        400,
    )
