"""UCloud's SendBatchUSMSMessage through the unmodified `ucloud-sdk-python3` client (issue 16): two templates,
per-target parameters and UserIds, an invalid number and a group whose parameters do not fit its template; what
was accepted answered RetCode 0 with SuccessCount and the refused targets in FailContent, all under one
request number and one session whose SessionNo GetUSMSSendReceipt reads back after delivery; a batch whose
every target fails refused with nothing recorded (so the SDK's resend on a code above 2000 sends nothing);
malformed task content refused whole."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from ucloud.core.exc import RetCodeException

from core.domain.serial import session_of
from tests.flow.harness import SIGN, Platform, Tenant, running_platform
from tests.flow.test_ucloud_send import call, usms

A, B, C, D = "13800138000", "13800138001", "13800138002", "13800138003"


def task(items: list[dict[str, Any]]) -> dict[str, str]:
    return {"TaskContent": base64.b64encode(json.dumps(items).encode()).decode()}


async def greeting(platform: Platform, tenant: Tenant) -> int:
    return await platform.add_template(tenant.account_id, "Hello {1}, your parcel is here.")


async def test_a_batch_of_two_templates_with_refused_targets(database_url: str, redis_url: str) -> None:
    async with running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant()
        hello = await greeting(platform, tenant)
        code, note = f"UTA{tenant.template_id}", f"UTA{hello}"
        client = usms(platform, tenant, max_retries=2)  # a RetCode above 2000 would send it again
        sent = await call(client, "send_batch_usms_message", task([
            {"TemplateId": code, "SigContent": SIGN, "Target": [
                {"Phone": A, "TemplateParams": ["1111", "5"], "UserId": "u-a"},
                {"Phone": "12345", "TemplateParams": ["2222", "5"], "UserId": "u-bad"},
                {"Phone": f"(86){B}", "TemplateParams": ["2222", "5"]},
            ]},
            {"TemplateId": note, "SigContent": SIGN, "Target": [
                {"Phone": C, "TemplateParams": ["Ann"], "ExtendCode": "01"},
                {"Phone": D, "TemplateParams": [], "UserId": "u-d"},  # the template wants one parameter
            ]},
        ]))  # fmt: skip
        assert sent["SuccessCount"] == 3 and isinstance(sent["SuccessCount"], int)
        assert sent["ReqUuid"]
        (bad_number, bad_params) = sent["FailContent"]
        assert (bad_number["TemplateId"], bad_number["SigContent"], bad_number["FailureDetails"]) == (
            code,
            SIGN,
            "",
        )
        (target,) = bad_number["Target"]
        assert (target["Phone"], target["TemplateParams"], target["UserId"]) == (
            "12345",
            ["2222", "5"],
            "u-bad",
        )
        assert target["FailureDetails"].startswith("18014")
        assert (bad_params["TemplateId"], bad_params["SigContent"]) == (note, SIGN)
        assert bad_params["FailureDetails"].startswith("18018")
        (target,) = bad_params["Target"]
        assert (target["Phone"], target["UserId"], target["FailureDetails"]) == (
            D,
            "u-d",
            bad_params["FailureDetails"],
        )

        rows = await platform.statuses(tenant)
        assert sorted(rows) == sorted("+86" + p for p in (A, B, C))
        assert rows["+86" + A]["content"] == f"【{SIGN}】Your code is 1111, valid for 5 minutes."
        assert rows["+86" + B]["content"] == f"【{SIGN}】Your code is 2222, valid for 5 minutes."
        assert rows["+86" + C]["content"] == f"【{SIGN}】Hello Ann, your parcel is here."
        assert rows["+86" + A]["session_context"] == "u-a"
        # One request: one number, one session; each content its own batches within it.
        assert len({r["request_no"] for r in rows.values()}) == 1
        assert {str(session_of(r["batch_id"])) for r in rows.values()} == {sent["SessionNo"]}
        assert len({r["batch_id"] for r in rows.values()}) == 3

        await platform.run_worker()
        await platform.simulator("/flush", {})
        receipts = await call(client, "get_usms_send_receipt", {"SessionNoSet": [sent["SessionNo"]]})
        (session,) = receipts["Data"]
        assert session["SessionNo"] == sent["SessionNo"]
        got = {r["Phone"]: (r["ReceiptResult"], r["UserId"]) for r in session["ReceiptSet"]}
        assert got == {A: ("发送成功", "u-a"), B: ("发送成功", ""), C: ("发送成功", "")}


async def test_a_batch_whose_every_target_fails_records_nothing(database_url: str, redis_url: str) -> None:
    async with running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant()
        client = usms(platform, tenant, max_retries=2)
        code = f"UTA{tenant.template_id}"
        # Every target refused for the same reason: that reason's code.
        with pytest.raises(RetCodeException) as raised:
            await call(client, "send_batch_usms_message", task([
                {"TemplateId": code, "SigContent": SIGN, "Target": [
                    {"Phone": "12345", "TemplateParams": ["1", "5"]},
                    {"Phone": "999", "TemplateParams": ["2", "5"]},
                ]},
            ]))  # fmt: skip
        assert raised.value.code == 18014 and "12345" in raised.value.message
        # For different reasons: "batch failed, see the details" (18046), which the SDK resends harmlessly.
        with pytest.raises(RetCodeException) as raised:
            await call(client, "send_batch_usms_message", task([
                {"TemplateId": code, "SigContent": SIGN, "Target": [{"Phone": "12345", "TemplateParams": ["1", "5"]}]},
                {"TemplateId": "UTA999999", "SigContent": SIGN, "Target": [{"Phone": A, "TemplateParams": ["1"]}]},
            ]))  # fmt: skip
        assert raised.value.code == 18046
        assert await platform.db.fetchval("SELECT count(*) FROM messages") == 0


async def test_malformed_task_content_is_refused_whole(database_url: str, redis_url: str) -> None:
    async with running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant()
        client = usms(platform, tenant)
        code = f"UTA{tenant.template_id}"
        good = {"Phone": A, "TemplateParams": ["1", "5"]}

        def raw(text: str) -> dict[str, str]:
            return {"TaskContent": base64.b64encode(text.encode()).decode()}

        cases = [
            ({"TaskContent": "not base64!"}, 18002),
            (raw("[{"), 18000),
            (raw("{}"), 18002),
            (raw("[]"), 18002),
            (task([{"TemplateId": code, "SigContent": SIGN, "Target": []}]), 18002),
            (task([{"TemplateId": code, "SigContent": SIGN, "Target": [{"Phone": 13800138000}]}]), 18002),
            (task([{"SigContent": SIGN, "Target": [good]}]), 18002),
            (
                task(
                    [{"TemplateId": code, "SigContent": SIGN, "Target": [good | {"TemplateParams": [1, 5]}]}]
                ),
                18002,
            ),
            (
                task([{"TemplateId": code, "SigContent": SIGN, "Target": [good | {"ExtendCode": "x1"}]}]),
                18003,
            ),
            (
                task([{"TemplateId": code, "SigContent": SIGN, "Target": [good | {"UserId": "u" * 33}]}]),
                18003,
            ),
            (raw(json.dumps([{"TemplateId": code, "SigContent": "\u0000", "Target": [good]}])), 18002),
        ]
        for request, expected in cases:
            with pytest.raises(RetCodeException) as raised:
                await call(client, "send_batch_usms_message", request)
            assert raised.value.code == expected, request
        # 1,000 targets at most, over all items.
        many = [{"Phone": f"138{i:08d}", "TemplateParams": ["1", "5"]} for i in range(1001)]
        with pytest.raises(RetCodeException) as raised:
            await call(client, "send_batch_usms_message", task([
                {"TemplateId": code, "SigContent": SIGN, "Target": many[:500]},
                {"TemplateId": code, "SigContent": SIGN, "Target": many[500:]},
            ]))  # fmt: skip
        assert raised.value.code == 18019
        assert await platform.db.fetchval("SELECT count(*) FROM messages") == 0
        sent = await call(client, "send_batch_usms_message", task([
            {"TemplateId": code, "SigContent": SIGN, "Target": many[:500]},
            {"TemplateId": code, "SigContent": SIGN, "Target": many[500:1000]},
        ]))  # fmt: skip
        assert (sent["SuccessCount"], sent.get("FailContent", [])) == (1000, [])
        sizes = await platform.db.fetch("SELECT count(*) AS n FROM messages GROUP BY batch_id")
        assert sorted(r["n"] for r in sizes) == [200] * 5


async def test_a_session_finds_all_of_a_batchs_contents(database_url: str, redis_url: str) -> None:
    """Each content takes the session's next batch id: seven contents are seven batches, all read back."""
    async with running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant()
        client = usms(platform, tenant)
        phones = [f"1380013{i:04d}" for i in range(7)]
        targets = [{"Phone": p, "TemplateParams": [f"{i}{i}{i}{i}", "5"]} for i, p in enumerate(phones)]
        item = {"TemplateId": f"UTA{tenant.template_id}", "SigContent": SIGN, "Target": targets}
        sent = await call(client, "send_batch_usms_message", task([item]))
        assert sent["SuccessCount"] == 7
        batches = await platform.db.fetch("SELECT DISTINCT batch_id FROM messages")
        assert sorted(r["batch_id"].int & 0xFF for r in batches) == list(range(7))
        await platform.run_worker()
        await platform.simulator("/flush", {})
        receipts = await call(client, "get_usms_send_receipt", {"SessionNoSet": [sent["SessionNo"]]})
        assert sorted(r["Phone"] for r in receipts["Data"][0]["ReceiptSet"]) == phones


async def test_a_session_holds_at_most_256_batches(database_url: str, redis_url: str) -> None:
    """Each different message takes at least one of the session's 256 batch ids: 256 are sent, 257 refused
    before anything is recorded."""
    async with running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant()
        client = usms(platform, tenant)
        targets = [{"Phone": f"1390000{i:04d}", "TemplateParams": [f"{i:04d}", "5"]} for i in range(257)]
        item = {"TemplateId": f"UTA{tenant.template_id}", "SigContent": SIGN}
        with pytest.raises(RetCodeException) as raised:
            await call(client, "send_batch_usms_message", task([item | {"Target": targets}]))
        assert raised.value.code == 18003
        assert await platform.db.fetchval("SELECT count(*) FROM messages") == 0
        sent = await call(client, "send_batch_usms_message", task([item | {"Target": targets[:256]}]))
        assert sent["SuccessCount"] == 256
        assert await platform.db.fetchval("SELECT count(DISTINCT batch_id) FROM messages") == 256
