"""Issue 14, finding 8: an API or worker process with a malformed master key refuses to start, naming the
setting."""

from __future__ import annotations

from typing import Any

import pytest

from core.infra.settings import Settings
from core.services.platform import open_platform
from worker.main import lifecycle


async def test_a_malformed_master_key_stops_the_platform_before_it_opens_anything() -> None:
    # The URL points nowhere: the key is checked before any connection is tried.
    settings = Settings(database_url="postgresql://127.0.0.1:1/none", master_key="k1:short")
    with pytest.raises(ValueError, match="SMS_MASTER_KEY"):
        async with open_platform(settings, redis=False):
            pass


async def test_a_worker_with_a_malformed_master_key_stops_at_startup() -> None:
    settings = Settings(database_url="postgresql://127.0.0.1:1/none", master_key="")

    def no_connector(_: Settings) -> Any:
        raise AssertionError("the key is checked before anything is built")

    on_startup, _ = lifecycle(settings, lambda: 0.0, no_connector)
    with pytest.raises(ValueError, match="SMS_MASTER_KEY is empty"):
        await on_startup({})
