"""Conversion reports, the pure rules (issue 16): bounded by the message's second and the platform's clock
(plus the tolerated skew), one per message with the first standing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.domain.conversions import Conversion, check_after_acceptance, check_not_ahead, not_found, repeated
from core.domain.errors import Code, PlatformError

ACCEPTED = datetime(2026, 5, 1, 4, 0, 0, 750_000, tzinfo=UTC)  # within second S
S = int(ACCEPTED.timestamp())


@pytest.mark.parametrize(("converted", "allowed"), [(S - 1, False), (S, True), (S + 1, True)])
def test_a_conversion_is_not_before_its_messages_second(converted: int, allowed: bool) -> None:
    if allowed:
        check_after_acceptance(converted, accepted_at=ACCEPTED)
        return
    with pytest.raises(PlatformError) as err:
        check_after_acceptance(converted, accepted_at=ACCEPTED)
    assert err.value.rejection.code is Code.INVALID_PARAMETER_VALUE


@pytest.mark.parametrize(
    ("converted", "ahead", "allowed"),
    [(1000, 0, True), (1001, 0, False), (1300, 300, True), (1301, 300, False), (-(2**63), 300, True)],
)
def test_a_conversion_is_not_later_than_the_clock_allows(converted: int, ahead: int, allowed: bool) -> None:
    if allowed:
        check_not_ahead(converted, now=1000.0, max_ahead_s=ahead)
        return
    with pytest.raises(PlatformError) as err:
        check_not_ahead(converted, now=1000.0, max_ahead_s=ahead)
    assert err.value.rejection.code is Code.INVALID_PARAMETER_VALUE


def test_the_same_report_again_is_the_first_one() -> None:
    assert repeated("20260501:7", S, recorded_s=S) == Conversion("20260501:7", S, first=False)


def test_a_report_with_another_time_is_refused_and_the_first_stands() -> None:
    with pytest.raises(PlatformError) as err:
        repeated("20260501:7", S + 1, recorded_s=S)
    assert err.value.rejection.code is Code.FAILED_OPERATION
    assert str(S) in err.value.rejection.message


def test_not_found_names_the_serial_within_bounds() -> None:
    assert not_found("x" * 1000).rejection.code is Code.RESOURCE_NOT_FOUND
    assert len(not_found("x" * 1000).rejection.message) < 150
    assert "'20260501:7'" in not_found("20260501:7").rejection.message
