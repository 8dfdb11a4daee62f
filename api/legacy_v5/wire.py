"""The legacy Tencent Cloud SMS API v5 (`sdkappid` + `sig`, the `qcloudsms_py` era), pure: the `sig`
algorithm, the one table from platform outcome codes to legacy `result` codes, and the request bodies read
into values. No I/O; time is a parameter. The wire format is in shared/spec/legacy-v5-and-ucloud.md, part A."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from core.domain.errors import Code, PlatformError
from core.domain.sending import MARKETING, Template

OK = 0
# A2/A1: a request whose `time` is more than 10 minutes off the server's clock is refused (1021).
MAX_SKEW_S = 600
MAX_NUMBERS = 200
MAX_PULL = 100  # A4: `max` is at most 100

# The legacy `result` codes that are not a platform outcome: they concern the v5 envelope itself.
SIG_MISMATCH = 1001
SIG_MISSING = 1003
BAD_BODY = 1004
OTHER_ERROR = 1007
NO_SUCH_PATH = 1011
NO_SUCH_APP = 1019
TIME_SKEW = 1021

# Every platform outcome and its legacy `result` code (A6), in one table.
LEGACY_CODES: dict[Code, int] = {
    Code.OK: OK,
    Code.AUTH_SIGNATURE_FAILURE: SIG_MISMATCH,
    Code.AUTH_INVALID_AUTHORIZATION: SIG_MISSING,
    Code.AUTH_SECRET_ID_NOT_FOUND: NO_SUCH_APP,
    Code.AUTH_SIGNATURE_EXPIRE: TIME_SKEW,
    Code.AUTH_UNAUTHORIZED: 1006,
    Code.INVALID_ACTION: NO_SUCH_PATH,
    Code.NO_SUCH_VERSION: NO_SUCH_PATH,
    Code.MISSING_PARAMETER: BAD_BODY,
    Code.INVALID_PARAMETER: BAD_BODY,
    Code.INVALID_PARAMETER_VALUE: BAD_BODY,
    Code.REQUEST_SIZE_LIMIT: BAD_BODY,
    Code.JSON_PARSE_FAIL: BAD_BODY,
    Code.EMPTY_PHONE_SET: BAD_BODY,
    Code.LIMIT_VERIFY_FAIL: BAD_BODY,
    Code.OFFSET_VERIFY_FAIL: BAD_BODY,
    Code.BEGIN_TIME_VERIFY_FAIL: BAD_BODY,
    Code.END_TIME_VERIFY_FAIL: BAD_BODY,
    Code.FAILED_OPERATION: 1008,  # "retry later": the legacy API's send timeout, which a retry fixes
    Code.INTERNAL_ERROR: 60008,
    Code.UNSUPPORTED_OPERATION: 1030,
    Code.SIGN_UNAPPROVED: 1012,
    Code.IP_LIMIT: 1013,
    Code.TEMPLATE_UNAPPROVED: 1014,
    Code.PARAMS_MISMATCH: 1014,
    Code.MAINLAND_TEMPLATE_TO_GLOBAL: 1014,
    Code.GLOBAL_TEMPLATE_TO_MAINLAND: 1014,
    Code.PHONE_IN_BLACKLIST: 1015,
    Code.INCORRECT_PHONE: 1016,
    Code.CONTENT_TOO_LONG: 1017,
    Code.APP_VERIFY_FAIL: NO_SUCH_APP,
    Code.APP_DISABLED: 1020,
    Code.APP_DAILY_LIMIT: 1022,
    Code.APP_MAINLAND_DAILY_LIMIT: 1022,
    Code.APP_GLOBAL_DAILY_LIMIT: 1022,
    Code.PHONE_30S_LIMIT: 1023,
    Code.PHONE_HOUR_LIMIT: 1024,
    Code.PHONE_DAILY_LIMIT: 1025,
    Code.PHONE_SAME_CONTENT_DAILY_LIMIT: 1026,
    Code.MARKETING_TIME: 1029,
    Code.INDIVIDUAL_MARKETING: 1032,
    Code.SUSPENDED_ARREARS: 1033,
    Code.MIXED_REGIONS: 1034,
    Code.PARAM_TOO_LONG: 1036,
    Code.PARAM_FORMAT: 1038,
    Code.APP_COUNTRY_NOT_ALLOWED: 1045,
    Code.PHONE_COUNT_LIMIT: 1046,
    Code.INTL_DAILY_LIMIT: 1047,
    Code.URL_IN_PARAM: 1048,
    # Signature and template management (add/mod/del/get_template, add/mod/del/get_sign). A missing item is
    # answered as a send naming it would be (1012 signature, 1014 template); the rest of the submission rules
    # are request values (1004) or, where the legacy table has no code for the rule, "other error" (1007).
    Code.SIGN_NAME_TOO_LONG: 1012,
    Code.SIGN_ID_NOT_EXIST: 1012,
    Code.MISSING_SIGN_TO_MODIFY: 1012,
    Code.TEMPLATE_ID_NOT_EXIST: 1014,
    Code.MISSING_TEMPLATE_TO_MODIFY: 1014,
    Code.TEMPLATE_DIRTY_WORDS: 1002,
    Code.FORBID_MARKETING_TEMPLATES: 1032,
    Code.INVALID_TEMPLATE_FORMAT: BAD_BODY,
    Code.MARKETING_WITHOUT_UNSUBSCRIBE: BAD_BODY,
    Code.INVALID_DOCUMENT_TYPE: BAD_BODY,
    Code.INVALID_SIGN_PURPOSE: BAD_BODY,
    Code.INVALID_INTERNATIONAL: BAD_BODY,
    Code.INVALID_SMS_TYPE: BAD_BODY,
    Code.IMAGE_INVALID: BAD_BODY,
    Code.SIGN_EXIST_UNAPPROVED: OTHER_ERROR,
    Code.SIGN_ALREADY_PASSED: OTHER_ERROR,
    Code.TEMPLATE_ALREADY_PASSED: OTHER_ERROR,
    Code.SIGN_NUMBER_LIMIT: OTHER_ERROR,
    Code.TEMPLATE_NUMBER_LIMIT: OTHER_ERROR,
    # There is no balance outcome (accounts are postpaid; arrears suspend them: 1033), so 1031 is never sent.
}

# The envelope's own refusals, in the legacy wording (errmsg).
LEGACY_MESSAGES: dict[int, str] = {
    SIG_MISMATCH: "sig check failed",
    SIG_MISSING: "sig is missing or empty",
    BAD_BODY: "the request body could not be parsed",
    NO_SUCH_PATH: "no such REST API path",
    NO_SUCH_APP: "sdkappid does not exist",
    TIME_SKEW: "the request time is more than 10 minutes off the server time",
}


def legacy_code(code: Code) -> int:
    """The legacy `result` for a platform outcome; unlisted request-shape codes are 1004, the rest 1007."""
    found = LEGACY_CODES.get(code)
    if found is not None:
        return found
    if code.value.startswith(("InvalidParameter", "MissingParameter")):
        return BAD_BODY
    return OTHER_ERROR


class LegacyError(Exception):
    """A refusal of the v5 envelope itself (sig, time, body shape), answered with its legacy code."""

    def __init__(self, result: int, errmsg: str = "") -> None:
        super().__init__(errmsg or LEGACY_MESSAGES.get(result, "error"))
        self.result = result
        self.errmsg = errmsg or LEGACY_MESSAGES.get(result, "error")


# --- sig (A2) ----------------------------------------------------------------------------------------------


def sig_text(app_key: str, random: str, time: int, mobiles: Sequence[str] = ()) -> str:
    """The text whose SHA-256 is the `sig`; `&mobile=` only when there are numbers (the client drops it)."""
    text = f"appkey={app_key}&random={random}&time={time}"
    if mobiles:
        text += "&mobile=" + ",".join(mobiles)
    return text


def compute_sig(app_key: str, random: str, time: int, mobiles: Sequence[str] = ()) -> str:
    return hashlib.sha256(sig_text(app_key, random, time, mobiles).encode("utf-8")).hexdigest()


def verify_sig(app_key: str, random: str, time: int, mobiles: Sequence[str], sig: str) -> bool:
    """Constant time; the hex digest is compared case-insensitively (the client sends it lowercase)."""
    expected = compute_sig(app_key, random, time, mobiles)
    return hmac.compare_digest(expected.encode(), sig.lower().encode("utf-8", "replace"))


def check_time(time: int, now: float) -> None:
    if abs(now - time) > MAX_SKEW_S:
        raise LegacyError(TIME_SKEW)


# --- Request bodies (A3) -----------------------------------------------------------------------------------


def _loose_text(value: Any, field: str) -> str:
    """A3: `nationcode` and `mobile` come as strings or numbers (multi-send passes them through)."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise LegacyError(BAD_BODY, f"{field} must be a string or a number")
    return str(value)


def _text(body: dict[str, Any], field: str, *, default: str | None = None) -> str:
    value = body.get(field, default)
    if not isinstance(value, str):
        raise LegacyError(BAD_BODY, f"{field} must be a string")
    return value


def _integer(body: dict[str, Any], field: str, *, default: int | None = None) -> int:
    """An int, or a string of ASCII digits (the client passes `max`, `begin_time`, `end_time` untouched)."""
    value = body.get(field, default)
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 19:
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise LegacyError(BAD_BODY, f"{field} must be an integer")
    return value


@dataclass(frozen=True)
class Tel:
    nationcode: str
    mobile: str

    @property
    def phone(self) -> str:
        """The number as the shared send path reads it (D1): E.164 from the two parts; junk stays junk."""
        code = self.nationcode.removeprefix("+")
        return f"+{code}{self.mobile}" if code else self.mobile


@dataclass(frozen=True)
class Envelope:
    """What every v5 request carries: the query's `random` and the body's `sig` and `time`."""

    random: str
    sig: str
    time: int


def parse_envelope(random: str | None, body: dict[str, Any]) -> Envelope:
    sig = body.get("sig")
    if sig is None or sig == "":
        raise LegacyError(SIG_MISSING)
    if not isinstance(sig, str):
        raise LegacyError(BAD_BODY, "sig must be a string")
    if not random:
        raise LegacyError(BAD_BODY, "random is missing from the query string")
    return Envelope(random, sig, _integer(body, "time"))


@dataclass(frozen=True)
class SendBody:
    tels: tuple[Tel, ...]
    ext: str
    extend: str
    # A template send (tpl_id + params) ...
    tpl_id: int | None
    params: tuple[str, ...]
    sign: str
    # ... or a plain-text send (type + msg), matched against the approved templates.
    sms_type: int
    msg: str

    @property
    def mobiles(self) -> list[str]:
        """The `mobile` values in `tel` order: what the `sig` covers."""
        return [t.mobile for t in self.tels]


def _tel(value: Any) -> Tel:
    if not isinstance(value, dict):
        raise LegacyError(BAD_BODY, "tel must be an object with nationcode and mobile")
    return Tel(
        _loose_text(value.get("nationcode", "86"), "nationcode"), _loose_text(value.get("mobile"), "mobile")
    )


def parse_send(body: dict[str, Any], *, multi: bool) -> SendBody:
    """sendsms (tel is one object) or sendmultisms2 (tel is a list of up to 200)."""
    raw_tel = body.get("tel")
    if multi:
        if not isinstance(raw_tel, list) or not raw_tel:
            raise LegacyError(BAD_BODY, "tel must be a non-empty list")
        if len(raw_tel) > MAX_NUMBERS:
            raise PlatformError(Code.PHONE_COUNT_LIMIT)
        tels = tuple(_tel(t) for t in raw_tel)
    else:
        tels = (_tel(raw_tel),)
    ext = _text(body, "ext", default="")
    extend = _loose_text(body.get("extend", ""), "extend")
    if "tpl_id" in body:
        params = body.get("params", [])
        if not isinstance(params, list):
            raise LegacyError(BAD_BODY, "params must be a list")
        return SendBody(
            tels,
            ext,
            extend,
            tpl_id=_integer(body, "tpl_id"),
            params=tuple(_loose_text(p, "params") for p in params),
            sign=_text(body, "sign", default=""),
            sms_type=0,
            msg="",
        )
    sms_type = _integer(body, "type", default=0)
    if sms_type not in (0, 1):
        raise LegacyError(BAD_BODY, "type must be 0 (normal) or 1 (marketing)")
    msg = _text(body, "msg")
    return SendBody(tels, ext, extend, tpl_id=None, params=(), sign="", sms_type=sms_type, msg=msg)


@dataclass(frozen=True)
class PullBody:
    kind: str  # status | reply
    max: int
    # pullstatus4mobile only
    tel: Tel | None = None
    begin_time: int = 0
    end_time: int = 0


def parse_pull(body: dict[str, Any], *, by_mobile: bool) -> PullBody:
    kind = {0: "status", 1: "reply"}.get(_integer(body, "type"))
    if kind is None:
        raise LegacyError(BAD_BODY, "type must be 0 (delivery reports) or 1 (replies)")
    limit = _integer(body, "max")
    if limit < 1:
        raise LegacyError(BAD_BODY, "max must be at least 1")
    limit = min(limit, MAX_PULL)
    if not by_mobile:
        return PullBody(kind, limit)
    tel = _tel(body)
    begin, end = _integer(body, "begin_time"), _integer(body, "end_time")
    if end < begin:
        raise LegacyError(BAD_BODY, "end_time must not be before begin_time")
    return PullBody(kind, limit, tel, begin, end)


# --- Management and statistics bodies (A3: the endpoints the package does not have) ------------------------

MAX_IDS = 100
TITLE_FROM_TEXT_CHARS = 30
# A3: the legacy review status: 0 approved, 1 waiting (pending or in review), 2 rejected.
LEGACY_STATUS = {"approved": 0, "rejected": 2}


def legacy_status(status: str) -> int:
    return LEGACY_STATUS.get(status, 1)


def _flag(body: dict[str, Any], field: str) -> int:
    """`international`: 0 or 1, absent meaning 0 (any other integer is left to the catalog's checks)."""
    return _integer(body, field, default=0)


@dataclass(frozen=True)
class TemplateBody:
    title: str
    text: str
    sms_type: int
    international: int
    remark: str
    tpl_id: int | None = None  # mod_template only


def parse_template(body: dict[str, Any], *, modify: bool) -> TemplateBody:
    """add_template / mod_template: `text` and `type` required; `title` may be left out (the template is then
    named after the start of its text), `remark` too."""
    text = _text(body, "text")
    title = _text(body, "title", default="") or text[:TITLE_FROM_TEXT_CHARS]
    return TemplateBody(
        title=title,
        text=text,
        sms_type=_integer(body, "type"),
        international=_flag(body, "international"),
        remark=_text(body, "remark", default=""),
        tpl_id=_integer(body, "tpl_id") if modify else None,
    )


@dataclass(frozen=True)
class SignBody:
    text: str
    pic: str
    international: int
    remark: str
    sign_id: int | None = None  # mod_sign only


def parse_sign(body: dict[str, Any], *, modify: bool) -> SignBody:
    """add_sign / mod_sign: `text` (without 【】) and `pic` (base64 proof image) required."""
    return SignBody(
        text=_text(body, "text"),
        pic=_text(body, "pic"),
        international=_flag(body, "international"),
        remark=_text(body, "remark", default=""),
        sign_id=_integer(body, "sign_id") if modify else None,
    )


def parse_ids(body: dict[str, Any], field: str) -> list[int]:
    """`tpl_id` / `sign_id` of the del_ and get_ endpoints: a list of ids (a single id is taken as one)."""
    value = body.get(field)
    if not isinstance(value, list):
        value = [value]
    if not value or len(value) > MAX_IDS:
        raise LegacyError(BAD_BODY, f"{field} must list 1 to {MAX_IDS} ids")
    ids = [_integer({field: v}, field) for v in value]
    return list(dict.fromkeys(ids))


@dataclass(frozen=True)
class Listing:
    """get_template / get_sign: given ids, or a page of all the account's items."""

    ids: tuple[int, ...] = ()
    max: int = 0
    offset: int = 0


def parse_listing(body: dict[str, Any], ids_field: str, page_field: str | None) -> Listing:
    if page_field is not None and ids_field not in body and page_field in body:
        page = body[page_field]
        if not isinstance(page, dict):
            raise LegacyError(BAD_BODY, f"{page_field} must be an object with max and offset")
        limit, offset = _integer(page, "max"), _integer(page, "offset", default=0)
        if not 1 <= limit <= MAX_IDS or offset < 0:
            raise LegacyError(BAD_BODY, f"{page_field}.max must be 1 to {MAX_IDS}, offset not negative")
        return Listing(max=limit, offset=offset)
    return Listing(ids=tuple(parse_ids(body, ids_field)))


def parse_date_span(body: dict[str, Any]) -> tuple[str, str]:
    """pullsendstatus / pullcallbackstatus: `begin_date` and `end_date` as yyyymmddhh (ints on the wire),
    returned as the hour strings the statistics window reads."""
    return str(_integer(body, "begin_date")), str(_integer(body, "end_date"))


def is_storable(value: Any) -> bool:
    """No NUL and no lone surrogate anywhere: JSON can carry them, Postgres text and UTF-8 answers cannot."""
    pending: list[Any] = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return False
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return False
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, dict):
            pending.extend(item)
            pending.extend(item.values())
    return True


# --- Plain-text sends: the message must be an approved template (1014) -------------------------------------

_MAINLAND_SIGN = re.compile(r"\A【([^【】]+)】(.*)\Z", re.DOTALL)
_MAINLAND_SIGN_AT_END = re.compile(r"\A(.*)【([^【】]+)】\Z", re.DOTALL)
_GLOBAL_SIGN = re.compile(r"\A\[([^\[\]]+)\] ?(.*)\Z", re.DOTALL)
_VARIABLE = re.compile(r"\{([0-9]+)\}", re.ASCII)


def split_sign(msg: str, *, mainland: bool) -> tuple[str, str]:
    """(signature, text) of a plain-text message: mainland messages carry 【sign】 at the start (or the end),
    international ones may carry "[sign] " at the start or nothing."""
    if mainland:
        match = _MAINLAND_SIGN.match(msg)
        if match:
            return match.group(1), match.group(2)
        match = _MAINLAND_SIGN_AT_END.match(msg)
        if match:
            return match.group(2), match.group(1)
        return "", msg
    match = _GLOBAL_SIGN.match(msg)
    return (match.group(1), match.group(2)) if match else ("", msg)


def _pattern(content: str) -> re.Pattern[str]:
    """The template as a regex: literal text escaped, {N} a lazy group, a repeated {N} the same value."""
    out: list[str] = []
    seen: set[str] = set()
    position = 0
    for match in _VARIABLE.finditer(content):
        out.append(re.escape(content[position : match.start()]))
        name = f"v{int(match.group(1))}"
        out.append(f"(?P={name})" if name in seen else f"(?P<{name}>.*?)")
        seen.add(name)
        position = match.end()
    out.append(re.escape(content[position:]))
    return re.compile("".join(out), re.DOTALL)


def match_template(
    text: str, templates: Sequence[Template], *, marketing: bool, international: bool
) -> tuple[Template, tuple[str, ...]] | None:
    """The approved template `text` is an instance of, with the parameter values that render it, or None.
    Only templates of the message's kind (type 1: marketing) and region are candidates; when several fit,
    the one with the most fixed text wins (then the lowest id)."""
    candidates = sorted(
        (
            t
            for t in templates
            if t.status == "approved"
            and (t.sms_type == MARKETING) == marketing
            and t.international == international
        ),
        key=lambda t: (-len(_VARIABLE.sub("", t.content)), t.id),
    )
    for template in candidates:
        match = _pattern(template.content).fullmatch(text)
        if match is None:
            continue
        count = max((int(n) for n in _VARIABLE.findall(template.content)), default=0)
        groups = match.groupdict()
        return template, tuple(groups.get(f"v{i}") or "" for i in range(1, count + 1))
    return None


# --- Answers (A4) ------------------------------------------------------------------------------------------


def report_item(item: dict[str, Any], *, nationcode: str, mobile: str, receive_time: str) -> dict[str, Any]:
    """A type-0 pull item from a queued status (core.domain.reports): SUCCESS/FAIL with the carrier's code."""
    delivered = bool(item["delivered"])
    error = str(item["error"] or "")
    return {
        "user_receive_time": receive_time,
        "nationcode": nationcode,
        "mobile": mobile,
        "report_status": "SUCCESS" if delivered else "FAIL",
        "errmsg": error,
        "description": "user received" if delivered else f"delivery failed ({error or 'unknown'})",
        "sid": item["serial_no"],
    }


def reply_item(item: dict[str, Any], *, nationcode: str, mobile: str) -> dict[str, Any]:
    """A type-1 pull item from a queued reply."""
    return {
        "nationcode": nationcode,
        "mobile": mobile,
        "text": item["text"],
        "sign": item["sign"],
        "time": int(item["time"]),
        "extend": item["extend"],
    }
