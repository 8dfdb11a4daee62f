"""Text the platform can keep: no NUL and no lone surrogate, at any depth (every dialect refuses the rest)."""

from __future__ import annotations

import pytest

from core.domain.text import is_storable, is_utf8


@pytest.mark.parametrize(
    ("value", "storable"),
    [
        ({"a": ["b", {"c": "d"}]}, True),
        ({"a": ["b\x00"]}, False),
        ({"\ud800": 1}, False),  # a key counts too
        ({"a": [[[["\udfff"]]]]}, False),
        ("plain", True),
        (["中文", 1, None, True], True),
    ],
)
def test_storable_refuses_nul_and_lone_surrogates_anywhere(value: object, storable: bool) -> None:
    assert is_storable(value) is storable


def test_deep_nesting_is_checked_without_recursion() -> None:
    value: object = "\x00"
    for _ in range(5000):
        value = [value]
    assert is_storable(value) is False


def test_a_lone_surrogate_is_not_utf8() -> None:
    assert is_utf8("ok 中文") and not is_utf8("bad \ud800")
