"""Final statuses on their way out (B2, B3): how a carrier status is counted, and the exact pull entries
(spec 6.21) and callback bodies (spec 9) built from a queued item."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from core.domain.callbacks import callback_reply, callback_status
from core.domain.reports import Outcome, report_outcome, submit_failure_outcome

STATUS = {
    "serial_no": "20261122:42",
    "phone": "+8613800138000",
    "delivered": True,
    "error": "DELIVRD",
    "report_time": 1763800000,
    "session_context": "order-42",
}
REPLY = {"phone": "+8613800138000", "text": "TD", "sign": "TestCorp", "extend": "", "time": 1763800100}


@pytest.mark.parametrize(
    ("delivered", "error", "outcome"),
    [
        (True, "", Outcome.DELIVERED),
        (False, "UNDELIV", Outcome.FAILED),
        (False, "MK:0001", Outcome.INVALID_NUMBER),
        (False, " mk:0001 ", Outcome.INVALID_NUMBER),
        (False, "MN:0010", Outcome.SHUTDOWN),
        (False, "BLACKLIST", Outcome.BLACKLIST),
        (False, "FREQLIMIT", Outcome.FREQUENCY_LIMIT),
        (False, "REJECTD", Outcome.INTERNAL_ERROR),
    ],
)
def test_carrier_statuses_map_to_the_statistics_outcomes(
    delivered: bool, error: str, outcome: Outcome
) -> None:
    assert report_outcome(delivered, error) is outcome


def test_a_submit_failure_is_an_internal_error() -> None:
    assert submit_failure_outcome() is Outcome.INTERNAL_ERROR


def test_callback_status_is_exactly_the_seven_documented_string_fields() -> None:
    body = callback_status(STATUS, ZoneInfo("Asia/Shanghai"))
    assert body == {
        "user_receive_time": "2025-11-22 16:26:40",
        "nationcode": "86",
        "mobile": "13800138000",
        "report_status": "SUCCESS",
        "errmsg": "DELIVRD",
        "description": "The SMS message is successfully delivered",
        "sid": "20261122:42",
    }
    assert all(isinstance(v, str) for v in body.values())


def test_callback_reply_is_one_object_with_a_numeric_time() -> None:
    assert callback_reply(REPLY) == {
        "extend": "",
        "mobile": "13800138000",
        "nationcode": "86",
        "sign": "TestCorp",
        "text": "TD",
        "time": 1763800100,
    }
