"""Customer callbacks, the pure rules: the signature customers verify, the URLs they may configure, what counts
as their acknowledgement, and how queued items become requests (spec section 9)."""

from __future__ import annotations

import hashlib
import hmac
import json
from zoneinfo import ZoneInfo

import pytest

from core.domain.callbacks import (
    QueuedItem,
    build_requests,
    check_callback_url,
    is_public_address,
    is_success,
    platform_endpoints,
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


HOSTS, PORTS = platform_endpoints("127.0.0.1", 8080, "https://sms.example.com")


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/sms/status",
        "http://example.com:8080/callback?token=abc",  # the platform's port on someone else's host
        "http://203.0.113.7/reports",
        "https://[2001:db8::1]:8443/cb",
        "http://localhost:9000/callback",  # a receiver on the same machine, another port
        "http://127.0.0.1:18080/cb",
        "https://example.com/admin/",  # /admin/ on a customer's own host is theirs
        "http://example.com/" + "a" * (512 - len("http://example.com/")),
    ],
)
def test_acceptable_callback_urls(url: str) -> None:
    assert check_callback_url(url, platform_hosts=HOSTS, platform_port=PORTS) is None


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://example.com/cb", "http"),
        ("file:///etc/passwd", "http"),
        ("example.com/cb", "http"),
        ("javascript:alert(1)", "http"),
        ("", "http"),
        ("http://", "host"),
        ("http:///path", "host"),
        ("https://:443/cb", "host"),
        ("http://user:pw@example.com/cb", "user name or password"),
        ("http://user@example.com/cb", "user name or password"),
        ("http://example.com:99999/cb", "not valid"),
        ("http://example.com:port/cb", "not valid"),
        ("http://example.com/" + "a" * 512, "longer than 512"),
        (" http://example.com/cb", "spaces"),
        ("http://example.com/c b", "spaces"),
        ("http://example.com/cb\r\nX-Evil: 1", "spaces"),
        ("http://127.0.0.1:8080/admin/v1/apps/1400000001/callbacks", "platform's own API"),
        ("http://localhost:8080/carrier/reports", "platform's own API"),
        ("http://LOCALHOST:8080/", "platform's own API"),
        ("http://[::1]:8080/cb", "platform's own API"),
        ("http://0.0.0.0:8080/cb", "platform's own API"),
        ("http://127.0.0.2:8080/cb", "platform's own API"),  # all of 127/8 is this machine
        ("http://api.localhost:8080/cb", "platform's own API"),
        ("https://sms.example.com/anything", "platform's own API"),  # the public URL's host and port
        ("http://sms.example.com:9999/admin/v1/openapi.yaml", "platform's own API"),
        ("http://127.0.0.1:18080/carrier/replies", "platform's own API"),  # admin/carrier on any local port
    ],
)
def test_refused_callback_urls(url: str, reason: str) -> None:
    problem = check_callback_url(url, platform_hosts=HOSTS, platform_port=PORTS)
    assert problem is not None and reason in problem, problem


def test_the_platform_port_may_be_a_single_int() -> None:
    assert check_callback_url("http://127.0.0.1:8080/x", platform_hosts=(), platform_port=8080)
    assert check_callback_url("http://127.0.0.1:8081/x", platform_hosts=(), platform_port=8080) is None
    assert check_callback_url("http://10.0.0.5/x", platform_hosts=["10.0.0.5"], platform_port=80)


def test_platform_endpoints_include_the_bind_address_and_the_public_url() -> None:
    assert platform_endpoints("10.0.0.1", 8080, "") == ({"10.0.0.1"}, {8080})
    assert platform_endpoints("127.0.0.1", 8080, "http://10.1.2.3:9000") == (
        {"127.0.0.1", "10.1.2.3"},
        {8080, 9000},
    )
    assert platform_endpoints("127.0.0.1", 8080, "http://bad:port") == ({"127.0.0.1", "bad"}, {8080})


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


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True), ("2001:4860:4860::8888", True), ("203.0.113.9", False),  # TEST-NET-3
        ("127.0.0.1", False), ("10.1.2.3", False), ("172.16.0.1", False), ("192.168.1.1", False),
        ("100.64.0.1", False), ("169.254.169.254", False), ("0.0.0.0", False), ("224.0.0.1", False),  # noqa: S104 - a value, not a bind
        ("::1", False), ("fe80::1%eth0", False), ("fc00::1", False), ("::ffff:127.0.0.1", False),
        ("::ffff:8.8.8.8", True), ("not-an-address", False),
    ],
)  # fmt: skip
def test_callbacks_go_to_public_addresses_only(address: str, public: bool) -> None:
    assert is_public_address(address) is public
