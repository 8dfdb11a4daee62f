"""AddBackfill (spec B4): the customer's conversion report, a message consumed on the handset, named by its
send's SessionNo and its number; stored on the message as Tencent's ReportConversion stores it, through the
same capability (core.services.conversions)."""

from __future__ import annotations

from api.ucloud import sends
from api.ucloud.wire import INVALID, ActionHandler, Result, UCall, UError
from core.domain.serial import parse_session
from core.services import conversions

MAX_CONTENT_CHARS = 500


async def add_backfill(call: UCall) -> Result:
    params = call.params
    session = parse_session(params.text("SendNo"))
    _, phone = sends.read_number(params.text("Target"))
    params.text(
        "Content", required=False, max_len=MAX_CONTENT_CHARS
    )  # the customer's note: checked, not kept
    params.integer("SendTime", required=False)
    at = params.integer("BackfillTime", required=False, default=int(call.now), low=0, high=2**40)
    serial = (
        await conversions.serial_in_session(call.state.platform, call.key.account.id, session, phone.e164)
        if session is not None and phone is not None
        else None
    )
    if serial is None:
        raise UError(INVALID, "No message of this SendNo to this Target")
    await conversions.record_conversion(
        call.state.platform,
        dialect="ucloud",
        account_id=call.key.account.id,
        sdk_app_id=None,
        serial_no=serial,
        converted_s=at,
        now=call.now,
    )
    return {}, {"code": 0}


ACTIONS: dict[str, ActionHandler] = {"AddBackfill": add_backfill}
