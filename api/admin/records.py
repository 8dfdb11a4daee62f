"""The admin API's message records (rule B4): search by account or application, number and time range, a page
at a time, and a CSV export streamed as it is read. Numbers and the content's variable values are masked in
both. The routes live on the admin sub-application, so its bearer-token guard, error shape and request log
apply to them as to every other admin route."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import structlog
from aiohttp import web

from api.admin.common import (
    MAX_ID,
    AdminError,
    bounded_time,
    json_response,
    page_limit,
    phone_number,
    positive_id,
    state_of,
)
from core.domain.errors import Code
from core.domain.records import (
    DEFAULT_SPAN,
    RecordFilter,
    decode_cursor,
    encode_cursor,
    masked_row,
    parse_time,
)
from core.services import records

_APP_ID = re.compile(r"[0-9A-Za-z_-]{1,32}", re.ASCII)
log = structlog.get_logger("api.admin")


def _time(request: web.Request, name: str, code: Code) -> datetime | None:
    raw = request.query.get(name, "")
    if not raw:
        return None
    parsed = parse_time(raw)
    if parsed is None:
        raise AdminError(400, code.value, f"`{name}` must be ISO 8601 or Unix seconds.")
    return bounded_time(parsed, name, code)


def _filters(request: web.Request) -> RecordFilter:
    """The query's filters: `account` and/or `app` (one is required), `phone`, and [from, to), by default the
    24 hours before `to` (itself by default now)."""
    query = request.query
    account_id = positive_id(query["account"], "account") if query.get("account") else None
    sdk_app_id = query.get("app") or None
    if sdk_app_id is not None and not _APP_ID.fullmatch(sdk_app_id):
        raise AdminError(400, Code.INVALID_PARAMETER_VALUE.value, "`app` must be an SDK AppID.")
    if account_id is None and sdk_app_id is None:
        raise AdminError(400, Code.MISSING_PARAMETER.value, "Give an `account` or an `app` to search in.")
    raw_phone = query.get("phone", "")
    # An unencoded "+" in a query string arrives as a space.
    phone = (
        phone_number("+" + raw_phone[1:] if raw_phone.startswith(" ") else raw_phone) if raw_phone else None
    )
    until = _time(request, "to", Code.END_TIME_VERIFY_FAIL) or datetime.fromtimestamp(
        state_of(request).clock(), UTC
    )
    since = _time(request, "from", Code.BEGIN_TIME_VERIFY_FAIL) or until - DEFAULT_SPAN
    if since > until:
        raise AdminError(400, Code.END_TIME_VERIFY_FAIL.value, "`to` must not be before `from`.")
    return RecordFilter(account_id, sdk_app_id, phone, since, until)


async def records_search(request: web.Request) -> web.Response:
    """A page of masked records, newest first, and the cursor of the next page (null on the last)."""
    filters = _filters(request)
    limit = page_limit(request.query.get("limit", ""))
    raw_cursor = request.query.get("cursor", "")
    before = decode_cursor(raw_cursor) if raw_cursor else None
    # A forged cursor can name a message id past bigint.
    if raw_cursor and (before is None or before[1] > MAX_ID):
        raise AdminError(400, Code.INVALID_PARAMETER_VALUE.value, "`cursor` is not one this API returned.")
    # One more than asked: whether a next page exists is known without an empty last page.
    found = await records.search(state_of(request).platform, filters, limit=limit + 1, before=before)
    page = found[:limit]
    next_cursor = encode_cursor(page[-1].position) if len(found) > limit else None
    return json_response({"records": [masked_row(r) for r in page], "next_cursor": next_cursor})


async def records_export(request: web.Request) -> web.StreamResponse:
    """Every matching record as CSV, masked, streamed chunk by chunk. Bad input is refused before anything is
    sent; a failure once the stream has started cuts the connection, so a partial file never looks whole."""
    filters = _filters(request)
    scope = filters.sdk_app_id or f"account-{filters.account_id}"
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="messages-{scope}.csv"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        }
    )
    response.enable_chunked_encoding()

    async def write(text: str) -> None:
        if not response.prepared:
            await response.prepare(request)
        await response.write(text.encode())

    try:
        count = await records.export_csv(state_of(request).platform, filters, write)
    except Exception as exc:
        if not response.prepared:
            raise  # answered by the guard in the admin error shape
        if isinstance(exc, ConnectionError):
            log.info("records export abandoned by the client", path=request.path)
        else:
            log.exception("records export failed mid-stream", path=request.path)
        if request.transport is not None:
            request.transport.close()  # no final chunk: the client sees a truncated transfer
        return response
    await response.write_eof()
    log.info("records exported", rows=count, scope=scope)
    return response
