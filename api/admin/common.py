"""What every admin resource shares: the error an admin handler raises (AdminError) and the one table of HTTP
statuses, the JSON and error responses, the guard middleware (bearer token compared in constant time, errors
as {"error": {"code", "message"}} with a fitting HTTP status and never a stack trace, one log line per
request), and the readers of the parameters and bodies every resource takes.

Resource modules import this module and nothing else of the package; api.admin.routes mounts them."""

from __future__ import annotations

import functools
import hmac
import json
import math
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any, NoReturn

import structlog
from aiohttp import web

from api.context import STATE, ApiState
from core.domain.errors import MESSAGES, Code, Rejection
from core.domain.phone import normalize_phone
from core.domain.text import is_storable
from core.services.review import BadInput, operator_actor

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
MAX_REASON_CHARS = 500
MAX_ID = 2**63 - 1  # Postgres bigint
MIN_INT = -(2**63)
# A body nested deeper than this is refused before any handler (or json.dumps of an echo) recurses into it.
MAX_JSON_DEPTH = 32
# Times the admin API takes: far enough from year 1 and 9999 that shifting by a time zone or a default span
# never leaves what datetime can hold.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)
log = structlog.get_logger("api.admin")

# The admin dialect's one table: the HTTP status each platform code is answered with. Any other refusal of a
# review action is a conflict with the item's current state.
HTTP_STATUS: dict[Code, int] = {
    Code.MISSING_PARAMETER: 400,
    Code.INVALID_PARAMETER: 400,
    Code.INVALID_PARAMETER_VALUE: 400,
    Code.LIMIT_VERIFY_FAIL: 400,
    Code.JSON_PARSE_FAIL: 400,
    Code.AUTH_INVALID_AUTHORIZATION: 401,
    Code.SIGN_ID_NOT_EXIST: 404,
    Code.TEMPLATE_ID_NOT_EXIST: 404,
    Code.FAILED_OPERATION: 409,
    Code.REQUEST_SIZE_LIMIT: 413,
    Code.INTERNAL_ERROR: 500,
}
NOT_FOUND = "ResourceNotFound"
# Codes for what aiohttp itself refuses before a handler runs (unknown path, wrong method, oversized body).
_HTTP_CODES = {
    404: NOT_FOUND,
    405: Code.UNSUPPORTED_OPERATION.value,
    413: Code.REQUEST_SIZE_LIMIT.value,
}


class AdminError(Exception):
    """Answer the request with this error."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    @classmethod
    def of(cls, rejection: Rejection) -> AdminError:
        return cls(HTTP_STATUS.get(rejection.code, 409), rejection.code.value, rejection.message)


def json_response(value: Any, status: int = 200) -> web.Response:
    return web.json_response(value, status=status, dumps=functools.partial(json.dumps, ensure_ascii=False))


def error_response(status: int, code: str, message: str) -> web.Response:
    response = json_response({"error": {"code": code, "message": message}}, status)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="admin"'
    return response


def authorize(request: web.Request, token: str) -> None:
    given = request.headers.get("Authorization", "").encode("utf-8", "surrogateescape")
    # An empty configured token refuses everyone; the comparison runs either way, in constant time.
    if not hmac.compare_digest(given, f"Bearer {token}".encode()) or not token:
        raise AdminError(
            401, Code.AUTH_INVALID_AUTHORIZATION.value, "A valid admin bearer token is required."
        )


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Auth first (even for unknown paths: nothing is revealed without the token), then the handler; every
    failure becomes the JSON error shape, and each request ends in one log line."""
    started = time.perf_counter()
    bound = log.bind(method=request.method, path=request.path)
    response: web.StreamResponse
    try:
        authorize(request, request.config_dict[STATE].settings.admin_token)
        check_text(request)
        response = await handler(request)
    except AdminError as exc:
        response = error_response(exc.status, exc.code, exc.message)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        response = error_response(exc.status, _HTTP_CODES.get(exc.status, f"HTTP{exc.status}"), exc.reason)
        if "Allow" in exc.headers:  # a 405 names the methods the path takes (RFC 9110, 15.5.6)
            response.headers["Allow"] = exc.headers["Allow"]
    except Exception:
        # Postgres unreachable, or a bug: logged with context, answered without internals.
        bound.exception("admin request failed")
        response = error_response(500, Code.INTERNAL_ERROR.value, MESSAGES[Code.INTERNAL_ERROR])
    bound.info("admin request", status=response.status, ms=round((time.perf_counter() - started) * 1000, 2))
    return response


def request_endpoints(request: web.Request) -> tuple[set[str], set[int]]:
    """The Host this request was addressed to and the port it arrived on (the API may listen on a port the
    settings do not name): a customer URL (callback, alarm webhook) must not point there either."""
    hosts: set[str] = {request.url.host} if request.url.host else set()
    ports: set[int] = {request.url.port} if request.url.port else set()
    sockname = request.transport.get_extra_info("sockname") if request.transport else None
    if isinstance(sockname, tuple) and len(sockname) >= 2 and isinstance(sockname[1], int):
        ports.add(sockname[1])
    return hosts, ports


def check_text(request: web.Request) -> None:
    """Every path segment and query parameter is text Postgres can hold ("%00" decodes to a NUL), checked once
    here so no handler passes one on to the store."""
    for where, values in (("path", request.match_info), ("query", request.query)):
        if not is_storable([*values.keys(), *values.values()]):
            raise AdminError(
                400, Code.INVALID_PARAMETER_VALUE.value, f"The {where} holds a NUL or invalid character."
            )


def state_of(request: web.Request) -> ApiState:
    return request.config_dict[STATE]


def _natural(raw: str, high: int) -> int | None:
    """A decimal integer from 1 to `high` written in plain ASCII digits, or None. The length is checked before
    int(): Python refuses to convert more than 4,300 digits, and no id has more than 19."""
    if not raw.isascii() or not raw.isdigit() or len(raw) > len(str(high)):
        return None
    value = int(raw)
    return value if 0 < value <= high else None


def positive_id(raw: str, what: str = "id") -> int:
    value = _natural(raw, MAX_ID)
    if value is None:
        raise AdminError(
            400, Code.INVALID_PARAMETER_VALUE.value, f"The {what} must be an integer from 1 to {MAX_ID}."
        )
    return value


def page_limit(raw: str) -> int:
    """The `limit` query parameter of a listing: how many items one page holds."""
    if not raw:
        return DEFAULT_LIMIT
    value = _natural(raw, MAX_LIMIT)
    if value is None:
        raise AdminError(
            400, Code.LIMIT_VERIFY_FAIL.value, f"`limit` must be an integer from 1 to {MAX_LIMIT}."
        )
    return value


def bounded_time(value: datetime, name: str, code: Code = Code.INVALID_PARAMETER_VALUE) -> datetime:
    """A time the platform can compute with and store: from 1970 until year 9000."""
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    if not EARLIEST <= aware < LATEST:
        raise AdminError(400, code.value, f"`{name}` must be from 1970 until the year 9000.")
    return value


def phone_number(raw: str) -> str:
    """One number, normalized to E.164 (rule D1)."""
    phone = normalize_phone(raw)
    if phone is None:
        raise AdminError(400, Code.INCORRECT_PHONE.value, f"Not a valid phone number: {raw!r}.")
    return phone.e164


def _refuse_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not JSON")


def _bad_json(message: str) -> AdminError:
    return AdminError(400, Code.JSON_PARSE_FAIL.value, message)


def check_json(value: Any) -> None:
    """One walk over a parsed body: nesting at most MAX_JSON_DEPTH, every string (keys too) storable, every
    integer a bigint, every number finite. Iterative, so the client's nesting never becomes ours."""
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if depth > MAX_JSON_DEPTH:
            raise _bad_json(f"The body is nested deeper than {MAX_JSON_DEPTH} levels.")
        if isinstance(item, dict):
            pending.extend((key, depth) for key in item)
            pending.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            pending.extend((child, depth + 1) for child in item)
        elif isinstance(item, str):
            if not is_storable(item):
                raise AdminError(
                    400, Code.INVALID_PARAMETER_VALUE.value, "A string holds a NUL or invalid character."
                )
        elif isinstance(item, bool):
            continue
        elif isinstance(item, int):
            if not MIN_INT <= item <= MAX_ID:
                raise AdminError(400, Code.INVALID_PARAMETER_VALUE.value, "An integer is out of range.")
        elif isinstance(item, float) and not math.isfinite(item):
            raise AdminError(400, Code.INVALID_PARAMETER_VALUE.value, "A number is out of range.")


async def read_body(request: web.Request) -> dict[str, Any]:
    """The JSON object sent, or {} for an empty body; checked by check_json."""
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        # NaN and Infinity are not JSON; integers past 4,300 digits raise ValueError too.
        value = json.loads(raw, parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        raise _bad_json(MESSAGES[Code.JSON_PARSE_FAIL]) from None
    if not isinstance(value, dict):
        raise AdminError(400, Code.INVALID_PARAMETER.value, "The body must be a JSON object.")
    check_json(value)
    return value


def reject_unknown(body: Mapping[str, Any], allowed: set[str]) -> None:
    unknown = set(body) - allowed
    if unknown:
        raise AdminError(400, Code.INVALID_PARAMETER.value, f"Unknown fields: {', '.join(sorted(unknown))}.")


def read_reason(body: Mapping[str, Any], *, required: bool) -> str:
    reason = body.get("reason", "")
    if not isinstance(reason, str):
        raise AdminError(400, Code.INVALID_PARAMETER.value, "`reason` must be a string.")
    reason = reason.strip()
    if required and not reason:
        raise AdminError(
            400, Code.MISSING_PARAMETER.value, "A rejection needs a `reason` the customer can read."
        )
    if len(reason) > MAX_REASON_CHARS:
        raise AdminError(
            400, Code.INVALID_PARAMETER_VALUE.value, f"`reason` is at most {MAX_REASON_CHARS} characters."
        )
    return reason


def operator(request: web.Request) -> str:
    """Who acts: the X-Operator header, recorded in the history of what they change."""
    try:
        return operator_actor(request.headers.get("X-Operator", "operator"))
    except BadInput as exc:
        raise AdminError(400, Code.INVALID_PARAMETER_VALUE.value, f"X-Operator: {exc}") from None
