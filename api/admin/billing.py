"""The operator's billing endpoints (P1, P2): the price list, recharges and monthly statements. Money goes
out both as minor units (exact integers) and as a decimal string of the platform currency."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from api.admin.common import (
    NOT_FOUND,
    AdminError,
    bounded_time,
    json_response,
    operator,
    positive_id,
    read_body,
    state_of,
)
from core.domain.billing import month, package_terms, recharge_amount
from core.domain.errors import Code
from core.domain.money import format_amount
from core.domain.prices import PriceFileError, parse_price_csv
from core.services import billing

MAX_PRICE_FILE_BYTES = 256 * 1024


def _bad(message: str, code: Code = Code.INVALID_PARAMETER_VALUE) -> AdminError:
    return AdminError(400, code.value, message)


def _money(minor: int, request: web.Request) -> str:
    return format_amount(minor, state_of(request).settings.money_exponent)


async def prices_get(request: web.Request) -> web.Response:
    state = state_of(request)
    rows = await billing.prices(state.platform)
    return json_response(
        {
            "currency": state.settings.currency,
            "prices": [
                {"country": iso, "price": _money(p, request), "price_minor": p, "updated_at": at.isoformat()}
                for iso, p, at in rows
            ],
        }
    )


async def prices_put(request: web.Request) -> web.Response:
    """A CSV (`country,price[,currency]`) replaces the prices of the countries it names; a file with any bad
    line changes nothing, and the answer lists every problem by line."""
    state = state_of(request)
    raw = await request.read()
    if len(raw) > MAX_PRICE_FILE_BYTES:
        raise _bad(f"a price file is at most {MAX_PRICE_FILE_BYTES} bytes")
    try:
        rows = parse_price_csv(
            raw.decode("utf-8-sig"), exponent=state.settings.money_exponent, currency=state.settings.currency
        )
    except UnicodeDecodeError:
        raise _bad("the price file must be UTF-8 text") from None
    except PriceFileError as exc:
        return json_response(
            {
                "error": {
                    "code": Code.INVALID_PARAMETER_VALUE.value,
                    "message": str(exc),
                    "problems": exc.problems,
                }
            },
            400,
        )
    await billing.set_prices(state.platform, rows)
    return json_response({"updated": len(rows)})


async def recharge_post(request: web.Request) -> web.Response:
    state = state_of(request)
    account_id = positive_id(request.match_info["account_id"], "account id")
    body = await read_body(request)
    try:
        amount = recharge_amount(
            body.get("amount"),
            exponent=state.settings.money_exponent,
            currency=state.settings.currency,
            given_currency=body.get("currency"),
        )
    except ValueError as exc:
        raise _bad(str(exc)) from None
    note = body.get("note", "")
    if not isinstance(note, str) or len(note) > 500:
        raise _bad("`note` is a string of at most 500 characters")
    standing = await billing.recharge(state.platform, account_id, amount, by=operator(request), note=note)
    if standing is None:
        raise AdminError(404, NOT_FOUND, f"Account {account_id} does not exist.")
    return json_response(
        {
            "account_id": account_id,
            "recharged": _money(amount, request),
            "balance": _money(standing.balance_minor, request),
            "balance_minor": standing.balance_minor,
            "status": standing.status,
        }
    )


def _jsonable(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


async def statement_get(request: web.Request) -> web.Response:
    state = state_of(request)
    account_id = positive_id(request.match_info["account_id"], "account id")
    try:
        period = month(request.query.get("month", ""), ZoneInfo(state.settings.timezone))
    except OverflowError:  # year 1 in a zone east of UTC starts before what datetime holds
        period = None
    except ValueError as exc:
        raise _bad(str(exc)) from None
    if period is None:
        raise _bad("`month` must be from 1970 until the year 9000")
    bounded_time(period.since, "month")
    found = await billing.statement(state.platform, account_id, period)
    if found is None:
        raise AdminError(404, NOT_FOUND, f"Account {account_id} does not exist.")
    found["currency"] = state.settings.currency
    found["month"] = request.query["month"]
    return json_response(
        {k: ([{f: _jsonable(v) for f, v in row.items()} for row in val] if isinstance(val, list) else val)
         for k, val in found.items()}
    )  # fmt: skip


async def settlement_put(request: web.Request) -> web.Response:
    """P3: how the account's international usage is settled from now on, `daily` or `monthly`."""
    state = state_of(request)
    account_id = positive_id(request.match_info["account_id"], "account id")
    choice = (await read_body(request)).get("international")
    if choice not in ("daily", "monthly"):
        raise _bad("`international` must be daily or monthly")
    if not await billing.set_settlement(state.platform, account_id, choice):
        raise AdminError(404, NOT_FOUND, f"Account {account_id} does not exist.")
    return json_response({"account_id": account_id, "international": choice})


def _instant(raw: object, name: str, tz: ZoneInfo) -> datetime:
    """An ISO 8601 date or time; a date means its start in the platform's time zone."""
    try:
        parsed = datetime.fromisoformat(raw) if isinstance(raw, str) else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise _bad(f"`{name}` must be an ISO 8601 date or time")
    return bounded_time(parsed if parsed.tzinfo else parsed.replace(tzinfo=tz), name)


def _package_json(package: billing.Package) -> dict[str, Any]:
    return {k: _jsonable(v) for k, v in package.__dict__.items()}


async def package_post(request: web.Request) -> web.Response:
    """Grant (no price) or sell (`price` charged to the balance) a package of mainland parts."""
    state = state_of(request)
    tz = ZoneInfo(state.settings.timezone)
    account_id = positive_id(request.match_info["account_id"], "account id")
    body = await read_body(request)
    valid_from = _instant(body.get("valid_from"), "valid_from", tz)
    valid_until = _instant(body.get("valid_until"), "valid_until", tz)
    try:
        parts = package_terms(body.get("parts"), valid_from, valid_until)
        price = 0
        if body.get("price") not in (None, "0", 0):
            price = recharge_amount(
                body.get("price"), exponent=state.settings.money_exponent, currency=state.settings.currency
            )
    except ValueError as exc:
        raise _bad(str(exc)) from None
    granted = await billing.grant_package(
        state.platform,
        account_id,
        parts=parts,
        valid_from=valid_from,
        valid_until=valid_until,
        price_minor=price,
        by=operator(request),
    )
    if granted is None:
        raise AdminError(404, NOT_FOUND, f"Account {account_id} does not exist.")
    package, standing = granted
    return json_response(
        {
            "package": _package_json(package),
            "balance_minor": standing.balance_minor,
            "status": standing.status,
        }
    )


async def packages_get(request: web.Request) -> web.Response:
    state = state_of(request)
    account_id = positive_id(request.match_info["account_id"], "account id")
    packages = await billing.packages(state.platform, account_id)
    return json_response({"account_id": account_id, "packages": [_package_json(p) for p in packages]})
