"""Issue 14, finding 8: what Postgres holds after real traffic. The unmodified SDK signs with the SecretKey the
operator was shown and sends to numbers it later looks up; the platform checks the key, sends, and finds the
number, yet no row holds the key, the AppKey, a number or a message text in plain."""

from __future__ import annotations

import time

from tests.flow.harness import running_platform
from tests.flow.test_reports_out import call
from tests.keyring import number_hash

PHONE = "+8613800138000"


async def test_keys_numbers_and_content_are_not_stored_in_plain_yet_the_apis_work(
    database_url: str, redis_url: str
) -> None:
    async with running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant()
        resp = await platform.send_sms(tenant, [PHONE], ["987654", "5"])
        assert [s.Code for s in resp.SendStatusSet] == ["Ok"]
        await platform.run_worker()
        await platform.simulator("/flush", {})

        keys = await platform.db.fetch(
            "SELECT k::text AS key_row, a::text AS app_row FROM api_keys k JOIN apps a USING (account_id)"
            " WHERE k.account_id = $1",
            tenant.account_id,
        )
        assert len(keys) == 1
        assert tenant.secret_key not in keys[0]["key_row"] and "v1:dev:" in keys[0]["key_row"]
        assert tenant.app_key not in keys[0]["app_row"] and "v1:dev:" in keys[0]["app_row"]

        [message] = await platform.db.fetch("SELECT m::text AS row, phone_hash, status FROM messages m")
        assert message["status"] == "delivered"  # the carrier got the opened number and text
        assert "13800138000" not in message["row"] and "987654" not in message["row"]
        assert message["phone_hash"] == number_hash(PHONE)
        queued = await platform.db.fetchval("SELECT string_agg(item::text, ' ') FROM callback_queue")
        assert queued is None or "13800138000" not in queued

        # Found by number through the keyed hash, answered with the number itself.
        by_number = await call(
            platform, tenant, "PullSmsSendStatusByPhoneNumber",
            BeginTime=int(time.time()) - 3600, Offset=0, Limit=10, PhoneNumber=PHONE,
        )  # fmt: skip
        (only,) = by_number.PullSmsSendStatusSet
        assert (only.PhoneNumber, only.ReportStatus) == (PHONE, "SUCCESS")
