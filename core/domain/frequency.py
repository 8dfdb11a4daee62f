"""The per-application sending policy (rules L1-L4): per-number limits, daily caps, and the policy in force
for an account (individuals keep the defaults). Pure; the gate applies it in Redis."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from core.domain.errors import Code, Rejection

# What an operator may set: above these a "limit" is no limit, and an error is likelier than intent.
MAX_PER_NUMBER = 1_000
MAX_CAP = 100_000_000
PER_NUMBER = ("same_content_30s", "one_hour", "daily", "same_content_daily")
CAPS = ("cap_daily", "cap_daily_mainland", "cap_daily_international")
REQUIRED = ("same_content_30s", "daily")


@dataclass(frozen=True)
class FrequencyPolicy:
    # L1 defaults: the same content once per 30 s; 2 messages per calendar day per number.
    same_content_30s: int = 1
    one_hour: int | None = None
    daily: int = 2
    same_content_daily: int | None = None
    # L4: per-application daily caps (None: none).
    cap_daily: int | None = None
    cap_daily_mainland: int | None = None
    cap_daily_international: int | None = None

    def to_json(self) -> dict[str, int | None]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


DEFAULT_POLICY = FrequencyPolicy()


def policy_for(account_kind: str, stored: FrequencyPolicy) -> FrequencyPolicy:
    """L1: an organization sets its own policy; an individual keeps the defaults whatever is stored."""
    return stored if account_kind == "organization" else DEFAULT_POLICY


def validate_policy(
    values: Mapping[str, Any], current: FrequencyPolicy = DEFAULT_POLICY
) -> FrequencyPolicy | Rejection:
    """Apply a partial update: each given field an integer in range, or null where a limit is optional."""
    known = {f.name for f in fields(FrequencyPolicy)}
    unknown = sorted(set(values) - known)
    if unknown:
        return Rejection(Code.INVALID_PARAMETER, f"Unknown policy fields: {', '.join(unknown)}.")
    merged: dict[str, Any] = current.to_json()
    for name, value in values.items():
        if value is None:
            if name in REQUIRED:
                return Rejection(Code.INVALID_PARAMETER_VALUE, f"`{name}` cannot be removed, only changed.")
        elif isinstance(value, bool) or not isinstance(value, int):
            return Rejection(Code.INVALID_PARAMETER, f"`{name}` must be an integer or null.")
        else:
            upper = MAX_PER_NUMBER if name in PER_NUMBER else MAX_CAP
            if not 1 <= value <= upper:
                return Rejection(Code.INVALID_PARAMETER_VALUE, f"`{name}` must be between 1 and {upper:,}.")
        merged[name] = value
    policy = FrequencyPolicy(**merged)
    if policy.one_hour is not None and policy.one_hour > policy.daily:
        return Rejection(Code.INVALID_PARAMETER_VALUE, "`one_hour` cannot exceed `daily`.")
    return policy
