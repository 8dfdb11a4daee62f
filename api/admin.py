"""The operators' admin API under /admin/v1/: the review queue, items with their documents and history, review
decisions, the pre-check word lists, and applications' sending policy, allowlist and emergency disable. JSON in
and out, a bearer token on every route (compared in constant time), errors as {"error": {"code", "message"}}
with a fitting HTTP status, never a stack trace.

It is a sub-application, so its middleware (auth, errors, the request log line) touches no other route."""

from __future__ import annotations

import functools
import hmac
import json
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import structlog
from aiohttp import web

from api.context import STATE, ApiState
from core.domain.errors import MESSAGES, Code, Rejection
from core.domain.phone import normalize_phone
from core.domain.review import Action, Kind, missing_code
from core.store.admin import set_app_status
from core.store.policy import (
    MAX_ALLOWLIST,
    AllowlistFull,
    AppNotFound,
    IndividualPolicy,
    add_allowlist,
    app_exists,
    list_allowlist,
    load_app_policy,
    remove_allowlist,
    set_intl_countries,
    update_policy,
)
from core.store.replies import approve_lift, list_blocklist, request_lift
from core.store.review import transition, word_list
from core.store.review_queue import (
    BadInput,
    check_list_name,
    edit_words,
    get_document,
    get_item,
    list_queue,
    normalize_words,
    operator_actor,
)

PREFIX = "/admin/v1"
OPENAPI_FILE = Path(__file__).parent / "openapi" / "admin.yaml"
DEFAULT_QUEUE_LIMIT = 50
MAX_QUEUE_LIMIT = 500
MAX_REASON_CHARS = 500
MAX_WORDS_PER_REQUEST = 1000
MAX_ID = 2**63 - 1
MAX_PHONES_PER_REQUEST = 1000
MAX_NOTE_CHARS = 200
OPENAPI = web.AppKey("admin_openapi", bytes)
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
_ACTIONS = {
    "start": Action.START_REVIEW,
    "approve": Action.APPROVE,
    "reject": Action.REJECT,
    "urgent": Action.MARK_URGENT,
}
_MIME = re.compile(r"[A-Za-z0-9][\w.+-]*/[\w.+-]+")


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


def _json(value: Any, status: int = 200) -> web.Response:
    return web.json_response(value, status=status, dumps=functools.partial(json.dumps, ensure_ascii=False))


def _error(status: int, code: str, message: str) -> web.Response:
    response = _json({"error": {"code": code, "message": message}}, status)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="admin"'
    return response


def _authorize(request: web.Request, token: str) -> None:
    given = request.headers.get("Authorization", "").encode("utf-8", "surrogateescape")
    # An empty configured token refuses everyone; the comparison runs either way, in constant time.
    if not hmac.compare_digest(given, f"Bearer {token}".encode()) or not token:
        raise AdminError(
            401, Code.AUTH_INVALID_AUTHORIZATION.value, "A valid admin bearer token is required."
        )


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def _guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Auth first (even for unknown paths: nothing is revealed without the token), then the handler; every
    failure becomes the JSON error shape, and each request ends in one log line."""
    started = time.perf_counter()
    bound = log.bind(method=request.method, path=request.path)
    response: web.StreamResponse
    try:
        _authorize(request, request.config_dict[STATE].settings.admin_token)
        response = await handler(request)
    except AdminError as exc:
        response = _error(exc.status, exc.code, exc.message)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        response = _error(exc.status, _HTTP_CODES.get(exc.status, f"HTTP{exc.status}"), exc.reason)
    except Exception:
        # Postgres unreachable, or a bug: logged with context, answered without internals.
        bound.exception("admin request failed")
        response = _error(500, Code.INTERNAL_ERROR.value, MESSAGES[Code.INTERNAL_ERROR])
    bound.info("admin request", status=response.status, ms=round((time.perf_counter() - started) * 1000, 2))
    return response


def _state(request: web.Request) -> ApiState:
    return request.config_dict[STATE]


def _kind(raw: str) -> Kind:
    try:
        return Kind(raw)
    except ValueError:
        raise AdminError(404, NOT_FOUND, f"Unknown kind {raw!r}; use signature or template.") from None


def _id(raw: str, what: str = "id") -> int:
    if not raw.isascii() or not raw.isdigit() or not 0 < int(raw) <= MAX_ID:
        raise AdminError(400, Code.INVALID_PARAMETER_VALUE.value, f"The {what} must be a positive integer.")
    return int(raw)


def _list_name(raw: str) -> str:
    try:
        return check_list_name(raw)
    except BadInput as exc:
        raise AdminError(404, NOT_FOUND, str(exc)) from None


async def _body(request: web.Request) -> dict[str, Any]:
    """The JSON object sent, or {} for an empty body."""
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        raise AdminError(400, Code.JSON_PARSE_FAIL.value, MESSAGES[Code.JSON_PARSE_FAIL]) from None
    if not isinstance(value, dict):
        raise AdminError(400, Code.INVALID_PARAMETER.value, "The body must be a JSON object.")
    return value


def _reason(body: Mapping[str, Any], *, required: bool) -> str:
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


def _actor(request: web.Request) -> str:
    try:
        return operator_actor(request.headers.get("X-Operator", "operator"))
    except BadInput as exc:
        raise AdminError(400, Code.INVALID_PARAMETER_VALUE.value, f"X-Operator: {exc}") from None


async def review_queue(request: web.Request) -> web.Response:
    kind_raw = request.query.get("kind", "")
    try:
        kind = Kind(kind_raw) if kind_raw else None
    except ValueError:
        raise AdminError(
            400, Code.INVALID_PARAMETER_VALUE.value, "`kind` must be signature or template."
        ) from None
    limit_raw = request.query.get("limit", "")
    limit = DEFAULT_QUEUE_LIMIT
    if limit_raw:
        if not limit_raw.isascii() or not limit_raw.isdigit() or not 1 <= int(limit_raw) <= MAX_QUEUE_LIMIT:
            raise AdminError(
                400, Code.LIMIT_VERIFY_FAIL.value, f"`limit` must be an integer from 1 to {MAX_QUEUE_LIMIT}."
            )
        limit = int(limit_raw)
    state = _state(request)
    now = datetime.fromtimestamp(state.clock(), UTC)
    items = await list_queue(state.platform.db, kind=kind, limit=limit, now=now)
    return _json({"items": [item.to_json() for item in items]})


async def review_item(request: web.Request) -> web.Response:
    kind = _kind(request.match_info["kind"])
    item_id = _id(request.match_info["id"])
    item = await get_item(_state(request).platform.db, kind, item_id)
    if item is None:
        raise AdminError.of(Rejection(missing_code(kind, Action.APPROVE)))
    return _json(item.to_json())


def _review_action(name: str) -> Handler:
    action = _ACTIONS[name]

    async def handle(request: web.Request) -> web.Response:
        kind = _kind(request.match_info["kind"])
        item_id = _id(request.match_info["id"])
        actor = _actor(request)
        reason = _reason(await _body(request), required=action is Action.REJECT)
        outcome = await transition(
            _state(request).platform.db, kind, item_id, action, actor=actor, reason=reason
        )
        if isinstance(outcome, Rejection):
            raise AdminError.of(outcome)
        return _json({"kind": kind.value, "id": item_id, "action": action.value, "status": outcome.to_status})

    handle.__name__ = f"review_{name}"
    return handle


async def document(request: web.Request) -> web.Response:
    doc_id = _id(request.match_info["id"])
    found = await get_document(_state(request).platform.db, doc_id)
    if found is None:
        raise AdminError(404, NOT_FOUND, f"Document {doc_id} does not exist.")
    content_type, data = found
    return web.Response(
        body=data,
        headers={
            # Customer uploads: served as what they claim to be only if that is a plain media type, never
            # sniffed, and sandboxed should a browser ever render one.
            "Content-Type": content_type if _MIME.fullmatch(content_type) else "application/octet-stream",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )


async def words_get(request: web.Request) -> web.Response:
    name = _list_name(request.match_info["list"])
    return _json({"list": name, "words": await word_list(_state(request).platform.db, name)})


def _words_field(body: Mapping[str, Any], key: str) -> list[str]:
    value = body.get(key, [])
    if not isinstance(value, list) or not all(isinstance(w, str) for w in value):
        raise AdminError(400, Code.INVALID_PARAMETER.value, f"`{key}` must be a list of strings.")
    if len(value) > MAX_WORDS_PER_REQUEST:
        raise AdminError(
            400, Code.INVALID_PARAMETER_VALUE.value, f"`{key}` has more than {MAX_WORDS_PER_REQUEST} words."
        )
    try:
        return normalize_words(value)
    except BadInput as exc:
        raise AdminError(400, Code.INVALID_PARAMETER_VALUE.value, f"`{key}`: {exc}") from None


async def words_edit(request: web.Request) -> web.Response:
    name = _list_name(request.match_info["list"])
    body = await _body(request)
    unknown = set(body) - {"add", "remove"}
    if unknown:
        raise AdminError(400, Code.INVALID_PARAMETER.value, f"Unknown fields: {', '.join(sorted(unknown))}.")
    add, remove = _words_field(body, "add"), _words_field(body, "remove")
    if not add and not remove:
        raise AdminError(400, Code.MISSING_PARAMETER.value, "Give words to `add` or `remove`.")
    both = set(add) & set(remove)
    if both:
        raise AdminError(
            400,
            Code.INVALID_PARAMETER_VALUE.value,
            f"Words both added and removed: {', '.join(sorted(both))}.",
        )
    edit = await edit_words(_state(request).platform.db, name, add=add, remove=remove)
    return _json({"list": name, "added": edit.added, "removed": edit.removed, "words": edit.words})


# Applications: sending policy (L1, L4), allowlist (L2), emergency disable (A3).


async def _app_id(request: web.Request) -> str:
    """The path's SDK AppID, answered 404 unless the application exists."""
    sdk_app_id = request.match_info["sdk_app_id"]
    if not await app_exists(_state(request).platform.db, sdk_app_id):
        raise AdminError(404, NOT_FOUND, str(AppNotFound(sdk_app_id)))
    return sdk_app_id


async def policy_get(request: web.Request) -> web.Response:
    sdk_app_id = request.match_info["sdk_app_id"]
    found = await load_app_policy(_state(request).platform.db, sdk_app_id)
    if found is None:
        raise AdminError(404, NOT_FOUND, str(AppNotFound(sdk_app_id)))
    return _json(found.to_json())


async def policy_patch(request: web.Request) -> web.Response:
    sdk_app_id = request.match_info["sdk_app_id"]
    body = await _body(request)
    if not body:
        raise AdminError(400, Code.MISSING_PARAMETER.value, "Give at least one policy field to change.")
    try:
        outcome = await update_policy(_state(request).platform.db, sdk_app_id, body)
    except AppNotFound as exc:
        raise AdminError(404, NOT_FOUND, str(exc)) from None
    except IndividualPolicy as exc:
        raise AdminError(409, exc.code, str(exc)) from None
    if isinstance(outcome, Rejection):
        raise AdminError.of(outcome)
    return _json(outcome.to_json())


def _phones(body: Mapping[str, Any], allowed: set[str]) -> list[str]:
    """`phones` normalized to E.164 (rule D1); any invalid one refuses the whole request."""
    unknown = set(body) - allowed
    if unknown:
        raise AdminError(400, Code.INVALID_PARAMETER.value, f"Unknown fields: {', '.join(sorted(unknown))}.")
    given = body.get("phones")
    if given is None or given == []:
        raise AdminError(400, Code.MISSING_PARAMETER.value, "Give the numbers in `phones`.")
    if not isinstance(given, list) or not all(isinstance(p, str) for p in given):
        raise AdminError(400, Code.INVALID_PARAMETER.value, "`phones` must be a list of strings.")
    if len(given) > MAX_PHONES_PER_REQUEST:
        raise AdminError(
            400,
            Code.INVALID_PARAMETER_VALUE.value,
            f"`phones` has more than {MAX_PHONES_PER_REQUEST} numbers.",
        )
    parsed = [(raw, normalize_phone(raw)) for raw in given]
    invalid = [raw for raw, phone in parsed if phone is None]
    if invalid:
        raise AdminError(
            400,
            Code.INCORRECT_PHONE.value,
            f"Invalid phone numbers (nothing was changed): {json.dumps(invalid, ensure_ascii=False)}.",
        )
    return [phone.e164 for _, phone in parsed if phone is not None]


async def _allowlist(request: web.Request, sdk_app_id: str, **extra: Any) -> web.Response:
    entries = await list_allowlist(_state(request).platform.db, sdk_app_id)
    return _json(
        {
            "sdk_app_id": sdk_app_id,
            **extra,
            "limit": MAX_ALLOWLIST,
            "allowlist": [e.to_json() for e in entries],
        }
    )


async def allowlist_get(request: web.Request) -> web.Response:
    return await _allowlist(request, await _app_id(request))


async def allowlist_add(request: web.Request) -> web.Response:
    sdk_app_id = await _app_id(request)
    body = await _body(request)
    phones = _phones(body, {"phones", "note"})
    note = body.get("note", "")
    if not isinstance(note, str):
        raise AdminError(400, Code.INVALID_PARAMETER.value, "`note` must be a string.")
    note = note.strip()
    if len(note) > MAX_NOTE_CHARS:
        raise AdminError(
            400, Code.INVALID_PARAMETER_VALUE.value, f"`note` is at most {MAX_NOTE_CHARS} characters."
        )
    actor = _actor(request)
    try:
        added = await add_allowlist(_state(request).platform.db, sdk_app_id, phones, note, actor)
    except AllowlistFull as exc:
        raise AdminError(409, exc.code, str(exc)) from None
    except AppNotFound as exc:
        raise AdminError(404, NOT_FOUND, str(exc)) from None
    return await _allowlist(request, sdk_app_id, added=added)


async def allowlist_remove(request: web.Request) -> web.Response:
    sdk_app_id = await _app_id(request)
    phones = _phones(await _body(request), {"phones"})
    removed = await remove_allowlist(_state(request).platform.db, sdk_app_id, phones)
    return await _allowlist(request, sdk_app_id, removed=removed)


def _app_status(status: str) -> Handler:
    async def handle(request: web.Request) -> web.Response:
        sdk_app_id = request.match_info["sdk_app_id"]
        actor = _actor(request)
        if not await set_app_status(_state(request).platform.db, sdk_app_id, status):
            raise AdminError(404, NOT_FOUND, str(AppNotFound(sdk_app_id)))
        log.info("app status set", sdk_app_id=sdk_app_id, status=status, actor=actor)
        return _json({"sdk_app_id": sdk_app_id, "status": status})

    handle.__name__ = "app_" + {"disabled": "disable", "active": "enable"}[status]
    return handle


async def openapi(request: web.Request) -> web.Response:
    return web.Response(body=request.app[OPENAPI], headers={"Content-Type": "application/yaml"})


def _phone(raw: str) -> str:
    phone = normalize_phone(raw)
    if phone is None:
        raise AdminError(400, Code.INCORRECT_PHONE.value, f"Not a valid phone number: {raw!r}.")
    return phone.e164


async def blocklist_get(request: web.Request) -> web.Response:
    account_id = _id(request.match_info["account_id"], "account id")
    entries = await list_blocklist(_state(request).platform.db, account_id)
    return _json({"account_id": account_id, "entries": [e.to_json() for e in entries]})


async def blocklist_lift_request(request: web.Request) -> web.Response:
    """The customer's application to lift an unsubscription (B1), recorded with who and why."""
    account_id = _id(request.match_info["account_id"], "account id")
    phone = _phone(request.match_info["phone"])
    body = await _body(request)
    reason = _reason(body, required=True)
    by = str(body.get("requested_by") or f"account:{account_id}")[:100]
    status = await request_lift(_state(request).platform.db, account_id, phone, reason=reason, by=by)
    if status is None:
        raise AdminError(409, Code.FAILED_OPERATION.value, "No active unsubscription of this number to lift.")
    return _json({"account_id": account_id, "phone": phone, "status": status})


async def blocklist_lift(request: web.Request) -> web.Response:
    """An operator approves the lift; it takes effect at once."""
    account_id = _id(request.match_info["account_id"], "account id")
    phone = _phone(request.match_info["phone"])
    status = await approve_lift(_state(request).platform.db, account_id, phone, by=_actor(request))
    if status is None:
        raise AdminError(409, Code.FAILED_OPERATION.value, "No lift request for this number is waiting.")
    return _json({"account_id": account_id, "phone": phone, "status": status})


async def countries_put(request: web.Request) -> web.Response:
    """L4: the countries and regions an application may send international SMS to; null allows all."""
    sdk_app_id = request.match_info["sdk_app_id"]
    body = await _body(request)
    if "countries" not in body:
        raise AdminError(
            400, Code.MISSING_PARAMETER.value, "`countries` is required (a list of ISO codes, or null)."
        )
    countries = body["countries"]
    if countries is not None:
        if (
            not isinstance(countries, list)
            or len(countries) > 300
            or not all(isinstance(c, str) and len(c) == 2 and c.isascii() and c.isalpha() for c in countries)
        ):
            raise AdminError(
                400, Code.INVALID_PARAMETER_VALUE.value, "`countries` must list two-letter ISO codes."
            )
        countries = sorted({c.upper() for c in countries})
    if not await set_intl_countries(_state(request).platform.db, sdk_app_id, countries):
        raise AdminError(404, NOT_FOUND, f"Application {sdk_app_id} does not exist.")
    return _json({"sdk_app_id": sdk_app_id, "countries": countries})


async def alarm_put(request: web.Request) -> web.Response:
    """L4: who an account alerts when its applications look like they are being used to bomb numbers."""
    account_id = _id(request.match_info["account_id"], "account id")
    body = await _body(request)
    raw_phones = body.get("phones", [])
    webhook = body.get("webhook", "")
    if not isinstance(raw_phones, list) or len(raw_phones) > 10 or not isinstance(webhook, str):
        raise AdminError(
            400, Code.INVALID_PARAMETER.value, "`phones` (at most 10) and `webhook` (a URL or '')."
        )
    if webhook and not webhook.startswith(("http://", "https://")):
        raise AdminError(400, Code.INVALID_PARAMETER_VALUE.value, "`webhook` must be an http(s) URL.")
    phones = [_phone(str(p)) for p in raw_phones]
    updated = await _state(request).platform.db.execute(
        "UPDATE accounts SET alarm_phones = $2, alarm_webhook = $3 WHERE id = $1",
        account_id,
        phones,
        webhook,
    )
    if not updated.endswith(" 1"):
        raise AdminError(404, NOT_FOUND, f"Account {account_id} does not exist.")
    return _json({"account_id": account_id, "phones": phones, "webhook": webhook})


def setup_admin(app: web.Application) -> None:
    """Mount the admin API under /admin/v1/ on the API app."""
    admin = web.Application(client_max_size=app[STATE].settings.max_body_bytes, middlewares=[_guard])
    admin[OPENAPI] = OPENAPI_FILE.read_bytes()
    admin.router.add_get("/review/queue", review_queue)
    admin.router.add_get("/review/{kind}/{id}", review_item)
    for name in _ACTIONS:
        admin.router.add_post(f"/review/{{kind}}/{{id}}/{name}", _review_action(name))
    admin.router.add_get("/documents/{id}", document)
    admin.router.add_get("/words/{list}", words_get)
    admin.router.add_post("/words/{list}", words_edit)
    admin.router.add_get("/apps/{sdk_app_id}/policy", policy_get)
    admin.router.add_patch("/apps/{sdk_app_id}/policy", policy_patch)
    admin.router.add_get("/apps/{sdk_app_id}/allowlist", allowlist_get)
    admin.router.add_post("/apps/{sdk_app_id}/allowlist", allowlist_add)
    admin.router.add_delete("/apps/{sdk_app_id}/allowlist", allowlist_remove)
    admin.router.add_post("/apps/{sdk_app_id}/disable", _app_status("disabled"))
    admin.router.add_post("/apps/{sdk_app_id}/enable", _app_status("active"))
    admin.router.add_get("/openapi.yaml", openapi)
    admin.router.add_put("/apps/{sdk_app_id}/countries", countries_put)
    admin.router.add_put("/accounts/{account_id}/alarm", alarm_put)
    admin.router.add_get("/accounts/{account_id}/blocklist", blocklist_get)
    admin.router.add_post("/accounts/{account_id}/blocklist/{phone}/lift-request", blocklist_lift_request)
    admin.router.add_post("/accounts/{account_id}/blocklist/{phone}/lift", blocklist_lift)
    from api.admin_records import add_routes  # imported here: admin_records imports this module

    add_routes(admin)
    from api import admin_stats  # imported here: it imports this module

    admin_stats.add_routes(admin)
    from api import admin_billing  # imported here: it imports this module

    admin_billing.add_routes(admin)
    from api import admin_callbacks  # imported here: it imports this module

    admin_callbacks.add_routes(admin)
    app.add_subapp(PREFIX, admin)
