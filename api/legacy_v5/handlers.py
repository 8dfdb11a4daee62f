"""The legacy Tencent Cloud SMS API v5 (`qcloudsms_py`): POST /v5/tlssmssvr/<endpoint>?sdkappid=&random=
with a JSON body signed by `sig` (the application's AppKey). Wire in, the shared send path and pull queues,
wire out. Every answer is HTTP 200 with a legacy `result` code and `errmsg`; never a stack trace."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import structlog
from aiohttp import web

from api.context import STATE, ApiState
from api.legacy_v5 import wire as v5
from api.limits import limit_source_ip
from core.domain.errors import Code, PlatformError, Rejection
from core.domain.phone import Phone, normalize_phone
from core.domain.review import Kind
from core.domain.sending import SendPlan, SendRequest
from core.domain.time_ranges import pull_window, statistics_window
from core.infra.metrics import API_REQUEST_SECONDS, API_REQUESTS
from core.services import catalog
from core.services.sending import accept_send
from core.store import catalog as catalog_db
from core.store import report_feed
from core.store.legacy import LegacyApp, load_legacy_app
from core.store.stats import Totals, app_totals

log = structlog.get_logger("api.legacy_v5")

Answer = dict[str, Any]


@dataclass(frozen=True)
class V5Call:
    state: ApiState
    sdk_app_id: str
    random: str | None
    body: dict[str, Any]
    now: float

    def envelope(self) -> v5.Envelope:
        return v5.parse_envelope(self.random, self.body)

    def authenticate(self, app: LegacyApp | None, envelope: v5.Envelope, mobiles: list[str]) -> LegacyApp:
        """1019 unknown sdkappid, 1001 wrong sig, then 1021 a `time` more than 10 minutes off."""
        if app is None:
            raise v5.LegacyError(v5.NO_SUCH_APP)
        if not v5.verify_sig(app.app_key, envelope.random, envelope.time, mobiles, envelope.sig):
            raise v5.LegacyError(v5.SIG_MISMATCH)
        v5.check_time(envelope.time, self.now)
        return app


Endpoint = Callable[[V5Call], Awaitable[Answer]]


async def handle(request: web.Request) -> web.Response:
    state = request.app[STATE]
    started = time.perf_counter()
    path = request.match_info.get("path", "")
    endpoint = ENDPOINTS.get(path) if request.method == "POST" else None
    label = f"v5/{path}" if endpoint else "v5/other"  # the path is the client's: bound the label
    bound = log.bind(request_id=str(uuid.uuid4()), endpoint=label)
    body: dict[str, Any] = {}
    try:
        await limit_source_ip(request, state, state.clock())
        if endpoint is None:
            raise v5.LegacyError(v5.NO_SUCH_PATH)
        body = await _read_body(request)
        call = V5Call(state, _sdk_app_id(request), request.query.get("random"), body, state.clock())
        answer = await endpoint(call)
    except v5.LegacyError as exc:
        answer = {"result": exc.result, "errmsg": exc.errmsg}
    except PlatformError as exc:
        answer = _refusal(exc.rejection)
    except Exception:
        # Postgres or Redis unreachable, or a bug: logged with context, answered in the legacy shape.
        bound.exception("request failed")
        answer = _refusal(Rejection(Code.INTERNAL_ERROR))
    if isinstance(body.get("ext"), str) and path in SENDS:
        answer.setdefault("ext", body["ext"])
    if path in MANAGEMENT:
        answer.setdefault("msg", answer["errmsg"])
    elapsed = time.perf_counter() - started
    API_REQUESTS.labels(label, str(answer["result"])).inc()
    API_REQUEST_SECONDS.labels(label).observe(elapsed)
    bound.info(
        "request", ms=round(elapsed * 1000, 2), result=answer["result"], app=request.query.get("sdkappid")
    )
    return web.json_response(answer)


async def _read_body(request: web.Request) -> dict[str, Any]:
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise v5.LegacyError(v5.BAD_BODY, "the request body is too large") from None
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: arrays nested ~1000 deep
        raise v5.LegacyError(v5.BAD_BODY, "the request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise v5.LegacyError(v5.BAD_BODY, "the request body must be a JSON object")
    if not v5.is_storable(body):
        raise v5.LegacyError(v5.BAD_BODY, "the request body contains NUL or invalid characters")
    return body


def _sdk_app_id(request: web.Request) -> str:
    value = request.query.get("sdkappid", "")
    if not value:
        raise v5.LegacyError(v5.NO_SUCH_APP, "sdkappid is missing from the query string")
    if not (value.isascii() and value.isdigit() and len(value) <= 20):
        raise v5.LegacyError(v5.NO_SUCH_APP)
    return value


def _refusal(rejection: Rejection) -> Answer:
    return {"result": v5.legacy_code(rejection.code), "errmsg": rejection.message}


# --- sendsms / sendmultisms2 -------------------------------------------------------------------------------


async def send_single(call: V5Call) -> Answer:
    return await _send(call, multi=False)


async def send_multi(call: V5Call) -> Answer:
    return await _send(call, multi=True)


async def _send(call: V5Call, *, multi: bool) -> Answer:
    envelope = call.envelope()
    send = v5.parse_send(call.body, multi=multi)
    phones = [t.phone for t in send.tels]
    parsed = [normalize_phone(p) for p in phones]
    valid = [p for p in parsed if p is not None]
    mainland = valid[0].mainland if valid else True
    text_send = send.tpl_id is None
    sign, text = v5.split_sign(send.msg, mainland=mainland) if text_send else (send.sign, "")
    app = call.authenticate(
        await load_legacy_app(
            call.state.platform.db,
            call.sdk_app_id,
            sign_name=sign,
            template_id=send.tpl_id if send.tpl_id is not None else -1,
            phones=[p.e164 for p in valid],
            default_sign=not text_send and not sign and mainland,
            with_templates=text_send,
        ),
        envelope,
        send.mobiles,
    )
    context, params = app.context, send.params
    if text_send and valid:  # with no valid number the shared path answers each number (1016), no template
        found = v5.match_template(
            text, app.templates, marketing=send.sms_type == 1, international=not mainland
        )
        if found is None:
            raise PlatformError(Code.TEMPLATE_UNAPPROVED, "The message does not match an approved template.")
        template, params = found
        context = replace(context, template=template)
    outcome = await accept_send(
        call.state.platform,
        SendRequest(phones=phones, sign_name=sign, params=params, session_context=send.ext),
        context,
        now=call.now,
    )
    details = _details(outcome.plan, outcome.serials, send.tels, parsed)
    if multi:
        return {"result": v5.OK, "errmsg": "OK", "ext": send.ext, "detail": details}
    (only,) = details
    only.pop("mobile")
    only.pop("nationcode")
    return {**only, "ext": send.ext}


def _details(
    plan: SendPlan, serials: dict[str, str], tels: tuple[v5.Tel, ...], parsed: list[Phone | None]
) -> list[Answer]:
    """One entry per distinct number (D2: a repeated number is sent once), with the number as the caller
    wrote it; `sid` and `fee` only for accepted numbers."""
    written: dict[str, v5.Tel] = {}
    for tel, phone in zip(tels, parsed, strict=True):
        written.setdefault(phone.e164 if phone else tel.phone, tel)
    out: list[Answer] = []
    for r in plan.results:
        tel = written.get(r.phone, v5.Tel("", r.phone))
        entry: Answer = {"mobile": tel.mobile, "nationcode": tel.nationcode}
        if r.accepted:
            entry |= {"result": v5.OK, "errmsg": "OK", "sid": serials.get(r.phone, ""), "fee": r.parts}
        else:
            entry |= _refusal(Rejection(r.code, r.detail))
        out.append(entry)
    return out


# --- pullstatus / pullstatus4mobile ------------------------------------------------------------------------


async def pull(call: V5Call) -> Answer:
    envelope = call.envelope()
    body = v5.parse_pull(call.body, by_mobile=False)
    app = call.authenticate(await load_legacy_app(call.state.platform.db, call.sdk_app_id), envelope, [])
    items = await report_feed.take_pulled(call.state.platform.db, app.sdk_app_id, body.kind, body.max)
    return _pulled(call, body.kind, items)


async def pull_by_mobile(call: V5Call) -> Answer:
    envelope = call.envelope()
    body = v5.parse_pull(call.body, by_mobile=True)
    app = call.authenticate(await load_legacy_app(call.state.platform.db, call.sdk_app_id), envelope, [])
    assert body.tel is not None
    phone = normalize_phone(body.tel.phone)
    if phone is None:
        raise PlatformError(Code.INCORRECT_PHONE)
    window = pull_window(body.begin_time, body.end_time, now=call.now)
    lookup = report_feed.statuses_by_phone if body.kind == "status" else report_feed.replies_by_phone
    items = await lookup(
        call.state.platform.db,
        app.sdk_app_id,
        phone.e164,
        begin=window.begin,
        end=window.end,
        limit=body.max,
        offset=0,
    )
    return _pulled(call, body.kind, items)


def _pulled(call: V5Call, kind: str, items: list[dict[str, Any]]) -> Answer:
    tz = ZoneInfo(call.state.settings.timezone)
    data = []
    for item in items:
        parsed = normalize_phone(item["phone"])
        nationcode, mobile = (parsed.country_code, parsed.national) if parsed else ("", item["phone"])
        if kind == "status":
            receive = datetime.fromtimestamp(int(item["report_time"]), tz).strftime("%Y-%m-%d %H:%M:%S")
            data.append(v5.report_item(item, nationcode=nationcode, mobile=mobile, receive_time=receive))
        else:
            data.append(v5.reply_item(item, nationcode=nationcode, mobile=mobile))
    return {"result": v5.OK, "errmsg": "ok", "count": len(data), "data": data}


# --- Templates and signatures: core.services.catalog, the same checks and review as API 3.0 --------------------------


async def _app(call: V5Call) -> LegacyApp:
    """The application the request names, authenticated with the no-mobile sig (A2)."""
    envelope = call.envelope()
    return call.authenticate(await load_legacy_app(call.state.platform.db, call.sdk_app_id), envelope, [])


def _actor(app: LegacyApp) -> str:
    return f"customer:v5:{app.sdk_app_id}"


def _stamp(call: V5Call, at: datetime) -> str:
    return at.astimezone(ZoneInfo(call.state.settings.timezone)).strftime("%Y-%m-%d %H:%M:%S")


def _template_input(body: v5.TemplateBody) -> catalog.TemplateInput:
    return catalog.TemplateInput(
        name=body.title,
        content=body.text,
        sms_type=body.sms_type,
        international=body.international,
        remark=body.remark,
    )


def _template_status(template_id: int, body: v5.TemplateBody) -> Answer:
    """add_template / mod_template: a submission always starts waiting for review (status 1)."""
    data = {"id": template_id, "text": body.text, "status": v5.legacy_status("pending"),
            "type": body.sms_type, "international": body.international}  # fmt: skip
    return {"result": v5.OK, "errmsg": "OK", "data": data}


async def add_template(call: V5Call) -> Answer:
    app = await _app(call)
    body = v5.parse_template(call.body, modify=False)
    account = app.context.key.account
    template_id = await catalog.add_template(
        call.state.platform.db, call.state.settings, account, _template_input(body)
    )
    return _template_status(template_id, body)


async def mod_template(call: V5Call) -> Answer:
    app = await _app(call)
    body = v5.parse_template(call.body, modify=True)
    assert body.tpl_id is not None
    await catalog.modify_template(
        call.state.platform.db, app.context.key.account, body.tpl_id, _template_input(body), actor=_actor(app)
    )
    return _template_status(body.tpl_id, body)


async def _delete(call: V5Call, kind: Kind, field: str) -> Answer:
    """del_template / del_sign: each id in turn; the first refusal (unknown or already deleted) is the answer,
    the ids before it stay deleted."""
    app = await _app(call)
    for item_id in v5.parse_ids(call.body, field):
        await catalog.delete_item(
            call.state.platform.db, kind, app.context.key.account, item_id, actor=_actor(app)
        )
    return {"result": v5.OK, "errmsg": "OK"}


async def del_template(call: V5Call) -> Answer:
    return await _delete(call, Kind.TEMPLATE, "tpl_id")


async def del_sign(call: V5Call) -> Answer:
    return await _delete(call, Kind.SIGNATURE, "sign_id")


async def get_template(call: V5Call) -> Answer:
    app = await _app(call)
    listing = v5.parse_listing(call.body, "tpl_id", "tpl_page")
    account_id = app.context.key.account.id
    rows = await catalog_db.list_templates(
        call.state.platform.db, account_id, international=None, ids=listing.ids,
        limit=len(listing.ids) or listing.max, offset=listing.offset,
    )  # fmt: skip
    total = (
        len(rows)
        if listing.ids
        else await catalog_db.count_live(call.state.platform.db, Kind.TEMPLATE, account_id)
    )
    data = [
        {
            "id": r.id,
            "international": int(r.international),
            "reply": r.review_reply,
            "status": v5.legacy_status(r.status),
            "text": r.content,
            "type": r.sms_type,
            "title": r.name,
            "apply_time": _stamp(call, r.created_at),
            "reply_time": "",  # the catalog keeps no decision time on the item
        }
        for r in rows
    ]
    return {"result": v5.OK, "errmsg": "OK", "total": total, "count": len(data), "data": data}


def _sign_input(body: v5.SignBody) -> catalog.SignInput:
    """The legacy form has only the name, proof image and region: a company (SignType 0) signature for the
    account's own use (SignPurpose 0), proved by a business licence (DocumentType 1)."""
    return catalog.SignInput(
        name=body.text,
        sign_type=0,
        document_type=1,
        sign_purpose=0,
        international=body.international,
        proof_image=body.pic,
        remark=body.remark,
    )


def _sign_status(sign_id: int, body: v5.SignBody) -> Answer:
    data = {"id": sign_id, "international": body.international, "status": v5.legacy_status("pending"),
            "text": body.text.strip()}  # fmt: skip
    return {"result": v5.OK, "errmsg": "OK", "data": data}


async def add_sign(call: V5Call) -> Answer:
    app = await _app(call)
    body = v5.parse_sign(call.body, modify=False)
    sign_id = await catalog.add_signature(
        call.state.platform.db, call.state.settings, app.context.key.account, _sign_input(body)
    )
    return _sign_status(sign_id, body)


async def mod_sign(call: V5Call) -> Answer:
    app = await _app(call)
    body = v5.parse_sign(call.body, modify=True)
    assert body.sign_id is not None
    await catalog.modify_signature(
        call.state.platform.db, call.state.settings, app.context.key.account, body.sign_id, _sign_input(body),
        actor=_actor(app),
    )  # fmt: skip
    return _sign_status(body.sign_id, body)


async def get_sign(call: V5Call) -> Answer:
    app = await _app(call)
    listing = v5.parse_listing(call.body, "sign_id", None)
    rows = await catalog_db.list_signatures(
        call.state.platform.db, app.context.key.account.id, international=None, ids=listing.ids,
        limit=len(listing.ids), offset=0,
    )  # fmt: skip
    data = [
        {"id": r.id, "international": int(r.international), "reply": r.review_reply,
         "status": v5.legacy_status(r.status), "text": r.name}
        for r in rows
    ]  # fmt: skip
    return {"result": v5.OK, "errmsg": "OK", "count": len(data), "data": data}


# --- pullsendstatus / pullcallbackstatus: the rollups API 3.0's statistics read ----------------------------


async def _totals(call: V5Call) -> Totals:
    app = await _app(call)
    begin, end = v5.parse_date_span(call.body)
    window = statistics_window(begin, end, tz=ZoneInfo(call.state.settings.timezone), now=call.now)
    return await app_totals(call.state.platform.db, app.sdk_app_id, since=window.begin, until=window.end)


async def pull_send_statistics(call: V5Call) -> Answer:
    t = await _totals(call)
    data = {"request": t.requests, "success": t.accepted, "bill_number": t.fee_parts}
    return {"result": v5.OK, "errmsg": "OK", "data": data}


async def pull_callback_statistics(call: V5Call) -> Answer:
    t = await _totals(call)
    data = {
        "success": t.accepted,
        "status": t.reports,
        "status_success": t.delivered,
        "status_fail": t.failed,
        "status_fail_0": t.internal_error,
        "status_fail_1": t.invalid_number,
        "status_fail_2": t.shutdown,
        "status_fail_3": t.blacklist,
        "status_fail_4": t.frequency_limit,
    }
    return {"result": v5.OK, "errmsg": "OK", "data": data}


ENDPOINTS: dict[str, Endpoint] = {
    "tlssmssvr/sendsms": send_single,
    "tlssmssvr/sendmultisms2": send_multi,
    "tlssmssvr/pullstatus": pull,
    "tlssmssvr/pullstatus4mobile": pull_by_mobile,
    "tlssmssvr/add_template": add_template,
    "tlssmssvr/mod_template": mod_template,
    "tlssmssvr/del_template": del_template,
    "tlssmssvr/get_template": get_template,
    "tlssmssvr/add_sign": add_sign,
    "tlssmssvr/mod_sign": mod_sign,
    "tlssmssvr/del_sign": del_sign,
    "tlssmssvr/get_sign": get_sign,
    "tlssmssvr/pullsendstatus": pull_send_statistics,
    "tlssmssvr/pullcallbackstatus": pull_callback_statistics,
}
SENDS = frozenset({"tlssmssvr/sendsms", "tlssmssvr/sendmultisms2"})
# A3: the management endpoints' docs name the message `msg` in one language and `errmsg` in the other.
MANAGEMENT = frozenset(
    f"tlssmssvr/{name}_{kind}" for name in ("add", "mod", "del", "get") for kind in ("template", "sign")
)


def setup_legacy_v5(app: web.Application) -> None:
    """Every path under /v5/: the served endpoints by name, anything else answered 1011 (still HTTP 200)."""
    app.router.add_route("*", "/v5/{path:.*}", handle)
