"""UCloud USMS through the unmodified `ucloud-sdk-python3` client (issue 16, first part): SendUSMSMessage to
an unsubscribed, an invalid and a twice-given number on the platform's send path, delivered, read back with
GetUSMSSendReceipt (exact integer types); the form served at `/usms` and recognised on `/`; the gateway codes
(signature, key, project, actions); and the SDK's own retries never sending twice (spec C5)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from ucloud.client import Client
from ucloud.core.exc import RetCodeException

from core.domain.projects import project_id
from tests.flow.harness import SIGN, Platform, Tenant, running_platform

BLOCKED = "13900139001"
NUMBER = "13800138000"


def usms(platform: Platform, tenant: Tenant, *, path: str = "/usms", **config: Any) -> Any:
    settings = {
        "region": "cn-bj2",
        "project_id": project_id(tenant.account_id),
        "public_key": tenant.secret_id,
        "private_key": tenant.secret_key,
        "base_url": platform.api_url + path,
        **config,
    }
    return Client(settings).usms()


async def call(client: Any, method: str, request: dict[str, Any]) -> Any:
    return await asyncio.to_thread(getattr(client, method), request)


def send_request(tenant: Tenant, phones: list[str], code: str = "1234") -> dict[str, Any]:
    return {
        "PhoneNumbers": phones,
        "TemplateId": f"UTA{tenant.template_id}",
        "TemplateParams": [code, "5"],
        "SigContent": SIGN,
        "UserId": "biz-1",
    }


async def test_send_deliver_and_read_the_receipts(database_url: str, redis_url: str) -> None:
    async with running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant()
        await platform.db.execute(
            "INSERT INTO blocklist (account_id, phone, reason, source, created_by)"
            " VALUES ($1, $2, 'unsubscribed', 'operator', 'test')",
            tenant.account_id,
            "+86" + BLOCKED,
        )
        client = usms(platform, tenant)
        sent = await call(
            client, "send_usms_message", send_request(tenant, [BLOCKED, "12345", f"(86){NUMBER}", NUMBER])
        )
        session = sent["SessionNo"]
        assert sent["UserId"] == "biz-1"
        rows = await platform.statuses(tenant)
        assert list(rows) == ["+86" + NUMBER]
        assert rows["+86" + NUMBER]["content"] == f"【{SIGN}】Your code is 1234, valid for 5 minutes."
        assert rows["+86" + NUMBER]["session_context"] == "biz-1"

        # Nothing final yet: the session is known, its receipts empty.
        before = await call(client, "get_usms_send_receipt", {"SessionNoSet": [session]})
        assert before["Data"] == [{"SessionNo": session, "ReceiptSet": []}]
        await platform.run_worker()
        await platform.simulator("/flush", {})
        receipts = await call(client, "get_usms_send_receipt", {"SessionNoSet": [session, "not-a-session"]})
        (ours, unknown) = receipts["Data"]
        assert unknown == {"SessionNo": "not-a-session", "ReceiptSet": []}
        (receipt,) = ours["ReceiptSet"]
        assert (receipt["Phone"], receipt["ReceiptResult"], receipt["ReceiptCode"]) == (
            NUMBER,
            "发送成功",
            "DELIVRD",
        )
        assert receipt["CostCount"] == 1 and isinstance(receipt["CostCount"], int)
        assert isinstance(receipt["ReceiptTime"], int) and receipt["ReceiptTime"] > 0
        assert receipt["UserId"] == "biz-1"

        # Another tenant asking for the session sees nothing.
        other = await platform.add_tenant(name="Other")
        theirs = await call(usms(platform, other), "get_usms_send_receipt", {"SessionNoSet": [session]})
        assert theirs["Data"] == [{"SessionNo": session, "ReceiptSet": []}]


async def test_the_form_is_recognised_on_the_root_too(database_url: str, redis_url: str) -> None:
    async with running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant()
        sent = await call(
            usms(platform, tenant, path="/"), "send_usms_message", send_request(tenant, [NUMBER])
        )
        assert sent["SessionNo"]
        assert list(await platform.statuses(tenant)) == ["+86" + NUMBER]


async def test_a_thousand_numbers_in_batches_of_200_and_one_more_refused(
    database_url: str, redis_url: str
) -> None:
    async with running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant()
        client = usms(platform, tenant)
        phones = [f"138{i:08d}" for i in range(1000)]
        await call(client, "send_usms_message", send_request(tenant, phones))
        sizes = await platform.db.fetch("SELECT count(*) AS n FROM messages GROUP BY batch_id")
        assert sorted(r["n"] for r in sizes) == [200] * 5
        with pytest.raises(RetCodeException) as raised:
            await call(client, "send_usms_message", send_request(tenant, [*phones, "13900000000"], "9"))
        assert raised.value.code == 18019


async def test_gateway_codes(database_url: str, redis_url: str) -> None:
    async with running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant()
        other = await platform.add_tenant(name="Other")
        request = send_request(tenant, [NUMBER])
        cases = [
            (usms(platform, tenant, private_key="wrong"), 171),
            (usms(platform, tenant, public_key="nobody"), 172),
            (usms(platform, tenant, project_id=project_id(other.account_id)), 292),
            (usms(platform, tenant, project_id="org-nonexistent"), 292),
        ]
        for client, code in cases:
            with pytest.raises(RetCodeException) as raised:
                await call(client, "send_usms_message", request)
            assert raised.value.code == code
        assert await platform.statuses(tenant) == {}
        # A served action past the gateway: the template is nobody's (api/ucloud/templates.py).
        with pytest.raises(RetCodeException) as raised:
            await call(usms(platform, tenant), "query_usms_template", {"TemplateId": "UTA1"})
        assert raised.value.code == 18017
        async with platform.http.post(
            platform.api_url + "/usms", data={"PublicKey": "x", "Signature": "y"}
        ) as resp:
            assert (await resp.json())["RetCode"] == 160
        async with platform.http.post(
            platform.api_url + "/usms",
            data={"Action": "DescribeUHostInstance", "PublicKey": "x", "Signature": "y"},
        ) as resp:
            assert (await resp.json())["RetCode"] == 161
        async with platform.http.post(platform.api_url + "/usms", data={"Action": "SendUSMSMessage"}) as resp:
            assert (await resp.json())["RetCode"] == 170


async def test_the_sdks_retries_never_send_twice(database_url: str, redis_url: str) -> None:
    """Spec C5: with max_retries set, the SDK resends a whole call on a RetCode above 2000. An accepted send is
    answered RetCode 0 (never resent); the same signed request sent again gets the first answer and sends
    nothing; a refused one (nothing recorded) is refused again."""
    async with running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant()
        client = usms(platform, tenant, max_retries=2)
        request = send_request(tenant, [NUMBER])
        first = await call(client, "send_usms_message", request)
        again = await call(client, "send_usms_message", request)
        assert again["SessionNo"] == first["SessionNo"]
        assert await platform.db.fetchval("SELECT count(*) FROM messages") == 1
        with pytest.raises(RetCodeException) as raised:
            await call(client, "send_usms_message", send_request(tenant, ["12345"]))
        assert raised.value.code == 18014
        assert await platform.db.fetchval("SELECT count(*) FROM messages") == 1


async def test_a_backfill_is_the_messages_conversion(database_url: str, redis_url: str) -> None:
    """AddBackfill names a message by its send's SessionNo and its number, and is stored as a conversion
    (issue 16; the same store as Tencent's ReportConversion): once, not before the send, not another's."""
    async with running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant()
        client = usms(platform, tenant)
        sent = await call(client, "send_usms_message", send_request(tenant, [NUMBER]))
        accepted = await platform.db.fetchval("SELECT accepted_at FROM messages")
        at = int(accepted.timestamp()) + 5
        await call(
            client,
            "add_backfill",
            {"SendNo": sent["SessionNo"], "Target": f"(86){NUMBER}", "BackfillTime": at},
        )
        converted = await platform.db.fetchval("SELECT converted_at FROM conversions")
        assert int(converted.timestamp()) == at
        # The same report again is the same conversion; one for a number the send did not go to is refused.
        await call(
            client, "add_backfill", {"SendNo": sent["SessionNo"], "Target": NUMBER, "BackfillTime": at}
        )
        assert await platform.db.fetchval("SELECT count(*) FROM conversions") == 1
        for target, session, when in (
            ("13900139000", sent["SessionNo"], at),
            (NUMBER, "00000000-0000-0000-0000-000000000000", at),
            (NUMBER, sent["SessionNo"], int(accepted.timestamp()) - 1),  # before the message was accepted
        ):
            with pytest.raises(RetCodeException) as raised:
                await call(
                    client, "add_backfill", {"SendNo": session, "Target": target, "BackfillTime": when}
                )
            assert raised.value.code == 18003
        other = await platform.add_tenant(name="Other")
        with pytest.raises(RetCodeException):
            await call(usms(platform, other), "add_backfill", {"SendNo": sent["SessionNo"], "Target": NUMBER})
