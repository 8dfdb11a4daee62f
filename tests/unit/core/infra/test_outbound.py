"""The guarded outbound client: customers' host names resolve to public addresses only."""

from __future__ import annotations

import pytest

from core.infra.outbound import PublicOnlyResolver


async def test_a_name_that_resolves_only_to_private_addresses_is_refused() -> None:
    resolver = PublicOnlyResolver()
    try:
        with pytest.raises(OSError, match="private or reserved"):
            await resolver.resolve("localhost", 80)
    finally:
        await resolver.close()
