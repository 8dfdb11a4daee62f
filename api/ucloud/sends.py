"""SendUSMSMessage and GetUSMSSendReceipt (spec B4): UCloud's fields translated to the platform's send path
and back. Up to 1,000 numbers a send (`(86)185…`, `0086…`, bare mainland, `(852)…` international), recorded in
one statement and sent by the workers in batches of <= 200; the send's SessionNo is its session id, which finds
all of its batches."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from typing import Any

from api.context import ApiState
from api.ucloud import codes
from api.ucloud.wire import INVALID, Params, Result, UCall, UError
from core.domain.errors import Code, Rejection
from core.domain.phone import Phone, normalize_phone, split_phone
from core.domain.sending import MAX_SESSION_CONTEXT_BYTES, SendContext, SendRequest
from core.domain.serial import parse_session, session_batches, session_of
from core.services import reports, sending

MAX_NUMBERS = 1000
MAX_SESSIONS = 100
MAX_USER_ID_CHARS = 32
MAX_EXTEND_CODE_DIGITS = 12
TEMPLATE_PREFIX = "UTA"
# ReceiptResult (spec B4), as UCloud's mainland API words it.
RESULTS = {"delivered": "发送成功", "failed": "发送失败"}


@dataclass(frozen=True)
class USend:
    """A SendUSMSMessage as the send path wants it, read before the caller is authenticated."""

    phones: list[str]
    lookup: list[str]  # the valid numbers in E.164
    sign_name: str
    template_id: int
    params: list[str]
    user_id: str


def template_number(text: str) -> int:
    """UCloud's TemplateId for a platform template: `UTA<id>` (or the bare id); -1 for anything else."""
    digits = text.removeprefix(TEMPLATE_PREFIX)
    if not (digits.isascii() and digits.isdigit()) or len(digits) > 17:
        return -1
    return int(digits)


def template_code(template_id: int) -> str:
    return f"{TEMPLATE_PREFIX}{template_id}"


def read_number(raw: str) -> tuple[str, Phone | None]:
    """`(86)18500000123`, `0086…`, `+86…` or a bare mainland number; `(852)61234567` for another country."""
    raw = raw.strip()
    if raw.startswith("(") and ")" in raw:
        code, _, national = raw[1:].partition(")")
        code = code.removeprefix("00")
        text = f"+{code}{national}"
        return text, normalize_phone(text)
    return raw, normalize_phone(raw)


def read_send(action: str, params: Params) -> USend | None:
    if action != "SendUSMSMessage":
        return None
    raw = params.text_list("PhoneNumbers")
    if len(raw) > MAX_NUMBERS:
        raise codes.from_rejection(Rejection(Code.PHONE_COUNT_LIMIT, f"At most {MAX_NUMBERS} numbers."))
    read = [read_number(p) for p in raw]
    code = params.text("TemplateId")
    extend = params.text("ExtendCode", required=False)
    if extend and not (extend.isascii() and extend.isdigit() and len(extend) <= MAX_EXTEND_CODE_DIGITS):
        raise UError(INVALID, f"ExtendCode must be at most {MAX_EXTEND_CODE_DIGITS} digits")
    user_id = params.text("UserId", required=False, max_len=MAX_USER_ID_CHARS)
    if len(user_id.encode()) >= MAX_SESSION_CONTEXT_BYTES:
        raise UError(INVALID, "UserId is too long")
    return USend(
        [text for text, _ in read],
        [p.e164 for _, p in read if p is not None],
        params.text("SigContent", required=False),
        template_number(code),
        params.text_list("TemplateParams", required=False),
        user_id,
    )


async def load_context(state: ApiState, public_key: str, send: USend) -> SendContext | None:
    return await sending.send_context(
        state.platform, public_key, None, send.sign_name, send.template_id, send.lookup
    )


async def send_with_context(call: UCall, send: USend, context: SendContext | None) -> Result:
    assert context is not None  # authentication found the key, so the context query found its row
    context = replace(context, key=call.key)
    request = SendRequest(send.phones, send.sign_name, send.params, session_context=send.user_id)
    outcome = await sending.accept_send(
        call.state.platform, request, context, now=call.now, max_numbers=MAX_NUMBERS
    )
    refused = [r for r in outcome.plan.results if not r.accepted]
    if not outcome.plan.accepted:  # nothing recorded: a code the SDK may resend is safe here
        first = refused[0]
        raise codes.from_rejection(Rejection(first.code, first.detail))
    # Something was accepted: RetCode 0 whatever else happened, so that an SDK configured to retry never
    # sends it again (spec C5). The numbers refused are named in Message.
    fields: dict[str, Any] = {"SessionNo": str(outcome.session)}
    if send.user_id:
        fields["UserId"] = send.user_id
    if refused:
        fields["Message"] = (
            "Refused: "
            + ", ".join(f"{r.phone} ({codes.number_code(r.code)})" for r in refused[:10])
            + (f" and {len(refused) - 10} more" if len(refused) > 10 else "")
        )
    return fields, {"code": 0, "numbers": len(send.phones), "accepted": len(outcome.plan.accepted)}


def _phone(e164: str) -> str:
    country, national = split_phone(e164)
    return national if country == "86" else f"({country}){national}"


async def get_send_receipt(call: UCall) -> Result:
    asked = call.params.text_list("SessionNoSet", max_items=MAX_SESSIONS)
    sessions = {text: parse_session(text) for text in asked}
    chunk = call.state.settings.max_numbers_per_request
    per_session = -(-MAX_NUMBERS // chunk)
    batch_ids = [b for s in sessions.values() if s for b in session_batches(s, per_session)]
    rows = await reports.receipts(call.state.platform, call.key.account.id, batch_ids) if batch_ids else []
    by_session: dict[uuid.UUID, list[dict[str, Any]]] = {}
    for r in rows:
        session = session_of(r.batch_id)
        by_session.setdefault(session, []).append(
            {
                "Phone": _phone(r.phone),
                "CostCount": r.parts,
                "ReceiptResult": RESULTS[r.status],
                "ReceiptCode": "DELIVRD" if r.status == "delivered" else r.error,
                "ReceiptDesc": RESULTS[r.status],
                "ReceiptTime": int(r.reported_at.timestamp()) if r.reported_at else 0,
                "UserId": r.session_context,
            }
        )
    data = [
        {"SessionNo": text, "ReceiptSet": by_session.get(session, []) if session else []}
        for text, session in sessions.items()
    ]
    return {"Data": data}, {"code": 0, "sessions": len(data), "receipts": len(rows)}
