"""The legacy v5 management and statistics endpoints end to end. `qcloudsms_py` has no classes for them (spec
A3), so the requests are signed here with an independent implementation of the spec's A2 algorithm: templates
and signatures added through v5 wait in API 3.0's lists and the other way round, follow the same review, the
same modify/delete rules and pre-checks; pullsendstatus/pullcallbackstatus count what v5 sent; a source IP
over its budget gets 1013; every answer is HTTP 200 with its legacy code."""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import time
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from qcloudsms_py import SmsMultiSender, SmsSingleSender

from core.domain.review import Action, Kind
from tests.flow.harness import SIGN, Platform, Tenant, running_platform
from tests.flow.images import png_b64
from tests.flow.test_legacy_v5 import StdlibJsonClient, app_key, url
from tests.flow.test_sign_template_lifecycle import call, decide

# Each request a `random` of its own, as the client draws one per call: a (random, time) pair seen before is
# refused as a replayed sig (issue 14).
_randoms = itertools.count(482913)


def fresh_random() -> str:
    return str(next(_randoms))


def spec_sig(app_key: str, random: str, at: int) -> str:
    """Spec A2 for the management and statistics endpoints: no `&mobile=`."""
    return hashlib.sha256(f"appkey={app_key}&random={random}&time={at}".encode()).hexdigest()


async def v5_post(
    platform: Platform, tenant: Tenant, endpoint: str, body: dict[str, Any], *, key: str | None = None,
    raw: bytes | None = None, at: int | None = None, random: str | None = None, sig: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    at = int(time.time()) if at is None else at
    random = fresh_random() if random is None else random
    if key is None:
        key = await app_key(platform, tenant)
    signed = {"sig": spec_sig(key, random, at) if sig is None else sig, "time": at, **body}
    data = raw if raw is not None else json.dumps(signed).encode()
    async with platform.http.post(
        f"{url(platform, endpoint)}?sdkappid={tenant.sdk_app_id}&random={random}", data=data
    ) as resp:
        assert resp.status == 200, (endpoint, body)
        answer: dict[str, Any] = await resp.json(content_type=None)
    assert answer["errmsg"], answer
    return answer


async def test_templates_and_signatures_through_v5_share_the_catalog_and_review_with_api_3(
    database_url: str, redis_url: str
) -> None:
    async with running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant()
        other = await platform.add_tenant(name="Other")

        # add_template through v5: waiting for review, and so in API 3.0's list.
        text = "Welcome {1}, your order {2} has shipped."
        added = await v5_post(
            platform, tenant, "add_template", {"title": "Shipped", "remark": "r", "text": text, "type": 0}
        )
        assert (added["result"], added["msg"]) == (0, added["errmsg"])
        tpl_id = added["data"]["id"]
        assert added["data"] == {"id": tpl_id, "text": text, "status": 1, "type": 0, "international": 0}
        (listed,) = (
            await call(platform, tenant, "DescribeSmsTemplateList", TemplateIdSet=[tpl_id], International=0)
        ).DescribeTemplateStatusSet
        assert (listed.TemplateName, listed.TemplateContent, listed.StatusCode) == ("Shipped", text, 1)

        # ... and the other way round: an API 3.0 template shows in get_template.
        v3 = await call(platform, tenant, "AddSmsTemplate", TemplateName="Intl", International=1, SmsType=0,
                        TemplateContent="Hello {1}", Remark="r")  # fmt: skip
        v3_id = int(v3.AddTemplateStatus.TemplateId)
        got = await v5_post(platform, tenant, "get_template", {"tpl_id": [tpl_id, v3_id]})
        assert (got["result"], got["count"], got["total"]) == (0, 2, 2)
        by_id = {d["id"]: d for d in got["data"]}
        assert (by_id[v3_id]["international"], by_id[v3_id]["status"], by_id[v3_id]["title"]) == (
            1,
            1,
            "Intl",
        )
        datetime.strptime(by_id[tpl_id]["apply_time"], "%Y-%m-%d %H:%M:%S")
        page = await v5_post(platform, tenant, "get_template", {"tpl_page": {"max": 2, "offset": 0}})
        assert (page["result"], page["count"], page["total"]) == (0, 2, 4)  # the tenant's 2 seeded + 2 new
        # Another account's ids are simply not found.
        assert (await v5_post(platform, other, "get_template", {"tpl_id": [tpl_id]}))["count"] == 0

        # add_sign through v5: a pending mainland signature, in API 3.0's list.
        sign = await v5_post(
            platform, tenant, "add_sign", {"text": "AcmeShop", "pic": png_b64(), "remark": "x"}
        )
        assert sign["result"] == 0, sign
        sign_id = sign["data"]["id"]
        assert sign["data"] == {"id": sign_id, "international": 0, "status": 1, "text": "AcmeShop"}
        (s,) = (
            await call(platform, tenant, "DescribeSmsSignList", SignIdSet=[sign_id], International=0)
        ).DescribeSignListStatusSet
        assert (s.SignName, s.StatusCode) == ("AcmeShop", 1)
        # The same name again while it waits: the catalog's duplicate rule (1007, no legacy code for it).
        again = await v5_post(platform, tenant, "add_sign", {"text": "AcmeShop", "pic": png_b64()})
        assert again["result"] == 1007

        # Approval by the operator; get_template / get_sign show it (status 0).
        await decide(platform, Kind.TEMPLATE, tpl_id, Action.APPROVE)
        await decide(platform, Kind.SIGNATURE, sign_id, Action.APPROVE)
        (t,) = (await v5_post(platform, tenant, "get_template", {"tpl_id": [tpl_id]}))["data"]
        assert t["status"] == 0
        signs = await v5_post(platform, tenant, "get_sign", {"sign_id": [sign_id]})
        assert (signs["result"], signs["count"], signs["msg"]) == (0, 1, signs["errmsg"])
        assert signs["data"][0] == {"id": sign_id, "international": 0, "reply": "", "status": 0,
                                    "text": "AcmeShop"}  # fmt: skip

        # Approved items cannot be modified (S3/T5): 1007.
        mod = {"tpl_id": tpl_id, "title": "Shipped", "text": "Changed {1}", "type": 0}
        assert (await v5_post(platform, tenant, "mod_template", mod))["result"] == 1007
        mod_s = {"sign_id": sign_id, "text": "AcmeShop2", "pic": png_b64()}
        assert (await v5_post(platform, tenant, "mod_sign", mod_s))["result"] == 1007

        # A rejected template is modified and waits again; the reason was visible as `reply`.
        await decide(platform, Kind.TEMPLATE, v3_id, Action.REJECT, "Too vague.")
        (t,) = (await v5_post(platform, tenant, "get_template", {"tpl_id": [v3_id]}))["data"]
        assert (t["status"], t["reply"]) == (2, "Too vague.")
        fixed = {
            "tpl_id": v3_id,
            "title": "Intl",
            "text": "Hello {1}, welcome",
            "type": 0,
            "international": 1,
        }
        modified = await v5_post(platform, tenant, "mod_template", fixed)
        assert (modified["result"], modified["data"]["status"]) == (0, 1), modified
        (listed,) = (
            await call(platform, tenant, "DescribeSmsTemplateList", TemplateIdSet=[v3_id], International=1)
        ).DescribeTemplateStatusSet
        assert (listed.TemplateContent, listed.StatusCode) == ("Hello {1}, welcome", 1)
        # International must stay as created.
        assert (await v5_post(platform, tenant, "mod_template", {**fixed, "international": 0}))[
            "result"
        ] == 1004

        # Delete: always allowed; then gone, and deleting or modifying again is refused as unknown.
        deleted = await v5_post(platform, tenant, "del_template", {"tpl_id": [tpl_id, v3_id]})
        assert (deleted["result"], deleted["msg"]) == (0, deleted["errmsg"])
        assert (await v5_post(platform, tenant, "get_template", {"tpl_id": [tpl_id, v3_id]}))["count"] == 0
        assert (await v5_post(platform, tenant, "del_template", {"tpl_id": [tpl_id]}))["result"] == 1014
        assert (await v5_post(platform, tenant, "mod_template", {**mod, "tpl_id": 999999}))["result"] == 1014
        assert (await v5_post(platform, tenant, "del_sign", {"sign_id": [sign_id]}))["result"] == 0
        assert (await v5_post(platform, tenant, "get_sign", {"sign_id": [sign_id]}))["count"] == 0
        assert (await v5_post(platform, tenant, "del_sign", {"sign_id": [sign_id]}))["result"] == 1012


async def test_bad_management_input_gets_its_legacy_code_in_a_200_answer(
    database_url: str, redis_url: str
) -> None:
    async with running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant()
        key = await app_key(platform, tenant)
        tpl = {"title": "T", "text": "Code {1}", "type": 0}
        cases: list[tuple[str, dict[str, Any], dict[str, Any], int]] = [
            ("add_template", tpl, {"key": "0" * 32}, 1001),
            ("get_sign", {"sign_id": [1]}, {"at": int(time.time()) - 700}, 1021),
            ("add_template", {"title": "T", "type": 0}, {}, 1004),
            ("add_template", {**tpl, "type": "x"}, {}, 1004),
            ("add_template", {**tpl, "text": 5}, {}, 1004),
            ("add_template", {**tpl, "type": 7}, {}, 1004),
            ("add_template", {**tpl, "type": 1, "text": "Sale {1}"}, {}, 1004),  # no unsubscribe wording
            ("mod_template", tpl, {}, 1004),  # no tpl_id
            ("del_template", {"tpl_id": "abc"}, {}, 1004),
            ("del_template", {"tpl_id": []}, {}, 1004),
            ("get_template", {"tpl_page": {"max": 0}}, {}, 1004),
            ("get_template", {"tpl_page": "1"}, {}, 1004),
            ("add_sign", {"text": "Acme"}, {}, 1004),  # no pic
            ("add_sign", {"text": "Acme", "pic": "not base64!"}, {}, 1004),
            ("add_sign", {"text": "Acme Shop!", "pic": png_b64()}, {}, 1012),
            ("add_sign", {"text": "A" * 30, "pic": png_b64()}, {}, 1012),
            ("get_sign", {}, {}, 1004),
            ("mod_sign", {"sign_id": 999999, "text": "Acme", "pic": png_b64()}, {}, 1012),
            ("pullsendstatus", {"begin_date": "x", "end_date": 2024010100}, {}, 1004),
            ("pullsendstatus", {"begin_date": 2999010100, "end_date": 2999010100}, {}, 1004),
            ("pullcallbackstatus", {"begin_date": 2024010105, "end_date": 2024010100}, {}, 1004),
        ]
        for endpoint, body, options, result in cases:
            answer = await v5_post(platform, tenant, endpoint, body, key=options.get("key", key),
                                   at=options.get("at"))  # fmt: skip
            assert answer["result"] == result, (endpoint, body, answer)
        no_sig = await v5_post(platform, tenant, "get_sign", {}, raw=b'{"time": 1, "sign_id": [1]}')
        assert (no_sig["result"], no_sig["msg"]) == (1003, no_sig["errmsg"])
        assert (await v5_post(platform, tenant, "add_sign", {}, raw=b"{nope"))["result"] == 1004


async def test_pullsendstatus_and_pullcallbackstatus_count_what_v5_sent(
    database_url: str, redis_url: str
) -> None:
    async with running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant()
        key = await app_key(platform, tenant)
        http = StdlibJsonClient()
        appid = int(tenant.sdk_app_id)
        single = SmsSingleSender(appid, key, httpclient=http)
        multi = SmsMultiSender(appid, key, httpclient=http)
        one = await asyncio.to_thread(
            single.send_with_param, 86, "13800138001", tenant.template_id, ["1", "5"], sign=SIGN,
            url=url(platform, "sendsms"),
        )  # fmt: skip
        assert one["result"] == 0
        many = await asyncio.to_thread(
            multi.send_with_param, 86, ["13800138002", "13800138003", "12345"], tenant.template_id,
            ["2", "5"], sign=SIGN, url=url(platform, "sendmultisms2"),
        )  # fmt: skip
        assert [d["result"] for d in many["detail"]] == [0, 0, 1016]
        await platform.run_worker()
        await platform.simulator("/flush", {})

        hour = int(datetime.now(ZoneInfo(platform.settings.timezone)).strftime("%Y%m%d%H"))
        span = {"begin_date": hour, "end_date": hour}
        sent = await v5_post(platform, tenant, "pullsendstatus", span)
        assert sent == {"result": 0, "errmsg": "OK", "data": {"request": 4, "success": 3, "bill_number": 3}}
        for _ in range(50):  # reports arrive through the carrier webhook
            callbacks = await v5_post(platform, tenant, "pullcallbackstatus", span)
            if callbacks["data"]["status"] == 3:
                break
            await asyncio.sleep(0.1)
        assert callbacks["result"] == 0
        assert callbacks["data"] == {
            "success": 3, "status": 3, "status_success": 3, "status_fail": 0, "status_fail_0": 0,
            "status_fail_1": 0, "status_fail_2": 0, "status_fail_3": 0, "status_fail_4": 0,
        }  # fmt: skip
        # The same rollups as API 3.0's statistics.
        v3 = {
            "BeginTime": str(hour),
            "EndTime": str(hour),
            "Limit": 0,
            "Offset": 0,
            "SmsSdkAppId": tenant.sdk_app_id,
        }
        stats = (await call(platform, tenant, "SendStatusStatistics", **v3)).SendStatusStatistics
        assert (stats.RequestCount, stats.RequestSuccessCount, stats.FeeCount) == (4, 3, 3)
        # A window before anything was sent counts nothing.
        empty = await v5_post(
            platform, tenant, "pullsendstatus", {"begin_date": 2024010100, "end_date": 2024010100}
        )
        assert empty["data"] == {"request": 0, "success": 0, "bill_number": 0}


async def test_a_source_ip_over_its_budget_gets_1013(database_url: str, redis_url: str) -> None:
    now = int(time.time())
    async with running_platform(
        database_url, redis_url, ip_requests_per_second=2, clock=lambda: float(now)
    ) as platform:
        tenant = await platform.add_tenant()
        key = await app_key(platform, tenant)
        results = [
            (await v5_post(platform, tenant, "get_sign", {"sign_id": [1]}, key=key, at=now))["result"]
            for _ in range(3)
        ]
        assert results == [0, 0, 1013]
