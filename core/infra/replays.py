"""Replay protection for signed requests, shared by the front doors. A signature is valid for its whole time
window, so a captured request could otherwise be sent again and run again.

- `first_use`: for a dialect that carries a nonce of its own (v5 `random` + `time`, Alibaba's
  SignatureNonce): was this nonce seen before within its window? One SET NX.
- `claim`: for a dialect with no nonce (TC3, UCloud) an identical signed request (same signature) runs once.
  The first claims it (SET NX), runs, and keeps its answer (`Claim.keep`); a duplicate gets that stored
  answer, waiting a bounded time if the first is still running; a crash releases the claim
  (`Claim.release`) so that an honest retry can run.

Callers pass only requests whose signature verified: remembering anything else would let a stranger burn an
honest client's nonce or signature ahead of it. Keys hold a hash of what identifies the request, never a
signature or a credential in clear; each is kept until the request's own time leaves its window
(`window_ttl`), after which the dialect refuses it as expired anyway."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError

log = structlog.get_logger("core.infra.replays")

# API hosts' clocks may differ from the one that remembered the request by a few seconds.
MARGIN_S = 5.0
# How long a duplicate waits for the first request's answer. A send is answered in milliseconds; a first
# request slower than this is answered "still in progress" rather than holding the duplicate's connection.
DEFAULT_WAIT_S = 5.0
_RUNNING = b"running"


def window_ttl(signed_at: float, window_s: float, now: float) -> float:
    """Seconds to remember a request signed at `signed_at` that the dialect accepts within ±window_s of its
    clock: until the request's time leaves the window (up to 2 x window_s when the client's clock is ahead),
    plus a margin."""
    return max(signed_at + window_s - now, 0.0) + MARGIN_S


@dataclass(frozen=True)
class StoredAnswer:
    """The first request's answer, as it went out."""

    status: int
    body: bytes


@dataclass(frozen=True)
class Busy:
    """The first request was still running when the duplicate's wait ended (or it crashed meanwhile)."""


@dataclass(frozen=True)
class Claim:
    """The right to run a request, held by its first arrival. Neither method raises: the request has run (or
    failed) by then, and its own answer matters more than the bookkeeping."""

    redis: Redis
    key: str
    answer_key: str
    ttl_ms: int

    async def keep(self, answer: StoredAnswer) -> None:
        """Store the answer for the duplicates (and wake those waiting), in one round trip."""
        try:
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.xadd(self.answer_key, {"status": str(answer.status), "body": answer.body})
                pipe.pexpire(self.answer_key, self.ttl_ms)
                await pipe.execute()
        except (
            RedisError
        ) as exc:  # duplicates find the claim without an answer: "in progress" until it expires
            log.warning("replay answer not stored", error=str(exc))

    async def release(self) -> None:
        """The request crashed: forget it, so that the same request sent again runs."""
        try:
            await self.redis.delete(self.key)
        except RedisError as exc:  # the claim then expires with its window
            log.warning("replay claim not released", error=str(exc))


class ReplayGuard:
    def __init__(self, redis: Redis, *, wait_s: float = DEFAULT_WAIT_S) -> None:
        self.redis = redis
        self.wait_ms = max(1, int(wait_s * 1000))  # XREAD BLOCK 0 would wait forever

    async def first_use(self, dialect: str, credential: str, nonce: str, ttl_s: float) -> bool:
        """True the first time `nonce` is used with this credential within ttl_s; False for a replay."""
        key = f"replay:nonce:{_digest(dialect, credential, nonce)}"
        return bool(await self.redis.set(key, b"1", nx=True, px=_ms(ttl_s)))

    async def claim(
        self, dialect: str, credential: str, signature: str, ttl_s: float
    ) -> Claim | StoredAnswer | Busy:
        """A Claim for the first arrival of a signed request (the caller runs it, then keeps its answer or
        releases the claim); for a duplicate, the first's stored answer, or Busy if none came within the wait.
        One round trip for the first arrival; a duplicate's wait is one blocking read, not a polling loop."""
        digest = _digest(dialect, credential, signature)
        # Both keys share a hash tag, so they stay on one node of a Redis Cluster.
        key, answer_key = f"replay:{{{digest}}}", f"replay:{{{digest}}}:answer"
        ttl_ms = _ms(ttl_s)
        if await self.redis.set(key, _RUNNING, nx=True, px=ttl_ms):
            return Claim(self.redis, key, answer_key, ttl_ms)
        # A stream rather than a plain key: XREAD returns the answer at once if it is there, else blocks until
        # the first request adds it, and every waiting duplicate sees the same entry.
        found = await self.redis.xread({answer_key: "0-0"}, count=1, block=self.wait_ms)
        if not found:
            return Busy()
        [[_, [(_, fields)]]] = found
        return StoredAnswer(int(fields[b"status"]), bytes(fields[b"body"]))


def _digest(*parts: str) -> str:
    # JSON keeps the parts apart whatever characters they hold (a client's nonce may contain any separator).
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


def _ms(seconds: float) -> int:
    return max(1, int(seconds * 1000))
