"""DescribePhoneNumberInfo through the official SDK (spec 6.18): country code, subscriber number, ISO code and
name for each number; DEF and the input echoed for a number that does not parse."""

from __future__ import annotations

import asyncio

import pytest
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.sms.v20210111 import models

from tests.flow.harness import running_platform


async def test_numbers_are_described_without_sending(database_url: str, redis_url: str) -> None:
    async with running_platform(database_url, redis_url) as platform:
        tenant = await platform.add_tenant()
        req = models.DescribePhoneNumberInfoRequest()
        req.PhoneNumberSet = ["13800138000", "+85291234567", "+86 138", "+14155550123"]
        resp = await asyncio.to_thread(platform.sdk(tenant).DescribePhoneNumberInfo, req)
        got = [
            (i.Code, i.NationCode, i.SubscriberNumber, i.PhoneNumber, i.IsoCode, i.IsoName)
            for i in resp.PhoneNumberInfoSet
        ]
        assert got == [
            ("Ok", "86", "13800138000", "+8613800138000", "CN", "China"),
            ("Ok", "852", "91234567", "+85291234567", "HK", "Hong Kong"),
            ("InvalidParameterValue.IncorrectPhoneNumber", "", "", "+86 138", "DEF", ""),
            ("Ok", "1", "4155550123", "+14155550123", "US", "United States"),
        ]
        assert resp.PhoneNumberInfoSet[0].Message == "Describe success"
        assert await platform.db.fetchval("SELECT count(*) FROM messages") == 0

        req.PhoneNumberSet = [f"+86138001{i:05d}" for i in range(201)]
        with pytest.raises(TencentCloudSDKException) as err:
            await asyncio.to_thread(platform.sdk(tenant).DescribePhoneNumberInfo, req)
        assert err.value.code == "LimitExceeded.PhoneNumberCountLimit"
