"""SendMultiGlobalSms failing part-way (Postgres refusing one group's insert, made to by a trigger): the
groups recorded before it stand and are answered as sent, the failed group's numbers answer InternalError, so
a retry of those alone sends nothing twice; a failure before anything was recorded is the request's error."""

from __future__ import annotations

import pytest
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

from tests.flow.harness import running_platform
from tests.flow.test_send_multi_global_sms import GB, US, info, send_multi

FAIL_ON_BOOM = """
CREATE FUNCTION refuse_boom() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.session_context = 'boom' THEN
        RAISE EXCEPTION 'injected failure';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER refuse_boom BEFORE INSERT ON messages FOR EACH ROW EXECUTE FUNCTION refuse_boom();
"""


async def test_a_group_failing_after_another_was_recorded_fails_alone(
    database_url: str, redis_url: str
) -> None:
    async with running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant()
        await platform.db.execute(FAIL_ON_BOOM)
        tid = tenant.intl_template_id
        resp = await send_multi(
            platform,
            tenant,
            [
                info(US, tid, ["1", "2"], SessionContext="fine"),
                info(GB, tid, ["3", "4"], SessionContext="boom"),
            ],
        )
        assert [(s.PhoneNumber, s.Code) for s in resp.SendMultiStatusSet] == [
            (US, "Ok"),
            (GB, "InternalError"),
        ]
        assert resp.SendMultiStatusSet[1].SerialNo == ""
        assert set(await platform.statuses(tenant)) == {US}

        # Failing first, nothing recorded: the whole request is the error, and nothing is recorded after it.
        with pytest.raises(TencentCloudSDKException) as err:
            await send_multi(
                platform,
                tenant,
                [
                    info(GB, tid, ["5", "6"], SessionContext="boom"),
                    info(US, tid, ["7", "8"], SessionContext="x"),
                ],
            )
        assert err.value.code == "InternalError"
        assert set(await platform.statuses(tenant)) == {US}
        assert await platform.db.fetchval("SELECT count(*) FROM messages") == 1
