"""API 3.0 DescribePhoneNumberInfo (spec 6.18): what the platform makes of each number, without sending."""

from __future__ import annotations

from api.tencent_v3.wire import ActionHandler, Call, Result
from core.domain.errors import MESSAGES, Code, PlatformError
from core.domain.phone import describe_number

MAX_NUMBERS = 200


async def describe_phone_number_info(call: Call) -> Result:
    phones = call.text_list("PhoneNumberSet")
    if not phones:
        raise PlatformError(Code.EMPTY_PHONE_SET)
    if len(phones) > MAX_NUMBERS:
        raise PlatformError(Code.PHONE_COUNT_LIMIT)
    infos = []
    for raw in phones:
        info = describe_number(raw)
        code = Code.OK if info.valid else Code.INCORRECT_PHONE
        infos.append(
            {
                "Code": code.value,
                "Message": "Describe success" if info.valid else MESSAGES[code],
                "NationCode": info.country_code,
                "SubscriberNumber": info.national,
                "PhoneNumber": info.phone,
                "IsoCode": info.iso,
                "IsoName": info.iso_name,
            }
        )
    return {"PhoneNumberInfoSet": infos}, {"code": "Ok", "numbers": len(phones)}


ACTIONS: dict[str, ActionHandler] = {"DescribePhoneNumberInfo": describe_phone_number_info}
