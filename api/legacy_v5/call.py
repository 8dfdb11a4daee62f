"""What every v5 endpoint shares: the call it is given (V5Call: the process state, the request's `sdkappid`,
`random` and JSON body, and the time), its authentication, and the answer to a refusal."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from api.context import ApiState
from api.legacy_v5.auth import MAX_SKEW_S, check_time, verify_sig
from api.legacy_v5.codes import NO_SUCH_APP, SIG_MISMATCH, LegacyError, legacy_code
from api.legacy_v5.wire import Envelope, parse_envelope
from core.domain.errors import Rejection
from core.domain.sending import AppContext
from core.infra.replays import window_ttl
from core.services import sending

Answer = dict[str, Any]


@dataclass(frozen=True)
class V5Call:
    state: ApiState
    sdk_app_id: str
    random: str | None
    body: dict[str, Any]
    now: float

    def envelope(self) -> Envelope:
        return parse_envelope(self.random, self.body)

    async def authenticate(
        self, app: AppContext | None, envelope: Envelope, mobiles: list[str]
    ) -> AppContext:
        """1019 unknown sdkappid, 1001 wrong sig, then 1021 a `time` more than 10 minutes off, then 1001 a
        `random` and `time` this application used before (a replayed sig)."""
        if app is None:
            raise LegacyError(NO_SUCH_APP)
        if not verify_sig(app.app_key, envelope.random, envelope.time, mobiles, envelope.sig):
            raise LegacyError(SIG_MISMATCH)
        check_time(envelope.time, self.now)
        # The sig does not name the endpoint, so one captured from get_template would serve del_template: every
        # endpoint refuses a (random, time) seen before. Remembered only now, once the sig verified and the time
        # is in the window: a stranger's bad sig must not burn the nonce an honest client is about to use, and a
        # stale request needs no memory (it is refused as 1021 for ever).
        nonce = f"{envelope.time}:{envelope.random}"  # `time` is an integer (no colon): unambiguous
        ttl = window_ttl(envelope.time, MAX_SKEW_S, self.now)
        if not await self.state.platform.replays.first_use("v5", app.sdk_app_id, nonce, ttl):
            raise LegacyError(SIG_MISMATCH, "sig check failed: this random and time were used already")
        return app


Endpoint = Callable[[V5Call], Awaitable[Answer]]


async def authenticated_app(call: V5Call) -> AppContext:
    """The application the request names, authenticated with the no-mobile sig (A2)."""
    envelope = call.envelope()
    return await call.authenticate(
        await sending.app_context(call.state.platform, call.sdk_app_id), envelope, []
    )


def refusal(rejection: Rejection) -> Answer:
    return {"result": legacy_code(rejection.code), "errmsg": rejection.message}
