"""Customer callbacks, the pure rules: the signature customers verify, what counts as their acknowledgement, and
how queued items become requests (spec section 9). The URLs they may configure: test_customer_urls.py."""

from __future__ import annotations

import hashlib
import hmac
import json
from zoneinfo import ZoneInfo

import pytest

from core.domain.callbacks import (
    QueuedItem,
    build_requests,
    is_success,
    sign_callback,
    signed_headers,
    verify_callback,
)

KEY = "5f03a35d00ee52a21327ab048186a2c4"
BODY = b'[{"sid":"20240501:1","mobile":"13800138000"}]'
NOW = 1_714_521_600


def test_the_signature_is_hmac_sha256_over_timestamp_dot_body_keyed_with_the_app_key() -> None:
    expected = hmac.new(KEY.encode(), b"1714521600." + BODY, hashlib.sha256).hexdigest()
    assert sign_callback(KEY, NOW, BODY) == "sha256=" + expected
    assert sign_callback(KEY, str(NOW), BODY) == "sha256=" + expected
    assert signed_headers(KEY, NOW, BODY) == {
        "X-Sms-Timestamp": str(NOW),
        "X-Sms-Signature": "sha256=" + expected,
    }


def test_a_signed_request_verifies() -> None:
    header = sign_callback(KEY, NOW, BODY)
    assert verify_callback(KEY, str(NOW), BODY, header, NOW)
    assert verify_callback(KEY, str(NOW), BODY, header, NOW + 300, 300)
    assert verify_callback(KEY, str(NOW), BODY, header, NOW - 300, 300)


@pytest.mark.parametrize(
    ("key", "timestamp", "body", "header", "now"),
    [
        ("another-app-key", str(NOW), BODY, None, NOW),  # not signed with this application's key
        (KEY, str(NOW), BODY + b" ", None, NOW),  # the body was changed
        (KEY, str(NOW + 1), BODY, None, NOW),  # the timestamp was changed
        (KEY, str(NOW), BODY, None, NOW + 301),  # replayed later than the tolerance
        (KEY, str(NOW), BODY, None, NOW - 301),  # from the future
        (KEY, "17145216OO", BODY, None, NOW),  # not a number
        (KEY, "", BODY, None, NOW),
        (KEY, str(NOW), BODY, "", NOW),
        (KEY, str(NOW), BODY, "sha1=abc", NOW),
        (KEY, str(NOW), BODY, sign_callback(KEY, NOW, BODY).removeprefix("sha256="), NOW),  # no prefix
        (KEY, str(NOW), BODY, sign_callback(KEY, NOW, BODY).upper(), NOW),
        (KEY, str(NOW), BODY, "sha256=\udcff", NOW),  # undecodable header bytes do not raise
    ],
)
def test_anything_else_does_not_verify(
    key: str, timestamp: str, body: bytes, header: str | None, now: float
) -> None:
    given = sign_callback(KEY, NOW, BODY) if header is None else header
    assert not verify_callback(key, timestamp, body, given, now, 300)


@pytest.mark.parametrize(
    ("body", "ok"),
    [
        (b'{"result": 0, "errmsg": "OK"}', True),
        (b'{"result":0}', True),
        (b'{"result": 0.0}', True),
        (b'  {"result": 0, "extra": [1, 2]}\n', True),
        (b'{"result": 1, "errmsg": "busy"}', False),
        (b'{"result": -1}', False),
        (b'{"result": "0"}', False),  # the number 0, not a string
        (b'{"result": false}', False),
        (b'{"result": null}', False),
        (b'{"errmsg": "OK"}', False),
        (b"[0]", False),
        (b"0", False),
        (b"OK", False),
        (b"", False),
        (b"<html>500</html>", False),
        (b"\xff\xfe", False),
    ],
)
def test_only_result_zero_is_an_acknowledgement(body: bytes, ok: bool) -> None:
    assert is_success(body) is ok


def status(n: int) -> QueuedItem:
    item = {
        "serial_no": f"20240501:{n}",
        "phone": "+8613800138000",
        "delivered": n % 2 == 1,
        "error": "DELIVRD" if n % 2 == 1 else "UNDELIV",
        "report_time": NOW + n,
        "session_context": "ctx",
    }
    return QueuedItem(n, "status", item)


def reply(n: int) -> QueuedItem:
    item = {"phone": "+8613900139000", "text": "好的", "sign": "TestCorp", "extend": "", "time": NOW + n}
    return QueuedItem(n, "reply", item)


def test_consecutive_statuses_go_together_and_each_reply_alone_in_queue_order() -> None:
    items = [status(1), status(2), reply(3), status(4), reply(5), reply(6), status(7), status(8), status(9)]
    requests = build_requests(items, ZoneInfo("Asia/Shanghai"), max_reports=2)
    assert [(r.kind, r.ids) for r in requests] == [
        ("status", (1, 2)),
        ("reply", (3,)),
        ("status", (4,)),
        ("reply", (5,)),
        ("reply", (6,)),
        ("status", (7, 8)),
        ("status", (9,)),
    ]
    first = json.loads(requests[0].body)
    assert first == [
        {
            "user_receive_time": "2024-05-01 08:00:01",
            "nationcode": "86",
            "mobile": "13800138000",
            "report_status": "SUCCESS",
            "errmsg": "DELIVRD",
            "description": "The SMS message is successfully delivered",
            "sid": "20240501:1",
        },
        {
            "user_receive_time": "2024-05-01 08:00:02",
            "nationcode": "86",
            "mobile": "13800138000",
            "report_status": "FAIL",
            "errmsg": "UNDELIV",
            "description": "The SMS message failed to deliver (UNDELIV)",
            "sid": "20240501:2",
        },
    ]
    assert json.loads(requests[1].body) == {
        "extend": "",
        "mobile": "13900139000",
        "nationcode": "86",
        "sign": "TestCorp",
        "text": "好的",
        "time": NOW + 3,
    }
    assert "好的".encode() in requests[1].body  # UTF-8, not \\u escapes


def test_no_items_no_requests() -> None:
    assert build_requests([], ZoneInfo("UTC"), max_reports=100) == []


def test_the_readme_verification_example_accepts_our_signature() -> None:
    import re
    import time
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[4] / "README.md").read_text()
    section = readme[readme.index("## Callbacks") :]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match is not None
    namespace: dict[str, object] = {}
    exec(match.group(1), namespace)  # noqa: S102 - the README's own example, run as a customer would
    verify = namespace["verify"]
    assert callable(verify)
    timestamp = str(int(time.time()))
    assert verify(KEY, timestamp, BODY, sign_callback(KEY, timestamp, BODY))
    assert not verify(KEY, timestamp, BODY + b"x", sign_callback(KEY, timestamp, BODY))
