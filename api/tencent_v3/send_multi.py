"""API 3.0 SendMultiGlobalSms (spec 6.2): up to 200 international numbers, each with its own template,
parameters, SenderId and SessionContext, answered with a SendMultiStatus per number in request order.

The items that share a template and parameters have the same content: each such group goes through the
platform's send path once (core.services.sending.accept_send: limits, blocklist, billing, records; one
statement per group), all under the request's one number. A mainland number is refused by itself (the send
path's international-only rule), as is a number that does not parse; a group's refusal as a whole (its
template unapproved, its parameters not matching) is each of its numbers' answer. A group that fails
unexpectedly after others were recorded answers InternalError for its own numbers only, so that a retry of
those does not send the others twice.

SenderId is read (a string, or absent) and not kept: the platform has no sender IDs to choose from, and
SendSms does the same with its own."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import structlog

from api.tencent_v3.send import lookup_numbers, template_number
from api.tencent_v3.wire import ActionHandler, Call, Params, Result
from core.domain.errors import Code, PlatformError, Rejection
from core.domain.phone import normalize_phone
from core.domain.sending import NumberResult, SendContext, SendRequest
from core.services import sending

log = structlog.get_logger("api.tencent_v3.send_multi")

MAX_ITEMS = 200
# Refusals that concern the caller, not a group's template or numbers: they answer the whole request.
REQUEST_WIDE = frozenset({Code.APP_VERIFY_FAIL, Code.APP_DISABLED, Code.SUSPENDED_ARREARS})


@dataclass(frozen=True)
class Item:
    """One MultiSmsInfo, as read."""

    index: int
    phone: str
    template_id: str
    params: tuple[str, ...]
    session_context: str


def read_items(call: Call) -> list[Item]:
    value = call.params.get("MultiSmsInfoSet")
    if value is None:
        raise PlatformError(Code.MISSING_PARAMETER, "The parameter `MultiSmsInfoSet` is missing.")
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise PlatformError(
            Code.INVALID_PARAMETER, "The parameter `MultiSmsInfoSet` must be a list of MultiSmsInfo objects."
        )
    if not value:
        raise PlatformError(Code.MULTI_SMS_INFO_EMPTY)
    if len(value) > MAX_ITEMS:
        raise PlatformError(Code.PHONE_COUNT_LIMIT, f"More than {MAX_ITEMS} items in MultiSmsInfoSet.")
    items = []
    for index, fields in enumerate(value):
        info = call.item("MultiSmsInfoSet", index, fields)
        items.append(_read_item(index, info))
    return items


def _read_item(index: int, info: Params) -> Item:
    phone = info.text("PhoneNumber")
    template_id = info.text("TemplateId")
    params = tuple(info.text_list("TemplateParamSet", required=False))
    info.text("SenderId", required=False)  # checked for its type, not kept (see the module's docstring)
    return Item(index, phone, template_id, params, info.text("SessionContext", required=False))


async def send_multi_global_sms(call: Call) -> Result:
    sdk_app_id = call.text("SmsSdkAppId")
    items = read_items(call)
    groups: dict[tuple[str, tuple[str, ...]], list[Item]] = {}
    for item in items:
        groups.setdefault((item.template_id, item.params), []).append(item)

    contexts: dict[str, SendContext] = {}  # one per template: its groups differ only in their parameters
    statuses: dict[int, dict[str, Any]] = {}
    request_no: int | None = None
    accepted = 0
    for (template_id, params), group in groups.items():
        sessions: dict[str, str] = {}
        for item in group:
            sessions.setdefault(item.phone, item.session_context)
        request = SendRequest(
            [i.phone for i in group], "", params, session_contexts=sessions, international_only=True
        )
        try:
            context = contexts.get(template_id)
            if context is None:
                same_template = [i.phone for i in items if i.template_id == template_id]
                context = await _load_context(call, sdk_app_id, template_id, same_template)
                contexts[template_id] = context
            outcome = await sending.accept_send(
                call.state.platform, request, context, now=call.now, request_no=request_no
            )
        except PlatformError as exc:
            if exc.rejection.code in REQUEST_WIDE or exc.rejection.code is Code.AUTH_SECRET_ID_NOT_FOUND:
                raise
            for item in group:
                statuses[item.index] = _refused(item, exc.rejection)
            continue
        except Exception:
            if not accepted:
                raise  # nothing recorded yet: the request's InternalError, safe to send again
            # Messages of earlier groups are recorded and will be sent: answering the whole request with an
            # error would have them sent again by a retry. Only this group's numbers failed.
            log.exception("a group of a multi send failed", app=sdk_app_id, numbers=len(group))
            for item in group:
                statuses[item.index] = _refused(item, Rejection(Code.INTERNAL_ERROR))
            continue
        request_no = request_no or outcome.request_no or None
        accepted += len(outcome.plan.accepted)
        for item, result in _matched(group, outcome.plan.results):
            statuses[item.index] = _status(item, result, outcome.serials.get(result.phone, ""))
    status_set = [statuses[i] for i in sorted(statuses)]
    return {"SendMultiStatusSet": status_set}, {
        "app": sdk_app_id,
        "code": "Ok",
        "numbers": len(items),
        "groups": len(groups),
        "accepted": accepted,
    }


async def _load_context(call: Call, sdk_app_id: str, template_id: str, phones: list[str]) -> SendContext:
    context = await sending.send_context(
        call.state.platform,
        call.key.secret_id,
        sdk_app_id,
        "",
        template_number(template_id),
        lookup_numbers(phones),
    )
    if context is None:  # the key was deleted while the request ran
        raise PlatformError(Code.AUTH_SECRET_ID_NOT_FOUND)
    return context


def _matched(group: list[Item], results: tuple[NumberResult, ...]) -> list[tuple[Item, NumberResult]]:
    """Each result with the item it answers. A result names the number in E.164 when it parsed (as given when
    it did not); a number given twice with the same content is sent once (D2) and answered once, for its first
    item."""
    waiting: dict[str, list[Item]] = {}
    for item in group:
        phone = normalize_phone(item.phone)
        waiting.setdefault(phone.e164 if phone else item.phone, []).append(item)
    return [(waiting[r.phone].pop(0), r) for r in results]


def _status(item: Item, result: NumberResult, serial_no: str) -> dict[str, Any]:
    ok = result.accepted
    return {
        "SerialNo": serial_no if ok else "",
        "PhoneNumber": result.phone,
        "Fee": result.parts if ok else 0,
        "SessionContext": item.session_context,
        "Code": result.code.value,
        "Message": Rejection(result.code, result.detail).message,
        "IsoCode": result.iso_code if ok else "",
    }


def _refused(item: Item, rejection: Rejection) -> dict[str, Any]:
    phone = normalize_phone(item.phone)
    return {
        "SerialNo": "",
        "PhoneNumber": phone.e164 if phone else item.phone,
        "Fee": 0,
        "SessionContext": item.session_context,
        "Code": rejection.code.value,
        "Message": rejection.message,
        "IsoCode": "",
    }


ACTIONS: dict[str, ActionHandler] = {"SendMultiGlobalSms": send_multi_global_sms}
