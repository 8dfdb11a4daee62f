"""The one table from the platform's refusals to UCloud's RetCodes (spec B6, C7). Codes above 2000 are resent
by an SDK configured with max_retries (spec C5): a send is answered with one only when it recorded nothing."""

from __future__ import annotations

from api.ucloud.wire import FORMAT, INVALID, MISSING, UError
from core.domain.errors import Code, Rejection

# Gateway codes (spec C7): never retried by the SDK.
MISSING_ACTION, NO_SUCH_ACTION = 160, 161
MISSING_SIGNATURE, BAD_SIGNATURE, NO_SUCH_USER = 170, 171, 172
NO_SUCH_PROJECT = 292
THROTTLED = 153
SERVICE_ERROR = 18004

TABLE: dict[Code, int] = {
    Code.INTERNAL_ERROR: SERVICE_ERROR,
    Code.IP_LIMIT: THROTTLED,
    Code.MISSING_PARAMETER: MISSING,
    Code.INVALID_PARAMETER: FORMAT,
    Code.INVALID_PARAMETER_VALUE: INVALID,
    Code.JSON_PARSE_FAIL: 18000,
    Code.REQUEST_SIZE_LIMIT: FORMAT,
    Code.EMPTY_PHONE_SET: MISSING,
    Code.PHONE_COUNT_LIMIT: 18019,
    Code.INCORRECT_PHONE: 18014,
    Code.PHONE_IN_BLACKLIST: 18014,
    Code.APP_COUNTRY_NOT_ALLOWED: 18014,
    Code.SUSPENDED_ARREARS: 18013,
    Code.SIGN_UNAPPROVED: 18016,
    Code.TEMPLATE_UNAPPROVED: 18017,
    Code.TEMPLATE_ID_NOT_EXIST: 18017,  # "template missing or not approved"
    Code.MISSING_TEMPLATE_TO_MODIFY: 18017,
    Code.MAINLAND_TEMPLATE_TO_GLOBAL: 18017,
    Code.GLOBAL_TEMPLATE_TO_MAINLAND: 18017,
    Code.INDIVIDUAL_MARKETING: 18017,
    Code.PARAMS_MISMATCH: 18018,
    Code.PARAM_TOO_LONG: 18033,
    Code.PARAM_FORMAT: 18033,
    Code.URL_IN_PARAM: 18033,
    Code.TEMPLATE_DIRTY_WORDS: 18023,
}
DEFAULT = INVALID  # a rule of the platform's the request breaks: "parameter invalid", with its message


def from_rejection(rejection: Rejection) -> UError:
    return UError(TABLE.get(rejection.code, DEFAULT), rejection.message)


def number_code(code: Code) -> int:
    return TABLE.get(code, DEFAULT)
