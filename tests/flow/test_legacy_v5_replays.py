"""Issue 14, finding 1: a legacy v5 `sig` covers the AppKey, `random` and `time` (and the numbers of a send),
not the endpoint, and stays valid for ±10 minutes. Every endpoint refuses a (sdkappid, random, time) it has
seen before with 1001 (the bad-sig code, in the usual 200 answer), so a sig captured from a read cannot be
replayed on another endpoint, nor a send sent twice; a bad sig never uses up the pair it names."""

from __future__ import annotations

import asyncio
import time

import pytest
import qcloudsms_py.util
from qcloudsms_py import SmsSingleSender

from tests.flow.harness import SIGN, running_platform
from tests.flow.test_legacy_v5 import StdlibJsonClient, app_key, url
from tests.flow.test_legacy_v5_manage import spec_sig, v5_post


async def test_a_sig_captured_from_get_template_cannot_delete_the_template(
    database_url: str, redis_url: str
) -> None:
    async with running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant()
        key = await app_key(platform, tenant)
        at, random = int(time.time()), "735102"
        listed = await v5_post(
            platform, tenant, "get_template", {"tpl_id": [tenant.template_id]}, at=at, random=random
        )
        assert (listed["result"], listed["count"]) == (0, 1)

        # What was on the wire: the sig, `time` and `random`. Replayed against del_template ...
        captured = spec_sig(key, random, at)
        replayed = await v5_post(
            platform, tenant, "del_template", {"tpl_id": [tenant.template_id]}, at=at, random=random,
            sig=captured,
        )  # fmt: skip
        assert (replayed["result"], replayed["msg"]) == (1001, replayed["errmsg"])
        assert "used already" in replayed["errmsg"]
        # ... and against get_template again: every endpoint refuses it.
        again = await v5_post(
            platform, tenant, "get_template", {"tpl_id": [tenant.template_id]}, at=at, random=random
        )
        assert again["result"] == 1001

        # The template survives: the tenant still sees it (a new request, a new random).
        (survivor,) = (await v5_post(platform, tenant, "get_template", {"tpl_id": [tenant.template_id]}))[
            "data"
        ]
        assert survivor["id"] == tenant.template_id
        status = await platform.db.fetchval("SELECT status FROM templates WHERE id = $1", tenant.template_id)
        assert status == "approved"


async def test_the_same_random_and_time_twice_is_refused_even_for_other_numbers(
    database_url: str, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """qcloudsms_py, unmodified, with its clock and random draw fixed: the second send names the same
    (random, time) with a valid sig for another number, and is refused; one message is recorded."""
    now = int(time.time())
    monkeypatch.setattr(qcloudsms_py.util, "get_random", lambda: 424242)
    monkeypatch.setattr(qcloudsms_py.util, "get_current_time", lambda: now)
    async with running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant()
        key = await app_key(platform, tenant)
        single = SmsSingleSender(int(tenant.sdk_app_id), key, httpclient=StdlibJsonClient())

        def send(mobile: str) -> dict[str, object]:
            answer: dict[str, object] = single.send_with_param(
                86, mobile, tenant.template_id, ["1234", "5"], sign=SIGN, url=url(platform, "sendsms")
            )
            return answer

        first = await asyncio.to_thread(send, "13800138001")
        assert (first["result"], first["fee"]) == (0, 1)
        second = await asyncio.to_thread(send, "13800138002")
        assert second["result"] == 1001 and "sid" not in second
        third = await asyncio.to_thread(send, "13800138001")
        assert third["result"] == 1001
        assert set(await platform.statuses(tenant)) == {"+8613800138001"}


async def test_a_bad_sig_does_not_use_up_the_random_and_time_it_names(
    database_url: str, redis_url: str
) -> None:
    """The pair is remembered only once the sig verified: a stranger who guesses the next (random, time)
    cannot lock the honest request out by sending it first with a wrong sig."""
    async with running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant()
        at, random = int(time.time()), "918273"
        body = {"sign_id": [1]}
        forged = await v5_post(platform, tenant, "get_sign", body, at=at, random=random, sig="0" * 64)
        assert forged["result"] == 1001
        honest = await v5_post(platform, tenant, "get_sign", body, at=at, random=random)
        assert honest["result"] == 0
        # Another application may use the same pair: each remembers its own.
        other = await platform.add_tenant(name="Other")
        assert (await v5_post(platform, other, "get_sign", body, at=at, random=random))["result"] == 0
