"""Tencent Cloud SMS API 3.0 (version 2021-01-11): wire format in, core send path, wire format out.
Every answer is HTTP 200, Content-Type exactly application/json, in the {"Response": {...}} envelope."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any
from urllib.parse import parse_qsl

import structlog
from aiohttp import web
from multidict import CIMultiDict

from api.context import STATE, ApiState
from api.limits import limit_source_ip
from api.tencent_v3 import auth as tc3
from api.tencent_v3 import catalog, numbers, reports
from api.tencent_v3.wire import ActionHandler, Call, envelope, error_envelope
from core.domain.errors import Code, PlatformError, Rejection
from core.domain.phone import normalize_phone
from core.domain.sending import SendPlan, SendRequest
from core.infra.metrics import API_REQUEST_SECONDS, API_REQUESTS
from core.services.sending import accept_send
from core.store.intake import SendContext, load_api_key, load_send_context

VERSION = "2021-01-11"
MAX_LOOKUP_NUMBERS = 1000  # beyond 200 the request is refused anyway; this only bounds the lookup
log = structlog.get_logger("api.tencent_v3")


async def handle(request: web.Request) -> web.Response:
    request = _with_utf8_headers(request)
    state = request.app[STATE]
    request_id = str(uuid.uuid4())
    started = time.perf_counter()
    action = request.headers.get("X-TC-Action", "")
    bound = log.bind(request_id=request_id, action=action)
    outcome: dict[str, Any] = {}
    try:
        response, outcome = await _dispatch(request, state, request_id, action)
    except PlatformError as exc:
        response = error_envelope(request_id, exc.rejection)
        outcome = {"code": exc.rejection.code.value}
    except Exception:
        # Postgres or Redis unreachable, or a bug: logged with context, answered in the envelope.
        bound.exception("request failed")
        response = error_envelope(request_id, Rejection(Code.INTERNAL_ERROR))
        outcome = {"code": Code.INTERNAL_ERROR.value}
    elapsed = time.perf_counter() - started
    label = action if action in KNOWN_ACTIONS else "other"  # the header is the client's: bound the label
    API_REQUESTS.labels(label, str(outcome.get("code", "Ok"))).inc()
    API_REQUEST_SECONDS.labels(label).observe(elapsed)
    bound.info("request", ms=round(elapsed * 1000, 2), **outcome)
    return response


async def _dispatch(
    request: web.Request, state: ApiState, request_id: str, action: str
) -> tuple[web.Response, dict[str, Any]]:
    now = state.clock()
    await limit_source_ip(request, state, now)
    try:
        body = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise PlatformError(Code.REQUEST_SIZE_LIMIT) from None
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

    params, parse_error = _parse_params(request, body)
    if action == "SendSms" and parse_error is None:
        context = await load_send_context(
            state.platform.db,
            auth.secret_id,
            _loose_text(params.get("SmsSdkAppId")),
            _loose_text(params.get("SignName")),
            _template_id(params.get("TemplateId")),
            _candidate_numbers(params.get("PhoneNumberSet")),
        )
        key = context.key if context else None
    else:
        context = None
        key = await load_api_key(state.platform.db, auth.secret_id)
    if key is None:
        raise PlatformError(Code.AUTH_SECRET_ID_NOT_FOUND)
    headers = {name.lower(): value for name, value in request.headers.items()}
    if not tc3.verify_tc3(
        key.secret_key,
        auth,
        method=request.method,
        query=request.rel_url.raw_query_string,  # as received: query_string is percent-decoded
        headers=headers,
        payload=body,
        timestamp=timestamp,
    ):
        raise PlatformError(Code.AUTH_SIGNATURE_FAILURE)
    if not key.enabled:
        raise PlatformError(Code.AUTH_UNAUTHORIZED)
    if parse_error is not None:
        raise PlatformError(parse_error)
    version = request.headers.get("X-TC-Version", VERSION)
    if version != VERSION:
        raise PlatformError(Code.NO_SUCH_VERSION, f"Version {version} is not served; use {VERSION}.")

    call = Call(state, key, params, now)
    if action == "SendSms":
        assert context is not None
        return await send_sms(call, request_id, context)
    handler = ACTIONS.get(action)
    if handler is None and action in PLANNED_ACTIONS:
        raise PlatformError(
            Code.UNSUPPORTED_OPERATION, f"The action `{action}` is not available on this platform yet."
        )
    if handler is None:
        raise PlatformError(Code.INVALID_ACTION, f"The action `{action}` does not exist.")
    return await handler(call, request_id)


def _parse_params(request: web.Request, body: bytes) -> tuple[dict[str, Any], Code | None]:
    if request.method == "GET":
        params = _unflatten(parse_qsl(request.rel_url.raw_query_string, keep_blank_values=True))
        return params, None if _storable(params) else Code.INVALID_PARAMETER_VALUE
    try:
        params = json.loads(body or b"{}")
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: arrays nested ~1000 deep
        return {}, Code.JSON_PARSE_FAIL
    if not isinstance(params, dict):
        return {}, Code.JSON_PARSE_FAIL
    return params, None if _storable(params) else Code.INVALID_PARAMETER_VALUE


def _with_utf8_headers(request: web.Request) -> web.Request:
    """aiohttp decodes header bytes that are not UTF-8 with surrogateescape, and such a str cannot be encoded
    again (signature, Postgres, the response body, the log line): replace them with U+FFFD, so the request
    fails with its ordinary code (SecretIdNotFound, SignatureFailure, InvalidAction, NoSuchVersion)."""
    if all(_is_utf8(value) for value in request.headers.values()):
        return request
    return request.clone(
        headers=CIMultiDict(
            (name, value.encode("utf-8", "surrogateescape").decode("utf-8", "replace"))
            for name, value in request.headers.items()
        )
    )


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _storable(params: dict[str, Any]) -> bool:
    """No NUL and no lone surrogate in any string: JSON ("\\u0000", "\\ud800") and query strings ("%00") can
    carry them, but Postgres text and a UTF-8 response cannot. Iterative: nesting depth is the client's."""
    pending: list[Any] = [params]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if "\x00" in item or not _is_utf8(item):
                return False
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, dict):
            pending.extend(item)
            pending.extend(item.values())
    return True


def _unflatten(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """GET requests flatten lists as `Name.0`, `Name.1` (spec 2.3); rebuild them."""
    params: dict[str, Any] = {}
    lists: dict[str, dict[int, str]] = {}
    for name, value in pairs:
        base, _, index = name.partition(".")
        if index.isdigit():
            lists.setdefault(base, {})[int(index)] = value
        else:
            params[name] = value
    for base, items in lists.items():
        params[base] = [items[i] for i in sorted(items)]
    return params


def _candidate_numbers(value: Any) -> list[str]:
    """The request's numbers in E.164, for the blocklist lookup that rides along with the context query."""
    if not isinstance(value, list):
        return []
    found = (normalize_phone(_loose_text(v)) for v in value[:MAX_LOOKUP_NUMBERS])
    return [p.e164 for p in found if p is not None]


def _loose_text(value: Any) -> str:
    return str(value) if isinstance(value, (str, int)) and not isinstance(value, bool) else ""


def _template_id(value: Any) -> int:
    text = _loose_text(value)
    # isascii: str.isdigit() also holds for "\u00b2" (int() refuses it) and Arabic-Indic digits (int() reads them).
    return int(text) if text.isascii() and text.isdigit() and len(text) < 18 else -1


async def send_sms(call: Call, request_id: str, context: SendContext) -> tuple[web.Response, dict[str, Any]]:
    sdk_app_id = call.text("SmsSdkAppId")
    phones = call.text_list("PhoneNumberSet")
    call.text("TemplateId")  # required; the context already holds the template it names
    request = SendRequest(
        phones=phones,
        sign_name=call.text("SignName", required=False),
        params=call.text_list("TemplateParamSet", required=False),
        session_context=call.text("SessionContext", required=False),
    )
    outcome = await accept_send(
        call.state.platform,
        request,
        context,
        now=call.now,
    )
    status_set = _send_status_set(outcome.plan, outcome.serials, request.session_context)
    return envelope(request_id, {"SendStatusSet": status_set}), {
        "app": sdk_app_id,
        "code": "Ok",
        "numbers": len(phones),
        "accepted": len(outcome.plan.accepted),
    }


def _send_status_set(plan: SendPlan, serials: dict[str, str], session_context: str) -> list[dict[str, Any]]:
    out = []
    for r in plan.results:
        ok = r.accepted
        out.append(
            {
                "SerialNo": serials.get(r.phone, "") if ok else "",
                "PhoneNumber": r.phone,
                "Fee": r.parts if ok else 0,
                "SessionContext": session_context,
                "Code": r.code.value,
                "Message": Rejection(r.code, r.detail).message,
                "IsoCode": r.iso_code if ok else "",
            }
        )
    return out


ACTIONS: dict[str, ActionHandler] = {
    **catalog.ACTIONS,
    **numbers.ACTIONS,
    **reports.ACTIONS,
}
# The rest of API 3.0 (sec. 6): real actions of the service, answered UnsupportedOperation until they land.
PLANNED_ACTIONS = frozenset(
    {
        "ReportConversion", "SendMultiGlobalSms",
    }
)  # fmt: skip
KNOWN_ACTIONS = frozenset({"SendSms", *ACTIONS, *PLANNED_ACTIONS})
