"""The request bodies of the signature and template management endpoints (A3: the endpoints the `qcloudsms_py`
package does not have), read into values. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from api.legacy_v5.codes import BAD_BODY, LegacyError
from api.legacy_v5.wire import integer_field, text_field

MAX_IDS = 100
TITLE_FROM_TEXT_CHARS = 30


def _flag(body: dict[str, Any], field: str) -> int:
    """`international`: 0 or 1, absent meaning 0 (any other integer is left to the catalog's checks)."""
    return integer_field(body, field, default=0)


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
    text = text_field(body, "text")
    title = text_field(body, "title", default="") or text[:TITLE_FROM_TEXT_CHARS]
    return TemplateBody(
        title=title,
        text=text,
        sms_type=integer_field(body, "type"),
        international=_flag(body, "international"),
        remark=text_field(body, "remark", default=""),
        tpl_id=integer_field(body, "tpl_id") if modify else None,
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
        text=text_field(body, "text"),
        pic=text_field(body, "pic"),
        international=_flag(body, "international"),
        remark=text_field(body, "remark", default=""),
        sign_id=integer_field(body, "sign_id") if modify else None,
    )


def parse_ids(body: dict[str, Any], field: str) -> list[int]:
    """`tpl_id` / `sign_id` of the del_ and get_ endpoints: a list of ids (a single id is taken as one)."""
    value = body.get(field)
    if not isinstance(value, list):
        value = [value]
    if not value or len(value) > MAX_IDS:
        raise LegacyError(BAD_BODY, f"{field} must list 1 to {MAX_IDS} ids")
    ids = [integer_field({field: v}, field) for v in value]
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
        limit, offset = integer_field(page, "max"), integer_field(page, "offset", default=0)
        if not 1 <= limit <= MAX_IDS or offset < 0:
            raise LegacyError(BAD_BODY, f"{page_field}.max must be 1 to {MAX_IDS}, offset not negative")
        return Listing(max=limit, offset=offset)
    return Listing(ids=tuple(parse_ids(body, ids_field)))
