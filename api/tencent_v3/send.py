"""API 3.0 SendSms (spec 6.1): its fields read once, the caller's key and send context loaded, the core send
path, the SendStatusSet out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from api.context import ApiState
from api.tencent_v3.wire import Call, Params, Result
from core.domain.errors import Rejection
from core.domain.phone import normalize_phone
from core.domain.sending import SendContext, SendPlan, SendRequest
from core.services import sending
from core.services.sending import accept_send

MAX_LOOKUP_NUMBERS = 1000  # beyond 200 the request is refused anyway; this only bounds the lookup


@dataclass(frozen=True)
class SendSms:
    """A SendSms request's fields, read before the caller is authenticated (their refusal waits until then)."""

    sdk_app_id: str
    template_id: str
    request: SendRequest


def read_send_sms(params: Params) -> SendSms:
    """The fields in the order they are checked: the first bad one names the error."""
    sdk_app_id = params.text("SmsSdkAppId")
    phones = params.text_list("PhoneNumberSet")
    template_id = params.text("TemplateId")
    request = SendRequest(
        phones=phones,
        sign_name=params.text("SignName", required=False),
        params=params.text_list("TemplateParamSet", required=False),
        session_context=params.text("SessionContext", required=False),
    )
    return SendSms(sdk_app_id, template_id, request)


async def load_key_and_context(state: ApiState, secret_id: str, send: SendSms) -> SendContext | None:
    # One query for the API key and the send context (app, signature, template, policy, blocklist hits), so
    # that a send costs one Postgres round trip before the signature check instead of two; None: no such key.
    return await sending.send_context(
        state.platform,
        secret_id,
        send.sdk_app_id,
        send.request.sign_name,
        template_number(send.template_id),
        lookup_numbers(send.request.phones),
    )


def lookup_numbers(phones: Sequence[str]) -> list[str]:
    """The request's numbers in E.164, whose blocklist entries come with the context."""
    found = (normalize_phone(p) for p in phones[:MAX_LOOKUP_NUMBERS])
    return [p.e164 for p in found if p is not None]


def template_number(text: str) -> int:
    # isascii: str.isdigit() also holds for "\u00b2" (int() refuses it) and Arabic-Indic digits (int() reads them).
    return int(text) if text.isascii() and text.isdigit() and len(text) < 18 else -1


async def send_sms(call: Call, send: SendSms, context: SendContext) -> Result:
    outcome = await accept_send(call.state.platform, send.request, context, now=call.now)
    status_set = _send_status_set(outcome.plan, outcome.serials, send.request.session_context)
    return {"SendStatusSet": status_set}, {
        "app": send.sdk_app_id,
        "code": "Ok",
        "numbers": len(send.request.phones),
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
