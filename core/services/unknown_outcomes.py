"""Unknown submit outcomes, the operator's side: list the messages a dead worker left with an unknown outcome
(for a carrier that does not dedupe on our serial), resend them through the normal send path, or fail them.

Resend keeps the serial as the carrier reference unless the operator asks for a fresh one: a carrier that
dedupes on it then answers a copy it already has without sending it twice, and only an operator who chose
`fresh_ref` (having checked the carrier has no trace of the message) makes every carrier send it again.

Billing: an accepted message is charged when accepted. An `unknown` one stays charged (it may have gone
out; a late report settles it like any report, a resend charges nothing more). An operator's `fail` treats
it as a submit the carrier refused: the final status is published (pull queue, status callback, statistics)
and its cost leaves the usage, since nothing shows the carrier ever took it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog

from core.domain.unknown_outcomes import UnknownOutcome, fail_reason, parse_serials
from core.infra.queue import enqueue_callbacks, enqueue_send_batch
from core.services.platform import Platform
from core.store import unknown_outcomes as store

log = structlog.get_logger("core.services.unknown_outcomes")


async def list_unknown(
    platform: Platform,
    *,
    sdk_app_id: str | None = None,
    limit: int = 50,
    after: tuple[datetime, int] | None = None,
) -> list[UnknownOutcome]:
    """Oldest first (by when the sweep found their worker dead), one page after `after`."""
    return await store.list_unknown(
        platform.db, platform.keyring, sdk_app_id=sdk_app_id, limit=limit, after=after
    )


@dataclass(frozen=True)
class Settled:
    # Serials resent (or failed) now.
    settled: list[str] = field(default_factory=list)
    # Serials named that are not (or no longer) unknown, left as they are: a report may have settled them.
    skipped: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"settled": self.settled, "skipped": self.skipped}


def _settled(named: Sequence[str], done: Sequence[str]) -> Settled:
    done_set = set(done)
    return Settled(sorted(done_set), [s for s in named if s not in done_set])


async def resend(platform: Platform, serials: Sequence[str], *, fresh_ref: bool = False) -> Settled:
    """Requeue the named `unknown` messages through the normal send path (a new batch per original batch,
    its outbox row swept if the job is lost). Raises BadOperatorRequest for a serial the platform did not
    issue."""
    refs = parse_serials(serials)
    settings = platform.settings
    due_at = platform.utc_now() + timedelta(seconds=settings.outbox_stale_after_s)
    batches = await store.resend_unknown(platform.db, refs, fresh_ref=fresh_ref, due_at=due_at)
    for batch in batches:
        try:
            await enqueue_send_batch(platform.queue, batch.batch_id, batch.accepted_at)
        except Exception as exc:  # the outbox row is there: the sweep enqueues it once it is due
            log.warning("resend not enqueued, left to the outbox sweep", error=str(exc))
    done = [s for b in batches for s in b.serials]
    log.info("unknown outcomes resent", messages=len(done), fresh_ref=fresh_ref)
    return _settled([s for s, _ in refs], done)


async def fail(platform: Platform, serials: Sequence[str], *, reason: str = "") -> Settled:
    """Fail the named `unknown` messages with `reason`, as a submit the carrier refused (see the module's
    billing note). Raises BadOperatorRequest for a serial the platform did not issue or a reason too long."""
    refs = parse_serials(serials)
    failed = await store.fail_unknown(
        platform.db,
        refs,
        reason=fail_reason(reason),
        now=platform.utc_now(),
        usage_day=platform.today(),
    )
    if failed.callback_apps:
        try:
            await enqueue_callbacks(platform.queue, failed.callback_apps)
        except Exception as exc:  # the callback sweep finds them
            log.warning("callback delivery not started", error=str(exc))
    log.info("unknown outcomes failed by an operator", messages=len(failed.serials))
    return _settled([s for s, _ in refs], failed.serials)
