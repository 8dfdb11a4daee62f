"""The unsubscribe blocklist (B1): who unsubscribed from an account, and lifting an unsubscription, which the
customer applies for and an operator approves."""

from __future__ import annotations

from core.services.platform import Platform
from core.store import replies
from core.store.replies import BlockEntry

__all__ = ["BlockEntry"]


async def entries(platform: Platform, account_id: int) -> list[BlockEntry]:
    return await replies.list_blocklist(platform.db, account_id)


async def request_lift(
    platform: Platform, account_id: int, phone: str, *, reason: str, by: str
) -> str | None:
    """Record the customer's application; its new status, or None when no active unsubscription exists."""
    return await replies.request_lift(platform.db, account_id, phone, reason=reason, by=by)


async def approve_lift(platform: Platform, account_id: int, phone: str, *, by: str) -> str | None:
    """An operator approves; it takes effect at once. None when no lift request is waiting."""
    return await replies.approve_lift(platform.db, account_id, phone, by=by)
