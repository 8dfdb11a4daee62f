"""Templates in Alibaba's `${name}` style beside Tencent's `{N}` (issue 15): the format rule (T1), the values
by name matched to positions in order of first appearance, rendering, masking (B4), and sending through the
pure plan (D3)."""

from __future__ import annotations

from datetime import datetime

import pytest

from core.domain.errors import Code, PlatformError, Rejection
from core.domain.masking import mask_content
from core.domain.sending import Account, App, SendLimits, SendRequest, Signature, Template, plan_send
from core.domain.serial import biz_id, parse_biz_id
from core.domain.templates import (
    check_template_braces,
    check_template_format,
    positional_values,
    render,
    variable_count,
    variable_names,
)

NAMED = "您的验证码为${code}，${minutes}分钟内有效，请勿将${code}告诉他人"


def test_names_in_order_of_first_appearance_each_once() -> None:
    assert variable_names(NAMED) == ["code", "minutes"]
    assert variable_count(NAMED) == 2
    assert variable_count("Your code is {1}, valid for {2} minutes; {1}") == 2


def test_render_by_position_among_the_names() -> None:
    assert render(NAMED, ["1234", "5"]) == "您的验证码为1234，5分钟内有效，请勿将1234告诉他人"
    # A value holding another variable's spelling stays literal (one pass).
    assert render("${a} and ${b}", ["${b}", "x"]) == "${b} and x"
    with pytest.raises(ValueError, match="no parameter"):
        render(NAMED, ["1234"])


def test_values_by_name_become_positional() -> None:
    assert positional_values(NAMED, {"minutes": "5", "code": "1234", "extra": 7}) == ["1234", "5"]
    assert positional_values("Code {1}, {2} min", {"2": "5", "1": "9"}) == ["9", "5"]
    assert positional_values("No variables", {}) == []
    missing = positional_values(NAMED, {"code": "1234"})
    assert isinstance(missing, Rejection) and missing.code is Code.PARAMS_MISMATCH
    assert "minutes" in missing.detail
    not_text = positional_values(NAMED, {"code": 1234, "minutes": "5"})
    assert isinstance(not_text, Rejection) and not_text.code is Code.PARAM_FORMAT


@pytest.mark.parametrize(
    ("content", "ok"),
    [
        (NAMED, True),
        ("Hello ${name_1}", True),
        ("${a}", False),  # nothing but a variable
        ("Mixed ${a} and {1}", False),
        ("Bad ${1a}", False),  # a name starts with a letter or _: "{1a}" is then a stray brace
        ("Empty ${} here", False),
        ("Unclosed ${code here", False),
    ],
)
def test_named_format(content: str, ok: bool) -> None:
    rejection = check_template_format(content) or check_template_braces(content)
    assert (rejection is None) is ok, rejection


def test_masking_finds_named_variables() -> None:
    content = "【S】您的验证码为4321，5分钟内有效，请勿将4321告诉他人"
    assert mask_content(content, NAMED, "S") == "【S】您的验证码为4**1，*分钟内有效，请勿将4**1告诉他人"


def test_plan_send_counts_named_variables() -> None:
    account = Account(1, "organization", "active")
    template = Template(7, NAMED, 3, False, "approved")
    kwargs = {
        "account": account,
        "app": App("1400000001", 1, "active"),
        "sign": Signature("S", False, "approved"),
        "template": template,
        "now_local": datetime(2026, 12, 2, 10),
        "limits": SendLimits(),
    }
    plan = plan_send(SendRequest(["+8613800138000"], "S", ["1234", "5"]), **kwargs)  # type: ignore[arg-type]
    assert plan.content == "【S】您的验证码为1234，5分钟内有效，请勿将1234告诉他人"
    with pytest.raises(PlatformError) as raised:
        plan_send(SendRequest(["+8613800138000"], "S", ["1234"]), **kwargs)  # type: ignore[arg-type]
    assert raised.value.rejection.code is Code.PARAMS_MISMATCH


@pytest.mark.parametrize("text", ["", "12^1", "^0", "12", "a^0", "1" * 19 + "^0", "١٢^0", "12^0^0"])
def test_foreign_biz_ids_are_not_ours(text: str) -> None:
    assert parse_biz_id(text) is None


def test_biz_id_round_trip() -> None:
    assert biz_id(900619746936498440) == "900619746936498440^0"
    assert parse_biz_id(biz_id(42)) == 42
