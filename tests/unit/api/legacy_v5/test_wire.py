"""The legacy v5 dialect's pure parts: the `sig` (spec A2 test vectors), the code table (A6), the bodies (A3)
and plain-text messages matched against approved templates."""

from __future__ import annotations

from typing import Any

import pytest

from api.legacy_v5 import auth, catalog_wire, codes, plain_text, wire
from core.domain.errors import Code, PlatformError
from core.domain.sending import Template

APPKEY = "5f03a35d00ee52a21327ab048186a2c4"
RANDOM = "7226249334"
TIME = 1457336869


@pytest.mark.parametrize(
    ("mobiles", "sig"),
    [
        (["13788888888"], "ecab4881ee80ad3d76bb1da68387428ca752eb885e52621a3129dcf4d9bc4fd4"),
        (
            ["13788888888", "13788888889"],
            "be66bb4aeb54701ed0637d0996a0b75111d5b8eda9b3a71bdc579a3d26f3edfb",
        ),
        ([], "c13e54f047ed75e821e698730c72d030dc30e5b510b3f8a0fb6fb7605283d7df"),
    ],
)
def test_sig_reproduces_the_documented_vectors(mobiles: list[str], sig: str) -> None:
    assert auth.compute_sig(APPKEY, RANDOM, TIME, mobiles) == sig
    assert auth.verify_sig(APPKEY, RANDOM, TIME, mobiles, sig)
    assert auth.verify_sig(APPKEY, RANDOM, TIME, mobiles, sig.upper())
    assert not auth.verify_sig(APPKEY, RANDOM, TIME + 1, mobiles, sig)
    assert not auth.verify_sig("0" * 32, RANDOM, TIME, mobiles, sig)


def test_the_captured_single_send_sig_verifies() -> None:
    sig = "196ee2158d03df178339cd14dc053d10ac062ae4ba0630937f5f79c4002ba385"
    assert auth.verify_sig(APPKEY, "217887", 1795322929, ["13788888888"], sig)


def test_a_sig_that_is_not_ascii_is_simply_wrong() -> None:
    assert not auth.verify_sig(APPKEY, RANDOM, TIME, [], "\u00e9" * 64)


@pytest.mark.parametrize(
    ("code", "result"),
    [
        (Code.OK, 0),
        (Code.AUTH_SIGNATURE_FAILURE, 1001),
        (Code.AUTH_INVALID_AUTHORIZATION, 1003),
        (Code.JSON_PARSE_FAIL, 1004),
        (Code.INVALID_PARAMETER_VALUE, 1004),
        (Code.AUTH_UNAUTHORIZED, 1006),
        (Code.FAILED_OPERATION, 1008),
        (Code.INVALID_ACTION, 1011),
        (Code.SIGN_UNAPPROVED, 1012),
        (Code.IP_LIMIT, 1013),
        (Code.TEMPLATE_UNAPPROVED, 1014),
        (Code.PARAMS_MISMATCH, 1014),
        (Code.GLOBAL_TEMPLATE_TO_MAINLAND, 1014),
        (Code.PHONE_IN_BLACKLIST, 1015),
        (Code.INCORRECT_PHONE, 1016),
        (Code.CONTENT_TOO_LONG, 1017),
        (Code.APP_VERIFY_FAIL, 1019),
        (Code.APP_DISABLED, 1020),
        (Code.AUTH_SIGNATURE_EXPIRE, 1021),
        (Code.APP_DAILY_LIMIT, 1022),
        (Code.APP_MAINLAND_DAILY_LIMIT, 1022),
        (Code.PHONE_30S_LIMIT, 1023),
        (Code.PHONE_HOUR_LIMIT, 1024),
        (Code.PHONE_DAILY_LIMIT, 1025),
        (Code.PHONE_SAME_CONTENT_DAILY_LIMIT, 1026),
        (Code.MARKETING_TIME, 1029),
        (Code.UNSUPPORTED_OPERATION, 1030),
        (Code.INDIVIDUAL_MARKETING, 1032),
        (Code.SUSPENDED_ARREARS, 1033),
        (Code.MIXED_REGIONS, 1034),
        (Code.PARAM_TOO_LONG, 1036),
        (Code.PARAM_FORMAT, 1038),
        (Code.APP_COUNTRY_NOT_ALLOWED, 1045),
        (Code.PHONE_COUNT_LIMIT, 1046),
        (Code.INTL_DAILY_LIMIT, 1047),
        (Code.URL_IN_PARAM, 1048),
        (Code.INTERNAL_ERROR, 60008),
        # Signature and template management
        (Code.SIGN_NAME_TOO_LONG, 1012),
        (Code.SIGN_ID_NOT_EXIST, 1012),
        (Code.MISSING_SIGN_TO_MODIFY, 1012),
        (Code.TEMPLATE_ID_NOT_EXIST, 1014),
        (Code.MISSING_TEMPLATE_TO_MODIFY, 1014),
        (Code.TEMPLATE_DIRTY_WORDS, 1002),
        (Code.FORBID_MARKETING_TEMPLATES, 1032),
        (Code.MARKETING_WITHOUT_UNSUBSCRIBE, 1004),
        (Code.INVALID_SMS_TYPE, 1004),
        (Code.IMAGE_INVALID, 1004),
        (Code.INVALID_INTERNATIONAL, 1004),
        (Code.SIGN_EXIST_UNAPPROVED, 1007),
        (Code.SIGN_ALREADY_PASSED, 1007),
        (Code.TEMPLATE_ALREADY_PASSED, 1007),
        (Code.TEMPLATE_NUMBER_LIMIT, 1007),
    ],
)
def test_each_platform_outcome_has_its_legacy_code(code: Code, result: int) -> None:
    assert codes.legacy_code(code) == result


def test_every_platform_code_maps_to_a_documented_legacy_code() -> None:
    documented = {0, 1001, 1002, 1003, 1004, 1006, 1007, 1008, 1011, 1012, 1013, 1014, 1015, 1016, 1017}
    documented |= {1019, 1020, 1021, 1022, 1023, 1024, 1025, 1026, 1029, 1030, 1031, 1032, 1033, 1034}
    documented |= {1036, 1038, 1045, 1046, 1047, 1048, 60008}
    assert {codes.legacy_code(c) for c in Code} <= documented
    # Review-only codes (signature/template submission) fall back by family.
    assert codes.legacy_code(Code.INVALID_DOCUMENT_TYPE) == 1004
    assert codes.legacy_code(Code.SIGN_NUMBER_LIMIT) == 1007


def test_a_time_more_than_ten_minutes_off_is_refused_with_1021() -> None:
    auth.check_time(TIME, TIME + 600)
    auth.check_time(TIME, TIME - 600)
    for now in (TIME + 601, TIME - 601):
        with pytest.raises(codes.LegacyError) as caught:
            auth.check_time(TIME, now)
        assert caught.value.result == 1021


def _code(body: dict[str, Any], **kw: bool) -> int:
    with pytest.raises((codes.LegacyError, PlatformError)) as caught:
        wire.parse_send(body, **kw)
    error = caught.value
    return error.result if isinstance(error, codes.LegacyError) else codes.legacy_code(error.rejection.code)


def test_nationcode_and_mobile_may_be_numbers_or_strings() -> None:
    multi = wire.parse_send(
        {"tel": [{"nationcode": 86, "mobile": 13788888888}, {"nationcode": "86", "mobile": "137"}],
         "tpl_id": 7, "params": ["1"], "sign": "S", "ext": "x"},
        multi=True,
    )  # fmt: skip
    assert [t.phone for t in multi.tels] == ["+8613788888888", "+86137"]
    assert multi.mobiles == ["13788888888", "137"]
    assert (multi.tpl_id, multi.params, multi.sign, multi.ext) == (7, ("1",), "S", "x")
    single = wire.parse_send(
        {"tel": {"nationcode": "86", "mobile": "1"}, "type": 0, "msg": "hi"}, multi=False
    )
    assert (single.tpl_id, single.msg, single.sms_type) == (None, "hi", 0)


@pytest.mark.parametrize(
    ("body", "multi", "result"),
    [
        ({"tel": {"nationcode": "86", "mobile": True}, "type": 0, "msg": "x"}, False, 1004),
        ({"tel": {"nationcode": [86], "mobile": "1"}, "type": 0, "msg": "x"}, False, 1004),
        ({"tel": "13788888888", "type": 0, "msg": "x"}, False, 1004),
        ({"tel": {"mobile": "1"}, "type": 0, "msg": 5}, False, 1004),
        ({"tel": {"mobile": "1"}, "type": 2, "msg": "x"}, False, 1004),
        ({"tel": {"mobile": "1"}, "tpl_id": "abc", "params": []}, False, 1004),
        ({"tel": {"mobile": "1"}, "tpl_id": 1, "params": "1"}, False, 1004),
        ({"tel": {"mobile": "1"}, "tpl_id": 1, "params": [{"a": 1}]}, False, 1004),
        ({"tel": [], "tpl_id": 1, "params": []}, True, 1004),
        ({"tel": {"mobile": "1"}, "tpl_id": 1, "params": []}, True, 1004),
        ({"tel": [{"nationcode": 86, "mobile": "1"}] * 201, "tpl_id": 1, "params": []}, True, 1046),
    ],
)
def test_malformed_send_bodies_get_their_legacy_code(body: dict[str, Any], multi: bool, result: int) -> None:
    assert _code(body, multi=multi) == result


def test_envelope_needs_sig_random_and_an_integer_time() -> None:
    assert wire.parse_envelope("1", {"sig": "ab", "time": 5}) == wire.Envelope("1", "ab", 5)
    for random, body, result in [
        ("1", {"time": 5}, 1003),
        ("1", {"sig": "", "time": 5}, 1003),
        ("1", {"sig": 7, "time": 5}, 1004),
        ("1", {"sig": "ab", "time": "soon"}, 1004),
        (None, {"sig": "ab", "time": 5}, 1004),
    ]:
        with pytest.raises(codes.LegacyError) as caught:
            wire.parse_envelope(random, body)
        assert caught.value.result == result


def test_pull_bodies() -> None:
    assert wire.parse_pull({"type": 0, "max": 500}, by_mobile=False) == wire.PullBody("status", 100)
    assert wire.parse_pull({"type": 1, "max": "10"}, by_mobile=False) == wire.PullBody("reply", 10)
    by_mobile = wire.parse_pull(
        {"type": 0, "max": 10, "begin_time": 1, "end_time": 2, "nationcode": "86", "mobile": "137"},
        by_mobile=True,
    )
    assert by_mobile == wire.PullBody("status", 10, wire.Tel("86", "137"), 1, 2)
    for body in ({"type": 2, "max": 1}, {"type": 0, "max": 0}, {"type": 0}, {"type": "x", "max": 1}):
        with pytest.raises(codes.LegacyError):
            wire.parse_pull(body, by_mobile=False)


T1 = Template(1, "Your code is {1}, valid for {2} minutes.", 0, False, "approved")
T1_INTL = Template(2, "Your code is {1}, valid for {2} minutes.", 0, True, "approved")
GENERIC = Template(3, "Your code is {1}", 0, False, "approved")
PROMO = Template(4, "Sale {1}! Reply TD to unsubscribe", 1, False, "approved")
PENDING = Template(5, "Hello {1}", 0, False, "pending")
REPEAT = Template(6, "{1} and {1} again {2}", 0, False, "approved")
ALL = [T1, T1_INTL, GENERIC, PROMO, PENDING, REPEAT]


@pytest.mark.parametrize(
    ("text", "marketing", "international", "expected"),
    [
        ("Your code is 1234, valid for 5 minutes.", False, False, (T1, ("1234", "5"))),
        ("Your code is 1234, valid for 5 minutes.", False, True, (T1_INTL, ("1234", "5"))),
        ("Your code is 99", False, False, (GENERIC, ("99",))),
        ("Sale today! Reply TD to unsubscribe", True, False, (PROMO, ("today",))),
        ("Sale today! Reply TD to unsubscribe", False, False, None),
        ("Hello you", False, False, None),
        ("x and x again y", False, False, (REPEAT, ("x", "y"))),
        ("x and z again y", False, False, None),
        (
            "Your code is 1234, valid for 5 minutes. Extra",
            False,
            False,
            (GENERIC, ("1234, valid for 5 minutes. Extra",)),
        ),
    ],
)
def test_plain_text_is_matched_against_approved_templates(
    text: str, marketing: bool, international: bool, expected: tuple[Template, tuple[str, ...]] | None
) -> None:
    assert plain_text.match_template(text, ALL, marketing=marketing, international=international) == expected


@pytest.mark.parametrize(
    ("msg", "mainland", "expected"),
    [
        ("【TestCorp】Your code", True, ("TestCorp", "Your code")),
        ("Your code【TestCorp】", True, ("TestCorp", "Your code")),
        ("Your code", True, ("", "Your code")),
        ("[TestCorp] Your code", False, ("TestCorp", "Your code")),
        ("Your code", False, ("", "Your code")),
    ],
)
def test_the_signature_is_taken_off_a_plain_text_message(
    msg: str, mainland: bool, expected: tuple[str, str]
) -> None:
    assert plain_text.split_sign(msg, mainland=mainland) == expected


def test_template_bodies() -> None:
    body = {"title": "T", "text": "Code {1}", "type": 0, "remark": "r"}
    assert catalog_wire.parse_template(body, modify=False) == catalog_wire.TemplateBody(
        "T", "Code {1}", 0, 0, "r"
    )
    untitled = catalog_wire.parse_template(
        {"text": "x" * 40, "type": "1", "international": 1, "tpl_id": 9}, modify=True
    )
    assert untitled == catalog_wire.TemplateBody("x" * 30, "x" * 40, 1, 1, "", tpl_id=9)
    for bad, modify in [
        ({"type": 0}, False),
        ({"text": 5, "type": 0}, False),
        ({"text": "x", "type": "x"}, False),
        ({"text": "x", "type": True}, False),
        ({"text": "x", "type": 0, "title": 3}, False),
        ({"text": "x", "type": 0, "international": [1]}, False),
        ({"text": "x", "type": 0}, True),
    ]:
        with pytest.raises(codes.LegacyError) as caught:
            catalog_wire.parse_template(bad, modify=modify)
        assert caught.value.result == 1004


def test_sign_bodies() -> None:
    assert catalog_wire.parse_sign({"text": "Acme", "pic": "AA=="}, modify=False) == catalog_wire.SignBody(
        "Acme", "AA==", 0, ""
    )
    assert catalog_wire.parse_sign(
        {"text": "A", "pic": "p", "sign_id": "7", "international": 1}, modify=True
    ) == (catalog_wire.SignBody("A", "p", 1, "", sign_id=7))
    for bad, modify in [({"text": "A"}, False), ({"pic": "p"}, False), ({"text": "A", "pic": "p"}, True)]:
        with pytest.raises(codes.LegacyError) as caught:
            catalog_wire.parse_sign(bad, modify=modify)
        assert caught.value.result == 1004


def test_id_lists_and_pages() -> None:
    assert catalog_wire.parse_ids({"tpl_id": [3, "4", 3]}, "tpl_id") == [3, 4]
    assert catalog_wire.parse_ids({"sign_id": 5}, "sign_id") == [5]
    assert catalog_wire.parse_listing(
        {"tpl_page": {"max": 10, "offset": 20}}, "tpl_id", "tpl_page"
    ) == catalog_wire.Listing(max=10, offset=20)
    assert catalog_wire.parse_listing({"tpl_id": [1]}, "tpl_id", "tpl_page") == catalog_wire.Listing(ids=(1,))
    for body in (
        {"tpl_id": []},
        {"tpl_id": ["x"]},
        {"tpl_id": [True]},
        {"tpl_id": list(range(101))},
        {},
        {"tpl_page": {"max": 0}},
        {"tpl_page": {"max": 101}},
        {"tpl_page": {"max": 1, "offset": -1}},
        {"tpl_page": [1]},
    ):
        with pytest.raises(codes.LegacyError) as caught:
            catalog_wire.parse_listing(body, "tpl_id", "tpl_page")
        assert caught.value.result == 1004
    with pytest.raises(codes.LegacyError):  # get_sign has no page form
        catalog_wire.parse_listing({"tpl_page": {"max": 1}}, "sign_id", None)


def test_statistics_dates_and_review_status() -> None:
    assert wire.parse_date_span({"begin_date": 2024010100, "end_date": "2024010123"}) == (
        "2024010100",
        "2024010123",
    )
    with pytest.raises(codes.LegacyError):
        wire.parse_date_span({"begin_date": 2024010100})
    assert [codes.legacy_status(s) for s in ("approved", "pending", "reviewing", "rejected")] == [0, 1, 1, 2]


# Issue 14, finding 6: a v5 id over int64 reached Postgres (60008); "--1" or 5,000 digits reached int().
@pytest.mark.parametrize(
    "value", [2**63, -(2**63) - 1, 10**30, "--1", pytest.param("9" * 5000, id="5000 digits"), "٣", True]
)
def test_ids_and_integers_outside_int64_are_a_body_error(value: Any) -> None:
    for body, read in (
        ({"tpl_id": [value]}, lambda b: catalog_wire.parse_ids(b, "tpl_id")),
        ({"sign_id": value}, lambda b: catalog_wire.parse_ids(b, "sign_id")),
        ({"text": "t", "pic": "p", "sign_id": value}, lambda b: catalog_wire.parse_sign(b, modify=True)),
        ({"type": 0, "max": 10, "nationcode": "86", "mobile": "1", "begin_time": 0, "end_time": value},
         lambda b: wire.parse_pull(b, by_mobile=True)),
    ):  # fmt: skip
        with pytest.raises(codes.LegacyError) as err:
            read(body)
        assert err.value.result == codes.BAD_BODY


def test_the_int64_ends_are_still_read() -> None:
    assert catalog_wire.parse_ids({"tpl_id": [2**63 - 1, str(2**63 - 1)]}, "tpl_id") == [2**63 - 1]
