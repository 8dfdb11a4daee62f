"""Frequency policy values (L1, L4): defaults, what an organization may set, individuals keep the defaults."""

from __future__ import annotations

from typing import Any

import pytest

from core.domain.errors import Code, Rejection
from core.domain.frequency import DEFAULT_POLICY, FrequencyPolicy, policy_for, validate_policy


def test_defaults_are_rule_l1() -> None:
    assert (DEFAULT_POLICY.same_content_30s, DEFAULT_POLICY.daily, DEFAULT_POLICY.one_hour) == (1, 2, None)


def test_individuals_keep_the_defaults_whatever_is_stored() -> None:
    stored = FrequencyPolicy(daily=50)
    assert policy_for("individual", stored) == DEFAULT_POLICY
    assert policy_for("organization", stored) == stored


def test_a_partial_update_keeps_the_rest() -> None:
    policy = validate_policy({"one_hour": 5, "daily": 20, "cap_daily": 10_000})
    assert policy == FrequencyPolicy(one_hour=5, daily=20, cap_daily=10_000)
    assert validate_policy({"one_hour": None}, policy) == FrequencyPolicy(daily=20, cap_daily=10_000)


@pytest.mark.parametrize(
    ("values", "code"),
    [
        ({"daily": 0}, Code.INVALID_PARAMETER_VALUE),
        ({"daily": -1}, Code.INVALID_PARAMETER_VALUE),
        ({"daily": 10**9}, Code.INVALID_PARAMETER_VALUE),
        ({"cap_daily": 10**12}, Code.INVALID_PARAMETER_VALUE),
        ({"daily": None}, Code.INVALID_PARAMETER_VALUE),
        ({"daily": "5"}, Code.INVALID_PARAMETER),
        ({"daily": True}, Code.INVALID_PARAMETER),
        ({"daily": 2.5}, Code.INVALID_PARAMETER),
        ({"weekly": 3}, Code.INVALID_PARAMETER),
        ({"one_hour": 5, "daily": 3}, Code.INVALID_PARAMETER_VALUE),
    ],
)
def test_absurd_or_malformed_values_are_refused(values: dict[str, Any], code: Code) -> None:
    result = validate_policy(values)
    assert isinstance(result, Rejection) and result.code is code
