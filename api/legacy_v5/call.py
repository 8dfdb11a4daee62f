"""What every v5 endpoint shares: the call it is given (V5Call: the process state, the request's `sdkappid`,
`random` and JSON body, and the time), its authentication, and the answer to a refusal."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from api.context import ApiState
from api.legacy_v5.auth import check_time, verify_sig
from api.legacy_v5.codes import NO_SUCH_APP, SIG_MISMATCH, LegacyError, legacy_code
from api.legacy_v5.wire import Envelope, parse_envelope
from core.domain.errors import Rejection
from core.domain.sending import AppContext
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

    def authenticate(self, app: AppContext | None, envelope: Envelope, mobiles: list[str]) -> AppContext:
        """1019 unknown sdkappid, 1001 wrong sig, then 1021 a `time` more than 10 minutes off."""
        if app is None:
            raise LegacyError(NO_SUCH_APP)
        if not verify_sig(app.app_key, envelope.random, envelope.time, mobiles, envelope.sig):
            raise LegacyError(SIG_MISMATCH)
        check_time(envelope.time, self.now)
        return app


Endpoint = Callable[[V5Call], Awaitable[Answer]]


async def authenticated_app(call: V5Call) -> AppContext:
    """The application the request names, authenticated with the no-mobile sig (A2)."""
    envelope = call.envelope()
    return call.authenticate(await sending.app_context(call.state.platform, call.sdk_app_id), envelope, [])


def refusal(rejection: Rejection) -> Answer:
    return {"result": legacy_code(rejection.code), "errmsg": rejection.message}
