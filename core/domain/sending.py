"""The SendSms decision, pure: given the request and what the platform knows about the account, application,
signature and template, decide each number's fate (rules A1, S6, T2, D1-D7). No I/O; time is a parameter."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from core.domain.errors import Code, PlatformError
from core.domain.frequency import DEFAULT_POLICY, FrequencyPolicy
from core.domain.phone import UNKNOWN_ISO, Phone, normalize_phone
from core.domain.segments import count_parts
from core.domain.templates import check_params, compose, render, variable_count

MARKETING = 1
VERIFICATION_CODE = 3
# D7: marketing SMS only between 08:00 and 22:00 platform time.
MARKETING_HOURS = (8, 22)
MAX_SESSION_CONTEXT_BYTES = 512


@dataclass(frozen=True)
class Account:
    id: int
    kind: str  # individual | organization
    status: str  # active | arrears | suspended


@dataclass(frozen=True)
class App:
    sdk_app_id: str
    account_id: int
    status: str  # active | disabled


@dataclass(frozen=True)
class Signature:
    name: str
    international: bool
    status: str


@dataclass(frozen=True)
class Template:
    id: int
    content: str
    sms_type: int
    international: bool
    status: str


@dataclass(frozen=True)
class ApiKey:
    secret_id: str
    secret_key: str
    enabled: bool
    account: Account


@dataclass(frozen=True)
class SendContext:
    """Everything a send needs besides the request: the key's account, the application, its policy and lists,
    the signature and the template it names (None where not found, for the plan to refuse)."""

    key: ApiKey
    app: App | None
    sign: Signature | None
    template: Template | None
    # The application's stored policy (the one in force also depends on the account kind) and allowlist.
    policy: FrequencyPolicy = DEFAULT_POLICY
    allowlist: frozenset[str] = frozenset()
    # Numbers of this request on the account's unsubscribe blocklist (B1).
    blocked: frozenset[str] = frozenset()
    # ISO codes the application may send international SMS to; None: all (L4).
    intl_countries: frozenset[str] | None = None
    # The application's usual messages per day (0: not known yet), for the volume alarm (L4).
    usual_daily_volume: int = 0


@dataclass(frozen=True)
class AppContext:
    """An application found by its SDK AppID alone, with its AppKey (for dialects that sign with it, such as
    the legacy v5 API), and its send context."""

    sdk_app_id: str
    app_key: str
    # The send context as the shared send path wants it; the account is the application's owner.
    context: SendContext
    # The account's approved templates, when asked for (plain-text sends are matched against them).
    templates: tuple[Template, ...] = ()


@dataclass(frozen=True)
class SendRequest:
    phones: Sequence[str]
    sign_name: str
    params: Sequence[str]
    session_context: str = ""
    # A number's own session context, by the number as given in `phones` (SendMultiGlobalSms gives each
    # number its own); the others get `session_context`.
    session_contexts: Mapping[str, str] = field(default_factory=dict, hash=False)
    # International numbers only (SendMultiGlobalSms): a mainland number is refused by itself (T2, D4), not
    # the whole request as a mix of both.
    international_only: bool = False


@dataclass(frozen=True)
class SendLimits:
    max_numbers: int = 200
    individual_max_variable_len: int = 12
    max_content_chars: int = 500


@dataclass(frozen=True)
class NumberResult:
    phone: str  # E.164 when it parsed, else as the caller sent it
    code: Code
    iso_code: str = ""
    parts: int = 0
    detail: str = ""

    @property
    def accepted(self) -> bool:
        return self.code is Code.OK


@dataclass(frozen=True)
class SendPlan:
    results: tuple[NumberResult, ...]
    # The numbers to record and send, in request order, each once (D2).
    accepted: tuple[Phone, ...]
    content: str
    parts: int
    mainland: bool
    # The accepted numbers (E.164) that have a session context of their own (SendRequest.session_contexts).
    sessions: Mapping[str, str] = field(default_factory=dict, hash=False)

    def session_of(self, e164: str, default: str) -> str:
        return self.sessions.get(e164, default)

    def refuse(self, refused: Mapping[str, Code]) -> SendPlan:
        """Refuse the accepted numbers named in `refused` (E.164 -> code: the gate's limits); the rest stand."""
        if not refused:
            return self
        results = tuple(
            NumberResult(r.phone, refused[r.phone], r.iso_code) if r.accepted and r.phone in refused else r
            for r in self.results
        )
        return replace(
            self, results=results, accepted=tuple(p for p in self.accepted if p.e164 not in refused)
        )

    def counts(self) -> RequestCounts:
        """The request's numbers per country for the statistics: asked for, accepted, billed parts."""
        by_iso: dict[str, list[int]] = {}
        for r in self.results:
            row = by_iso.setdefault(r.iso_code or UNKNOWN_ISO, [0, 0, 0])
            row[0] += 1
            if r.accepted:
                row[1] += 1
                row[2] += r.parts
        isos = sorted(by_iso)
        return RequestCounts(
            tuple(isos),
            tuple(by_iso[i][0] for i in isos),
            tuple(by_iso[i][1] for i in isos),
            tuple(by_iso[i][2] for i in isos),
        )


@dataclass(frozen=True)
class RequestCounts:
    """One request's numbers per country (parallel tuples): asked for, accepted, and billed parts."""

    iso_codes: tuple[str, ...]
    requests: tuple[int, ...]
    accepted: tuple[int, ...]
    fee_parts: tuple[int, ...]


def plan_send(
    request: SendRequest,
    *,
    account: Account,
    app: App | None,
    sign: Signature | None,
    template: Template | None,
    now_local: datetime,
    limits: SendLimits,
) -> SendPlan:
    """Raise PlatformError for what concerns the whole request; return per-number results otherwise."""
    if not request.phones:
        raise PlatformError(Code.EMPTY_PHONE_SET)
    if len(request.phones) > limits.max_numbers:
        raise PlatformError(Code.PHONE_COUNT_LIMIT)
    for session in (request.session_context, *request.session_contexts.values()):
        if len(session.encode()) >= MAX_SESSION_CONTEXT_BYTES:
            raise PlatformError(
                Code.INVALID_PARAMETER_VALUE, "SessionContext must be shorter than 512 bytes."
            )
    _check_owner(account, app)

    # Each number once (D2), in request order; None marks one that does not parse (D1).
    entries: list[tuple[str, Phone | None]] = []
    seen: set[str] = set()
    for raw in request.phones:
        phone = normalize_phone(raw)
        if phone is not None:
            if phone.e164 in seen:
                continue
            seen.add(phone.e164)
        entries.append((raw, phone))
    valid = [p for _, p in entries if p is not None and not (request.international_only and p.mainland)]
    if not valid:
        results = tuple(_unsent(raw, p) for raw, p in entries)
        return SendPlan(results, (), "", 0, not request.international_only)
    sendable = set(valid)
    mainland = valid[0].mainland
    if any(p.mainland != mainland for p in valid):
        raise PlatformError(Code.MIXED_REGIONS)  # D4

    _check_template(template, account, mainland, now_local)
    assert template is not None
    _check_sign(sign, request.sign_name, mainland)
    rejection = check_params(
        request.params,
        expected=variable_count(template.content),
        verification_code=template.sms_type == VERIFICATION_CODE,
        max_len=limits.individual_max_variable_len if account.kind == "individual" else None,
    )
    if rejection is not None:
        raise PlatformError(rejection.code, rejection.detail)
    text = render(template.content, request.params)
    content = compose(sign.name if sign else "", text, mainland=mainland)
    if len(content) > limits.max_content_chars:
        raise PlatformError(Code.CONTENT_TOO_LONG)
    parts = count_parts(content, mainland=mainland)

    results = tuple(
        NumberResult(p.e164, Code.OK, p.iso, parts) if p in sendable else _unsent(raw, p)
        for raw, p in entries
    )
    sessions = {
        p.e164: request.session_contexts[raw]
        for raw, p in entries
        if p in sendable and raw in request.session_contexts
    }
    return SendPlan(results, tuple(valid), content, parts, mainland, sessions)


def _unsent(raw: str, phone: Phone | None) -> NumberResult:
    """A number refused by itself before any limit: one that does not parse (D1), or a mainland number in an
    international-only request."""
    if phone is None:
        return NumberResult(raw, Code.INCORRECT_PHONE)
    return NumberResult(phone.e164, Code.CONTAIN_DOMESTIC, phone.iso)


def _check_owner(account: Account, app: App | None) -> None:
    if app is None or app.account_id != account.id:
        raise PlatformError(Code.APP_VERIFY_FAIL)
    if app.status != "active":
        raise PlatformError(Code.APP_DISABLED)  # A3
    if account.status == "suspended":
        raise PlatformError(Code.SUSPENDED_ARREARS)


def _check_template(template: Template | None, account: Account, mainland: bool, now_local: datetime) -> None:
    if template is None or template.status != "approved":
        raise PlatformError(Code.TEMPLATE_UNAPPROVED)
    if template.international and mainland:  # T2
        raise PlatformError(Code.GLOBAL_TEMPLATE_TO_MAINLAND)
    if not template.international and not mainland:
        raise PlatformError(Code.MAINLAND_TEMPLATE_TO_GLOBAL)
    if template.sms_type == MARKETING:
        if account.kind == "individual":  # A1
            raise PlatformError(Code.INDIVIDUAL_MARKETING)
        start, end = MARKETING_HOURS
        if not start <= now_local.hour < end:  # D7
            raise PlatformError(Code.MARKETING_TIME)


def _check_sign(sign: Signature | None, sign_name: str, mainland: bool) -> None:
    if not sign_name and not mainland:
        return  # S6: international SMS may omit the signature
    if sign is None or sign.status != "approved" or sign.international == mainland:
        raise PlatformError(Code.SIGN_UNAPPROVED)
