"""Callbacks in Alibaba Cloud SMS's HTTP batch push format (issue 15; aliyun-dysmsapi spec section 7; rules B2,
B3): the SmsReport and SmsUp bodies with their exact JSON types, what counts as the receiver's acknowledgement,
the 1/5/10-minute retry schedule, and how queued items become requests in this format."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from core.domain import alibaba_push
from core.domain.alibaba_push import PushedMessage, is_acknowledged, phone_number, sms_report, sms_up
from core.domain.callbacks import CallbackFormat, QueuedItem, build_requests, retry_after_s
from core.domain.callbacks import is_acknowledged as acknowledged_in

SHANGHAI = ZoneInfo("Asia/Shanghai")
REPORTED = int(datetime(2026, 12, 1, 16, 30, 5, tzinfo=UTC).timestamp())  # 00:30:05 on the 2nd in Shanghai
ACCEPTED = REPORTED - 65
SERIAL = "20261201:42"
STATUS = {
    "serial_no": SERIAL,
    "phone": "+8613800138000",
    "delivered": True,
    "error": "DELIVRD",
    "report_time": REPORTED,
    "session_context": "order-42",
}
MESSAGE = PushedMessage(accepted_at=ACCEPTED, parts=2, request_no=9001, sign_name="阿里云", template_id=7)
REPLY = {
    "id": 555,
    "phone": "+8613800138000",
    "text": "好的 TD",
    "sign": "阿里云",
    "extend": "01",
    "time": REPORTED,
}


def test_a_delivered_report_has_exactly_the_documented_fields_and_json_types() -> None:
    report = sms_report(STATUS, MESSAGE, SHANGHAI)
    assert report == {
        "phone_number": "13800138000",
        "send_time": "2026-12-02 00:29:00",
        "report_time": "2026-12-02 00:30:05",
        "success": True,
        "err_code": "DELIVERED",
        "err_msg": "用户接收成功",
        "sms_size": "2",
        "biz_id": "9001^0",
        "out_id": "order-42",
        "sign_name": "阿里云",
        "template_code": "SMS_7",
        "message_id": SERIAL,
    }
    # Through JSON as the receiver reads it: a boolean, and every other value a string (sms_size too).
    parsed = json.loads(json.dumps(report))
    assert parsed["success"] is True
    assert all(isinstance(v, str) for k, v in parsed.items() if k != "success")


def test_a_failed_report_carries_the_carriers_code() -> None:
    report = sms_report({**STATUS, "delivered": False, "error": "UNDELIV"}, MESSAGE, SHANGHAI)
    assert (report["success"], report["err_code"], report["err_msg"]) == (False, "UNDELIV", "UNDELIV")
    assert json.dumps(report["success"]) == "false"
    nameless = sms_report({**STATUS, "delivered": False, "error": ""}, MESSAGE, SHANGHAI)
    assert nameless["err_code"] == "UNKNOWN"


def test_a_message_without_a_request_number_reports_its_serial_as_biz_id() -> None:
    older = PushedMessage(accepted_at=ACCEPTED, parts=1, request_no=None, sign_name="S", template_id=1)
    assert sms_report(STATUS, older, SHANGHAI)["biz_id"] == SERIAL
    assert sms_report(STATUS, MESSAGE, SHANGHAI)["biz_id"] == "9001^0"


def test_a_report_whose_message_is_gone_still_goes_with_what_the_status_tells() -> None:
    report = sms_report({**STATUS, "session_context": ""}, None, SHANGHAI)
    assert report["send_time"] == report["report_time"] == "2026-12-02 00:30:05"
    assert (report["sms_size"], report["biz_id"], report["out_id"]) == ("1", SERIAL, "")
    assert (report["sign_name"], report["template_code"]) == ("", "")


@pytest.mark.parametrize(
    ("e164", "shown"),
    [
        ("+8613800138000", "13800138000"),  # mainland: the 11-digit national form, as Alibaba sends it
        ("+85261234567", "85261234567"),  # elsewhere: country code and number, no '+'
        ("+14155550123", "14155550123"),
    ],
)
def test_phone_numbers(e164: str, shown: str) -> None:
    assert phone_number(e164) == shown


def test_a_reply_is_an_sms_up_with_a_numeric_sequence_id() -> None:
    up = sms_up(REPLY, 555, SHANGHAI)
    assert up == {
        "phone_number": "13800138000",
        "send_time": "2026-12-02 00:30:05",
        "content": "好的 TD",
        "sign_name": "阿里云",
        "dest_code": "01",
        "sequence_id": 555,
    }
    parsed = json.loads(json.dumps(up, ensure_ascii=False))
    assert type(parsed["sequence_id"]) is int
    assert isinstance(parsed["dest_code"], str)


@pytest.mark.parametrize(
    ("status", "body", "ok"),
    [
        (200, b'{"code":0,"msg":"\xe6\x8e\xa5\xe6\x94\xb6\xe6\x88\x90\xe5\x8a\x9f"}', True),
        (200, b'{"code":1,"msg":"busy"}', True),  # any number counts (spec 7)
        (200, b'{"code":-3.5}', True),
        (200, b'{"code":"0"}', False),  # a string is not a number
        (200, b'{"code":true}', False),  # nor a boolean
        (200, b'{"code":null}', False),
        (200, b'{"msg":"ok"}', False),
        (200, b'{"code":NaN}', False),  # not JSON
        (200, b"[0]", False),
        (200, b"OK", False),  # no JSON
        (200, b"", False),
        (200, None, False),
        (500, b'{"code":0}', False),
        (201, b'{"code":0}', False),  # exactly 200
        (204, b"", False),
        (302, b'{"code":0}', False),
    ],
)
def test_the_acknowledgement_is_http_200_with_a_numeric_code(
    status: int, body: bytes | None, ok: bool
) -> None:
    assert is_acknowledged(status, body) is ok
    assert acknowledged_in(CallbackFormat.ALIBABA, status, body) is ok


def test_each_format_has_its_own_acknowledgement() -> None:
    assert acknowledged_in(CallbackFormat.TENCENT, 200, b'{"result":0}')
    assert not acknowledged_in(CallbackFormat.ALIBABA, 200, b'{"result":0}')
    assert not acknowledged_in(CallbackFormat.TENCENT, 200, b'{"code":0}')
    assert acknowledged_in(CallbackFormat.TENCENT, 204, b'{"result":0}')
    assert not acknowledged_in(CallbackFormat.TENCENT, 200, None)


def test_retries_come_after_1_5_and_10_minutes_then_the_push_is_given_up() -> None:
    assert alibaba_push.retry_delay_s(1) == 60  # after the first failure
    assert alibaba_push.retry_delay_s(2) == 300
    assert alibaba_push.retry_delay_s(3) == 600
    assert alibaba_push.retry_delay_s(4) is None  # the third retry failed too
    assert alibaba_push.retry_delay_s(0) is None
    waits = [retry_after_s(CallbackFormat.ALIBABA, n, base_s=10, max_s=1800) for n in (1, 2, 3, 4)]
    assert waits == [60.0, 300.0, 600.0, None]
    # The platform's own format keeps its backoff; its give-up is by age (callback_give_up_s), not by count.
    tencent = [retry_after_s(CallbackFormat.TENCENT, n, base_s=10, max_s=1800) for n in (1, 2, 3, 4, 20)]
    assert tencent == [10.0, 20.0, 40.0, 80.0, 1800.0]


def test_alibaba_requests_group_consecutive_items_of_one_kind_in_queue_order() -> None:
    other = {**STATUS, "serial_no": "20261201:43", "phone": "+85261234567"}
    items = [
        QueuedItem(1, "status", STATUS),
        QueuedItem(2, "status", other),
        QueuedItem(3, "reply", REPLY),
        QueuedItem(4, "reply", {k: v for k, v in REPLY.items() if k != "id"}),  # queued before ids were
        QueuedItem(5, "status", STATUS),
        QueuedItem(6, "status", STATUS),
        QueuedItem(7, "status", STATUS),
    ]
    requests = build_requests(
        items, SHANGHAI, max_reports=2, fmt=CallbackFormat.ALIBABA, messages={SERIAL: MESSAGE}
    )
    assert [(r.kind, r.ids) for r in requests] == [
        ("status", (1, 2)),
        ("reply", (3, 4)),
        ("status", (5, 6)),
        ("status", (7,)),
    ]
    first = json.loads(requests[0].body)
    assert [r["biz_id"] for r in first] == ["9001^0", "20261201:43"]  # the second's message was not found
    assert first[1]["phone_number"] == "85261234567"
    ups = json.loads(requests[1].body)
    assert [u["sequence_id"] for u in ups] == [555, 4]
    assert "好的".encode() in requests[1].body  # UTF-8, not \\u escapes


def test_the_tencent_format_is_unchanged_by_default() -> None:
    items = [QueuedItem(1, "status", STATUS), QueuedItem(2, "reply", REPLY)]
    requests = build_requests(items, SHANGHAI, max_reports=100)
    assert [(r.kind, r.ids) for r in requests] == [("status", (1,)), ("reply", (2,))]
    assert isinstance(json.loads(requests[0].body), list)
    assert set(json.loads(requests[1].body)) == {"extend", "mobile", "nationcode", "sign", "text", "time"}
