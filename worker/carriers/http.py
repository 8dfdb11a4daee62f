"""`HttpConnector`: the carrier connector for the JSON-over-HTTP protocol the simulator speaks.

Rule C1: every call goes over one persistent keep-alive pool; a connection idle for `idle_timeout_s`
(90 s by default) is closed by the pool and a new one is opened when needed.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from typing import Any

import aiohttp

from core.services.connectors import (
    OutboundMessage,
    PermanentCarrierError,
    SubmitResult,
    TransientCarrierError,
)

log = logging.getLogger(__name__)

MAX_BATCH = 200
NO_RESULT = "no result from carrier"

# Anything that looks like a phone number in a carrier's error text is cut to its last 4 digits:
# reasons end up in logs and in message records.
_PHONE_LIKE = re.compile(r"\+?\d[\d ()-]{5,}\d")


def _redact(text: str, limit: int = 200) -> str:
    masked = _PHONE_LIKE.sub(lambda m: "***" + re.sub(r"\D", "", m.group())[-4:], text)
    return masked[:limit]


class HttpConnector:
    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        pool_size: int,
        idle_timeout_s: float = 90.0,
        timeout_s: float = 10.0,
        name: str = "http",
        dedupes_on_ref: bool = True,
    ) -> None:
        self.name = name
        # Declared by configuration: the protocol itself says nothing about it (the simulator dedupes by
        # default, a real carrier behind the same protocol may not).
        self.dedupes_on_ref = dedupes_on_ref
        self._submit_url = base_url.rstrip("/") + "/submit"
        self._headers = {"Authorization": f"Bearer {token}"}
        self._pool_size = pool_size
        self._idle_timeout_s = idle_timeout_s
        self._timeout_s = timeout_s
        self._session: aiohttp.ClientSession | None = None
        self._closed = False

    def __repr__(self) -> str:  # never the token
        return f"HttpConnector(name={self.name!r}, url={self._submit_url!r}, pool_size={self._pool_size})"

    async def start(self) -> None:
        """Open the pool now (optional: the first submit opens it otherwise)."""
        self._ensure_session()

    def _ensure_session(self) -> aiohttp.ClientSession:
        if self._closed:
            raise RuntimeError(f"{self!r} is closed")
        if self._session is None:
            pool = aiohttp.TCPConnector(limit=self._pool_size, keepalive_timeout=self._idle_timeout_s)
            self._session = aiohttp.ClientSession(
                connector=pool,
                timeout=aiohttp.ClientTimeout(total=self._timeout_s),
                headers=self._headers,
            )
        return self._session

    @property
    def pool(self) -> aiohttp.BaseConnector | None:
        """The live connection pool (None before the first use), for health checks and tests."""
        return None if self._session is None else self._session.connector

    async def close(self) -> None:
        self._closed = True
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def submit(self, messages: Sequence[OutboundMessage]) -> list[SubmitResult]:
        """Submit up to 200 messages in one POST; one result per message, in input order."""
        if not messages:
            return []
        if len(messages) > MAX_BATCH:
            raise ValueError(f"at most {MAX_BATCH} messages per submit, got {len(messages)}")
        session = self._ensure_session()
        payload = {
            "messages": [
                {"ref": m.ref, "phone": m.phone, "content": m.content, "sender_id": m.sender_id}
                for m in messages
            ]
        }
        try:
            async with session.post(self._submit_url, json=payload) as resp:
                status = resp.status
                text = await resp.text(errors="replace")
        except (
            aiohttp.ClientConnectionError,  # includes ServerDisconnectedError and connect/read timeouts
            aiohttp.ClientPayloadError,
            aiohttp.ClientResponseError,  # a malformed HTTP response
            TimeoutError,
        ) as exc:
            reason = f"{type(exc).__name__}: {_redact(str(exc))}".rstrip(": ")
            log.warning("carrier %s call failed: %s (%d messages)", self.name, reason, len(messages))
            # Only a connection never made surely sent nothing; after that the carrier may have the request.
            maybe_sent = not isinstance(exc, aiohttp.ClientConnectorError)
            raise TransientCarrierError(reason, maybe_sent=maybe_sent) from exc

        if status != 200:
            reason = f"HTTP {status}: {_error_text(text)}".rstrip(": ")
            log.warning("carrier %s answered %s (%d messages)", self.name, reason, len(messages))
            if status == 429 or status >= 500:
                raise TransientCarrierError(reason)
            raise PermanentCarrierError(reason)

        by_ref = _parse_results(text)
        if by_ref is None:
            log.warning("carrier %s answered 200 with an unparseable body", self.name)
            raise TransientCarrierError("unparseable carrier response", maybe_sent=True)
        results = [by_ref.get(m.ref) or SubmitResult(m.ref, None, NO_RESULT) for m in messages]
        missing = sum(1 for r in results if r.error == NO_RESULT)
        if missing:
            log.warning(
                "carrier %s returned no result for %d of %d messages", self.name, missing, len(messages)
            )
        return results


def _error_text(body: str) -> str:
    """The carrier's `error` field when the body is JSON, else the start of the body; redacted."""
    try:
        parsed: Any = json.loads(body)
    except ValueError:
        return _redact(body.strip())
    if isinstance(parsed, dict) and isinstance(parsed.get("error"), str):
        return _redact(parsed["error"])
    return _redact(body.strip())


def _parse_results(body: str) -> dict[str, SubmitResult] | None:
    """`{"results": [{"ref", "carrier_id", "error"}]}` -> results by ref; None when the shape is wrong."""
    try:
        parsed: Any = json.loads(body)
    except ValueError:
        return None
    if not isinstance(parsed, dict) or not isinstance(parsed.get("results"), list):
        return None
    by_ref: dict[str, SubmitResult] = {}
    for item in parsed["results"]:
        if not isinstance(item, dict):
            return None
        ref, carrier_id, error = item.get("ref"), item.get("carrier_id"), item.get("error", "")
        if not isinstance(ref, str) or not isinstance(error, str):
            return None
        if not (carrier_id is None or (isinstance(carrier_id, str) and carrier_id)):
            return None
        if carrier_id is None and not error:
            error = "refused by carrier without a reason"
        by_ref[ref] = SubmitResult(ref, carrier_id, _redact(error))
    return by_ref
