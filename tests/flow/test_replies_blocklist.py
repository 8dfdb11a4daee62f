"""Replies through the carrier (the simulator injects them, as a subscriber would send them): stored and
attributed to the latest message within 72 h (B2); the unsubscribe keywords block later sends from that account
until a requested lift is approved (B1); odd replies are stored, never lost."""

from __future__ import annotations

from typing import Any

import pytest

from tests.flow.harness import Platform, Tenant, running_platform

PHONE = "+8613800138000"
OTHER = "+8613900139000"
ADMIN = {"Authorization": "Bearer dev-admin-token"}


async def reply(platform: Platform, *replies: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = await platform.simulator("/replies", {"replies": list(replies)})
    return result


async def codes(platform: Platform, tenant: Tenant, phones: list[str], code: str) -> list[str]:
    resp = await platform.send_sms(tenant, phones, [code, "5"])
    return [s.Code for s in resp.SendStatusSet]


async def admin(platform: Platform, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
    url = platform.api_url + "/admin/v1" + path
    if body is None:
        async with platform.http.get(url, headers=ADMIN) as resp:
            return resp.status, await resp.json()
    async with platform.http.post(url, json=body, headers=ADMIN) as resp:
        return resp.status, await resp.json()


@pytest.mark.parametrize("text", ["TD", " td ", "T", "n", "Unsubscribe", "UNSUBSCRIBE", "QX", "0000", "T D"])
async def test_an_unsubscribe_reply_blocks_later_sends_until_a_lift_is_approved(
    database_url: str, redis_url: str, text: str
) -> None:
    async with running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant()
        assert await codes(platform, tenant, [PHONE], "1111") == ["Ok"]
        assert await reply(platform, {"phone": PHONE, "text": text, "sign": "TestCorp"}) == {"forwarded": 1}

        # B1: blocked per number; the other number of the same request still goes.
        assert await codes(platform, tenant, [PHONE, OTHER], "2222") == [
            "FailedOperation.PhoneNumberInBlacklist",
            "Ok",
        ]
        status, listed = await admin(platform, f"/accounts/{tenant.account_id}/blocklist")
        assert status == 200
        (entry,) = listed["entries"]
        assert (entry["phone"], entry["status"], entry["source"]) == (PHONE, "active", "reply")

        status, _ = await admin(platform, f"/accounts/{tenant.account_id}/blocklist/{PHONE}/lift", {})
        assert status == 409  # nothing to approve before the customer applies
        status, body = await admin(
            platform,
            f"/accounts/{tenant.account_id}/blocklist/{PHONE}/lift-request",
            {"reason": "opted in again"},
        )
        assert (status, body["status"]) == (200, "lift_requested")
        assert await codes(platform, tenant, [PHONE], "3333") == ["FailedOperation.PhoneNumberInBlacklist"]
        status, body = await admin(platform, f"/accounts/{tenant.account_id}/blocklist/{PHONE}/lift", {})
        assert (status, body["status"]) == (200, "lifted")
        assert await codes(platform, tenant, [PHONE], "4444") == ["Ok"]
        (entry,) = (await admin(platform, f"/accounts/{tenant.account_id}/blocklist"))[1]["entries"]
        assert entry["lift_reason"] == "opted in again" and entry["lifted_by"] == "operator:operator"


async def test_other_replies_are_stored_attributed_and_block_nothing(
    database_url: str, redis_url: str
) -> None:
    async with running_platform(database_url, redis_url) as platform:
        first = await platform.add_tenant(name="First")
        second = await platform.add_tenant(name="Second")
        await codes(platform, first, [PHONE], "1111")
        await codes(platform, second, [PHONE], "2222")  # the most recent message to PHONE is second's
        await reply(
            platform,
            {"phone": PHONE, "text": "Thanks!", "sign": "TestCorp", "extend": "12"},
            {"phone": "+8615800158000", "text": "who is this?"},  # never messaged: kept, unattributed
            {"phone": PHONE, "text": ""},
            {"phone": PHONE, "text": "x" * 1500},
        )
        rows = await platform.db.fetch("SELECT * FROM replies ORDER BY id")
        assert [(r["phone"], r["sdk_app_id"]) for r in rows] == [
            (PHONE, second.sdk_app_id),
            ("+8615800158000", None),
            (PHONE, second.sdk_app_id),
            (PHONE, second.sdk_app_id),
        ]
        assert (rows[0]["text"], rows[0]["sign"], rows[0]["extend_code"]) == ("Thanks!", "TestCorp", "12")
        assert rows[2]["text"] == "" and len(rows[3]["text"]) == 1000
        assert await platform.db.fetchval("SELECT count(*) FROM blocklist") == 0
        assert await codes(platform, first, [PHONE], "3333") == ["Ok"]


async def test_an_unsubscribe_blocks_only_the_account_it_answers(database_url: str, redis_url: str) -> None:
    async with running_platform(database_url, redis_url) as platform:
        first = await platform.add_tenant(name="First")
        second = await platform.add_tenant(name="Second")
        await codes(platform, first, [PHONE], "1111")
        await reply(platform, {"phone": PHONE, "text": "TD"})
        assert await codes(platform, first, [PHONE], "2222") == ["FailedOperation.PhoneNumberInBlacklist"]
        assert await codes(platform, second, [PHONE], "3333") == ["Ok"]


async def test_a_flood_of_replies_is_stored_whole(database_url: str, redis_url: str) -> None:
    async with running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant()
        await codes(platform, tenant, [PHONE], "1111")
        flood = [{"phone": PHONE, "text": f"reply {i}"} for i in range(1000)]
        assert await reply(platform, *flood) == {"forwarded": 1000}
        assert (
            await platform.db.fetchval(
                "SELECT count(*) FROM replies WHERE sdk_app_id = $1", tenant.sdk_app_id
            )
            == 1000
        )


async def test_smsctl_simulator_reply_delivers_a_reply(database_url: str, redis_url: str) -> None:
    import asyncio
    import sys

    from core.infra.settings import environment_with
    from tests.flow.harness import TOKEN

    async with running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant()
        await codes(platform, tenant, [PHONE], "1111")
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "cli", "simulator", "reply", "--phone", PHONE, "--text", "TD",
            "--simulator-url", platform.sim_url,
            env=environment_with(SMS_CARRIER_WEBHOOK_TOKEN=TOKEN, DATABASE_URL=database_url, NO_PROXY="127.0.0.1"),
            stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, _ = await proc.communicate()
        assert proc.returncode == 0 and b'"forwarded": 1' in out
        assert await codes(platform, tenant, [PHONE], "2222") == ["FailedOperation.PhoneNumberInBlacklist"]
