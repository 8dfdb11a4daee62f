"""The one table from the platform's refusals to Alibaba's codes (spec 6): what the send path, the catalog and
the queries decide, in the words Alibaba's clients check (`resp.body.code`). Business outcomes stay HTTP 200."""

from __future__ import annotations

from api.alibaba.wire import AliError
from core.domain.errors import Code, Rejection

LIMIT_MINUTE = "isv.BUSINESS_LIMIT_CONTROL"

# Platform code -> (Alibaba code, message or "" for the platform's own, HTTP status).
TABLE: dict[Code, tuple[str, str, int]] = {
    Code.INTERNAL_ERROR: (
        "InternalError",
        "The request processing has failed due to some unknown error.",
        500,
    ),
    Code.FAILED_OPERATION: ("isp.SYSTEM_ERROR", "", 200),
    Code.REQUEST_IN_PROGRESS: ("ServiceUnavailable", "", 503),
    Code.REQUEST_SIZE_LIMIT: (
        "InvalidParameter.RequestTooLarge",
        "The request body is larger than the limit.",
        413,
    ),
    Code.IP_LIMIT: ("Throttling.User", "Request was denied due to user flow control.", 400),
    Code.INVALID_ACTION: ("InvalidAction.NotFound", "", 404),
    Code.NO_SUCH_VERSION: ("InvalidVersion", "Specified parameter Version is not valid.", 400),
    Code.MISSING_PARAMETER: ("isv.INVALID_PARAMETERS", "", 200),
    Code.INVALID_PARAMETER: ("isv.INVALID_PARAMETERS", "", 200),
    Code.INVALID_PARAMETER_VALUE: ("isv.INVALID_PARAMETERS", "", 200),
    Code.JSON_PARSE_FAIL: ("isv.INVALID_JSON_PARAM", "", 200),
    # Sends: the whole request.
    Code.EMPTY_PHONE_SET: ("isv.MOBILE_NUMBER_ILLEGAL", "非法手机号: no phone number given.", 200),
    Code.PHONE_COUNT_LIMIT: ("isv.MOBILE_COUNT_OVER_LIMIT", "", 200),
    Code.MIXED_REGIONS: ("isv.INVALID_PARAMETERS", "", 200),
    Code.APP_VERIFY_FAIL: (
        "isv.PRODUCT_UN_SUBSCRIPT",
        "This AccessKey names no application to send with, and its account has several: choose one "
        "(smsctl key app, or the admin API).",
        200,
    ),
    Code.APP_DISABLED: ("isv.ACCOUNT_ABNORMAL", "The application is disabled.", 200),
    Code.SUSPENDED_ARREARS: ("isv.OUT_OF_SERVICE", "", 200),
    Code.INDIVIDUAL_MARKETING: ("isv.SMS_TEMPLATE_ILLEGAL", "", 200),
    Code.SIGN_UNAPPROVED: (
        "isv.SMS_SIGNATURE_ILLEGAL",
        "The signature does not exist or is not approved.",
        200,
    ),
    Code.TEMPLATE_UNAPPROVED: (
        "isv.SMS_TEMPLATE_ILLEGAL",
        "The template does not exist or is not approved.",
        200,
    ),
    Code.PARAMS_MISMATCH: ("isv.TEMPLATE_MISSING_PARAMETERS", "", 200),
    Code.PARAM_TOO_LONG: ("isv.PARAM_LENGTH_LIMIT", "", 200),
    Code.PARAM_FORMAT: ("isv.INVALID_JSON_PARAM", "", 200),
    Code.URL_IN_PARAM: ("isv.PARAM_NOT_SUPPORT_URL", "", 200),
    Code.CONTENT_TOO_LONG: ("isv.PARAM_LENGTH_LIMIT", "", 200),
    Code.MAINLAND_TEMPLATE_TO_GLOBAL: ("isv.SMS_TEMPLATE_ILLEGAL", "", 200),
    Code.GLOBAL_TEMPLATE_TO_MAINLAND: ("isv.DOMESTIC_NUMBER_NOT_SUPPORTED", "", 200),
    Code.MARKETING_TIME: ("isv.BUSINESS_LIMIT_CONTROL", "", 200),
    # Sends: one number.
    Code.INCORRECT_PHONE: ("isv.MOBILE_NUMBER_ILLEGAL", "非法手机号", 200),
    Code.PHONE_30S_LIMIT: (LIMIT_MINUTE, "触发分钟级流控 (same content to this number within 30 s)", 200),
    Code.PHONE_HOUR_LIMIT: (LIMIT_MINUTE, "触发小时级流控", 200),
    Code.PHONE_DAILY_LIMIT: (LIMIT_MINUTE, "触发天级流控", 200),
    Code.PHONE_SAME_CONTENT_DAILY_LIMIT: (LIMIT_MINUTE, "触发天级流控 (same content)", 200),
    Code.INTL_DAILY_LIMIT: ("isv.DAY_LIMIT_CONTROL", "", 200),
    Code.APP_DAILY_LIMIT: ("isv.DAY_LIMIT_CONTROL", "", 200),
    Code.APP_MAINLAND_DAILY_LIMIT: ("isv.DAY_LIMIT_CONTROL", "", 200),
    Code.APP_GLOBAL_DAILY_LIMIT: ("isv.DAY_LIMIT_CONTROL", "", 200),
    Code.PHONE_IN_BLACKLIST: (
        "isv.BLACK_KEY_CONTROL_LIMIT",
        "The number unsubscribed from this account (blocklist).",
        200,
    ),
    Code.APP_COUNTRY_NOT_ALLOWED: ("isv.NOT_SUPPORTED_COUNTRY", "", 200),
    # Signatures and templates.
    Code.TEMPLATE_DIRTY_WORDS: ("isv.SMS_CONTENT_ILLEGAL", "", 200),
    Code.SIGN_ID_NOT_EXIST: ("isv.SMS_SIGN_ILLEGAL", "", 200),
    Code.MISSING_SIGN_TO_MODIFY: ("isv.SMS_SIGN_ILLEGAL", "", 200),
    Code.TEMPLATE_ID_NOT_EXIST: ("isv.SMS_TEMPLATE_ILLEGAL", "", 200),
    Code.MISSING_TEMPLATE_TO_MODIFY: ("isv.SMS_TEMPLATE_ILLEGAL", "", 200),
    Code.FORBID_MARKETING_TEMPLATES: ("isv.SMS_TEMPLATE_ILLEGAL", "", 200),
}
# Anything else the platform refuses (a catalog rule, a bad value) is a parameter problem in Alibaba's words.
DEFAULT = ("isv.INVALID_PARAMETERS", "", 200)


def from_rejection(rejection: Rejection) -> AliError:
    code, message, status = TABLE.get(rejection.code, DEFAULT)
    if not message:
        message = rejection.message
    elif rejection.detail:
        message = f"{message} {rejection.detail}"
    return AliError(code, message, status)


def number_code(code: Code) -> str:
    """The Alibaba code of one number's refusal (QuerySendDetails' ErrCode for a number never sent)."""
    return TABLE.get(code, DEFAULT)[0]
