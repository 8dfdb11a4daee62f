"""sendsms and sendmultisms2: a template send (tpl_id + params) or a plain-text one (matched against the
approved templates), through the shared send path; one answer entry per distinct number."""

from __future__ import annotations

from dataclasses import replace

from api.legacy_v5.call import Answer, V5Call, refusal
from api.legacy_v5.codes import OK
from api.legacy_v5.plain_text import match_template, split_sign
from api.legacy_v5.wire import Tel, parse_send
from core.domain.errors import Code, PlatformError, Rejection
from core.domain.phone import Phone, normalize_phone
from core.domain.sending import SendPlan, SendRequest
from core.services import sending
from core.services.sending import accept_send


async def send_single(call: V5Call) -> Answer:
    return await _send(call, multi=False)


async def send_multi(call: V5Call) -> Answer:
    return await _send(call, multi=True)


async def _send(call: V5Call, *, multi: bool) -> Answer:
    envelope = call.envelope()
    send = parse_send(call.body, multi=multi)
    phones = [t.phone for t in send.tels]
    parsed = [normalize_phone(p) for p in phones]
    valid = [p for p in parsed if p is not None]
    mainland = valid[0].mainland if valid else True
    text_send = send.tpl_id is None
    sign, text = split_sign(send.msg, mainland=mainland) if text_send else (send.sign, "")
    app = await call.authenticate(
        await sending.app_context(
            call.state.platform,
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
        found = match_template(text, app.templates, marketing=send.sms_type == 1, international=not mainland)
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
        return {"result": OK, "errmsg": "OK", "ext": send.ext, "detail": details}
    (only,) = details
    only.pop("mobile")
    only.pop("nationcode")
    return {**only, "ext": send.ext}


def _details(
    plan: SendPlan, serials: dict[str, str], tels: tuple[Tel, ...], parsed: list[Phone | None]
) -> list[Answer]:
    """One entry per distinct number (D2: a repeated number is sent once), with the number as the caller
    wrote it; `sid` and `fee` only for accepted numbers."""
    written: dict[str, Tel] = {}
    for tel, phone in zip(tels, parsed, strict=True):
        written.setdefault(phone.e164 if phone else tel.phone, tel)
    out: list[Answer] = []
    for r in plan.results:
        tel = written.get(r.phone, Tel("", r.phone))
        entry: Answer = {"mobile": tel.mobile, "nationcode": tel.nationcode}
        if r.accepted:
            entry |= {"result": OK, "errmsg": "OK", "sid": serials.get(r.phone, ""), "fee": r.parts}
        else:
            entry |= refusal(Rejection(r.code, r.detail))
        out.append(entry)
    return out
