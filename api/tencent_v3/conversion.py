"""API 3.0 ReportConversion (spec 6.19): the customer reports that a message converted (SerialNo, and
ConversionTime in Unix seconds, now when absent). Recorded by core.services.conversions, which holds every
dialect's reports to the same rules; a refusal is the request's Error, a recorded report (or the same report
again) answers ReportConversionStatus with Code `ok`, the SDK's documented value."""

from __future__ import annotations

import math

from api.tencent_v3.wire import ActionHandler, Call, Result
from core.domain.errors import Code, PlatformError
from core.services import conversions, reports

DIALECT = "tencent_v3"


async def report_conversion(call: Call) -> Result:
    sdk_app_id = call.text("SmsSdkAppId")
    serial_no = call.text("SerialNo")
    converted_s = call.integer("ConversionTime", required=False, default=math.floor(call.now))
    if await reports.app_owner(call.state.platform, sdk_app_id) != call.key.account.id:
        raise PlatformError(Code.APP_VERIFY_FAIL)
    conversion = await conversions.record_conversion(
        call.state.platform,
        dialect=DIALECT,
        account_id=call.key.account.id,
        sdk_app_id=sdk_app_id,
        serial_no=serial_no,
        converted_s=converted_s,
        now=call.now,
    )
    message = "report success" if conversion.first else "already reported: the first report stands"
    return {"ReportConversionStatus": {"Code": "ok", "Message": message}}, {
        "app": sdk_app_id,
        "code": "Ok",
        "first": conversion.first,
    }


ACTIONS: dict[str, ActionHandler] = {"ReportConversion": report_conversion}
