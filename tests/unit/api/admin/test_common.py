"""The admin API's edge checks (issue 14, finding 6), value by value: ids and limits, JSON bodies, times."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from api.admin.common import AdminError, bounded_time, check_json, page_limit, positive_id


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", 1),
        ("0042", 42),
        (str(2**63 - 1), 2**63 - 1),
        ("0", None),
        (str(2**63), None),  # past bigint
        ("9" * 5000, None),  # past int()'s 4,300 digits: refused before converting
        ("-1", None),
        ("+1", None),
        (" 1", None),
        ("1.0", None),
        ("١٢", None),  # Arabic-Indic digits: isdigit() but not an id
        ("", None),
    ],
)
def test_positive_id(raw: str, expected: int | None) -> None:
    if expected is None:
        with pytest.raises(AdminError) as refused:
            positive_id(raw)
        assert refused.value.status == 400
    else:
        assert positive_id(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"), [("", 50), ("1", 1), ("500", 500), ("501", None), ("9" * 5000, None)]
)
def test_page_limit(raw: str, expected: int | None) -> None:
    if expected is None:
        with pytest.raises(AdminError):
            page_limit(raw)
    else:
        assert page_limit(raw) == expected


def nested(depth: int) -> Any:
    value: Any = "leaf"
    for _ in range(depth - 1):
        value = [value]
    return value


@pytest.mark.parametrize(
    ("body", "refused"),
    [
        ({"a": ["b", {"c": 1}], "d": None, "e": 1.5, "f": True}, False),
        ({"x": nested(31)}, False),  # 32 levels with the object itself
        ({"x": nested(32)}, True),
        ({"x": nested(10_000)}, True),  # walked without recursion
        ({"x": "a\x00b"}, True),
        ({"a\x00": 1}, True),  # keys too
        ({"x": ["\ud800"]}, True),
        ({"x": 2**63 - 1, "y": -(2**63)}, False),
        ({"x": 2**63}, True),
        ({"x": [-(2**63) - 1]}, True),
        ({"x": float("inf")}, True),
        ({"x": float("nan")}, True),
    ],
)
def test_check_json(body: dict[str, Any], refused: bool) -> None:
    if refused:
        with pytest.raises(AdminError) as error:
            check_json(body)
        assert error.value.status == 400
    else:
        check_json(body)


def test_1e400_parses_to_infinity_which_check_json_refuses() -> None:
    with pytest.raises(AdminError):
        check_json(json.loads('{"x": 1e400}'))


@pytest.mark.parametrize(
    ("value", "refused"),
    [
        (datetime(1970, 1, 1, tzinfo=UTC), False),
        (datetime(2026, 12, 1), False),  # naive: taken as UTC
        (datetime(8999, 12, 31, 23, 59, tzinfo=UTC), False),
        (datetime(1969, 12, 31, 23, 59, tzinfo=UTC), True),
        (datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14))), True),
        (datetime(9000, 1, 1, tzinfo=UTC), True),
        (datetime(9999, 12, 31, tzinfo=UTC), True),
    ],
)
def test_bounded_time(value: datetime, refused: bool) -> None:
    if refused:
        with pytest.raises(AdminError):
            bounded_time(value, "to")
    else:
        assert bounded_time(value, "to") == value
