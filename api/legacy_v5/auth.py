"""The legacy v5 request's authentication (A2): the `sig` algorithm and the check of the request's `time`
against the server clock. Pure; time is a parameter."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

from api.legacy_v5.codes import TIME_SKEW, LegacyError

# A2/A1: a request whose `time` is more than 10 minutes off the server's clock is refused (1021).
MAX_SKEW_S = 600


def sig_text(app_key: str, random: str, time: int, mobiles: Sequence[str] = ()) -> str:
    """The text whose SHA-256 is the `sig`; `&mobile=` only when there are numbers (the client drops it)."""
    text = f"appkey={app_key}&random={random}&time={time}"
    if mobiles:
        text += "&mobile=" + ",".join(mobiles)
    return text


def compute_sig(app_key: str, random: str, time: int, mobiles: Sequence[str] = ()) -> str:
    return hashlib.sha256(sig_text(app_key, random, time, mobiles).encode("utf-8")).hexdigest()


def verify_sig(app_key: str, random: str, time: int, mobiles: Sequence[str], sig: str) -> bool:
    """Constant time; the hex digest is compared case-insensitively (the client sends it lowercase)."""
    expected = compute_sig(app_key, random, time, mobiles)
    return hmac.compare_digest(expected.encode(), sig.lower().encode("utf-8", "replace"))


def check_time(time: int, now: float) -> None:
    if abs(now - time) > MAX_SKEW_S:
        raise LegacyError(TIME_SKEW)
