"""The admin API's message records on the running platform (rule B4): /admin/v1/messages searches by account or
application, number and time, a page at a time; /admin/v1/messages/export.csv streams them all as CSV. Both
behind the admin token, both masked, bad input refused with the admin error shape before anything is sent."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from yarl import URL

from core.domain.records import CSV_HEADER
from core.store.intake import ensure_partitions
from tests.flow.harness import Platform, running_platform
from tests.records_seed import SeedTenant, insert_bulk, insert_message, seed_tenant

ADMIN_TOKEN = "test-admin-token"
AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
NOW = datetime.now(UTC).replace(microsecond=0)
ALICE, BOB = "+8613800138000", "+8613900139000"
SEARCH, EXPORT = "/admin/v1/messages", "/admin/v1/messages/export.csv"


@dataclass
class Reply:
    status: int
    content_type: str
    headers: dict[str, str]
    text: str

    def json(self) -> Any:
        return json.loads(self.text)


@dataclass
class Env:
    platform: Platform
    acme: SeedTenant
    other: SeedTenant

    async def get(self, path: str, params: dict[str, str] | None = None, *, headers: Any = AUTH) -> Reply:
        async with self.platform.http.get(
            self.platform.api_url + path, params=params, headers=headers
        ) as resp:
            text = await resp.text()
            return Reply(resp.status, resp.content_type, dict(resp.headers), text)


@pytest.fixture
async def env(database_url: str, redis_url: str) -> AsyncIterator[Env]:
    async with running_platform(database_url, redis_url, admin_token=ADMIN_TOKEN) as platform:
        await ensure_partitions(platform.db, NOW, days=1)
        acme = await seed_tenant(platform.db, "Acme")
        other = await seed_tenant(platform.db, "Other")
        for i in range(7):
            phone = ALICE if i % 2 else BOB
            await insert_message(
                platform.db, acme, phone=phone, amount=f"{1000 + i}", at=NOW - timedelta(hours=i)
            )
        await insert_message(platform.db, other, phone=ALICE, amount="9999", at=NOW - timedelta(minutes=5))
        yield Env(platform, acme, other)


def error(reply: Reply, status: int, code: str) -> None:
    assert reply.status == status, reply.text
    body = reply.json()
    assert set(body) == {"error"} and body["error"]["code"] == code, reply.text
    assert body["error"]["message"] and "Traceback" not in reply.text


async def test_both_routes_need_the_admin_token(env: Env) -> None:
    params = {"app": env.acme.apps[0]}
    for path in (SEARCH, EXPORT):
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": ADMIN_TOKEN}):
            reply = await env.get(path, params, headers=headers)
            error(reply, 401, "AuthFailure.InvalidAuthorization")
            assert "+86" not in reply.text


@pytest.mark.parametrize("path", [SEARCH, EXPORT])
@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({}, "MissingParameter"),
        ({"phone": ALICE}, "MissingParameter"),
        ({"account": "x"}, "InvalidParameterValue"),
        ({"account": "0"}, "InvalidParameterValue"),
        ({"app": "14'; DROP TABLE messages"}, "InvalidParameterValue"),
        ({"app": "APP", "phone": "12 34"}, "InvalidParameterValue.IncorrectPhoneNumber"),
        ({"app": "APP", "from": "yesterday"}, "InvalidParameterValue.BeginTimeVerifyFail"),
        ({"app": "APP", "to": "2024-13-45"}, "InvalidParameterValue.EndTimeVerifyFail"),
        ({"app": "APP", "from": "1714552215", "to": "1714552214"}, "InvalidParameterValue.EndTimeVerifyFail"),
    ],
)
async def test_bad_filters_are_refused(env: Env, path: str, params: dict[str, str], code: str) -> None:
    params = {k: env.acme.apps[0] if v == "APP" else v for k, v in params.items()}
    error(await env.get(path, params), 400, code)


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"limit": "0"}, "InvalidParameterValue.LimitVerifyFail"),
        ({"limit": "501"}, "InvalidParameterValue.LimitVerifyFail"),
        ({"limit": "ten"}, "InvalidParameterValue.LimitVerifyFail"),
        ({"cursor": "not-a-cursor"}, "InvalidParameterValue"),
        ({"cursor": "MTIzOmFiYw"}, "InvalidParameterValue"),  # base64 of "123:abc"
    ],
)
async def test_a_bad_limit_or_cursor_is_refused(env: Env, params: dict[str, str], code: str) -> None:
    error(await env.get(SEARCH, {"app": env.acme.apps[0], **params}), 400, code)


async def test_search_pages_through_masked_records_newest_first(env: Env) -> None:
    params = {"account": str(env.acme.account_id), "limit": "3"}
    pages, records = 0, []
    while True:
        reply = await env.get(SEARCH, params)
        assert reply.status == 200 and reply.content_type == "application/json", reply.text
        body = reply.json()
        assert set(body) == {"records", "next_cursor"}
        records.extend(body["records"])
        pages += 1
        if body["next_cursor"] is None:
            break
        params["cursor"] = body["next_cursor"]
    assert pages == 3 and len(records) == 7
    assert [r["accepted_at"] for r in records] == sorted((r["accepted_at"] for r in records), reverse=True)
    assert len({r["serial_no"] for r in records}) == 7
    assert {r["phone"] for r in records} == {"+86138****8000", "+86139****9000"}
    assert records[0]["content"] == "【Bank】Dear customer, your top-up payment of 1**0 USD has been credited"
    assert records[0]["accepted_at"] == NOW.isoformat()
    assert list(records[0]) == list(CSV_HEADER)
    for full in (ALICE, BOB, "13800138000", "1006"):
        assert full not in str(records)


async def test_search_by_number_and_time_window(env: Env) -> None:
    app = env.acme.apps[0]
    by_number = (await env.get(SEARCH, {"app": app, "phone": ALICE})).json()["records"]
    assert len(by_number) == 3 and {r["phone"] for r in by_number} == {"+86138****8000"}
    # An unencoded "+" arrives as a space; it still means the E.164 number.
    url = URL(f"{env.platform.api_url}{SEARCH}?app={app}&phone={ALICE}", encoded=True)
    async with env.platform.http.get(url, headers=AUTH) as resp:
        assert len((await resp.json())["records"]) == 3
    # A mainland mobile without its country code is normalized too (rule D1).
    assert len((await env.get(SEARCH, {"app": app, "phone": "13800138000"})).json()["records"]) == 3
    window = {"app": app, "from": str(int((NOW - timedelta(hours=2)).timestamp())), "to": NOW.isoformat()}
    assert len((await env.get(SEARCH, window)).json()["records"]) == 2  # [from, to): 2 h and 1 h ago
    # The other account's message to the same number is not in this account's records.
    only_acme = (await env.get(SEARCH, {"account": str(env.acme.account_id), "phone": ALICE})).json()
    assert all(r["sdk_app_id"] == app for r in only_acme["records"])
    other = (await env.get(SEARCH, {"account": str(env.other.account_id)})).json()["records"]
    assert [r["content"] for r in other] == [
        "【Bank】Dear customer, your top-up payment of 9**9 USD has been credited"
    ]


async def test_export_is_a_masked_csv_attachment_with_a_header_row(env: Env) -> None:
    reply = await env.get(
        EXPORT, {"account": str(env.acme.account_id), "from": (NOW - timedelta(days=1)).isoformat()}
    )
    assert reply.status == 200, reply.text
    assert reply.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert (
        reply.headers["Content-Disposition"]
        == f'attachment; filename="messages-account-{env.acme.account_id}.csv"'
    )
    rows = list(csv.reader(io.StringIO(reply.text)))
    assert rows[0] == list(CSV_HEADER)
    assert len(rows) == 1 + 7
    phones = {row[CSV_HEADER.index("phone")] for row in rows[1:]}
    assert phones == {"+86138****8000", "+86139****9000"}
    assert ALICE not in reply.text and BOB not in reply.text and "1006 USD" not in reply.text

    empty = await env.get(EXPORT, {"app": env.acme.apps[0], "to": (NOW - timedelta(days=3)).isoformat()})
    assert empty.status == 200 and empty.text == ",".join(CSV_HEADER) + "\r\n"


async def test_an_export_cut_off_mid_stream_never_ends_like_a_whole_file(env: Env) -> None:
    """The database connection dies after the first bytes went out: the client must see a broken transfer,
    not a clean end of a shorter file."""
    await insert_bulk(env.platform.db, env.acme, count=60_000, newest=NOW - timedelta(seconds=1))
    url = env.platform.api_url + EXPORT
    async with env.platform.http.get(url, params={"app": env.acme.apps[0]}, headers=AUTH) as resp:
        assert resp.status == 200
        first = await resp.content.readexactly(len(",".join(CSV_HEADER)) + 2)
        assert first.decode().startswith("serial_no,")
        # A first record too: the header goes out before the query starts, a record only once it runs.
        assert (await resp.content.readline())[:8].isdigit()  # a serial number: YYYYMMDD:id
        killed = await env.platform.db.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE query LIKE '%LEFT JOIN templates t%' AND pid <> pg_backend_pid()"
        )
        assert killed == 1
        with pytest.raises(aiohttp.ClientPayloadError):
            await resp.read()
