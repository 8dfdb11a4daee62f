"""Rules T1 (variables), T4 (no links in parameters), A1 (12-character values), D3 (parameter count),
S6 (signature placement) and the verification-code format."""

from __future__ import annotations

import time
from collections.abc import Sequence

import pytest

from core.domain.errors import Code
from core.domain.templates import (
    INVALID_TEMPLATE_FORMAT,
    check_params,
    check_template_format,
    compose,
    render,
    variable_count,
    variable_indexes,
)

# The seed FAQ's own templates.
SEED_VERIFY = (
    "Your verification code is {1}, which is valid for {2} minutes and should not be disclosed to others. "
    "If you did not make this request, please ignore this message."
)
SEED_REMARK = (
    "Your verification code is {1}. Please enter it in {2} minutes. If you did not make this request, "
    "please contact the customer service at {3}."
)


@pytest.mark.parametrize(
    ("content", "indexes", "count"),
    [
        (SEED_VERIFY, [1, 2], 2),
        (SEED_REMARK, [1, 2, 3], 3),
        ("No variables here.", [], 0),
        ("Hi {1}, {1} again, then {2}.", [1, 1, 2], 2),
        ("{2} before {1}", [2, 1], 2),
        ("Braces {a} {} { 1 } are text", [], 0),
    ],
)
def test_t1_variable_indexes_and_count(content: str, indexes: list[int], count: int) -> None:
    assert variable_indexes(content) == indexes
    assert variable_count(content) == count


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(SEED_VERIFY, id="T1-seed-verification-template"),
        pytest.param(SEED_REMARK, id="T1-seed-three-variables"),
        pytest.param("Order shipped.", id="T1-no-variables"),
        pytest.param("Hi {1}, your code {2}; again {1}.", id="T1-repeat-of-earlier-index"),
        pytest.param("验证码{1}", id="T1-cjk-text-counts"),
    ],
)
def test_t1_valid_templates(content: str) -> None:
    assert check_template_format(content) is None


@pytest.mark.parametrize(
    "content",
    [
        pytest.param("Code {0}.", id="T1-starts-at-0"),
        pytest.param("Code {2}.", id="T1-starts-at-2"),
        pytest.param("Code {1} valid {3} min.", id="T1-gap"),
        pytest.param("Code {2} valid {1} min.", id="T1-out-of-order"),
        pytest.param("Code {01}.", id="T1-leading-zero"),
        pytest.param("Code ｛1｝.", id="T1-full-width-braces"),
        pytest.param("{1}", id="T1-variables-only"),
        pytest.param("{1}{2}", id="T1-two-variables-only"),
        pytest.param(" {1} : {2} ", id="T1-variables-and-punctuation-only"),
        pytest.param("", id="T1-empty"),
    ],
)
def test_t1_invalid_templates_are_rejected(content: str) -> None:
    rejection = check_template_format(content)
    assert rejection is not None
    assert rejection.code == INVALID_TEMPLATE_FORMAT
    assert rejection.code.value.startswith("InvalidParameterValue")


@pytest.mark.parametrize(
    ("content", "params", "rendered"),
    [
        (SEED_VERIFY, ["123456", "5"], SEED_VERIFY.replace("{1}", "123456").replace("{2}", "5")),
        ("Hi {1}, bye {1}.", ["Ann"], "Hi Ann, bye Ann."),
        ("{2} then {1}", ["a", "b"], "b then a"),
        ("Hi {1} and {2}", ["{2}", "x"], "Hi {2} and x"),  # one pass: "{2}" from a parameter stays literal
        ("Hi {1}", ["\\1 $1 \\g<0>"], "Hi \\1 $1 \\g<0>"),  # no regex replacement syntax leaks through
        ("Nothing", [], "Nothing"),
    ],
)
def test_d3_render_substitutes_once(content: str, params: Sequence[str], rendered: str) -> None:
    assert render(content, params) == rendered


def test_d3_render_refuses_a_missing_parameter() -> None:
    with pytest.raises(ValueError, match=r"\{2\}"):
        render("{1} {2}", ["a"])


@pytest.mark.parametrize(
    ("sign", "text", "mainland", "composed"),
    [
        ("腾讯云", "您的验证码是1234", True, "【腾讯云】您的验证码是1234"),
        ("Tencent Cloud", "Your code is 1234", True, "【Tencent Cloud】Your code is 1234"),
        ("Tencent Technology", "Your code is 1234", False, "[Tencent Technology] Your code is 1234"),
        ("", "Your code is 1234", False, "Your code is 1234"),  # S6: international may omit the signature
        ("", "您的验证码是1234", True, "您的验证码是1234"),
    ],
)
def test_s6_compose(sign: str, text: str, mainland: bool, composed: str) -> None:
    assert compose(sign, text, mainland=mainland) == composed


def _code(params: Sequence[str], **kwargs: object) -> Code | None:
    options: dict[str, object] = {"expected": len(params), "verification_code": False, "max_len": None}
    options.update(kwargs)
    rejection = check_params(params, **options)  # type: ignore[arg-type]
    return None if rejection is None else rejection.code


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        pytest.param([], 1, id="D3-none-for-one"),
        pytest.param(["1234"], 2, id="D3-too-few"),
        pytest.param(["1234", "5", "x"], 2, id="D3-too-many"),
        pytest.param(["1234"], 0, id="D3-params-for-template-without-variables"),
    ],
)
def test_d3_parameter_count_must_match(params: list[str], expected: int) -> None:
    assert _code(params, expected=expected) == Code.PARAMS_MISMATCH


@pytest.mark.parametrize(
    "value",
    [
        "http://example.com",
        "HTTPS://EXAMPLE.COM/x",
        "https://1.2.3.4/login",
        "www.example.net",
        "see WWW.Example.io now",
        "abc.com/x",
        "abc.xyz/path?q=1",
        "t.cn",
        "t.cn/A6x",
        "bit.ly",
        "goo.gl/abc",
        "dwz.cn/xyz",
        "go to shop.example.com today",
        "点击abc.com领取",
        "mail bob@example.org",
        "abc.com.evil",
        "ABC.COM",
        "x.y.example.cn/path",
    ],
)
def test_t4_links_in_parameters_are_refused(value: str) -> None:
    assert _code([value]) == Code.URL_IN_PARAM


@pytest.mark.parametrize(
    "value",
    [
        "3.50",
        "12:30",
        "2024.01.05",
        "v1.2.3",
        "Mr.Smith",
        "e.g. Ann",
        "a.m.",
        "No.5",
        "file.txt",
        "3.5km/h",
        "Ann",
        "张三",
        "",
    ],
)
def test_t4_ordinary_values_are_not_links(value: str) -> None:
    assert _code([value]) is None


@pytest.mark.parametrize("value", ["a" * 100_000, "a." * 50_000, "a-" * 50_000 + "!", "1" * 100_000 + "/"])
def test_t4_long_values_are_scanned_in_linear_time(value: str) -> None:
    """Regression: a backtracking host pattern took minutes on 100,000 letters (a request could stall a worker)."""
    started = time.perf_counter()
    assert _code([value]) is None
    assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize(
    ("value", "max_len", "code"),
    [
        pytest.param("a" * 12, 12, None, id="A1-12-chars-ok"),
        pytest.param("a" * 13, 12, Code.PARAM_TOO_LONG, id="A1-13-chars-too-long"),
        pytest.param("张" * 12, 12, None, id="A1-counts-characters-not-bytes"),
        pytest.param("张" * 13, 12, Code.PARAM_TOO_LONG, id="A1-13-cjk-too-long"),
        pytest.param("a" * 500, None, None, id="A1-organization-no-limit"),
    ],
)
def test_a1_individual_parameter_length(value: str, max_len: int | None, code: Code | None) -> None:
    assert _code([value], max_len=max_len) == code


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("123456", None),
        ("0", None),
        ("", None),  # 0 digits is allowed by the rule "0-6 digits"
        ("000000", None),
        ("1234567", Code.PARAM_FORMAT),
        ("12a4", Code.PARAM_FORMAT),
        ("12 34", Code.PARAM_FORMAT),
        ("-123", Code.PARAM_FORMAT),
        ("\u0661\u0662\u0663", Code.PARAM_FORMAT),  # Arabic-Indic digits are not ASCII digits
    ],
)
def test_verification_code_values_are_0_to_6_digits(value: str, code: Code | None) -> None:
    assert _code([value], verification_code=True) == code


def test_verification_code_rule_only_for_verification_templates() -> None:
    assert _code(["1234567"], verification_code=False) is None


def test_check_order_count_then_url_then_length() -> None:
    assert _code(["http://a.com"], expected=2) == Code.PARAMS_MISMATCH
    assert _code(["x" * 20 + "t.cn"], max_len=12) == Code.URL_IN_PARAM
    assert _code(["12", "x" * 13], max_len=12, verification_code=True) == Code.PARAM_TOO_LONG
