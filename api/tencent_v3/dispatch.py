"""Tencent Cloud SMS API 3.0: a request is read once (signature fields, parameters in the version's names),
authenticated, then handed to its action; the answer goes out in the version's names. Versions 2021-01-11 (the
handlers' own) and 2019-07-11 (a translation, v20190711.py). Every answer is HTTP 200, Content-Type exactly
application/json, in the {"Response": {...}} envelope."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

import structlog
from aiohttp import web
from aiohttp.web_protocol import RequestPayloadError
from multidict import CIMultiDict

from api.context import STATE, ApiState
from api.limits import limit_source_ip
from api.tencent_v3 import auth as tc3
from api.tencent_v3 import catalog, conversion, numbers, reports, send, send_multi
from api.tencent_v3.v20190711 import V20190711
from api.tencent_v3.wire import (
    ActionHandler,
    ApiVersion,
    Call,
    Params,
    Result,
    envelope,
    error_envelope,
    json_response,
)
from core.domain.errors import Code, PlatformError, Rejection
from core.domain.sending import ApiKey, SendContext
from core.domain.text import is_storable, is_utf8
from core.infra.metrics import observe_request
from core.infra.replays import Busy, StoredAnswer, window_ttl
from core.services import accounts

log = structlog.get_logger("api.tencent_v3")


async def handle(request: web.Request) -> web.Response:
    request = _with_utf8_headers(request)
    state = request.app[STATE]
    request_id = str(uuid.uuid4())
    started = time.perf_counter()
    action = request.headers.get("X-TC-Action", "")
    version = VERSIONS.get(request.headers.get("X-TC-Version", CURRENT.name))
    words = version or CURRENT  # a request in an unknown version is refused in the current one's words
    bound = log.bind(request_id=request_id, action=action)
    try:
        response, outcome = await _answer_once(request, state, Asked(request_id, action, version, words))
    except Exception:
        # Postgres or Redis unreachable, or a bug: logged with context, answered in the envelope.
        bound.exception("request failed")
        response = error_envelope(request_id, Rejection(Code.INTERNAL_ERROR))
        outcome = {"code": Code.INTERNAL_ERROR.value}
    label = action if action in KNOWN_ACTIONS else "other"  # the header is the client's: bound the label
    bound.info("request", ms=observe_request(label, outcome.get("code", "Ok"), started), **outcome)
    return response


async def other_method(request: web.Request) -> web.Response:
    """Any method but POST and GET on `/`: answered in the envelope, not with the router's plain-text 405."""
    detail = f"HTTP method {request.method} is not supported: send POST (or GET)."
    return error_envelope(str(uuid.uuid4()), Rejection(Code.UNSUPPORTED_OPERATION, detail))


@dataclass(frozen=True)
class Asked:
    """What the request asks for, read from its headers before anything else."""

    request_id: str
    action: str
    version: ApiVersion | None
    words: ApiVersion  # the version the answer is written in

    def refused(self, exc: PlatformError) -> tuple[web.Response, dict[str, Any]]:
        error = self.words.error(self.action, exc.rejection)
        return envelope(self.request_id, {"Error": error}), {"code": exc.rejection.code.value}


async def _answer_once(
    request: web.Request, state: ApiState, asked: Asked
) -> tuple[web.Response, dict[str, Any]]:
    """Authenticate, then run the request unless the same signed request ran already within its window: a
    replay (or an honest client's retry of a request that timed out) gets the first answer as it went out,
    RequestId included, and nothing runs twice. Only a request whose signature verified is remembered."""
    try:
        authenticated = await _authenticate_request(request, state, asked)
    except PlatformError as exc:
        return asked.refused(exc)
    signed = authenticated.signed
    window = state.settings.signature_max_skew_s
    claim = await state.platform.replays.claim(
        "tc3",
        signed.auth.secret_id,
        signed.auth.signature,
        window_ttl(signed.timestamp, window, authenticated.now),
    )
    if isinstance(claim, StoredAnswer):
        return json_response(claim.status, claim.body), {"code": "Replayed"}
    if isinstance(claim, Busy):
        # ResourceInUse, not RequestLimitExceeded: the SDK's retryer resends RequestLimitExceeded re-signed (a
        # new timestamp, so a new signature), which would run the request a second time. Not remembered.
        return asked.refused(PlatformError(Code.REQUEST_IN_PROGRESS))
    try:
        response, outcome = await _respond(authenticated, asked)
    except BaseException:
        await claim.release()  # it crashed: an honest retry of the same request may run
        raise
    assert isinstance(response.body, bytes)
    await claim.keep(StoredAnswer(response.status, response.body))
    return response, outcome


async def _respond(authenticated: Authenticated, asked: Asked) -> tuple[web.Response, dict[str, Any]]:
    try:
        fields, outcome = await _run(authenticated, asked)
    except PlatformError as exc:  # an answer like any other: the same request sent again gets it again
        return asked.refused(exc)
    zone = ZoneInfo(authenticated.state.settings.timezone)
    return envelope(asked.request_id, asked.words.response(asked.action, fields, zone)), outcome


@dataclass(frozen=True)
class Signed:
    """What a request says about who signed it, checked for form and freshness (not yet against a key)."""

    auth: tc3.Tc3Authorization
    timestamp: int
    body: bytes


@dataclass(frozen=True)
class Parsed:
    """A request's parameters, in the handlers' names, read once. A refusal (bad JSON, unknown version, a bad
    SendSms field) is only raised once the caller is authenticated, so a stranger learns nothing from it."""

    params: dict[str, Any]
    send_sms: send.SendSms | None = None
    refusal: PlatformError | None = None


@dataclass(frozen=True)
class Authenticated:
    """A request whose signature verified against an enabled key: ready to run."""

    state: ApiState
    signed: Signed
    parsed: Parsed
    key: ApiKey
    context: SendContext | None  # what SendSms loaded with the key
    now: float


async def _authenticate_request(request: web.Request, state: ApiState, asked: Asked) -> Authenticated:
    now = state.clock()
    await limit_source_ip(request, state, now)
    signed = await _read_signed(request, state, now)
    parsed = _read_params(request, signed.body, asked.action, asked.version)
    if parsed.send_sms is not None:
        context = await send.load_key_and_context(state, signed.auth.secret_id, parsed.send_sms)
        key = _authenticate(request, signed, context.key if context else None)
    else:
        context = None
        key = _authenticate(request, signed, await accounts.api_key(state.platform, signed.auth.secret_id))
    return Authenticated(state, signed, parsed, key, context, now)


async def _run(authenticated: Authenticated, asked: Asked) -> Result:
    parsed, version, action = authenticated.parsed, asked.version, asked.action
    if parsed.refusal is not None:
        raise parsed.refusal
    assert version is not None  # an unknown one is a refusal

    call = Call(authenticated.state, authenticated.key, parsed.params, authenticated.now)
    if parsed.send_sms is not None:
        assert authenticated.context is not None
        return await send.send_sms(call, parsed.send_sms, authenticated.context)
    handler = ACTIONS.get(action) if action in version.actions else None
    if handler is None and action in version.planned:
        raise PlatformError(
            Code.UNSUPPORTED_OPERATION, f"The action `{action}` is not available on this platform yet."
        )
    if handler is None:
        raise PlatformError(Code.INVALID_ACTION, f"The action `{action}` does not exist.")
    return await handler(call)


async def _read_signed(request: web.Request, state: ApiState, now: float) -> Signed:
    try:
        body = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise PlatformError(Code.REQUEST_SIZE_LIMIT) from None
    except RequestPayloadError:  # not in the Content-Encoding (gzip, deflate) it names
        raise PlatformError(Code.INVALID_PARAMETER, "The request body cannot be decoded.") from None
    auth = tc3.parse_authorization(request.headers.get("Authorization", ""))
    if auth is None:
        raise PlatformError(Code.AUTH_INVALID_AUTHORIZATION)
    try:
        timestamp = int(request.headers.get("X-TC-Timestamp", ""))
    except ValueError:
        raise PlatformError(
            Code.AUTH_INVALID_AUTHORIZATION, "X-TC-Timestamp is missing or invalid."
        ) from None
    if not tc3.check_timestamp(timestamp, now, state.settings.signature_max_skew_s):
        raise PlatformError(Code.AUTH_SIGNATURE_EXPIRE)
    return Signed(auth, timestamp, body)


def _read_params(request: web.Request, body: bytes, action: str, version: ApiVersion | None) -> Parsed:
    params, parse_error = _parse_params(request, body)
    if parse_error is not None:
        return Parsed(params, refusal=PlatformError(parse_error))
    if version is None:
        served = ", ".join(VERSIONS)
        name = request.headers.get("X-TC-Version", "")
        return Parsed(
            params,
            refusal=PlatformError(Code.NO_SUCH_VERSION, f"Version {name} is not served; use {served}."),
        )
    params = version.request(action, params)
    if action != "SendSms":
        return Parsed(params)
    try:
        return Parsed(params, send_sms=send.read_send_sms(Params(params)))
    except PlatformError as refusal:
        return Parsed(params, refusal=refusal)


def _authenticate(request: web.Request, signed: Signed, key: ApiKey | None) -> ApiKey:
    if key is None:
        raise PlatformError(Code.AUTH_SECRET_ID_NOT_FOUND)
    headers = {name.lower(): value for name, value in request.headers.items()}
    if not tc3.verify_tc3(
        key.secret_key,
        signed.auth,
        method=request.method,
        query=request.rel_url.raw_query_string,  # as received: query_string is percent-decoded
        headers=headers,
        payload=signed.body,
        timestamp=signed.timestamp,
    ):
        raise PlatformError(Code.AUTH_SIGNATURE_FAILURE)
    if not key.enabled:
        raise PlatformError(Code.AUTH_UNAUTHORIZED)
    return key


def _parse_params(request: web.Request, body: bytes) -> tuple[dict[str, Any], Code | None]:
    if request.method == "GET":
        params = _unflatten(parse_qsl(request.rel_url.raw_query_string, keep_blank_values=True))
        return params, None if is_storable(params) else Code.INVALID_PARAMETER_VALUE
    try:
        params = json.loads(body or b"{}")
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: arrays nested ~1000 deep
        return {}, Code.JSON_PARSE_FAIL
    if not isinstance(params, dict):
        return {}, Code.JSON_PARSE_FAIL
    return params, None if is_storable(params) else Code.INVALID_PARAMETER_VALUE


def _with_utf8_headers(request: web.Request) -> web.Request:
    """aiohttp decodes header bytes that are not UTF-8 with surrogateescape, and such a str cannot be encoded
    again (signature, Postgres, the response body, the log line): replace them with U+FFFD, so the request
    fails with its ordinary code (SecretIdNotFound, SignatureFailure, InvalidAction, NoSuchVersion)."""
    if all(is_utf8(value) for value in request.headers.values()):
        return request
    return request.clone(
        headers=CIMultiDict(
            (name, value.encode("utf-8", "surrogateescape").decode("utf-8", "replace"))
            for name, value in request.headers.items()
        )
    )


MAX_INDEX_DIGITS = 6  # a list holds at most a few hundred items; a longer suffix is part of a name
MAX_NESTING = 1  # a list of structures holding lists (MultiSmsInfoSet.0.TemplateParamSet.1), no deeper


def _unflatten(pairs: list[tuple[str, str]], depth: int = 0) -> dict[str, Any]:
    """GET requests flatten lists as `Name.0`, `Name.1` and a list's structures as `Name.0.Field` (spec 2.3,
    the SDK's _format_params); rebuild them."""
    params: dict[str, Any] = {}
    lists: dict[str, dict[int, str | list[tuple[str, str]]]] = {}
    for name, value in pairs:
        base, _, rest = name.partition(".")
        index, _, field = rest.partition(".")
        # ASCII and short: int() raises on "²" and past 4,300 digits, and reads Arabic-Indic digits.
        if (
            index.isascii()
            and index.isdigit()
            and len(index) <= MAX_INDEX_DIGITS
            and depth + bool(field) <= MAX_NESTING
        ):
            items = lists.setdefault(base, {})
            if not field:
                items[int(index)] = value
                continue
            fields = items.get(int(index))
            if not isinstance(fields, list):  # `Name.0` and `Name.0.Field` both given: the structure wins
                fields = items[int(index)] = []
            fields.append((field, value))
        else:
            params[name] = value
    for base, found in lists.items():
        params[base] = [
            item if isinstance(item, str) else _unflatten(item, depth + 1)
            for item in (found[i] for i in sorted(found))
        ]
    return params


ACTIONS: dict[str, ActionHandler] = {
    **catalog.ACTIONS,
    **numbers.ACTIONS,
    **reports.ACTIONS,
    **send_multi.ACTIONS,
    **conversion.ACTIONS,
}
# Real actions of API 3.0 (sec. 6) not served yet, answered UnsupportedOperation until they land: none left,
# all 19 of the SDK's actions are served (and DescribeSendRecordList of the newer spec).
PLANNED_ACTIONS: frozenset[str] = frozenset()
CURRENT = ApiVersion(
    "2021-01-11",
    actions=frozenset({"SendSms", *ACTIONS}),
    request=lambda action, params: params,
    response=lambda action, fields, tz: fields,
    error=lambda action, rejection: {"Code": rejection.code.value, "Message": rejection.message},
    planned=PLANNED_ACTIONS,
)
VERSIONS = {v.name: v for v in (CURRENT, V20190711)}
KNOWN_ACTIONS = frozenset({"SendSms", *ACTIONS, *PLANNED_ACTIONS})
