"""The exact entries of API 3.0's pull answers (spec 6.21), built from a queued item."""

from __future__ import annotations

from api.tencent_v3.report_items import pull_reply, pull_status

STATUS = {
    "serial_no": "20261122:42",
    "phone": "+8613800138000",
    "delivered": True,
    "error": "DELIVRD",
    "report_time": 1763800000,
    "session_context": "order-42",
}
REPLY = {"phone": "+8613800138000", "text": "TD", "sign": "TestCorp", "extend": "", "time": 1763800100}


def test_pull_status_has_the_spec_fields_and_types() -> None:
    assert pull_status(STATUS) == {
        "UserReceiveTime": 1763800000,
        "CountryCode": "86",
        "SubscriberNumber": "13800138000",
        "PhoneNumber": "+8613800138000",
        "SerialNo": "20261122:42",
        "ReportStatus": "SUCCESS",
        "Description": "DELIVRD",
        "SessionContext": "order-42",
    }
    failed = pull_status({**STATUS, "delivered": False, "error": "UNDELIV"})
    assert (failed["ReportStatus"], failed["Description"]) == ("FAIL", "UNDELIV")


def test_pull_reply_has_the_spec_fields() -> None:
    assert pull_reply(REPLY) == {
        "ExtendCode": "",
        "CountryCode": "86",
        "PhoneNumber": "+8613800138000",
        "SignName": "TestCorp",
        "ReplyContent": "TD",
        "ReplyTime": 1763800100,
        "SubscriberNumber": "13800138000",
    }
