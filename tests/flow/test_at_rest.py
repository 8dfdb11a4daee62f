"""Issue 14, finding 8: what Postgres holds after real traffic. The unmodified SDK signs with the SecretKey the
operator was shown; the platform checks it, yet no table row holds that key (or the AppKey) in plain."""

from __future__ import annotations

from tests.flow.harness import running_platform


async def test_keys_are_not_stored_in_plain_yet_sdk_requests_verify(
    database_url: str, redis_url: str
) -> None:
    async with running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant()
        resp = await platform.send_sms(tenant, ["+8613800138000"], ["123456", "5"])
        assert [s.Code for s in resp.SendStatusSet] == ["Ok"]
        rows = await platform.db.fetch(
            "SELECT k::text AS key_row, a::text AS app_row FROM api_keys k JOIN apps a USING (account_id)"
            " WHERE k.account_id = $1",
            tenant.account_id,
        )
        assert len(rows) == 1
        assert tenant.secret_key not in rows[0]["key_row"] and "v1:dev:" in rows[0]["key_row"]
        assert tenant.app_key not in rows[0]["app_row"] and "v1:dev:" in rows[0]["app_row"]
