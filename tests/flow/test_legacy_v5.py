"""The legacy v5 dialect end to end, driven by the unmodified `qcloudsms_py` client: plain-text and template
sends, a multi-send with a blocked, an invalid and a duplicate number, reports and replies pulled through v5
and never again through API 3.0 (one shared pull queue), and bad input answered with its legacy code."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from qcloudsms_py import SmsMobileStatusPuller, SmsMultiSender, SmsSingleSender, SmsStatusPuller
from qcloudsms_py.httpclient import HTTPClientInterface, HTTPRequest, HTTPResponse, HTTPSimpleClient

from api.legacy_v5.auth import compute_sig
from tests.flow.harness import SIGN, Platform, Tenant, running_platform
from tests.flow.test_reports_out import call

BLOCKED = "13900139001"
TEXT = "Your code is 1234, valid for 5 minutes."


class _StdlibJson(HTTPResponse):  # type: ignore[misc]
    def json(self) -> Any:
        return json.loads(self.body)


class StdlibJsonClient(HTTPClientInterface):  # type: ignore[misc]
    """The package's own client, with a response whose .json() works on Python 3.9+ (spec A5)."""

    def fetch(self, req: HTTPRequest) -> HTTPResponse:
        res = HTTPSimpleClient().fetch(req)
        return _StdlibJson(res.request, res.code, res.body, res.headers, res.reason)


async def app_key(platform: Platform, tenant: Tenant) -> str:
    # The AppKey is sealed at rest: the tenant holds the one shown at creation, as a customer does.
    return tenant.app_key


def url(platform: Platform, endpoint: str) -> str:
    return f"{platform.api_url}/v5/tlssmssvr/{endpoint}"


async def test_qcloudsms_py_sends_pulls_and_shares_the_pull_queue_with_api_3(
    database_url: str, redis_url: str
) -> None:
    async with running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant()
        key = await app_key(platform, tenant)
        http = StdlibJsonClient()
        appid = int(tenant.sdk_app_id)
        await platform.db.execute(
            "INSERT INTO blocklist (account_id, phone, reason, source, created_by)"
            " VALUES ($1, $2, 'unsubscribed', 'operator', 'test')",
            tenant.account_id,
            "+86" + BLOCKED,
        )
        single = SmsSingleSender(appid, key, httpclient=http)
        multi = SmsMultiSender(appid, key, httpclient=http)

        # Plain text: the whole message, signature included, matches the approved template.
        text = await asyncio.to_thread(
            single.send, 0, 86, "13800138001", f"【{SIGN}】{TEXT}", ext="s1", url=url(platform, "sendsms")
        )
        assert (text["result"], text["errmsg"], text["ext"], text["fee"]) == (0, "OK", "s1", 1)
        # Template send with params.
        tpl = await asyncio.to_thread(
            single.send_with_param, 86, "13800138002", tenant.template_id, ["5678", "5"],
            sign=SIGN, ext="s2", url=url(platform, "sendsms"),
        )  # fmt: skip
        assert (tpl["result"], tpl["fee"], tpl["ext"]) == (0, 1, "s2")
        # Multi-send: nationcode as a number on the wire; a blocked, an invalid and a duplicate number.
        sent = await asyncio.to_thread(
            multi.send_with_param, 86, ["13800138003", BLOCKED, "12345", "13800138003"],
            tenant.template_id, ["42", "5"], sign=SIGN, ext="m", url=url(platform, "sendmultisms2"),
        )  # fmt: skip
        assert (sent["result"], sent["ext"]) == (0, "m")
        detail = {d["mobile"]: d for d in sent["detail"]}
        assert len(sent["detail"]) == 3
        assert (detail["13800138003"]["result"], detail["13800138003"]["fee"]) == (0, 1)
        assert detail["13800138003"]["nationcode"] == "86"
        assert detail[BLOCKED]["result"] == 1015 and "sid" not in detail[BLOCKED]
        assert detail["12345"]["result"] == 1016
        # Text that is no approved template: 1014; a plain-text multi-send that matches: accepted.
        refused = await asyncio.to_thread(
            single.send, 0, 86, "13800138004", f"【{SIGN}】hello there", url=url(platform, "sendsms")
        )
        assert refused["result"] == 1014 and refused["errmsg"]
        marketing = await asyncio.to_thread(
            single.send, 1, 86, "13800138004", f"【{SIGN}】{TEXT}", url=url(platform, "sendsms")
        )
        assert marketing["result"] == 1014  # type 1 only matches marketing templates

        serials = {text["sid"], tpl["sid"], detail["13800138003"]["sid"]}
        messages = await platform.statuses(tenant)
        assert {m["serial_no"] for m in messages.values()} == serials
        assert messages["+8613800138001"]["content"] == f"【{SIGN}】{TEXT}"
        assert messages["+8613800138001"]["session_context"] == "s1"

        await platform.run_worker()
        await platform.simulator("/flush", {})

        # Reports: two through v5, the third through API 3.0, then nothing left for either.
        puller = SmsStatusPuller(appid, key, httpclient=http)
        first = await asyncio.to_thread(puller.pull_callback, 2, url=url(platform, "pullstatus"))
        assert (first["result"], first["count"]) == (0, 2)
        for item in first["data"]:
            assert item["report_status"] == "SUCCESS" and item["errmsg"] == "DELIVRD"
            assert item["nationcode"] == "86" and item["mobile"].startswith("138")
            datetime.strptime(item["user_receive_time"], "%Y-%m-%d %H:%M:%S")
        v3 = (await call(platform, tenant, "PullSmsSendStatus", Limit=100)).PullSmsSendStatusSet
        assert len(v3) == 1
        assert {i["sid"] for i in first["data"]} | {v3[0].SerialNo} == serials
        again = await asyncio.to_thread(puller.pull_callback, 100, url=url(platform, "pullstatus"))
        assert (again["result"], again["count"], again["data"]) == (0, 0, [])

        # By number: still there after the queue handed it out.
        now = int(time.time())
        by_mobile = SmsMobileStatusPuller(appid, key, httpclient=http)
        found = await asyncio.to_thread(
            by_mobile.pull_callback, "86", "13800138001", now - 3600, now + 60, 10,
            url=url(platform, "pullstatus4mobile"),
        )  # fmt: skip
        assert found["result"] == 0 and [i["sid"] for i in found["data"]] == [text["sid"]]

        # Replies: pulled through v5, then gone for API 3.0 too.
        await platform.simulator("/replies", {"replies": [{"phone": "+8613800138001", "text": "thanks"}]})
        replies = await asyncio.to_thread(puller.pull_reply, 10, url=url(platform, "pullstatus"))
        assert replies["count"] == 1
        (reply,) = replies["data"]
        assert (reply["nationcode"], reply["mobile"], reply["text"]) == ("86", "13800138001", "thanks")
        assert reply["time"] > 0
        assert (await call(platform, tenant, "PullSmsReplyStatus", Limit=100)).PullSmsReplyStatusSet == []
        mine = await asyncio.to_thread(
            by_mobile.pull_reply, 86, "13800138001", now - 3600, now + 60, 10,
            url=url(platform, "pullstatus4mobile"),
        )  # fmt: skip
        assert [r["text"] for r in mine["data"]] == ["thanks"]

        # API 3.0's statistics count the v5 sends: 5 numbers asked for (the repeat once), 3 accepted.
        hour = datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y%m%d%H")
        span = {"BeginTime": hour, "EndTime": hour, "Limit": 0, "Offset": 0}
        stats = (await call(platform, tenant, "SendStatusStatistics", **span)).SendStatusStatistics
        assert (stats.RequestCount, stats.RequestSuccessCount, stats.FeeCount) == (5, 3, 3)


_randoms = itertools.count(123456)


def signed(key: str, body: dict[str, Any], mobiles: list[str], *, at: int | None = None) -> tuple[str, bytes]:
    """The query's `random` and the signed body: a `random` of its own per request, as the client draws one
    per call (a (random, time) pair seen before is refused as a replayed sig, issue 14)."""
    at = int(time.time()) if at is None else at
    random = str(next(_randoms))
    return f"random={random}", json.dumps(
        {**body, "time": at, "sig": compute_sig(key, random, at, mobiles)}
    ).encode()


async def test_bad_input_gets_its_legacy_code_in_a_200_answer(database_url: str, redis_url: str) -> None:
    async with running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant()
        key = await app_key(platform, tenant)
        query = f"?sdkappid={tenant.sdk_app_id}&random=123456"

        def case(body: dict[str, Any], mobiles: list[str], *, at: int | None = None) -> tuple[str, bytes]:
            random, data = signed(key, body, mobiles, at=at)
            return f"?sdkappid={tenant.sdk_app_id}&{random}", data

        one = {"tel": {"nationcode": "86", "mobile": "13800138001"}, "tpl_id": tenant.template_id,
               "params": ["1", "2"], "sign": SIGN}  # fmt: skip
        mixed = [{"nationcode": 86, "mobile": "13800138001"}, {"nationcode": 1, "mobile": "2025550123"}]
        many = [{"nationcode": 86, "mobile": f"138001{i:05d}"} for i in range(201)]
        cases: list[tuple[str, str, bytes, int]] = [
            ("sendsms", "?random=123456", signed(key, one, ["13800138001"])[1], 1019),
            ("sendsms", "?sdkappid=1400999999&random=1", signed(key, one, [])[1], 1019),
            ("sendsms", query, json.dumps({**one, "time": int(time.time()), "sig": "0" * 64}).encode(), 1001),
            ("sendsms", query, json.dumps({**one, "time": int(time.time())}).encode(), 1003),
            ("sendsms", query, b"{not json", 1004),
            ("sendsms", query, b"[1, 2]", 1004),
            ("sendsms", *case({**one, "tel": {"mobile": ["1"]}}, []), 1004),
            ("sendsms", *case({**one, "params": "1"}, ["13800138001"]), 1004),
            ("sendsms", *case(one, ["13800138001"], at=int(time.time()) - 700), 1021),
            ("sendsms", *case({**one, "tpl_id": 1}, ["13800138001"]), 1014),
            ("sendsms", *case({**one, "sign": "Nope"}, ["13800138001"]), 1012),
            ("sendsms", *case({**one, "params": ["1"]}, ["13800138001"]), 1014),
            ("sendsms", *case({**one, "tel": {"nationcode": "86", "mobile": "1"}}, ["1"]), 1016),
            ("sendmultisms2", *case({**one, "tel": mixed}, ["13800138001", "2025550123"]), 1034),
            ("sendmultisms2", *case({**one, "tel": many}, [t["mobile"] for t in many]), 1046),
            ("pullstatus", *case({"type": 3, "max": 1}, []), 1004),
            ("pullstatus", *case({"type": 0, "max": 1}, ["1"]), 1001),
            ("nosuchpath", query, b"{}", 1011),
        ]  # fmt: skip
        for endpoint, q, body, result in cases:
            async with platform.http.post(
                f"{platform.api_url}/v5/tlssmssvr/{endpoint}{q}", data=body
            ) as resp:
                assert resp.status == 200, (endpoint, body)
                answer = await resp.json(content_type=None)
            assert answer["result"] == result, (endpoint, body[:80], answer)
            assert answer["errmsg"]
        for method, path in [("GET", "/v5/tlssmssvr/sendsms"), ("POST", "/v5/other/x"), ("PUT", "/v5/")]:
            async with platform.http.request(method, platform.api_url + path + query) as resp:
                assert resp.status == 200
                assert (await resp.json(content_type=None))["result"] == 1011
        # Only invalid numbers, in a text send that matches no template: each number gets 1016 (the text is
        # never looked at without a number to send it to), through the shared send path.
        bad = [{"nationcode": "86", "mobile": "1"}, {"nationcode": "86", "mobile": "22"}]
        text = {"tel": bad, "type": 0, "msg": "【TestCorp】no such template"}
        q, data = case(text, ["1", "22"])
        async with platform.http.post(url(platform, "sendmultisms2") + q, data=data) as resp:
            answer = await resp.json(content_type=None)
        assert answer["result"] == 0 and [d["result"] for d in answer["detail"]] == [1016, 1016]
        # The v5 pull queue answers with a valid sig and nothing queued.
        q, data = case({"type": 0, "max": 10}, [])
        async with platform.http.post(url(platform, "pullstatus") + q, data=data) as resp:
            assert await resp.json() == {"result": 0, "errmsg": "ok", "count": 0, "data": []}
