"""Issue 14, finding 5: what an operator's resend or fail of messages with an unknown outcome may name, and
what the list shows of one."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from core.domain.unknown_outcomes import (
    DEFAULT_FAIL_REASON,
    MAX_SERIALS,
    BadOperatorRequest,
    UnknownOutcome,
    fail_reason,
    parse_serials,
)


def test_serials_are_parsed_once_each_in_order() -> None:
    parsed = parse_serials(["20261122:5", "20261123:7", "20261122:5"])
    assert [(s, r.day, r.message_id) for s, r in parsed] == [
        ("20261122:5", date(2026, 11, 22), 5),
        ("20261123:7", date(2026, 11, 23), 7),
    ]


@pytest.mark.parametrize(
    ("given", "says"),
    [
        ([], "at least one"),
        (["20261122:5"] * (MAX_SERIALS + 1), f"At most {MAX_SERIALS}"),
        (["20261122:5", "nope", "2026:1"], "'nope', '2026:1'"),
        (["20261122:5\x00"], "Not serial numbers"),
    ],
)
def test_an_unusable_list_is_refused_whole(given: list[str], says: str) -> None:
    with pytest.raises(BadOperatorRequest, match=says):
        parse_serials(given)


def test_the_fail_reason_defaults_to_saying_an_operator_failed_it_and_is_bounded() -> None:
    assert fail_reason("  ") == DEFAULT_FAIL_REASON
    assert fail_reason(" lost by the carrier ") == "lost by the carrier"
    with pytest.raises(BadOperatorRequest):
        fail_reason("x" * 501)


def test_the_listing_masks_the_number() -> None:
    at = datetime(2026, 11, 22, 8, tzinfo=UTC)
    shown = UnknownOutcome(
        "20261122:5", "1400000001", 1, "+8613800138000", "CN", at, at, at, "main:h:1:ab", 1, 0, 5
    ).to_json()
    assert shown["phone"] == "+86138****8000"
    assert shown["serial_no"] == "20261122:5" and shown["worker_id"] == "main:h:1:ab"
