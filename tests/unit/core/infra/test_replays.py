"""How long a request is remembered (issue 14, findings 1 and 2): until its own time leaves the window."""

from __future__ import annotations

import pytest

from core.infra.replays import MARGIN_S, window_ttl


@pytest.mark.parametrize(
    ("signed_at", "now", "ttl"),
    [
        pytest.param(1000, 1000, 300 + MARGIN_S, id="on time: the rest of the window"),
        pytest.param(1000, 1200, 100 + MARGIN_S, id="late: less is left"),
        pytest.param(1300, 1000, 600 + MARGIN_S, id="client clock ahead: twice the window"),
        pytest.param(1000, 1300, MARGIN_S, id="at the edge: the margin"),
        pytest.param(1000, 1400, MARGIN_S, id="past the edge (refused anyway): never negative"),
    ],
)
def test_a_request_is_remembered_until_its_time_leaves_the_window(
    signed_at: int, now: int, ttl: float
) -> None:
    assert window_ttl(signed_at, 300, now) == ttl
