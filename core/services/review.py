"""The operator's review of signatures and templates (S2, S3, S7, T5): the queue (urgent first, then oldest),
items with their documents and history, decisions, and the word lists of the automatic pre-checks (S4, T6)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from core.domain.errors import Rejection
from core.domain.review import Action, Kind, Move, missing_code
from core.domain.review_hours import ReviewHours, expected_review_at, parse_dates, parse_days, parse_window
from core.infra.settings import Settings
from core.services.platform import Platform
from core.store import qualifications, review, review_queue
from core.store.review_queue import (
    WORD_LISTS,
    BadInput,
    ItemDetail,
    QueueItem,
    WordEdit,
    check_list_name,
    normalize_words,
    operator_actor,
)

__all__ = [
    "WORD_LISTS",
    "BadInput",
    "ItemDetail",
    "QueueEntry",
    "QueueItem",
    "WordEdit",
    "check_list_name",
    "normalize_words",
    "operator_actor",
]


@dataclass(frozen=True)
class QueueEntry:
    """A waiting item with when it is expected to be reviewed (S7) and whether that time has passed."""

    item: QueueItem
    expected_review_at: datetime
    overdue: bool

    def to_json(self) -> dict[str, Any]:
        return {
            **self.item.to_json(),
            "expected_review_at": self.expected_review_at.isoformat(),
            "overdue": self.overdue,
        }


def review_hours(settings: Settings) -> ReviewHours:
    """The configured review hours. Raises ValueError on a bad setting (checked when the API starts)."""
    opens, closes = parse_window(settings.review_hours)
    return ReviewHours(
        opens=opens,
        closes=closes,
        days=parse_days(settings.review_days),
        holidays=parse_dates(settings.review_holidays),
        extra_workdays=parse_dates(settings.review_workdays),
        zone=ZoneInfo(settings.timezone),
        target=timedelta(minutes=settings.review_target_min),
        urgent_target=timedelta(minutes=settings.review_urgent_target_min),
    )


async def queue(platform: Platform, *, kind: Kind | None, limit: int) -> list[QueueEntry]:
    """What waits for review, urgent first and then oldest, each with its expected review time."""
    hours = review_hours(platform.settings)
    now = platform.utc_now()
    items = await review_queue.list_queue(platform.db, kind=kind, limit=limit, now=now)
    entries = []
    for item in items:
        expected = expected_review_at(hours, item.submitted_at, item.urgent_at)
        entries.append(QueueEntry(item, expected, overdue=now > expected))
    return entries


async def item(platform: Platform, kind: Kind, item_id: int) -> ItemDetail | Rejection:
    """What was applied for, its documents and its history; a Rejection (the kind's not-found code) if none."""
    found = await review_queue.get_item(platform.db, kind, item_id)
    return found if found is not None else Rejection(missing_code(kind, Action.APPROVE))


async def document(platform: Platform, doc_id: int) -> tuple[str, bytes] | None:
    """A customer's uploaded document: (its claimed media type, its bytes)."""
    return await review_queue.get_document(platform.db, doc_id)


async def decide(
    platform: Platform, kind: Kind, item_id: int, action: Action, *, actor: str, reason: str = ""
) -> Move | Rejection:
    """Start a review, approve, reject (with a reason the customer reads) or mark urgent. Approving a signature
    approves the qualification it rests on, if that was still under review (the qualification's review)."""
    outcome = await review.transition(platform.db, kind, item_id, action, actor=actor, reason=reason.strip())
    if kind is Kind.SIGNATURE and action is Action.APPROVE and isinstance(outcome, Move):
        await qualifications.approve_with_signature(platform.db, item_id)
    return outcome


async def words(platform: Platform, list_name: str) -> list[str]:
    return await review.word_list(platform.db, list_name)


async def edit_words(
    platform: Platform, list_name: str, *, add: Sequence[str] = (), remove: Sequence[str] = ()
) -> WordEdit:
    """Add and remove words (normalized: trimmed, case-folded) in one transaction. Raises BadInput."""
    return await review_queue.edit_words(
        platform.db, list_name, add=normalize_words(add), remove=normalize_words(remove)
    )
