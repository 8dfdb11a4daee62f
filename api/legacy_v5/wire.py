"""The legacy Tencent Cloud SMS API v5 (`sdkappid` + `sig`, the `qcloudsms_py` era), pure: the request
bodies read into values (the envelope, sends, pulls, the statistics span; the catalog's are in catalog_wire.py),
the field readers every body uses, and the check that a body can be stored. No I/O. The wire format is in
shared/spec/legacy-v5-and-ucloud.md, part A."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from api.legacy_v5.codes import BAD_BODY, SIG_MISSING, LegacyError
from core.domain.bounds import int64
from core.domain.errors import Code, PlatformError

MAX_NUMBERS = 200
MAX_PULL = 100  # A4: `max` is at most 100


def loose_text(value: Any, field: str) -> str:
    """A3: `nationcode` and `mobile` come as strings or numbers (multi-send passes them through)."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise LegacyError(BAD_BODY, f"{field} must be a string or a number")
    return str(value)


def text_field(body: dict[str, Any], field: str, *, default: str | None = None) -> str:
    value = body.get(field, default)
    if not isinstance(value, str):
        raise LegacyError(BAD_BODY, f"{field} must be a string")
    return value


def integer_field(body: dict[str, Any], field: str, *, default: int | None = None) -> int:
    """An int within int64 (every id is a Postgres bigint), or a string of its digits (the client passes
    `max`, `begin_time`, `end_time` untouched)."""
    value = int64(body.get(field, default))
    if value is None:
        raise LegacyError(BAD_BODY, f"{field} must be a 64-bit integer")
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
    return Envelope(random, sig, integer_field(body, "time"))


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
        loose_text(value.get("nationcode", "86"), "nationcode"), loose_text(value.get("mobile"), "mobile")
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
    ext = text_field(body, "ext", default="")
    extend = loose_text(body.get("extend", ""), "extend")
    if "tpl_id" in body:
        params = body.get("params", [])
        if not isinstance(params, list):
            raise LegacyError(BAD_BODY, "params must be a list")
        return SendBody(
            tels,
            ext,
            extend,
            tpl_id=integer_field(body, "tpl_id"),
            params=tuple(loose_text(p, "params") for p in params),
            sign=text_field(body, "sign", default=""),
            sms_type=0,
            msg="",
        )
    sms_type = integer_field(body, "type", default=0)
    if sms_type not in (0, 1):
        raise LegacyError(BAD_BODY, "type must be 0 (normal) or 1 (marketing)")
    msg = text_field(body, "msg")
    return SendBody(tels, ext, extend, tpl_id=None, params=(), sign="", sms_type=sms_type, msg=msg)


@dataclass(frozen=True)
class PullBody:
    kind: Literal["status", "reply"]
    max: int
    # pullstatus4mobile only
    tel: Tel | None = None
    begin_time: int = 0
    end_time: int = 0


def parse_pull(body: dict[str, Any], *, by_mobile: bool) -> PullBody:
    kinds: dict[int, Literal["status", "reply"]] = {0: "status", 1: "reply"}
    kind = kinds.get(integer_field(body, "type"))
    if kind is None:
        raise LegacyError(BAD_BODY, "type must be 0 (delivery reports) or 1 (replies)")
    limit = integer_field(body, "max")
    if limit < 1:
        raise LegacyError(BAD_BODY, "max must be at least 1")
    limit = min(limit, MAX_PULL)
    if not by_mobile:
        return PullBody(kind, limit)
    tel = _tel(body)
    begin, end = integer_field(body, "begin_time"), integer_field(body, "end_time")
    if end < begin:
        raise LegacyError(BAD_BODY, "end_time must not be before begin_time")
    return PullBody(kind, limit, tel, begin, end)


def parse_date_span(body: dict[str, Any]) -> tuple[str, str]:
    """pullsendstatus / pullcallbackstatus: `begin_date` and `end_date` as yyyymmddhh (ints on the wire),
    returned as the hour strings the statistics window reads."""
    return str(integer_field(body, "begin_date")), str(integer_field(body, "end_date"))
