"""The 2019-07-11 translation tables (api/tencent_v3/v20190711.py), checked against the official SDK's own models:
every request field of each 2019 model is read and lands on a field of the 2021 model; every answer, built
from the 2021 models' shapes, comes out with exactly the 2019 models' fields and JSON types."""

from __future__ import annotations

import inspect
import re
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from tencentcloud.common.abstract_model import AbstractModel
from tencentcloud.sms.v20190711 import errorcodes as errorcodes_2019
from tencentcloud.sms.v20190711 import models as models_2019
from tencentcloud.sms.v20190711 import sms_client as client_2019
from tencentcloud.sms.v20210111 import errorcodes as errorcodes_2021
from tencentcloud.sms.v20210111 import models as models_2021

from api.tencent_v3 import v20190711 as v2019
from api.tencent_v3.dispatch import ACTIONS, VERSIONS
from core.domain.errors import Code, Rejection

SHANGHAI = ZoneInfo("Asia/Shanghai")
ACTIONS_2019 = sorted(
    name for name, _ in inspect.getmembers(client_2019.SmsClient, inspect.isfunction) if name[0].isupper()
)


def fields(model: type[AbstractModel]) -> list[str]:
    """The model's attributes, in the SDK's order."""
    return [name[1:] for name in vars(model())]


def field_type(model: type[AbstractModel], name: str) -> str:
    """The SDK's `:type Name:` for a field: "int", "str", "list of X" or ":class:`...models.X`"."""
    doc = model.__init__.__doc__ or ""
    found = re.search(rf":type {name}: (.+)", doc)
    assert found, (model.__name__, name)
    return found.group(1).strip()


def struct(module: Any, type_text: str) -> type[AbstractModel] | None:
    """The nested model a type names, if any."""
    name = type_text.removeprefix("list of ").rsplit(".", 1)[-1].strip("`")
    found = getattr(module, name, None)
    return found if isinstance(found, type) and issubclass(found, AbstractModel) else None


def sample(module: Any, model: type[AbstractModel]) -> dict[str, Any]:
    """An answer of the model's shape: ints, strings, one-item lists of nested structures."""
    out: dict[str, Any] = {}
    for name in fields(model):
        if name == "RequestId":
            continue
        type_text = field_type(model, name)
        nested = struct(module, type_text)
        if nested is not None:
            value: Any = sample(module, nested)
            out[name] = [value] if type_text.startswith("list of") else value
        elif type_text.startswith("list of"):
            out[name] = [1] if "int" in type_text else ["text"]
        else:
            out[name] = {"int": 1_570_526_317, "str": "text"}[type_text]
    return out


def assert_shape(module: Any, model: type[AbstractModel], value: dict[str, Any]) -> None:
    """Exactly the model's fields, each of the JSON type the model declares."""
    assert set(value) == set(fields(model)) - {"RequestId"}, model.__name__
    for name, item in value.items():
        type_text = field_type(model, name)
        nested = struct(module, type_text)
        if nested is not None:
            items = item if type_text.startswith("list of") else [item]
            assert isinstance(items, list) and items, (model.__name__, name)
            for one in items:
                assert_shape(module, nested, one)
        elif type_text.startswith("list of"):
            assert isinstance(item, list), (model.__name__, name)
        else:
            expected = {"int": int, "str": str}[type_text]
            assert type(item) is expected, (model.__name__, name, item)


def test_the_version_serves_exactly_the_sdks_16_actions() -> None:
    assert len(ACTIONS_2019) == 16
    assert sorted(v2019.REQUEST_FIELDS) == ACTIONS_2019
    assert VERSIONS["2019-07-11"].actions == frozenset(ACTIONS_2019)
    assert set(ACTIONS_2019) <= {"SendSms", *ACTIONS}


@pytest.mark.parametrize("action", ACTIONS_2019)
def test_every_2019_request_field_is_read_under_a_2021_name(action: str) -> None:
    table = v2019.REQUEST_FIELDS[action]
    assert set(table) == set(fields(getattr(models_2019, f"{action}Request")))
    names_2021 = set(fields(getattr(models_2021, f"{action}Request")))
    assert set(table.values()) <= names_2021
    assert set(v2019.REQUEST_DEFAULTS.get(action, {})) <= names_2021


@pytest.mark.parametrize("action", ACTIONS_2019)
def test_every_answer_has_the_2019_models_fields_and_json_types(action: str) -> None:
    answer_2021 = sample(models_2021, getattr(models_2021, f"{action}Response"))
    answer_2019 = v2019.response(action, answer_2021, SHANGHAI)
    assert_shape(models_2019, getattr(models_2019, f"{action}Response"), answer_2019)


def test_send_sms_fields_are_renamed_and_2021_names_are_not_read() -> None:
    params = {
        "PhoneNumberSet": ["+8613800138000"],
        "SmsSdkAppid": "1400006666",
        "TemplateID": "1110",
        "Sign": "TestCorp",
        "TemplateParamSet": ["1234"],
        "SmsSdkAppId": "1400009999",  # the 2021 name: not a 2019 field
        "SignName": "Other",
    }
    assert v2019.request("SendSms", params) == {
        "PhoneNumberSet": ["+8613800138000"],
        "SmsSdkAppId": "1400006666",
        "TemplateId": "1110",
        "SignName": "TestCorp",
        "TemplateParamSet": ["1234"],
    }
    assert v2019.request("SendSms", {"SmsSdkAppId": "1400006666", "TemplateId": "1"}) == {}


def test_requests_keep_their_values_untouched() -> None:
    """Renaming only: a wrong type reaches the handler as it came, for it to refuse."""
    assert v2019.request("SendStatusStatistics", {"StartDateTime": 2019071100, "EndDataTime": [1]}) == {
        "BeginTime": 2019071100,
        "EndTime": [1],
    }
    assert v2019.request("AddSmsSign", {"UsedMethod": "x"}) == {"SignPurpose": "x"}
    assert v2019.request("PullSmsSendStatusByPhoneNumber", {"SendDateTime": 5, "EndDateTime": 6}) == {
        "BeginTime": 5,
        "EndTime": 6,
    }


def test_packages_statistics_has_no_time_range_so_every_package_is_asked_for() -> None:
    translated = v2019.request(
        "SmsPackagesStatistics", {"SmsSdkAppid": "1400006666", "Limit": 10, "Offset": 0}
    )
    assert translated == {
        "SmsSdkAppId": "1400006666",
        "Limit": 10,
        "Offset": 0,
        "BeginTime": "1970010100",
        "EndTime": "9999123100",
    }
    # a client cannot narrow it with 2021 names either
    assert v2019.request("SmsPackagesStatistics", {"BeginTime": "2024010100"})["BeginTime"] == "1970010100"


def test_an_action_the_version_does_not_have_reads_nothing() -> None:
    assert v2019.request("DescribePhoneNumberInfo", {"PhoneNumberSet": ["+8613800138000"]}) == {}
    assert v2019.response("DescribePhoneNumberInfo", {"PhoneNumberInfoSet": []}, SHANGHAI) == {
        "PhoneNumberInfoSet": []
    }


def test_pull_status_numbers_swap_names_and_times_become_clock_times() -> None:
    at = int(datetime(2019, 10, 8, 9, 18, 37, tzinfo=UTC).timestamp())  # 17:18:37 in Beijing
    status_2021 = {
        "UserReceiveTime": at,
        "CountryCode": "86",
        "SubscriberNumber": "18501234444",
        "PhoneNumber": "+8618501234444",
        "SerialNo": "2019:1",
        "ReportStatus": "SUCCESS",
        "Description": "DELIVRD",
        "SessionContext": "order-42",
    }
    (status,) = v2019.response("PullSmsSendStatus", {"PullSmsSendStatusSet": [status_2021]}, SHANGHAI)[
        "PullSmsSendStatusSet"
    ]
    assert status == {
        "UserReceiveTime": "2019-10-08 17:18:37",
        "UserReceiveUnixTime": at,
        "NationCode": "86",
        "PurePhoneNumber": "+8618501234444",
        "PhoneNumber": "18501234444",
        "SerialNo": "2019:1",
        "ReportStatus": "SUCCESS",
        "Description": "DELIVRD",
    }
    reply_2021 = {
        "ExtendCode": "",
        "CountryCode": "86",
        "PhoneNumber": "+8618501234444",
        "SignName": "TestCorp",
        "ReplyContent": "R",
        "ReplyTime": at,
        "SubscriberNumber": "18501234444",
    }
    (reply,) = v2019.response("PullSmsReplyStatus", {"PullSmsReplyStatusSet": [reply_2021]}, SHANGHAI)[
        "PullSmsReplyStatusSet"
    ]
    assert (reply["Sign"], reply["NationCode"], reply["ReplyTime"], reply["ReplyUnixTime"]) == (
        "TestCorp",
        "86",
        "2019-10-08 17:18:37",
        at,
    )
    assert "SubscriberNumber" not in reply


def test_a_time_that_is_not_set_has_no_clock_time() -> None:
    package = dict.fromkeys(
        [
            "PackageCreateTime",
            "PackageEffectiveTime",
            "PackageAmount",
            "PackageType",
            "PackageId",
            "CurrentUsage",
        ],
        1,
    )
    package["PackageExpiredTime"] = 0
    (out,) = v2019.response("SmsPackagesStatistics", {"SmsPackagesStatisticsSet": [package]}, SHANGHAI)[
        "SmsPackagesStatisticsSet"
    ]
    assert (out["PackageExpiredTime"], out["PackageExpiredUnixTime"]) == ("", 0)
    assert (out["AmountOfPackage"], out["TypeOfPackage"]) == (1, 1)


def test_sign_application_ids_are_the_sign_id_typed_as_each_model_says() -> None:
    assert v2019.response("AddSmsSign", {"AddSignStatus": {"SignId": 7}}, SHANGHAI) == {
        "AddSignStatus": {"SignId": 7, "SignApplyId": 7}
    }
    assert v2019.response("ModifySmsSign", {"ModifySignStatus": {"SignId": 7}}, SHANGHAI) == {
        "ModifySignStatus": {"SignId": 7, "SignApplyId": "7"}
    }


def sdk_codes(module: Any) -> set[str]:
    return {v for k, v in vars(module).items() if k.isupper() and isinstance(v, str)}


@pytest.mark.parametrize("code", list(Code))
def test_every_sms_code_the_platform_answers_exists_in_the_2019_table(code: Code) -> None:
    """The SMS codes (errorcodes.py; the common ones such as AuthFailure.* are not in it) as 2019 has them."""
    answered = v2019.error("SendSms", Rejection(code))["Code"]
    if code.value in sdk_codes(errorcodes_2021):
        assert answered in sdk_codes(errorcodes_2019)
    else:
        assert answered == code.value


def test_a_numbers_refusal_in_a_send_answer_gets_the_versions_code() -> None:
    status = {"SerialNo": "", "PhoneNumber": "+86", "Fee": 0, "SessionContext": "", "IsoCode": ""}
    answer = {
        "SendStatusSet": [{**status, "Code": "InvalidParameterValue.TemplateWithDirtyWords", "Message": "m"}]
    }
    assert v2019.response("SendSms", answer, SHANGHAI)["SendStatusSet"][0]["Code"] == (
        "FailedOperation.ContainSensitiveWord"
    )


@pytest.mark.parametrize(
    ("action", "rejection", "code", "message"),
    [
        pytest.param(
            "SendSms",
            Rejection(Code.MISSING_PARAMETER, "The parameter `SmsSdkAppId` is missing."),
            "MissingParameter",
            "The parameter `SmsSdkAppid` is missing.",
            id="SendSms-app",
        ),
        pytest.param(
            "SendSms",
            Rejection(Code.INVALID_PARAMETER, "The parameter `TemplateId` must be a string."),
            "InvalidParameter",
            "The parameter `TemplateID` must be a string.",
            id="SendSms-template",
        ),
        pytest.param(
            "AddSmsSign",
            Rejection(
                Code.INVALID_SIGN_PURPOSE, "SignPurpose must be 0 (own use) or 1 (on behalf of others)."
            ),
            "InvalidParameterValue.InvalidUsedMethod",
            "UsedMethod must be 0 (own use) or 1 (on behalf of others).",
            id="AddSmsSign-purpose",
        ),
        pytest.param(
            "SendStatusStatistics",
            Rejection(
                Code.END_TIME_VERIFY_FAIL, "EndTime must be an hour as yyyymmddhh, not before BeginTime."
            ),
            "InvalidParameterValue.EndTimeVerifyFail",
            "EndDataTime must be an hour as yyyymmddhh, not before StartDateTime.",
            id="statistics-times",
        ),
        pytest.param(
            "PullSmsSendStatusByPhoneNumber",
            Rejection(Code.BEGIN_TIME_VERIFY_FAIL, "BeginTime must lie within the last 7 days."),
            "InvalidParameterValue.BeginTimeVerifyFail",
            "SendDateTime must lie within the last 7 days.",
            id="pull-times",
        ),
        pytest.param(
            "SendSms",
            Rejection(Code.AUTH_SIGNATURE_FAILURE),
            "AuthFailure.SignatureFailure",
            Rejection(Code.AUTH_SIGNATURE_FAILURE).message,
            id="unchanged",
        ),
        pytest.param(
            "SendSms",
            Rejection(Code.INVALID_PARAMETER, "SignNameX and XSmsSdkAppId are not field names."),
            "InvalidParameter",
            "SignNameX and XSmsSdkAppId are not field names.",
            id="whole-words-only",
        ),
    ],
)
def test_errors_in_the_versions_words(action: str, rejection: Rejection, code: str, message: str) -> None:
    assert v2019.error(action, rejection) == {"Code": code, "Message": message}
