"""Issue 14, finding 6: seeded mutated requests to every action of Tencent Cloud SMS API 3.0, in both served
versions, signed with TC3 (tests/flow/tc3_client.py) so they reach the handlers. Whatever the body, the answer
is HTTP 200, Content-Type application/json, the {"Response": {..., "RequestId"}} envelope (an Error holding a
Code and a Message), and never InternalError."""

from __future__ import annotations

import random
from collections import Counter
from typing import Any
from urllib.parse import urlencode

import pytest
from yarl import URL

from tests.flow.harness import SIGN, Platform, Tenant, running_platform
from tests.flow.images import png_b64
from tests.flow.tc3_client import Reply, Tc3Client
from tests.fuzz.mutations import SEED, Mutant, mutants, time_sweep

NOW = 1_780_000_000
PER_ACTION = 20  # x 36 actions in the two versions: about 720 requests a run
HOUR = "2026052800"  # an hour shortly before NOW, as yyyymmddhh
TIME_FIELDS = frozenset(
    {"BeginTime", "EndTime", "SendDateTime", "EndDateTime", "StartDateTime", "EndDataTime", "ConversionTime"}
)


def actions_2021(t: Tenant, serial_no: str) -> dict[str, dict[str, Any]]:
    """Valid requests to every action; `serial_no` is a message of the tenant's, sent at NOW."""
    app = {"SmsSdkAppId": t.sdk_app_id}
    by_number = {
        **app,
        "PhoneNumber": "+8613800138000",
        "BeginTime": NOW - 3600,
        "EndTime": NOW,
        "Limit": 10,
        "Offset": 0,
    }
    hours = {**app, "BeginTime": HOUR, "EndTime": HOUR, "Limit": 0, "Offset": 0}
    sign = {
        "SignName": "Fuzz",
        "SignType": 0,
        "DocumentType": 0,
        "SignPurpose": 0,
        "International": 0,
        "ProofImage": png_b64(),
        "Remark": "r",
    }
    template = {
        "TemplateName": "n",
        "TemplateContent": "Code {1}",
        "SmsType": 0,
        "International": 0,
        "Remark": "r",
    }
    return {
        "SendSms": {
            **app,
            "PhoneNumberSet": ["+8613800138000"],
            "TemplateId": str(t.template_id),
            "SignName": SIGN,
            "TemplateParamSet": ["1234", "5"],
            "SessionContext": "c",
        },
        "DescribePhoneNumberInfo": {"PhoneNumberSet": ["+8613800138000", "+14155550100"]},
        "AddSmsSign": sign,
        "ModifySmsSign": {"SignId": 1, **sign},
        "DeleteSmsSign": {"SignId": 1},
        "DescribeSmsSignList": {"SignIdSet": [1, 2], "International": 0, "Limit": 10, "Offset": 0},
        "AddSmsTemplate": template,
        "ModifySmsTemplate": {"TemplateId": t.template_id, **template},
        "DeleteSmsTemplate": {"TemplateId": t.template_id},
        "DescribeSmsTemplateList": {
            "TemplateIdSet": [t.template_id],
            "International": 0,
            "Limit": 10,
            "Offset": 0,
        },
        "PullSmsSendStatus": {**app, "Limit": 10},
        "PullSmsReplyStatus": {**app, "Limit": 10},
        "PullSmsSendStatusByPhoneNumber": by_number,
        "PullSmsReplyStatusByPhoneNumber": by_number,
        "DescribeSendRecordList": by_number,
        "SendStatusStatistics": hours,
        "CallbackStatusStatistics": hours,
        "SmsPackagesStatistics": {**hours, "Limit": 10},
        "ReportConversion": {**app, "SerialNo": serial_no, "ConversionTime": NOW},
        "SendMultiGlobalSms": {
            **app,
            "MultiSmsInfoSet": [
                {
                    "PhoneNumber": "+14155550100",
                    "TemplateId": str(t.intl_template_id),
                    "TemplateParamSet": ["1234", "5"],
                    "SenderId": "",
                    "SessionContext": "c",
                },
                {"PhoneNumber": "+447400123456", "TemplateId": str(t.template_id), "TemplateParamSet": ["1"]},
            ],
        },
    }


def actions_2019(t: Tenant) -> dict[str, dict[str, Any]]:
    """The same requests in version 2019-07-11's field names (written out, not derived from the server's
    translation table)."""
    app = {"SmsSdkAppid": t.sdk_app_id}
    by_number = {
        **app,
        "PhoneNumber": "+8613800138000",
        "SendDateTime": NOW - 3600,
        "EndDateTime": NOW,
        "Limit": 10,
        "Offset": 0,
    }
    hours = {**app, "StartDateTime": int(HOUR), "EndDataTime": int(HOUR), "Limit": 0, "Offset": 0}
    sign = {
        "SignName": "Fuzz",
        "SignType": 0,
        "DocumentType": 0,
        "UsedMethod": 1,
        "International": 0,
        "ProofImage": png_b64(),
        "Remark": "r",
    }
    template = {
        "TemplateName": "n",
        "TemplateContent": "Code {1}",
        "SmsType": 0,
        "International": 0,
        "Remark": "r",
    }
    return {
        "SendSms": {
            **app,
            "PhoneNumberSet": ["+8613800138000"],
            "TemplateID": str(t.template_id),
            "Sign": SIGN,
            "TemplateParamSet": ["1234", "5"],
        },
        "AddSmsSign": sign,
        "ModifySmsSign": {"SignId": 1, **sign},
        "DeleteSmsSign": {"SignId": 1},
        "DescribeSmsSignList": {"SignIdSet": [1], "International": 0},
        "AddSmsTemplate": template,
        "ModifySmsTemplate": {"TemplateId": t.template_id, **template},
        "DeleteSmsTemplate": {"TemplateId": t.template_id},
        "DescribeSmsTemplateList": {"TemplateIdSet": [t.template_id], "International": 0},
        "PullSmsSendStatus": {**app, "Limit": 10},
        "PullSmsReplyStatus": {**app, "Limit": 10},
        "PullSmsSendStatusByPhoneNumber": by_number,
        "PullSmsReplyStatusByPhoneNumber": by_number,
        "SendStatusStatistics": hours,
        "CallbackStatusStatistics": hours,
        "SmsPackagesStatistics": {**app, "Limit": 10, "Offset": 0},
    }


def envelope_fault(reply: Reply) -> str | None:
    """Why an answer is outside API 3.0's envelope (or is an InternalError); None when it is a proper one."""
    if reply.status != 200:
        return f"HTTP {reply.status}"
    if reply.content_type != "application/json":
        return f"Content-Type {reply.content_type!r}"
    try:
        body = reply.body
    except ValueError:
        return "not JSON"
    if not isinstance(body, dict) or set(body) != {"Response"} or not isinstance(body["Response"], dict):
        return "no Response object"
    response = body["Response"]
    if not isinstance(response.get("RequestId"), str) or not response["RequestId"]:
        return "no RequestId"
    error = response.get("Error")
    if error is None:
        return None
    if (
        set(response) != {"Error", "RequestId"}
        or not isinstance(error, dict)
        or set(error) != {"Code", "Message"}
    ):
        return f"malformed Error {response}"
    if not isinstance(error["Code"], str) or not isinstance(error["Message"], str) or not error["Message"]:
        return f"malformed Error {error}"
    if error["Code"].startswith("InternalError"):
        return f"InternalError: {error['Message']}"
    return None


def _query(params: dict[str, Any]) -> str:
    """A GET query as the SDK flattens it (lists as Name.0, Name.1); other values as their text."""
    pairs: list[tuple[str, str]] = []
    for name, value in params.items():
        if isinstance(value, list):
            pairs += [(f"{name}.{i}", str(v)) for i, v in enumerate(value)]
        else:
            pairs.append((name, str(value)))
    return urlencode(pairs, errors="surrogatepass")


async def _fuzz(
    platform: Platform, client: Tc3Client, version: str, actions: dict[str, dict[str, Any]]
) -> None:
    rng = random.Random(f"{SEED}-{version}")
    faults: list[str] = []
    codes: Counter[str] = Counter()
    for action, base in actions.items():
        for mutant in [*mutants(rng, base, PER_ACTION, times=TIME_FIELDS), *time_sweep(base, TIME_FIELDS)]:
            reply = await _send(client, rng, action, version, mutant)
            fault = envelope_fault(reply)
            if fault is not None:
                faults.append(f"{action} [{mutant.what}]: {fault}")
            else:
                codes[reply.error_code or "Ok"] += 1
    sent = len(faults) + codes.total()
    assert not faults, f"{len(faults)} of {sent} answers outside the envelope:\n" + "\n".join(faults[:40])
    # The fuzz reached the handlers: signed well enough to pass authentication, some requests even valid.
    refused_at_the_door = sum(n for code, n in codes.items() if code.startswith("AuthFailure"))
    assert sent >= PER_ACTION * len(actions) and refused_at_the_door == 0, codes
    assert codes["Ok"] >= len(actions), codes


async def _send(client: Tc3Client, rng: random.Random, action: str, version: str, mutant: Mutant) -> Reply:
    # The GET form, every value a string; a request line over aiohttp's 8 KiB is refused by the HTTP parser
    # before any dialect sees it, so long queries go as POST.
    query = _query(mutant.params) if mutant.params is not None and rng.random() < 0.15 else ""
    if query and rng.random() < 0.3:  # a key that looks like a list item (`Name.0`) but is not one
        query += "&" + urlencode({rng.choice(("PhoneNumberSet.²", "TemplateIdSet.٣")): "1"})
    if query and len(query) < 8000:
        headers = client.headers(
            b"", timestamp=NOW, action=action, version=version, method="GET", query=query
        )
        async with client.http.get(URL(f"{client.url}/?{query}", encoded=True), headers=headers) as resp:
            return Reply(resp.status, resp.headers.get("Content-Type", ""), await resp.text())
    payload = mutant.body()
    headers = client.headers(payload, timestamp=NOW, action=action, version=version)
    return await client.send(payload, headers)


async def _a_serial(client: Tc3Client, t: Tenant) -> str:
    """A message of the tenant's, for ReportConversion to name."""
    params = {
        "SmsSdkAppId": t.sdk_app_id,
        "PhoneNumberSet": ["+8613900139000"],
        "TemplateId": str(t.template_id),
        "SignName": SIGN,
        "TemplateParamSet": ["1234", "5"],
    }
    reply = await client.call(params, timestamp=NOW)
    (status,) = reply.body["Response"]["SendStatusSet"]
    assert status["Code"] == "Ok", status
    return str(status["SerialNo"])


@pytest.mark.parametrize("version", ["2021-01-11", "2019-07-11"])
async def test_fuzzed_requests_to_every_action_stay_in_the_envelope(
    database_url: str, redis_url: str, version: str
) -> None:
    # The fixed clock puts every request in the same second: no per-IP budget, or most would be refused by it.
    async with running_platform(
        database_url, redis_url, clock=lambda: float(NOW), ip_requests_per_second=0
    ) as platform:
        tenant = await platform.add_tenant()
        client = Tc3Client(platform.http, platform.api_url, tenant.secret_id, tenant.secret_key)
        if version == "2021-01-11":
            actions = actions_2021(tenant, await _a_serial(client, tenant))
        else:
            actions = actions_2019(tenant)
        await _fuzz(platform, client, version, actions)
