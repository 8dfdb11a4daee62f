"""UCloud USMS: the SDK POSTs a form to exactly its base_url (spec B1). Served at `POST /usms`, and at `POST /`
when the form carries `Action`, `PublicKey` and `Signature` (UCloud's marks; Tencent's requests are JSON,
Alibaba's carry x-acs-* or query marks). A request is read once, its action checked, its caller authenticated
(signature over the sorted form, key, project), then run at most once per signature (the signed text has no
time or nonce, so a resent request gets the first answer: spec C5's retries never send twice); every answer
is UCloud's JSON envelope with an integer RetCode."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import structlog
from aiohttp import web
from aiohttp.web_protocol import RequestPayloadError

from api.context import STATE, ApiState
from api.limits import limit_source_ip
from api.ucloud import auth, backfill, batch, catalog, codes, sends, statistics
from api.ucloud.wire import (
    FORMAT,
    ActionHandler,
    Params,
    UCall,
    UError,
    answer,
    new_request_id,
    refusal,
)
from core.domain.errors import Code, PlatformError, Rejection
from core.domain.projects import names_account
from core.domain.sending import ApiKey, SendContext
from core.domain.text import is_storable
from core.infra.metrics import observe_request
from core.infra.replays import Busy, StoredAnswer
from core.services import accounts

log = structlog.get_logger("api.ucloud")

FORM = "application/x-www-form-urlencoded"
MARKS = frozenset({"Action", "PublicKey", "Signature"})
SEND = "SendUSMSMessage"  # run with the send context loaded with the key (one query)
ACTIONS: dict[str, ActionHandler] = {
    "GetUSMSSendReceipt": sends.get_send_receipt,
    **catalog.ACTIONS,
    **statistics.ACTIONS,
    **batch.ACTIONS,
    **backfill.ACTIONS,
}
SERVED = frozenset({SEND, *ACTIONS})
# Every action of ucloud.services.usms (spec B4) is served; an action outside it is 161.
PLANNED: frozenset[str] = frozenset()


def creates(action: str) -> bool:
    """Whether running the action twice would do it twice (a send, a new signature, template, qualification,
    file or backfill): such a request runs once per signature within the replay window, and the same signed
    request sent again (the SDK's retries: spec C5) gets the first answer, unless that was a refusal (nothing
    was recorded: it runs again). Reads, updates and deletes run each
    time: UCloud's signature has no time or nonce, so the same signed Query asked again later is an honest
    poll, and an identical update resubmits."""
    return action.startswith(("Send", "Create", "Add", "Upload"))


def form_pairs(body: bytes, errors: str = "strict") -> list[tuple[str, str]] | None:
    """The form's pairs, form-decoded; None when the body, or a percent-escape in it, is not UTF-8 text (a lone
    surrogate `%ED%A0%80` is not: strict, so that nothing is silently read as U+FFFD)."""
    try:
        return parse_qsl(body.decode("utf-8", errors), keep_blank_values=True, errors=errors)
    except UnicodeDecodeError:
        return None


async def claims(request: web.Request) -> bool:
    """Whether a POST on `/` is UCloud's: a form carrying Action, PublicKey and Signature. The body read here is
    kept by aiohttp for whichever door answers."""
    if request.method != "POST" or request.content_type != FORM:
        return False
    try:
        body = await request.read()
    except (web.HTTPRequestEntityTooLarge, RequestPayloadError):
        return False  # answered by the door the request is otherwise for
    pairs = form_pairs(
        body, "replace"
    )  # a mark is ASCII: the form is UCloud's even if its values are not UTF-8
    return pairs is not None and {name for name, _ in pairs} >= MARKS


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
        if read.malformed or not is_storable([list(p) for p in read.pairs]):  # answered as the action named
            raise UError(FORMAT, "A parameter holds NUL or text that is not UTF-8.")
        response, outcome = await _respond(request, state, read, request_id)
    except UError as exc:
        response, outcome = refusal(request_id, action, exc), {"code": exc.ret_code}
    except PlatformError as exc:
        error = codes.from_rejection(exc.rejection)
        response, outcome = refusal(request_id, action, error), {"code": error.ret_code}
    except Exception:
        # Postgres or Redis unreachable, or a bug: logged, answered in UCloud's envelope with HTTP 500, which
        # the SDK never resends (a RetCode above 2000 it would, and the send may have been recorded).
        bound.exception("request failed")
        error = codes.from_rejection(Rejection(Code.INTERNAL_ERROR))
        response, outcome = refusal(request_id, action, error), {"code": error.ret_code}
        response.set_status(500)
    label = f"ucloud/{action}" if action in SERVED else "ucloud/other"  # the action is the client's
    bound.info("request", ms=observe_request(label, outcome.get("code", 0), started), **outcome)
    return response


@dataclass(frozen=True)
class Read:
    action: str
    pairs: list[tuple[str, str]]
    malformed: bool = False  # a form whose text is not UTF-8: read leniently only to name its action

    @property
    def params(self) -> Params:
        return Params(dict(self.pairs))


async def _read(request: web.Request) -> Read:
    if request.method != "POST":
        raise UError(FORMAT, f"HTTP method {request.method} is not supported: POST a form.")
    try:
        body = await request.read()
    except web.HTTPRequestEntityTooLarge:
        # A body left unread is answered with Connection: close by api.app's middleware, for every door.
        raise UError(
            codes.number_code(Code.REQUEST_SIZE_LIMIT), Rejection(Code.REQUEST_SIZE_LIMIT).message
        ) from None
    except RequestPayloadError:
        raise UError(FORMAT, "The request body cannot be decoded.") from None
    if request.content_type != FORM and body:
        raise UError(FORMAT, "The request must be a UTF-8 application/x-www-form-urlencoded form.")
    pairs = form_pairs(body)
    if pairs is None:
        lenient = dict(form_pairs(body, "replace") or [])
        action = lenient.get("Action", "")
        return Read("" if "\ufffd" in action else action, [], malformed=True)
    return Read(dict(pairs).get("Action", ""), pairs)


async def _respond(
    request: web.Request, state: ApiState, read: Read, request_id: str
) -> tuple[web.Response, dict[str, Any]]:
    now = state.clock()
    await limit_source_ip(request, state, now)
    action = read.action
    if not action:
        raise UError(codes.MISSING_ACTION, "Missing Action")
    if action in PLANNED:
        raise UError(codes.NO_SUCH_ACTION, f"The action {action} is not available on this platform yet")
    if action not in SERVED:
        raise UError(codes.NO_SUCH_ACTION, f"Action [{action}] not found")
    params = read.params
    sent = params.values.get("Signature", "")
    if not sent:
        raise UError(codes.MISSING_SIGNATURE, "Missing signature")
    public_key = params.values.get("PublicKey", "")
    # SendUSMSMessage's fields are read first (its context comes with the key, in one query); a refusal of
    # them waits until the caller is authenticated.
    refused: UError | PlatformError | None = None
    try:
        send = sends.read_send(action, params)
    except (UError, PlatformError) as exc:
        send, refused = None, exc
    if send is not None:
        context = await sends.load_context(state, public_key, send)
        key = _authenticate(read, sent, context.key if context else None)
    else:
        context = None
        key = _authenticate(read, sent, await accounts.api_key(state.platform, public_key))
    if not names_account(params.values.get("ProjectId", ""), key.account.id):
        raise UError(codes.NO_SUCH_PROJECT, "Project not found")
    if not creates(action):  # reads and edits run each time: a status polled again must be fresh
        return await _run(state, key, params, now, request_id, action, send, context, refused)
    # Keyed by the signature as verified, not as sent: in capitals or padded it is the same request.
    claim = await state.platform.replays.claim(
        "ucloud", key.secret_id, auth.normalized(sent), state.settings.ucloud_replay_window_s
    )
    if isinstance(claim, StoredAnswer):
        return web.Response(body=claim.body, status=claim.status, content_type="application/json"), {
            "code": "Replayed"
        }
    if isinstance(claim, Busy):  # the same request still running: HTTP 503, which a retrying SDK resends
        busy = refusal(request_id, action, UError(codes.SERVICE_ERROR, "The same request is in progress"))
        busy.set_status(503)
        return busy, {"code": "Busy"}
    try:
        response, outcome = await _run(state, key, params, now, request_id, action, send, context, refused)
    except BaseException:
        await claim.release()  # it crashed: an honest resend may run
        raise
    if outcome.get("code", 0) != 0:
        # A refusal recorded nothing: the same request may run again (a retry, or the customer's own resend
        # once the cause is fixed), and is answered afresh.
        await claim.release()
        return response, outcome
    assert isinstance(response.body, bytes)
    await claim.keep(StoredAnswer(response.status, response.body))
    return response, outcome


async def _run(
    state: ApiState,
    key: ApiKey,
    params: Params,
    now: float,
    request_id: str,
    action: str,
    send: sends.USend | None,
    context: SendContext | None,
    refused: UError | PlatformError | None,
) -> tuple[web.Response, dict[str, Any]]:
    call = UCall(state, key, params, now, request_id)
    try:
        if refused is not None:
            raise refused
        if send is not None:
            fields, outcome = await sends.send_with_context(call, send, context)
        else:
            fields, outcome = await ACTIONS[action](call)
    except UError as exc:  # an answer like any other: the same request sent again gets it again
        return refusal(request_id, action, exc), {"code": exc.ret_code}
    except PlatformError as exc:
        error = codes.from_rejection(exc.rejection)
        return refusal(request_id, action, error), {"code": error.ret_code}
    return answer(request_id, action, fields), outcome


def _authenticate(read: Read, sent: str, key: ApiKey | None) -> ApiKey:
    if key is None:
        raise UError(codes.NO_SUCH_USER, "User not found")
    if not auth.verify(read.pairs, sent, key.secret_key):
        raise UError(codes.BAD_SIGNATURE, "Signature VerifyAC Error")
    if not key.enabled:
        raise UError(codes.NO_SUCH_USER, "The key is disabled")
    return key
