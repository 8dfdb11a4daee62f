"""The legacy Tencent Cloud SMS API v5 (`qcloudsms_py`): POST /v5/tlssmssvr/<endpoint>?sdkappid=&random=
with a JSON body signed by `sig` (the application's AppKey). The one route table: every endpoint by name, and
the handler that reads the request, calls the endpoint and writes its answer. Every answer is HTTP 200 with a
legacy `result` code and `errmsg`; never a stack trace."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import structlog
from aiohttp import web
from aiohttp.web_protocol import RequestPayloadError

from api.context import STATE
from api.legacy_v5 import catalog, pulls, sends, statistics
from api.legacy_v5.call import Endpoint, V5Call, refusal
from api.legacy_v5.codes import BAD_BODY, NO_SUCH_APP, NO_SUCH_PATH, LegacyError
from api.limits import limit_source_ip
from core.domain.errors import Code, PlatformError, Rejection
from core.domain.text import is_storable
from core.infra.metrics import observe_request

log = structlog.get_logger("api.legacy_v5")

ENDPOINTS: dict[str, Endpoint] = {
    "tlssmssvr/sendsms": sends.send_single,
    "tlssmssvr/sendmultisms2": sends.send_multi,
    "tlssmssvr/pullstatus": pulls.pull,
    "tlssmssvr/pullstatus4mobile": pulls.pull_by_mobile,
    "tlssmssvr/add_template": catalog.add_template,
    "tlssmssvr/mod_template": catalog.mod_template,
    "tlssmssvr/del_template": catalog.del_template,
    "tlssmssvr/get_template": catalog.get_template,
    "tlssmssvr/add_sign": catalog.add_sign,
    "tlssmssvr/mod_sign": catalog.mod_sign,
    "tlssmssvr/del_sign": catalog.del_sign,
    "tlssmssvr/get_sign": catalog.get_sign,
    "tlssmssvr/pullsendstatus": statistics.pull_send_statistics,
    "tlssmssvr/pullcallbackstatus": statistics.pull_callback_statistics,
}
SENDS = frozenset({"tlssmssvr/sendsms", "tlssmssvr/sendmultisms2"})
# A3: the management endpoints' docs name the message `msg` in one language and `errmsg` in the other.
MANAGEMENT = frozenset(
    f"tlssmssvr/{name}_{kind}" for name in ("add", "mod", "del", "get") for kind in ("template", "sign")
)


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
            raise LegacyError(NO_SUCH_PATH)
        body = await _read_body(request)
        call = V5Call(state, _sdk_app_id(request), request.query.get("random"), body, state.clock())
        answer = await endpoint(call)
    except LegacyError as exc:
        answer = {"result": exc.result, "errmsg": exc.errmsg}
    except PlatformError as exc:
        answer = refusal(exc.rejection)
    except Exception:
        # Postgres or Redis unreachable, or a bug: logged with context, answered in the legacy shape.
        bound.exception("request failed")
        answer = refusal(Rejection(Code.INTERNAL_ERROR))
    if isinstance(body.get("ext"), str) and path in SENDS:
        answer.setdefault("ext", body["ext"])
    if path in MANAGEMENT:
        answer.setdefault("msg", answer["errmsg"])
    ms = observe_request(label, answer["result"], started)
    bound.info("request", ms=ms, result=answer["result"], app=request.query.get("sdkappid"))
    return web.json_response(answer)


async def _read_body(request: web.Request) -> dict[str, Any]:
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise LegacyError(BAD_BODY, "the request body is too large") from None
    except RequestPayloadError:  # not in the Content-Encoding (gzip, deflate) it names
        raise LegacyError(BAD_BODY, "the request body cannot be decoded") from None
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: arrays nested ~1000 deep
        raise LegacyError(BAD_BODY, "the request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise LegacyError(BAD_BODY, "the request body must be a JSON object")
    if not is_storable(body):
        raise LegacyError(BAD_BODY, "the request body contains NUL or invalid characters")
    return body


def _sdk_app_id(request: web.Request) -> str:
    value = request.query.get("sdkappid", "")
    if not value:
        raise LegacyError(NO_SUCH_APP, "sdkappid is missing from the query string")
    if not (value.isascii() and value.isdigit() and len(value) <= 20):
        raise LegacyError(NO_SUCH_APP)
    return value


def setup_legacy_v5(app: web.Application) -> None:
    """Every path under /v5/: the served endpoints by name, anything else answered 1011 (still HTTP 200)."""
    app.router.add_route("*", "/v5/{path:.*}", handle)
