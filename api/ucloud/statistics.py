"""GetUSMSSendStatistics and GetUSMSTemplateSendStatistics (spec B4): the caller's account's counters per day
(the platform's time zone) and country, summed from the same hourly rollups the other dialects read.

What the rollups give, in UCloud's names: Count the numbers asked for, SubmitFailedCount those refused before
sending (never billed: SubmitFailedCostCount 0), CostCount the parts billed, SuccessCount and FailedCount the
final reports, UnknownCount the accepted numbers with no final report yet. The rollups count parts only as
billed, not per outcome: the per-outcome cost counts are exact when every message of the row was one part
(each then equals its count) and 0 otherwise, which Message says. Numbers that could not be placed in a
country are in neither Domestic side. The rollups have no template, purpose or UserId dimension: a Purpose
filter is refused, UserId is empty, and statistics per template are not offered (refused with 18003)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from api.ucloud.wire import FORMAT, INVALID, ActionHandler, Params, Result, UCall, UError
from core.domain.phone import UNKNOWN_ISO
from core.services import statistics

SPAN_DAYS = 31  # StartDate..EndDate, both included
MAX_PER_PAGE = 100
MAX_PAGE = 100_000
MAX_COUNTRIES = 50
FIRST_DAY, LAST_DAY = date(1970, 1, 1), date(9998, 12, 31)
ORDER_BY = ("SendDate", "BrevityCode")
ORDER_TYPE = ("asc", "desc")
PARTS_NOTE = "Per-outcome cost counts are 0 where a day's messages were not all one part (not counted)."


@dataclass(frozen=True)
class Query:
    domestic: bool
    start: date
    end: date
    page: int
    per_page: int
    by_country: bool
    descending: bool
    countries: frozenset[str]


def _day(params: Params, name: str) -> date:
    text = params.text(name)
    try:
        if not (len(text) == 10 and text[4] == text[7] == "-" and text.replace("-", "").isascii()):
            raise ValueError(text)
        day = date.fromisoformat(text)
    except ValueError:
        raise UError(FORMAT, f"{name} must be a date written YYYY-MM-DD") from None
    if not FIRST_DAY <= day <= LAST_DAY:  # the day after, at local midnight, must exist
        raise UError(INVALID, f"{name} must be between {FIRST_DAY} and {LAST_DAY}")
    return day


def _countries(text: str) -> frozenset[str]:
    codes = text.split("-") if text else []
    if len(codes) > MAX_COUNTRIES or not all(len(c) == 2 and c.isascii() and c.isalpha() for c in codes):
        raise UError(
            INVALID, f"BrevityCode must be up to {MAX_COUNTRIES} country codes joined by -, e.g. CN-ID"
        )
    return frozenset(c.upper() for c in codes)


def read_query(params: Params) -> Query:
    domestic = params.integer("Domestic", low=0, high=1)
    start, end = _day(params, "StartDate"), _day(params, "EndDate")
    if end < start or (end - start).days >= SPAN_DAYS:
        raise UError(INVALID, f"EndDate must be on or after StartDate, at most {SPAN_DAYS} days in all")
    page = params.integer("Page", low=0, high=MAX_PAGE)
    per_page = params.integer("NumPerPage", low=1, high=MAX_PER_PAGE)
    order_by = params.text("OrderBy")
    if order_by not in ORDER_BY:
        raise UError(INVALID, "OrderBy must be SendDate or BrevityCode")
    order_type = params.text("OrderType")
    if order_type not in ORDER_TYPE:
        raise UError(INVALID, "OrderType must be asc or desc")
    countries = _countries(params.text("BrevityCode", required=False))
    return Query(
        domestic == 1, start, end, page, per_page, order_by == "BrevityCode", order_type == "desc", countries
    )


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=zone)


@dataclass
class _Row:
    asked: int = 0
    accepted: int = 0
    parts: int = 0
    delivered: int = 0
    failed: int = 0

    def item(self, day: date, iso: str) -> dict[str, Any]:
        unknown = max(self.accepted - self.delivered - self.failed, 0)
        single = self.parts == self.accepted  # every accepted message one part: its cost is its count
        return {
            "BrevityCode": iso,
            "SendDate": day.isoformat(),
            "Count": self.asked,
            "CostCount": self.parts,
            "SuccessCount": self.delivered,
            "SuccessCostCount": self.delivered if single else 0,
            "FailedCount": self.failed,
            "FailedCostCount": self.failed if single else 0,
            "SubmitFailedCount": self.asked - self.accepted,
            "SubmitFailedCostCount": 0,
            "UnknownCount": unknown,
            "UnknownCostCount": unknown if single else 0,
            "SuccessRate": round(self.delivered / self.asked, 4) if self.asked else 0.0,
            "UserId": "",
        }


async def _rows(call: UCall, query: Query) -> dict[tuple[date, str], _Row]:
    zone = ZoneInfo(call.state.settings.timezone)
    found = await statistics.daily(
        call.state.platform,
        since=_midnight(query.start, zone),
        until=_midnight(query.end + timedelta(days=1), zone),
        account_id=call.key.account.id,
    )
    rows: dict[tuple[date, str], _Row] = {}
    for r in found:
        iso = r.iso_code
        if not iso or iso == UNKNOWN_ISO or (iso == "CN") != query.domestic:
            continue  # callback counters (no country), unplaced numbers, or the other side of Domestic
        if query.countries and iso not in query.countries:
            continue
        t, row = r.totals, rows.setdefault((r.day, iso), _Row())
        row.asked += t.requests
        row.accepted += t.accepted
        row.parts += t.fee_parts
        row.delivered += t.delivered
        row.failed += t.failed
    return rows


def _summary(items: list[dict[str, Any]]) -> dict[str, int]:
    def total(name: str) -> int:
        return sum(int(i[name]) for i in items)

    return {
        "SendCount": total("Count"),
        "SendCostCount": total("CostCount"),
        "SuccessCount": total("SuccessCount"),
        "SuccessCostCount": total("SuccessCostCount"),
        "FailCount": total("FailedCount"),
        "FailCostCount": total("FailedCostCount"),
        "SubmitFailCount": total("SubmitFailedCount"),
        "SubmitFailCostCount": 0,
        "UnknownCount": total("UnknownCount"),
        "UnknownCostCount": total("UnknownCostCount"),
    }


async def get_send_statistics(call: UCall) -> Result:
    query = read_query(call.params)
    if call.params.text("Purpose", required=False):
        # The rollups count per application and country, not per template purpose: refused, never ignored.
        raise UError(INVALID, "Filtering the statistics by Purpose is not offered by this platform")
    rows = await _rows(call, query)
    items = [row.item(day, iso) for (day, iso), row in rows.items()]
    first, second = ("BrevityCode", "SendDate") if query.by_country else ("SendDate", "BrevityCode")
    items.sort(key=lambda i: (i[first], i[second]), reverse=query.descending)
    page = items[query.page * query.per_page : (query.page + 1) * query.per_page]
    fields: dict[str, Any] = {"Total": len(items), "Data": page, "StatisticsData": _summary(items)}
    if any(r.parts != r.accepted for r in rows.values()):
        fields["Message"] = PARTS_NOTE
    return fields, {"code": 0, "rows": len(page)}


async def get_template_send_statistics(call: UCall) -> Result:
    read_query(call.params)  # a malformed request is told what is wrong with it first
    raise UError(
        INVALID,
        "Statistics per template are not offered by this platform: its counters are kept per application"
        " and country (see GetUSMSSendStatistics)",
    )


ACTIONS: dict[str, ActionHandler] = {
    "GetUSMSSendStatistics": get_send_statistics,
    "GetUSMSTemplateSendStatistics": get_template_send_statistics,
}
