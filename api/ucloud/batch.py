"""SendBatchUSMSMessage (spec B4): TaskContent, base64 of a JSON array of `{TemplateId, SigContent, Target:
[{Phone, TemplateParams, ExtendCode, UserId}]}`. The targets sharing a template, signature, parameters and
UserId have the same content and go together through the send path, all under the request's one number and
one session: each group's batches take the session's next batch ids, so the SessionNo answered finds every
accepted message of the batch with GetUSMSSendReceipt. RetCode 0 whenever anything was accepted (an SDK
configured to retry resends on a RetCode above 2000, spec C5); the targets refused are listed in FailContent,
per template and signature. When nothing was accepted nothing was recorded and a refusal code is answered:
the targets' one code, or 18046 when they failed for different reasons."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from dataclasses import dataclass, field, replace
from typing import Any

from api.ucloud import codes
from api.ucloud.sends import MAX_EXTEND_CODE_DIGITS, MAX_USER_ID_CHARS, read_number, template_number
from api.ucloud.wire import FORMAT, INVALID, ActionHandler, Result, UCall, UError
from core.domain.errors import Code, PlatformError, Rejection
from core.domain.phone import Phone
from core.domain.sending import SendRequest
from core.domain.serial import SESSION_BATCHES_MAX, session_of
from core.domain.text import is_storable
from core.services import sending

MAX_TARGETS = 1000  # as SendUSMSMessage
JSON_PARSE = 18000
BATCH_FAILED = 18046
MAX_LISTED = 10


@dataclass(frozen=True)
class Target:
    phone: str  # as given, echoed in FailContent
    text: str  # as the send path reads it
    parsed: Phone | None
    params: tuple[str, ...]
    extend_code: str
    user_id: str

    def failed(self, detail: str) -> dict[str, Any]:
        return {
            "Phone": self.phone,
            "TemplateParams": list(self.params),
            "ExtendCode": self.extend_code,
            "UserId": self.user_id,
            "FailureDetails": detail,
        }


@dataclass
class Failed:
    """FailContent's item: a template and signature's refused targets."""

    template: str
    sign: str
    detail: str = ""
    targets: list[dict[str, Any]] = field(default_factory=list)

    def item(self) -> dict[str, Any]:
        return {
            "TemplateId": self.template,
            "SigContent": self.sign,
            "FailureDetails": self.detail,
            "Target": self.targets,
        }


def _text(item: dict[str, Any], name: str, *, required: bool = False) -> str:
    value = item.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value):
        raise UError(FORMAT, f"TaskContent: {name} must be a{' non-empty' if required else ''} string")
    return value


def _target(raw: Any) -> Target:
    if not isinstance(raw, dict):
        raise UError(FORMAT, "TaskContent: each Target must be an object")
    phone = _text(raw, "Phone", required=True)
    params = raw.get("TemplateParams") or []
    if not isinstance(params, list) or not all(isinstance(p, str) for p in params):
        raise UError(FORMAT, "TaskContent: TemplateParams must be an array of strings")
    extend = _text(raw, "ExtendCode")
    if extend and not (extend.isascii() and extend.isdigit() and len(extend) <= MAX_EXTEND_CODE_DIGITS):
        raise UError(INVALID, f"TaskContent: ExtendCode must be at most {MAX_EXTEND_CODE_DIGITS} digits")
    user_id = _text(raw, "UserId")
    if len(user_id) > MAX_USER_ID_CHARS:
        raise UError(INVALID, f"TaskContent: UserId is longer than {MAX_USER_ID_CHARS} characters")
    text, parsed = read_number(phone)
    return Target(phone, text, parsed, tuple(params), extend, user_id)


def read_task(text: str) -> list[tuple[str, str, list[Target]]]:
    """TaskContent's (TemplateId, SigContent, targets), refused whole when it is not what UCloud documents."""
    try:
        decoded = base64.b64decode(text, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        raise UError(FORMAT, "TaskContent must be base64 of UTF-8 JSON") from None
    try:
        task = json.loads(decoded)
    except (ValueError, RecursionError):
        raise UError(JSON_PARSE, "TaskContent is not valid JSON") from None
    if not is_storable(task):
        raise UError(FORMAT, "TaskContent holds NUL or invalid characters")
    if not isinstance(task, list) or not task:
        raise UError(FORMAT, "TaskContent must be a non-empty JSON array")
    read: list[tuple[str, str, list[Target]]] = []
    for item in task:
        if not isinstance(item, dict):
            raise UError(FORMAT, "TaskContent: each item must be an object")
        targets = item.get("Target")
        if not isinstance(targets, list) or not targets:
            raise UError(FORMAT, "TaskContent: each item needs a non-empty Target array")
        read.append((_text(item, "TemplateId", required=True), _text(item, "SigContent"), [
            _target(t) for t in targets
        ]))  # fmt: skip
    if sum(len(targets) for _, _, targets in read) > MAX_TARGETS:
        raise codes.from_rejection(Rejection(Code.PHONE_COUNT_LIMIT, f"At most {MAX_TARGETS} targets."))
    return read


Key = tuple[str, str, tuple[str, ...], str]  # TemplateId, SigContent, parameters, UserId: one content


def _groups(task: list[tuple[str, str, list[Target]]]) -> dict[Key, list[Target]]:
    groups: dict[Key, list[Target]] = {}
    for template, sign, targets in task:
        for t in targets:
            groups.setdefault((template, sign, t.params, t.user_id), []).append(t)
    return groups


def _detail(rejection: Rejection) -> tuple[int, str]:
    error = codes.from_rejection(rejection)
    return error.ret_code, f"{error.ret_code}: {error.message}"


async def send_batch(call: UCall) -> Result:
    groups = _groups(read_task(call.params.text("TaskContent")))
    chunk = call.state.settings.max_numbers_per_request
    # Each group's batches take the session's next ids: the session must hold them all.
    if sum(-(-len({t.text for t in g}) // chunk) for g in groups.values()) > SESSION_BATCHES_MAX:
        raise UError(INVALID, "TaskContent holds too many different messages for one batch; split it")
    session = session_of(uuid.uuid4())
    slot, request_no, accepted = 0, None, 0
    failed: dict[tuple[str, str], Failed] = {}
    ret_codes: set[int] = set()
    for (template, sign, params, user_id), targets in groups.items():
        entry = failed.setdefault((template, sign), Failed(template, sign))
        lookup = [t.parsed.e164 for t in targets if t.parsed is not None]
        context = await sending.send_context(
            call.state.platform, call.key.secret_id, None, sign, template_number(template), lookup
        )
        if context is None:  # the key was deleted while the request ran
            raise UError(codes.NO_SUCH_USER, "User not found")
        request = SendRequest([t.text for t in targets], sign, list(params), session_context=user_id)
        try:
            outcome = await sending.accept_send(
                call.state.platform,
                request,
                replace(context, key=call.key),
                now=call.now,
                max_numbers=MAX_TARGETS,
                request_no=request_no,
                session=session,
                slot=slot,
            )
        except PlatformError as exc:  # the whole group: its template, signature or parameters
            ret_code, detail = _detail(exc.rejection)
            ret_codes.add(ret_code)
            entry.detail = entry.detail or detail
            entry.targets.extend(t.failed(detail) for t in targets)
            continue
        slot += outcome.batches
        request_no = request_no or outcome.request_no or None
        accepted += len(outcome.plan.accepted)
        results = {r.phone: r for r in outcome.plan.results}
        for t in targets:
            result = results.get(t.parsed.e164 if t.parsed else t.text)
            if result is not None and not result.accepted:
                ret_code, detail = _detail(Rejection(result.code))
                ret_codes.add(ret_code)
                entry.targets.append(t.failed(detail))
    fail_content = [f.item() for f in failed.values() if f.targets]
    refused = sum(len(f["Target"]) for f in fail_content)
    if not accepted:  # nothing was recorded: a code the SDK may resend is safe here
        listed = "; ".join(f"{t['Phone']}: {t['FailureDetails']}" for f in fail_content for t in f["Target"])
        code = ret_codes.pop() if len(ret_codes) == 1 else BATCH_FAILED
        raise UError(code, f"No target was accepted. {listed[:1000]}")
    fields: dict[str, Any] = {
        "SessionNo": str(session),
        "ReqUuid": call.request_id,
        "SuccessCount": accepted,
        "FailContent": fail_content,
    }
    if refused:
        fields["Message"] = f"{refused} target(s) refused: see FailContent"
    return fields, {"code": 0, "groups": len(groups), "accepted": accepted, "refused": refused}


ACTIONS: dict[str, ActionHandler] = {"SendBatchUSMSMessage": send_batch}
