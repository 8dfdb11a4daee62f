"""An application's sending policy (L1, L4), its allowlist of test and alarm numbers (L2), the countries it
may send international SMS to (L4) and its emergency disable (A3): what the admin API and smsctl both change."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from core.domain.errors import Rejection
from core.services.platform import Platform
from core.store import admin, policy
from core.store.policy import (
    MAX_ALLOWLIST,
    AllowEntry,
    AllowlistFull,
    AppNotFound,
    AppPolicy,
    IndividualPolicy,
)

__all__ = [
    "MAX_ALLOWLIST",
    "AllowEntry",
    "AllowlistEdit",
    "AllowlistFull",
    "AppNotFound",
    "AppPolicy",
    "IndividualPolicy",
]


async def app_exists(platform: Platform, sdk_app_id: str) -> bool:
    return await policy.app_exists(platform.db, sdk_app_id)


async def get_policy(platform: Platform, sdk_app_id: str) -> AppPolicy:
    found = await policy.load_app_policy(platform.db, sdk_app_id)
    if found is None:
        raise AppNotFound(sdk_app_id)
    return found


async def update_policy(
    platform: Platform, sdk_app_id: str, values: Mapping[str, Any]
) -> AppPolicy | Rejection:
    """Change some fields; a value that breaks a rule is a Rejection (nothing changed). Raises AppNotFound,
    or IndividualPolicy for an individual account's application (L1 keeps its defaults)."""
    return await policy.update_policy(platform.db, sdk_app_id, values)


@dataclass(frozen=True)
class AllowlistEdit:
    added: int
    removed: int
    entries: list[AllowEntry]


async def allowlist(platform: Platform, sdk_app_id: str) -> list[AllowEntry]:
    if not await policy.app_exists(platform.db, sdk_app_id):
        raise AppNotFound(sdk_app_id)
    return await policy.list_allowlist(platform.db, sdk_app_id)


async def edit_allowlist(
    platform: Platform,
    sdk_app_id: str,
    *,
    add: Sequence[str] = (),
    remove: Sequence[str] = (),
    note: str = "",
    actor: str,
) -> AllowlistEdit:
    """Numbers in E.164: removals, then additions, in one transaction; then the whole list. Raises
    AppNotFound, or AllowlistFull (nothing changed) past MAX_ALLOWLIST numbers."""
    async with platform.db.acquire() as conn:
        if not await policy.app_exists(conn, sdk_app_id):
            raise AppNotFound(sdk_app_id)
        async with conn.transaction():
            removed = await policy.remove_allowlist(conn, sdk_app_id, list(remove)) if remove else 0
            added = await policy.add_allowlist(conn, sdk_app_id, list(add), note.strip(), actor) if add else 0
        entries = await policy.list_allowlist(conn, sdk_app_id)
    return AllowlistEdit(added, removed, entries)


async def set_app_status(platform: Platform, sdk_app_id: str, status: str) -> None:
    """A3: 'disabled' refuses every later send at once; 'active' allows them again. Raises AppNotFound."""
    if not await admin.set_app_status(platform.db, sdk_app_id, status):
        raise AppNotFound(sdk_app_id)


async def set_intl_countries(platform: Platform, sdk_app_id: str, countries: list[str] | None) -> None:
    """L4: the ISO codes an application may send international SMS to; None allows all. Raises AppNotFound."""
    if not await policy.set_intl_countries(platform.db, sdk_app_id, countries):
        raise AppNotFound(sdk_app_id)
