"""Tencent Cloud SMS API 3.0, version 2019-07-11 (`tencentcloud.sms.v20190711`), served as a translation onto the
2021-01-11 handlers: the request's fields renamed to theirs before they run, their answer renamed (and retyped)
to this version's after. Tables only: no rule and no query lives here.

Error codes: the SDK's errorcodes.py for this version lacks a few of 2021's; the platform's codes among them are
mapped to this version's nearest (CODES), and messages name the fields as this version does."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from api.tencent_v3.wire import ApiVersion
from core.domain.errors import Code, Rejection

VERSION = "2019-07-11"

# --- requests: every field of the version's request model -> the name the handler reads --------------------
# A field not listed is dropped: a 2021-01-11 name sent with version 2019-07-11 is not read, so the handler
# finds the 2019 field missing (MissingParameter naming it, see `error`).

_APP = {"SmsSdkAppid": "SmsSdkAppId"}
_SIGN = {
    "SignName": "SignName",
    "SignType": "SignType",
    "DocumentType": "DocumentType",
    "International": "International",
    "UsedMethod": "SignPurpose",
    "ProofImage": "ProofImage",
    "CommissionImage": "CommissionImage",
    "Remark": "Remark",
    "QualificationId": "QualificationId",
}
_TEMPLATE = {
    "TemplateName": "TemplateName",
    "TemplateContent": "TemplateContent",
    "SmsType": "SmsType",
    "International": "International",
    "Remark": "Remark",
}
# Statistics: hours as yyyymmddhh integers here, strings in 2021 (the handler reads either).
_HOURS = {"StartDateTime": "BeginTime", "EndDataTime": "EndTime", "Limit": "Limit", "Offset": "Offset"}
# Pulls by number: Unix seconds under other names.
_BY_NUMBER = {
    "SendDateTime": "BeginTime",
    "EndDateTime": "EndTime",
    "Offset": "Offset",
    "Limit": "Limit",
    "PhoneNumber": "PhoneNumber",
}

REQUEST_FIELDS: dict[str, dict[str, str]] = {
    "SendSms": {
        "PhoneNumberSet": "PhoneNumberSet",
        "TemplateID": "TemplateId",
        **_APP,
        "Sign": "SignName",
        "TemplateParamSet": "TemplateParamSet",
        "ExtendCode": "ExtendCode",
        "SessionContext": "SessionContext",
        "SenderId": "SenderId",
    },
    "PullSmsSendStatus": {"Limit": "Limit", **_APP},
    "PullSmsReplyStatus": {"Limit": "Limit", **_APP},
    "PullSmsSendStatusByPhoneNumber": {**_BY_NUMBER, **_APP},
    "PullSmsReplyStatusByPhoneNumber": {**_BY_NUMBER, **_APP},
    "SendStatusStatistics": {**_HOURS, **_APP},
    "CallbackStatusStatistics": {**_HOURS, **_APP},
    "SmsPackagesStatistics": {**_APP, "Limit": "Limit", "Offset": "Offset"},
    "AddSmsSign": _SIGN,
    "ModifySmsSign": {"SignId": "SignId", **_SIGN},
    "DeleteSmsSign": {"SignId": "SignId"},
    "DescribeSmsSignList": {"SignIdSet": "SignIdSet", "International": "International"},
    "AddSmsTemplate": _TEMPLATE,
    "ModifySmsTemplate": {"TemplateId": "TemplateId", **_TEMPLATE},
    "DeleteSmsTemplate": {"TemplateId": "TemplateId"},
    "DescribeSmsTemplateList": {"TemplateIdSet": "TemplateIdSet", "International": "International"},
}
# Fields the handler requires that this version has no counterpart for. SmsPackagesStatistics takes no time
# range here: every package, so the widest range of hours the handler reads.
REQUEST_DEFAULTS: dict[str, dict[str, Any]] = {
    "SmsPackagesStatistics": {"BeginTime": "1970010100", "EndTime": "9999123100"},
}


def request(action: str, params: dict[str, Any]) -> dict[str, Any]:
    """The parameters as the 2021-01-11 handler reads them. Never raises: a bad value is the handler's to refuse."""
    names = REQUEST_FIELDS.get(action, {})
    return {**REQUEST_DEFAULTS.get(action, {}), **{names[k]: v for k, v in params.items() if k in names}}


# --- responses: each structure as the version's model has it: (its field, the 2021 field, conversion) ------

Convert = Callable[[Any, ZoneInfo], Any]
Field = tuple[str, str, Convert]


def _same(value: Any, tz: ZoneInfo) -> Any:
    return value


def _text(value: Any, tz: ZoneInfo) -> str:
    return str(value)


def _code(code: str, tz: ZoneInfo | None) -> str:
    return CODES.get(code, code)


def _clock_time(unix_s: Any, tz: ZoneInfo) -> str:
    """Unix seconds as this version's "2019-10-08 17:18:37", in the platform's time zone; "" for none (0)."""
    return datetime.fromtimestamp(unix_s, tz).strftime("%Y-%m-%d %H:%M:%S") if unix_s else ""


SEND_STATUS: tuple[Field, ...] = (  # the same fields; a number's refusal in this version's code
    ("SerialNo", "SerialNo", _same),
    ("PhoneNumber", "PhoneNumber", _same),
    ("Fee", "Fee", _same),
    ("SessionContext", "SessionContext", _same),
    ("Code", "Code", _code),
    ("Message", "Message", _same),
    ("IsoCode", "IsoCode", _same),
)
PULL_SEND_STATUS: tuple[Field, ...] = (
    ("UserReceiveTime", "UserReceiveTime", _clock_time),
    ("UserReceiveUnixTime", "UserReceiveTime", _same),
    ("NationCode", "CountryCode", _same),
    ("PurePhoneNumber", "PhoneNumber", _same),  # here the E.164 number is the "pure" one ...
    ("PhoneNumber", "SubscriberNumber", _same),  # ... and PhoneNumber the national number
    ("SerialNo", "SerialNo", _same),
    ("ReportStatus", "ReportStatus", _same),
    ("Description", "Description", _same),
)
PULL_REPLY_STATUS: tuple[Field, ...] = (
    ("ExtendCode", "ExtendCode", _same),
    ("NationCode", "CountryCode", _same),
    ("PhoneNumber", "PhoneNumber", _same),
    ("Sign", "SignName", _same),
    ("ReplyContent", "ReplyContent", _same),
    ("ReplyTime", "ReplyTime", _clock_time),
    ("ReplyUnixTime", "ReplyTime", _same),
)
SMS_PACKAGES_STATISTICS: tuple[Field, ...] = (
    ("PackageCreateTime", "PackageCreateTime", _clock_time),
    ("PackageCreateUnixTime", "PackageCreateTime", _same),
    ("PackageEffectiveTime", "PackageEffectiveTime", _clock_time),
    ("PackageEffectiveUnixTime", "PackageEffectiveTime", _same),
    ("PackageExpiredTime", "PackageExpiredTime", _clock_time),
    ("PackageExpiredUnixTime", "PackageExpiredTime", _same),
    ("AmountOfPackage", "PackageAmount", _same),
    ("TypeOfPackage", "PackageType", _same),
    ("PackageId", "PackageId", _same),
    ("CurrentUsage", "CurrentUsage", _same),
)
DESCRIBE_TEMPLATE_LIST_STATUS: tuple[Field, ...] = (  # no TemplateContent in this version
    ("TemplateId", "TemplateId", _same),
    ("International", "International", _same),
    ("StatusCode", "StatusCode", _same),
    ("ReviewReply", "ReviewReply", _same),
    ("TemplateName", "TemplateName", _same),
    ("CreateTime", "CreateTime", _same),
)
# A signature's application id: the platform reviews a signature in place, so it is the signature's own id
# (an integer when added, a string when modified, as the version's models type it).
ADD_SIGN_STATUS: tuple[Field, ...] = (("SignId", "SignId", _same), ("SignApplyId", "SignId", _same))
MODIFY_SIGN_STATUS: tuple[Field, ...] = (("SignId", "SignId", _same), ("SignApplyId", "SignId", _text))

# action -> the Response field whose structure (or list of structures) differs -> its fields. Everything else
# (the statistics, DescribeSignListStatusSet, Add/Modify/DeleteTemplateStatus, DeleteSignStatus)
# has the same names and types in both versions and passes through.
RESPONSE_FIELDS: dict[str, dict[str, tuple[Field, ...]]] = {
    "SendSms": {"SendStatusSet": SEND_STATUS},
    "PullSmsSendStatus": {"PullSmsSendStatusSet": PULL_SEND_STATUS},
    "PullSmsSendStatusByPhoneNumber": {"PullSmsSendStatusSet": PULL_SEND_STATUS},
    "PullSmsReplyStatus": {"PullSmsReplyStatusSet": PULL_REPLY_STATUS},
    "PullSmsReplyStatusByPhoneNumber": {"PullSmsReplyStatusSet": PULL_REPLY_STATUS},
    "SmsPackagesStatistics": {"SmsPackagesStatisticsSet": SMS_PACKAGES_STATISTICS},
    "DescribeSmsTemplateList": {"DescribeTemplateStatusSet": DESCRIBE_TEMPLATE_LIST_STATUS},
    "AddSmsSign": {"AddSignStatus": ADD_SIGN_STATUS},
    "ModifySmsSign": {"ModifySignStatus": MODIFY_SIGN_STATUS},
}


def _structure(item: dict[str, Any], fields: tuple[Field, ...], tz: ZoneInfo) -> dict[str, Any]:
    return {name: convert(item[source], tz) for name, source, convert in fields}


def response(action: str, fields: dict[str, Any], tz: ZoneInfo) -> dict[str, Any]:
    """The handler's Response fields in this version's names and JSON types."""
    out = dict(fields)
    for name, structure in RESPONSE_FIELDS.get(action, {}).items():
        value = fields[name]
        if isinstance(value, list):
            out[name] = [_structure(item, structure, tz) for item in value]
        else:
            out[name] = _structure(value, structure, tz)
    return out


# --- errors ------------------------------------------------------------------------------------------------

# The platform's codes that this version's table does not have -> its code for the same refusal.
CODES: dict[str, str] = {
    Code.INVALID_SIGN_PURPOSE: "InvalidParameterValue.InvalidUsedMethod",  # the field is UsedMethod here
    Code.TEMPLATE_DIRTY_WORDS: "FailedOperation.ContainSensitiveWord",
    Code.FORBID_MARKETING_TEMPLATES: "UnauthorizedOperation.IndividualUserMarketingSmsPermissionDeny",
    Code.INVALID_TEMPLATE_FORMAT: "InvalidParameter.InvalidParameters",
    Code.LIMIT_VERIFY_FAIL: "InvalidParameter.InvalidParameters",
    Code.OFFSET_VERIFY_FAIL: "InvalidParameter.InvalidParameters",
    # Only SendMultiGlobalSms answers these, an action this version does not have; its nearest codes anyway.
    Code.CONTAIN_DOMESTIC: "UnsupportedOperation.ContainDomesticAndInternationalPhoneNumber",
    Code.MULTI_SMS_INFO_EMPTY: "MissingParameter.EmptyPhoneNumberSet",
}


def _renamed(action: str) -> dict[str, str]:
    """2021 name -> this version's, for the fields the action names differently."""
    return {new: old for old, new in REQUEST_FIELDS.get(action, {}).items() if old != new}


def error(action: str, rejection: Rejection) -> dict[str, str]:
    """The error in this version's words: its code, and its field names in the message."""
    message = rejection.message
    renamed = _renamed(action)
    if renamed:
        words = re.compile(r"\b(" + "|".join(map(re.escape, renamed)) + r")\b")
        message = words.sub(lambda m: renamed[m.group(1)], message)
    return {"Code": _code(rejection.code.value, None), "Message": message}


V20190711 = ApiVersion(
    VERSION,
    actions=frozenset(REQUEST_FIELDS),
    request=request,
    response=response,
    error=error,
)
