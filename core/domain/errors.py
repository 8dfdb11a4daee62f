"""Platform outcome codes. Expected failures are values carrying one of these; each API dialect maps them to
its wire codes in one table. The names follow Tencent Cloud SMS API 3.0, the platform's first dialect."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Code(StrEnum):
    OK = "Ok"
    # Auth and request shape
    AUTH_INVALID_AUTHORIZATION = "AuthFailure.InvalidAuthorization"
    AUTH_SECRET_ID_NOT_FOUND = "AuthFailure.SecretIdNotFound"  # noqa: S105 - an error code, not a secret
    AUTH_SIGNATURE_EXPIRE = "AuthFailure.SignatureExpire"
    AUTH_SIGNATURE_FAILURE = "AuthFailure.SignatureFailure"
    AUTH_UNAUTHORIZED = "AuthFailure.UnauthorizedOperation"
    INVALID_ACTION = "InvalidAction"
    NO_SUCH_VERSION = "NoSuchVersion"
    MISSING_PARAMETER = "MissingParameter"
    INVALID_PARAMETER = "InvalidParameter"
    INVALID_PARAMETER_VALUE = "InvalidParameterValue"
    REQUEST_SIZE_LIMIT = "RequestSizeLimitExceeded"
    JSON_PARSE_FAIL = "FailedOperation.JsonParseFail"
    INTERNAL_ERROR = "InternalError"
    FAILED_OPERATION = "FailedOperation"
    # The same signed request is still running (its duplicate waited for the answer in vain).
    REQUEST_IN_PROGRESS = "ResourceInUse"
    # Sending
    EMPTY_PHONE_SET = "MissingParameter.EmptyPhoneNumberSet"
    PHONE_COUNT_LIMIT = "LimitExceeded.PhoneNumberCountLimit"
    INCORRECT_PHONE = "InvalidParameterValue.IncorrectPhoneNumber"
    MIXED_REGIONS = "UnsupportedOperation.ContainDomesticAndInternationalPhoneNumber"
    APP_VERIFY_FAIL = "UnauthorizedOperation.SmsSdkAppIdVerifyFail"
    APP_DISABLED = "UnauthorizedOperation.SdkAppIdIsDisabled"
    SUSPENDED_ARREARS = "UnauthorizedOperation.ServiceSuspendDueToArrears"
    INDIVIDUAL_MARKETING = "UnauthorizedOperation.IndividualUserMarketingSmsPermissionDeny"
    SIGN_UNAPPROVED = "FailedOperation.SignatureIncorrectOrUnapproved"
    TEMPLATE_UNAPPROVED = "FailedOperation.TemplateIncorrectOrUnapproved"
    PARAMS_MISMATCH = "FailedOperation.TemplateParamSetNotMatchApprovedTemplate"
    PARAM_TOO_LONG = "InvalidParameterValue.TemplateParameterLengthLimit"
    PARAM_FORMAT = "InvalidParameterValue.TemplateParameterFormatError"
    URL_IN_PARAM = "InvalidParameterValue.ProhibitedUseUrlInTemplateParameter"
    CONTENT_TOO_LONG = "InvalidParameterValue.ContentLengthLimit"
    MAINLAND_TEMPLATE_TO_GLOBAL = "UnsupportedOperation.ChineseMainlandTemplateToGlobalPhone"
    GLOBAL_TEMPLATE_TO_MAINLAND = "UnsupportedOperation.GlobalTemplateToChineseMainlandPhone"
    MARKETING_TIME = "FailedOperation.MarketingSendTimeConstraint"
    INTL_DAILY_LIMIT = "LimitExceeded.DailyLimit"
    # SendMultiGlobalSms: international numbers only, refused one by one otherwise (T2, D4)
    CONTAIN_DOMESTIC = "UnsupportedOperation.ContainDomesticPhoneNumber"
    MULTI_SMS_INFO_EMPTY = "InvalidParameterValue.MultiSmsInfoSetEmpty"
    # A record the request names (a conversion report's message) is not the caller's or does not exist.
    RESOURCE_NOT_FOUND = "ResourceNotFound"
    # The per-number gate (L1-L4)
    PHONE_30S_LIMIT = "LimitExceeded.PhoneNumberThirtySecondLimit"
    PHONE_HOUR_LIMIT = "LimitExceeded.PhoneNumberOneHourLimit"
    PHONE_DAILY_LIMIT = "LimitExceeded.PhoneNumberDailyLimit"
    PHONE_SAME_CONTENT_DAILY_LIMIT = "LimitExceeded.PhoneNumberSameContentDailyLimit"
    APP_DAILY_LIMIT = "LimitExceeded.AppDailyLimit"
    APP_MAINLAND_DAILY_LIMIT = "LimitExceeded.AppMainlandChinaDailyLimit"
    APP_GLOBAL_DAILY_LIMIT = "LimitExceeded.AppGlobalDailyLimit"
    PHONE_IN_BLACKLIST = "FailedOperation.PhoneNumberInBlacklist"
    APP_COUNTRY_NOT_ALLOWED = "LimitExceeded.AppCountryOrRegionInBlacklist"
    IP_LIMIT = "RequestLimitExceeded.IPLimitExceeded"
    # Templates and operations
    INVALID_TEMPLATE_FORMAT = "InvalidParameterValue.InvalidTemplateFormat"
    UNSUPPORTED_OPERATION = "UnsupportedOperation"
    # Signatures and templates (review)
    INVALID_DOCUMENT_TYPE = "InvalidParameterValue.InvalidDocumentType"
    INVALID_SIGN_PURPOSE = "InvalidParameterValue.InvalidSignPurpose"
    INVALID_INTERNATIONAL = "InvalidParameterValue.InvalidInternational"
    IMAGE_INVALID = "InvalidParameterValue.ImageInvalid"
    INVALID_SMS_TYPE = "InvalidParameterValue.InvalidSmsType"
    SIGN_NAME_TOO_LONG = "InvalidParameterValue.SignNameLengthTooLong"
    SIGN_EXIST_UNAPPROVED = "InvalidParameterValue.SignExistAndUnapproved"
    SIGN_ALREADY_PASSED = "InvalidParameterValue.SignAlreadyPassedCheck"
    MARKETING_WITHOUT_UNSUBSCRIBE = "InvalidParameterValue.MarketingTemplateWithoutUnsubscribe"
    TEMPLATE_DIRTY_WORDS = "InvalidParameterValue.TemplateWithDirtyWords"
    LIMIT_VERIFY_FAIL = "InvalidParameterValue.LimitVerifyFail"
    OFFSET_VERIFY_FAIL = "InvalidParameterValue.OffsetVerifyFail"
    BEGIN_TIME_VERIFY_FAIL = "InvalidParameterValue.BeginTimeVerifyFail"
    END_TIME_VERIFY_FAIL = "InvalidParameterValue.EndTimeVerifyFail"
    FORBID_MARKETING_TEMPLATES = "FailedOperation.ForbidAddMarketingTemplates"
    SIGN_NUMBER_LIMIT = "FailedOperation.SignNumberLimit"
    TEMPLATE_NUMBER_LIMIT = "FailedOperation.TemplateNumberLimit"
    TEMPLATE_ALREADY_PASSED = "FailedOperation.TemplateAlreadyPassedCheck"
    MISSING_SIGN_TO_MODIFY = "FailedOperation.MissingSignatureToModify"
    MISSING_TEMPLATE_TO_MODIFY = "FailedOperation.MissingTemplateToModify"
    SIGN_ID_NOT_EXIST = "FailedOperation.SignIdNotExist"
    TEMPLATE_ID_NOT_EXIST = "FailedOperation.TemplateIdNotExist"


MESSAGES: dict[Code, str] = {
    Code.OK: "send success",
    Code.AUTH_INVALID_AUTHORIZATION: "The Authorization header is malformed.",
    Code.AUTH_SECRET_ID_NOT_FOUND: "The SecretId is not found, please ensure that your SecretId is correct.",
    Code.AUTH_SIGNATURE_EXPIRE: "Signature expired, the timestamp is more than 300 seconds off.",
    Code.AUTH_SIGNATURE_FAILURE: (
        "The provided credentials could not be validated. Please check your signature is correct."
    ),
    Code.AUTH_UNAUTHORIZED: "The API key is disabled.",
    Code.INVALID_ACTION: "The requested action does not exist.",
    Code.NO_SUCH_VERSION: "The requested API version does not exist.",
    Code.MISSING_PARAMETER: "A required parameter is missing.",
    Code.INVALID_PARAMETER: "A parameter has the wrong type.",
    Code.INVALID_PARAMETER_VALUE: "A parameter has an invalid value.",
    Code.REQUEST_SIZE_LIMIT: "The request body is larger than the limit.",
    Code.JSON_PARSE_FAIL: "The request body is not valid JSON.",
    Code.INTERNAL_ERROR: "Internal error, please retry later.",
    Code.FAILED_OPERATION: "The operation failed, please retry later.",
    Code.REQUEST_IN_PROGRESS: (
        "The same signed request is still being processed; send it again unchanged to get its answer."
    ),
    Code.EMPTY_PHONE_SET: "The phone number list is empty.",
    Code.PHONE_COUNT_LIMIT: "More than 200 phone numbers in one request.",
    Code.INCORRECT_PHONE: "The phone number format is incorrect.",
    Code.MIXED_REGIONS: "A request cannot mix Chinese mainland and international numbers.",
    Code.APP_VERIFY_FAIL: "The SmsSdkAppId does not belong to this account.",
    Code.APP_DISABLED: "The SmsSdkAppId is disabled.",
    Code.SUSPENDED_ARREARS: "Service is suspended because the account is in arrears.",
    Code.INDIVIDUAL_MARKETING: "Individual accounts cannot send marketing SMS.",
    Code.SIGN_UNAPPROVED: "The signature does not exist or is not approved.",
    Code.TEMPLATE_UNAPPROVED: "The template does not exist or is not approved.",
    Code.PARAMS_MISMATCH: "The template parameters do not match the approved template.",
    Code.PARAM_TOO_LONG: "A template parameter is too long.",
    Code.PARAM_FORMAT: "A verification code parameter must be 0 to 6 digits.",
    Code.URL_IN_PARAM: "URLs are not allowed in template parameters.",
    Code.CONTENT_TOO_LONG: "The message content is too long.",
    Code.MAINLAND_TEMPLATE_TO_GLOBAL: "A Chinese mainland template cannot be sent to an international number.",
    Code.GLOBAL_TEMPLATE_TO_MAINLAND: "An international template cannot be sent to a Chinese mainland number.",
    Code.MARKETING_TIME: "Marketing SMS can only be sent between 08:00 and 22:00.",
    Code.INTL_DAILY_LIMIT: "The account's international daily limit is reached.",
    Code.CONTAIN_DOMESTIC: "This request sends international SMS only: a Chinese mainland number is refused.",
    Code.MULTI_SMS_INFO_EMPTY: "MultiSmsInfoSet is empty.",
    Code.RESOURCE_NOT_FOUND: "The resource does not exist.",
    Code.PHONE_30S_LIMIT: "The same content was sent to this number within the last 30 seconds.",
    Code.PHONE_HOUR_LIMIT: "This number has reached its limit for the hour.",
    Code.PHONE_DAILY_LIMIT: "This number has reached its limit for the day.",
    Code.PHONE_SAME_CONTENT_DAILY_LIMIT: "This number has received this content as often as allowed today.",
    Code.APP_DAILY_LIMIT: "The application's daily limit is reached.",
    Code.APP_MAINLAND_DAILY_LIMIT: "The application's daily limit for Chinese mainland SMS is reached.",
    Code.APP_GLOBAL_DAILY_LIMIT: "The application's daily limit for international SMS is reached.",
    Code.APP_COUNTRY_NOT_ALLOWED: "The application may not send to this country or region.",
    Code.IP_LIMIT: "Too many requests from this IP address; slow down.",
    Code.PHONE_IN_BLACKLIST: "The mobile number is blocked: it unsubscribed from this account's messages.",
    Code.INVALID_TEMPLATE_FORMAT: "The template format is invalid.",
    Code.UNSUPPORTED_OPERATION: "This operation is not supported.",
    Code.INVALID_DOCUMENT_TYPE: "DocumentType is invalid for this SignType.",
    Code.INVALID_SIGN_PURPOSE: "SignPurpose is invalid.",
    Code.INVALID_INTERNATIONAL: "International is invalid.",
    Code.IMAGE_INVALID: "The image is not a valid base64 image within the size limit.",
    Code.INVALID_SMS_TYPE: "SmsType is invalid.",
    Code.SIGN_NAME_TOO_LONG: "The signature name is too long.",
    Code.SIGN_EXIST_UNAPPROVED: "The same signature is already waiting for review.",
    Code.SIGN_ALREADY_PASSED: "The signature is approved and can no longer be modified.",
    Code.MARKETING_WITHOUT_UNSUBSCRIBE: "A marketing template must tell recipients how to unsubscribe (reply TD).",
    Code.TEMPLATE_DIRTY_WORDS: "The template contains banned content.",
    Code.LIMIT_VERIFY_FAIL: "Limit is invalid.",
    Code.OFFSET_VERIFY_FAIL: "Offset is invalid.",
    Code.BEGIN_TIME_VERIFY_FAIL: "BeginTime is invalid.",
    Code.END_TIME_VERIFY_FAIL: "EndTime is invalid.",
    Code.FORBID_MARKETING_TEMPLATES: "Individual accounts cannot apply for marketing templates.",
    Code.SIGN_NUMBER_LIMIT: "The account has reached its maximum number of signatures.",
    Code.TEMPLATE_NUMBER_LIMIT: "The account has reached its maximum number of templates.",
    Code.TEMPLATE_ALREADY_PASSED: "The template is approved and can no longer be modified.",
    Code.MISSING_SIGN_TO_MODIFY: "The signature to modify does not exist.",
    Code.MISSING_TEMPLATE_TO_MODIFY: "The template to modify does not exist.",
    Code.SIGN_ID_NOT_EXIST: "The signature does not exist.",
    Code.TEMPLATE_ID_NOT_EXIST: "The template does not exist.",
}


@dataclass(frozen=True)
class Rejection:
    """An expected failure: a code and, optionally, a more specific message."""

    code: Code
    detail: str = ""

    @property
    def message(self) -> str:
        return self.detail or MESSAGES.get(self.code, self.code.value)


class PlatformError(Exception):
    """Raised by a handler to answer the whole request with an error code."""

    def __init__(self, code: Code, detail: str = "") -> None:
        super().__init__(detail or MESSAGES.get(code, code.value))
        self.rejection = Rejection(code, detail)
