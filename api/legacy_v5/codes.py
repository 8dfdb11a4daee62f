"""The legacy v5 dialect's codes: the one table from platform outcome codes to legacy `result` codes (A6), the
envelope's own refusals (LegacyError) and the legacy review status of a signature or template."""

from __future__ import annotations

from core.domain.errors import Code

OK = 0

# The legacy `result` codes that are not a platform outcome: they concern the v5 envelope itself.
SIG_MISMATCH = 1001
SIG_MISSING = 1003
BAD_BODY = 1004
OTHER_ERROR = 1007
NO_SUCH_PATH = 1011
NO_SUCH_APP = 1019
TIME_SKEW = 1021

# Every platform outcome and its legacy `result` code (A6), in one table.
LEGACY_CODES: dict[Code, int] = {
    Code.OK: OK,
    Code.AUTH_SIGNATURE_FAILURE: SIG_MISMATCH,
    Code.AUTH_INVALID_AUTHORIZATION: SIG_MISSING,
    Code.AUTH_SECRET_ID_NOT_FOUND: NO_SUCH_APP,
    Code.AUTH_SIGNATURE_EXPIRE: TIME_SKEW,
    Code.AUTH_UNAUTHORIZED: 1006,
    Code.INVALID_ACTION: NO_SUCH_PATH,
    Code.NO_SUCH_VERSION: NO_SUCH_PATH,
    Code.MISSING_PARAMETER: BAD_BODY,
    Code.INVALID_PARAMETER: BAD_BODY,
    Code.INVALID_PARAMETER_VALUE: BAD_BODY,
    Code.REQUEST_SIZE_LIMIT: BAD_BODY,
    Code.JSON_PARSE_FAIL: BAD_BODY,
    Code.EMPTY_PHONE_SET: BAD_BODY,
    Code.LIMIT_VERIFY_FAIL: BAD_BODY,
    Code.OFFSET_VERIFY_FAIL: BAD_BODY,
    Code.BEGIN_TIME_VERIFY_FAIL: BAD_BODY,
    Code.END_TIME_VERIFY_FAIL: BAD_BODY,
    Code.FAILED_OPERATION: 1008,  # "retry later": the legacy API's send timeout, which a retry fixes
    Code.INTERNAL_ERROR: 60008,
    Code.UNSUPPORTED_OPERATION: 1030,
    Code.SIGN_UNAPPROVED: 1012,
    Code.IP_LIMIT: 1013,
    Code.TEMPLATE_UNAPPROVED: 1014,
    Code.PARAMS_MISMATCH: 1014,
    Code.MAINLAND_TEMPLATE_TO_GLOBAL: 1014,
    Code.GLOBAL_TEMPLATE_TO_MAINLAND: 1014,
    Code.PHONE_IN_BLACKLIST: 1015,
    Code.INCORRECT_PHONE: 1016,
    Code.CONTENT_TOO_LONG: 1017,
    Code.APP_VERIFY_FAIL: NO_SUCH_APP,
    Code.APP_DISABLED: 1020,
    Code.APP_DAILY_LIMIT: 1022,
    Code.APP_MAINLAND_DAILY_LIMIT: 1022,
    Code.APP_GLOBAL_DAILY_LIMIT: 1022,
    Code.PHONE_30S_LIMIT: 1023,
    Code.PHONE_HOUR_LIMIT: 1024,
    Code.PHONE_DAILY_LIMIT: 1025,
    Code.PHONE_SAME_CONTENT_DAILY_LIMIT: 1026,
    Code.MARKETING_TIME: 1029,
    Code.INDIVIDUAL_MARKETING: 1032,
    Code.SUSPENDED_ARREARS: 1033,
    Code.MIXED_REGIONS: 1034,
    Code.PARAM_TOO_LONG: 1036,
    Code.PARAM_FORMAT: 1038,
    Code.APP_COUNTRY_NOT_ALLOWED: 1045,
    Code.PHONE_COUNT_LIMIT: 1046,
    Code.INTL_DAILY_LIMIT: 1047,
    Code.URL_IN_PARAM: 1048,
    # Signature and template management (add/mod/del/get_template, add/mod/del/get_sign). A missing item is
    # answered as a send naming it would be (1012 signature, 1014 template); the rest of the submission rules
    # are request values (1004) or, where the legacy table has no code for the rule, "other error" (1007).
    Code.SIGN_NAME_TOO_LONG: 1012,
    Code.SIGN_ID_NOT_EXIST: 1012,
    Code.MISSING_SIGN_TO_MODIFY: 1012,
    Code.TEMPLATE_ID_NOT_EXIST: 1014,
    Code.MISSING_TEMPLATE_TO_MODIFY: 1014,
    Code.TEMPLATE_DIRTY_WORDS: 1002,
    Code.FORBID_MARKETING_TEMPLATES: 1032,
    Code.INVALID_TEMPLATE_FORMAT: BAD_BODY,
    Code.MARKETING_WITHOUT_UNSUBSCRIBE: BAD_BODY,
    Code.INVALID_DOCUMENT_TYPE: BAD_BODY,
    Code.INVALID_SIGN_PURPOSE: BAD_BODY,
    Code.INVALID_INTERNATIONAL: BAD_BODY,
    Code.INVALID_SMS_TYPE: BAD_BODY,
    Code.IMAGE_INVALID: BAD_BODY,
    Code.SIGN_EXIST_UNAPPROVED: OTHER_ERROR,
    Code.SIGN_ALREADY_PASSED: OTHER_ERROR,
    Code.TEMPLATE_ALREADY_PASSED: OTHER_ERROR,
    Code.SIGN_NUMBER_LIMIT: OTHER_ERROR,
    Code.TEMPLATE_NUMBER_LIMIT: OTHER_ERROR,
    # There is no balance outcome (accounts are postpaid; arrears suspend them: 1033), so 1031 is never sent.
}

# The envelope's own refusals, in the legacy wording (errmsg).
LEGACY_MESSAGES: dict[int, str] = {
    SIG_MISMATCH: "sig check failed",
    SIG_MISSING: "sig is missing or empty",
    BAD_BODY: "the request body could not be parsed",
    NO_SUCH_PATH: "no such REST API path",
    NO_SUCH_APP: "sdkappid does not exist",
    TIME_SKEW: "the request time is more than 10 minutes off the server time",
}


def legacy_code(code: Code) -> int:
    """The legacy `result` for a platform outcome; unlisted request-shape codes are 1004, the rest 1007."""
    found = LEGACY_CODES.get(code)
    if found is not None:
        return found
    if code.value.startswith(("InvalidParameter", "MissingParameter")):
        return BAD_BODY
    return OTHER_ERROR


class LegacyError(Exception):
    """A refusal of the v5 envelope itself (sig, time, body shape), answered with its legacy code."""

    def __init__(self, result: int, errmsg: str = "") -> None:
        super().__init__(errmsg or LEGACY_MESSAGES.get(result, "error"))
        self.result = result
        self.errmsg = errmsg or LEGACY_MESSAGES.get(result, "error")


# A3: the legacy review status: 0 approved, 1 waiting (pending or in review), 2 rejected.
LEGACY_STATUS = {"approved": 0, "rejected": 2}


def legacy_status(status: str) -> int:
    return LEGACY_STATUS.get(status, 1)
