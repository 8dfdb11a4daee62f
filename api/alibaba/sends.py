"""SendSms and SendBatchSms (spec 5): Alibaba's fields translated to the platform's send path, and its answer
(one `Code` and a `BizId` for the request) back. Up to 1,000 numbers a SendSms, recorded in one statement and
sent by the workers in batches of <= 200; numbers in Alibaba's forms (`+86`, `0086`, `86`, bare mainland,
international without `+`); `TemplateParam` values by name (`${code}`), or by position for `{1}` templates."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

from api.alibaba import codes
from api.alibaba.wire import AliCall, AliError, Params, Result, invalid
from api.context import ApiState
from core.domain.errors import Code, PlatformError, Rejection
from core.domain.phone import Phone, normalize_phone
from core.domain.sending import MAX_SESSION_CONTEXT_BYTES, SendContext, SendRequest
from core.domain.serial import biz_id
from core.domain.templates import positional_values
from core.services import sending

MAX_NUMBERS = 1000  # SendSms (spec 5)
MAX_BATCH_NUMBERS = 100  # SendBatchSms: Alibaba's documented cap
MAX_EXTEND_CODE_DIGITS = 12
MAX_REFUSALS_LISTED = 10


@dataclass(frozen=True)
class AliSend:
    """One send as the platform's send path wants it, before the caller is authenticated."""

    phones: list[str]  # E.164 where Alibaba's forms say so, else as sent (refused as invalid later)
    sign_name: str
    template_id: int
    values: Any  # TemplateParam as decoded: a JSON object when valid
    out_id: str
    lookup: list[str]  # the valid numbers in E.164, whose blocklist entries come with the context


def numbers(raws: list[str]) -> tuple[list[str], list[str]]:
    """Numbers as sent -> (as the send path reads them, the valid ones in E.164), each parsed once."""
    read = [read_number(raw) for raw in raws]
    return [text for text, _ in read], [phone.e164 for _, phone in read if phone is not None]


def template_id(code: str) -> int:
    """`SMS_<id>` (the platform's TemplateCode) -> id; -1 (not found) for anything else."""
    digits = code.removeprefix("SMS_")
    if digits == code or not (digits.isascii() and digits.isdigit()) or len(digits) > 17:
        return -1
    return int(digits)


def read_number(raw: str) -> tuple[str, Phone | None]:
    """Alibaba's number forms as the platform reads them: mainland with or without `+86` / `0086` / `86`, and
    international as the country code and number without `+` (852...). The text the send path gets, and the
    number when valid."""
    raw = raw.strip()
    phone = normalize_phone(raw)
    if phone is not None or raw.startswith("+"):
        return raw, phone
    if raw.isascii() and raw.isdigit():
        international = normalize_phone("+" + raw)
        if international is not None:
            return "+" + raw, international
    return raw, None  # invalid either way: refused as the caller wrote it


def phone_number(raw: str) -> str:
    return read_number(raw)[0]


def _extend_code(params: Params, name: str) -> None:
    _check_extend_code(name, params.text(name, required=False))


def _check_extend_code(name: str, code: Any) -> None:
    if code == "":
        return
    if not (
        isinstance(code, str) and code.isascii() and code.isdigit() and len(code) <= MAX_EXTEND_CODE_DIGITS
    ):
        raise invalid(f"{name} must be at most {MAX_EXTEND_CODE_DIGITS} digits.")


def _out_id(params: Params) -> str:
    """OutId, checked here so the refusal names Alibaba's field (the send path's names SessionContext)."""
    out_id = params.text("OutId", required=False)
    if len(out_id.encode()) >= MAX_SESSION_CONTEXT_BYTES:
        raise invalid(f"OutId must be shorter than {MAX_SESSION_CONTEXT_BYTES} bytes.")
    return out_id


def read_for_context(action: str, params: Params) -> AliSend | None:
    """SendSms's fields (its send context is loaded with the key, in one query); None for other actions."""
    if action != "SendSms":
        return None
    raw = params.text("PhoneNumbers").split(",")
    if len(raw) > MAX_NUMBERS:  # counted before any is parsed
        raise codes.from_rejection(Rejection(Code.PHONE_COUNT_LIMIT, f"At most {MAX_NUMBERS} numbers."))
    phones, lookup = numbers(raw)
    sign_name = params.text("SignName")
    code = params.text("TemplateCode")
    values = params.json_value("TemplateParam", required=False)
    _extend_code(params, "SmsUpExtendCode")
    return AliSend(phones, sign_name, template_id(code), values, _out_id(params), lookup)


async def load_context(state: ApiState, access_key_id: str, send: AliSend) -> SendContext | None:
    """The key and the send context (the key's application) in one query; None: no such key."""
    return await sending.send_context(
        state.platform, access_key_id, None, send.sign_name, send.template_id, send.lookup
    )


def _positional(send: AliSend, context: SendContext) -> list[str]:
    """TemplateParam by name -> the template's positional parameters. Only for an approved template: an
    unknown or unapproved one is refused by the send path with its own code first."""
    template = context.template
    if template is None or template.status != "approved":
        return []
    values = {} if send.values is None else send.values
    if not isinstance(values, dict):
        raise AliError("isv.INVALID_JSON_PARAM", "TemplateParam must be a JSON object of strings.")
    found = positional_values(template.content, values)
    if isinstance(found, Rejection):
        raise codes.from_rejection(found)
    return found


async def send_with_context(call: AliCall, send: AliSend, context: SendContext | None) -> Result:
    assert context is not None  # authentication found the key, so the context query found its row
    context = replace(context, key=call.key)
    request = SendRequest(
        send.phones, send.sign_name, _positional(send, context), session_context=send.out_id
    )
    outcome = await sending.accept_send(
        call.state.platform, request, context, now=call.now, max_numbers=MAX_NUMBERS
    )
    refused = [r for r in outcome.plan.results if not r.accepted]
    if not outcome.plan.accepted:
        first = refused[0]
        error = codes.from_rejection(Rejection(first.code, first.detail))
        if len(refused) > 1:
            error.message += " " + _listed(refused)
        raise error
    fields: dict[str, Any] = {"BizId": biz_id(outcome.request_no)}
    if refused:
        # A platform extension (the SDK models ignore unknown keys): which numbers were not sent, and why.
        fields["RefusedNumbers"] = [
            {"PhoneNumber": r.phone, "Code": codes.number_code(r.code)} for r in refused
        ]
    return fields, {
        "code": "OK",
        "numbers": len(send.phones),
        "accepted": len(outcome.plan.accepted),
        "request_no": outcome.request_no,
    }


def _listed(refused: list[Any]) -> str:
    shown = ", ".join(f"{r.phone}: {codes.number_code(r.code)}" for r in refused[:MAX_REFUSALS_LISTED])
    more = len(refused) - MAX_REFUSALS_LISTED
    return f"Refused: {shown}" + (f" and {more} more." if more > 0 else ".")


def _json_list(params: Params, name: str, *, required: bool = True) -> list[Any] | None:
    """A JSON array; None when an optional one is absent (JSON `null` is not an array: refused)."""
    if params.text(name, required=required) == "":
        return None
    value = params.json_value(name)
    if not isinstance(value, list):
        raise AliError("isv.INVALID_JSON_PARAM", f"{name} must be a JSON array.")
    return value


async def send_batch_sms(call: AliCall) -> Result:
    """Per-number signature and values: the numbers sharing a signature and values go together through the
    send path (their content is the same), all under the request's one BizId."""
    params = call.params
    phones = _json_list(params, "PhoneNumberJson")
    signs = _json_list(params, "SignNameJson")
    code = params.text("TemplateCode")
    values = _json_list(params, "TemplateParamJson", required=False)
    extend = _json_list(params, "SmsUpExtendCodeJson", required=False)
    out_id = _out_id(params)
    assert phones is not None and signs is not None
    if not phones:
        raise codes.from_rejection(Rejection(Code.EMPTY_PHONE_SET))
    if len(phones) > MAX_BATCH_NUMBERS:
        raise codes.from_rejection(Rejection(Code.PHONE_COUNT_LIMIT, f"At most {MAX_BATCH_NUMBERS} numbers."))
    for name, items in (
        ("SignNameJson", signs),
        ("TemplateParamJson", values),
        ("SmsUpExtendCodeJson", extend),
    ):
        if items is not None and len(items) != len(phones):
            raise invalid(f"{name} must have as many items as PhoneNumberJson.")
    for item in extend or ():
        _check_extend_code("SmsUpExtendCodeJson", item)
    if not all(isinstance(p, str) for p in phones) or not all(isinstance(s, str) for s in signs):
        raise AliError(
            "isv.INVALID_JSON_PARAM", "PhoneNumberJson and SignNameJson must be arrays of strings."
        )
    groups: dict[tuple[str, str], list[str]] = {}
    for i, phone in enumerate(phones):
        value = values[i] if values is not None else {}
        if not isinstance(value, dict):
            raise AliError("isv.INVALID_JSON_PARAM", "TemplateParamJson must be an array of JSON objects.")
        key = (signs[i], json.dumps(value, sort_keys=True, ensure_ascii=False))
        groups.setdefault(key, []).append(phone)
    template = template_id(code)
    request_no: int | None = None
    accepted = 0
    refused: list[Any] = []
    for (sign_name, value_text), group in groups.items():
        phones_read, lookup = numbers(group)
        send = AliSend(phones_read, sign_name, template, json.loads(value_text), out_id, lookup)
        context = await load_context(call.state, call.key.secret_id, send)
        if context is None:  # the key was deleted while the request ran
            raise AliError("InvalidAccessKeyId.NotFound", "Specified access key is not found.", 404)
        context = replace(context, key=call.key)
        request = SendRequest(phones_read, sign_name, _positional(send, context), session_context=out_id)
        try:
            outcome = await sending.accept_send(
                call.state.platform, request, context, now=call.now, request_no=request_no
            )
        except PlatformError as exc:
            if len(groups) == 1:
                raise
            refused.extend(_Refused(p, exc.rejection.code) for p in phones_read)
            continue
        request_no = request_no or outcome.request_no or None
        accepted += len(outcome.plan.accepted)
        refused.extend(r for r in outcome.plan.results if not r.accepted)
    if not accepted:
        first = refused[0]
        error = codes.from_rejection(Rejection(first.code))
        if len(refused) > 1:
            error.message += " " + _listed(refused)
        raise error
    assert request_no is not None
    fields: dict[str, Any] = {"BizId": biz_id(request_no)}
    if refused:
        fields["RefusedNumbers"] = [
            {"PhoneNumber": r.phone, "Code": codes.number_code(r.code)} for r in refused
        ]
    return fields, {"code": "OK", "numbers": len(phones), "accepted": accepted, "request_no": request_no}


@dataclass(frozen=True)
class _Refused:
    phone: str
    code: Code
