"""Template submission (AddSmsTemplate / ModifySmsTemplate): SmsType and International values (spec 7),
marketing by individuals (A1), length, format (T1), the unsubscribe instruction (T3) and banned content (T6)."""

from __future__ import annotations

from collections.abc import Collection

import pytest

from core.domain.errors import Code
from core.domain.templates import check_template_submission, find_banned_word, has_unsubscribe_instruction

NOTIFICATION, MARKETING, VERIFICATION = 2, 1, 3

# The seed FAQ's own templates.
SEED_VERIFY = (
    "Your verification code is {1}, which is valid for {2} minutes and should not be disclosed to others. "
    "If you did not make this request, please ignore this message."
)
SEED_REMARK = (
    "Your verification code is {1}. Please enter it in {2} minutes. If you did not make this request, "
    "please contact the customer service at {3}."
)
PROMO = "Members get 20% off at {1} this weekend."
PROMO_TD = PROMO + " Reply TD to unsubscribe."

# T6's categories from the seed, as an operator might list them (data, not code).
BANNED = (
    "loan",
    "loan app",
    "贷款",
    "payment collection",
    "recruitment",
    "job interview",
    "home decoration",
    "WeChat group",
    "QQ group",
    "加微信",
    "rebate",
    "返利",
)


def _code(
    content: str,
    sms_type: int = NOTIFICATION,
    *,
    international: int = 0,
    individual: bool = False,
    banned: Collection[str] = BANNED,
    max_chars: int = 500,
) -> Code | None:
    rejection = check_template_submission(
        content,
        sms_type=sms_type,
        international=international,
        individual=individual,
        banned_words=banned,
        max_chars=max_chars,
    )
    return None if rejection is None else rejection.code


@pytest.mark.parametrize(
    ("content", "sms_type"),
    [
        pytest.param(SEED_VERIFY, VERIFICATION, id="seed-verification-template"),
        pytest.param(SEED_VERIFY, NOTIFICATION, id="seed-verification-as-notification"),
        pytest.param(SEED_VERIFY, 0, id="regular-type-0-of-older-docs"),
        pytest.param(SEED_REMARK, VERIFICATION, id="seed-three-variables"),
        pytest.param("Your order {1} has shipped.", NOTIFICATION, id="notification"),
        pytest.param("您的验证码是{1}，5分钟内有效。", VERIFICATION, id="chinese-verification"),
        pytest.param(PROMO_TD, MARKETING, id="T3-marketing-with-reply-TD"),
        pytest.param("会员日全场8折，回复TD退订", MARKETING, id="T3-chinese-回复TD退订"),
        pytest.param("Big sale at {1}! Reply T to opt out.", MARKETING, id="T3-reply-T-opt-out"),
    ],
)
def test_valid_templates_are_accepted(content: str, sms_type: int) -> None:
    assert _code(content, sms_type) is None
    assert _code(content, sms_type, international=1) is None


@pytest.mark.parametrize("sms_type", [-1, 4, 99])
def test_sms_type_must_be_0_to_3(sms_type: int) -> None:
    assert _code(SEED_VERIFY, sms_type) == Code.INVALID_SMS_TYPE


@pytest.mark.parametrize("international", [-1, 2, 3])
def test_international_must_be_0_or_1(international: int) -> None:
    assert _code(SEED_VERIFY, international=international) == Code.INVALID_INTERNATIONAL


def test_a1_individuals_cannot_add_marketing_templates() -> None:
    assert _code(PROMO_TD, MARKETING, individual=True) == Code.FORBID_MARKETING_TEMPLATES
    assert _code(PROMO_TD, MARKETING, individual=False) is None
    assert _code(SEED_VERIFY, VERIFICATION, individual=True) is None
    assert _code("Your order {1} has shipped.", NOTIFICATION, individual=True) is None


@pytest.mark.parametrize("content", ["", "   ", "\n\t"])
def test_empty_content_is_a_format_error(content: str) -> None:
    assert _code(content) == Code.INVALID_TEMPLATE_FORMAT


def test_length_limit() -> None:
    text = "Order shipped. " + "x" * 485
    assert len(text) == 500
    assert _code(text) is None
    assert _code(text + "y") == Code.CONTENT_TOO_LONG
    assert _code("Order shipped.", max_chars=10) == Code.CONTENT_TOO_LONG
    assert _code("已发货" * 200) == Code.CONTENT_TOO_LONG  # characters, not bytes


@pytest.mark.parametrize(
    "content",
    [
        pytest.param("Code {0}.", id="T1-starts-at-0"),
        pytest.param("Code {2}.", id="T1-{2}-without-{1}"),
        pytest.param("Code ｛1｝.", id="T1-full-width-braces"),
        pytest.param("{1}{2}", id="T1-variables-only"),
        pytest.param("Your code is {1", id="unclosed-brace"),
        pytest.param("Your code is 1}", id="unopened-brace"),
        pytest.param("Your code is {{1}}", id="double-braces"),
        pytest.param("Dear {a}, your code is {1}", id="letter-variable"),
        pytest.param("Your code is {}", id="empty-braces"),
        pytest.param("Your code is { 1 }", id="spaced-variable"),
        pytest.param("Your code is {1}} now", id="extra-closing"),
        pytest.param("Your code ｛ is {1}", id="stray-full-width-brace"),
    ],
)
def test_t1_malformed_templates_are_refused(content: str) -> None:
    assert _code(content) == Code.INVALID_TEMPLATE_FORMAT
    assert _code(content, VERIFICATION) == Code.INVALID_TEMPLATE_FORMAT


# --- T3 -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        "Reply TD to unsubscribe",
        'Reply "TD" to unsubscribe',
        "reply td to unsubscribe",
        "Reply T to opt out",
        "Reply N to opt-out",
        "Reply T to stop receiving these messages",
        "To unsubscribe, reply TD.",
        "Unsubscribe: reply N",
        "回复TD退订",
        "回复ＴＤ退订",
        "退订回T",
        "回T退订",
        "拒收请回复R",  # the spec's example (8.2)
        "回复N拒收",
        "会员日8折，退订请回复TD。",
    ],
)
def test_t3_unsubscribe_instructions_are_recognised(content: str) -> None:
    assert has_unsubscribe_instruction(content)
    assert _code(f"Members get 20% off at {{1}}. {content}", MARKETING) is None


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(PROMO, id="none"),
        pytest.param(PROMO + " Reply TD.", id="code-without-unsubscribe-word"),
        pytest.param(PROMO + " To unsubscribe, visit our website.", id="unsubscribe-without-reply-code"),
        pytest.param(PROMO + " Reply to unsubscribe.", id="reply-without-code"),
        pytest.param(PROMO + " Reply Y to confirm. Unsubscribe anytime.", id="other-sentence"),
        pytest.param(PROMO + " Reply TOP to unsubscribe.", id="code-must-stand-alone"),
        pytest.param(PROMO + " Reply X to unsubscribe.", id="unknown-code"),
        pytest.param("会员日全场8折，欢迎光临", id="chinese-none"),
        pytest.param("会员日全场8折，退订请联系客服", id="chinese-no-reply-code"),
    ],
)
def test_t3_marketing_without_unsubscribe_instruction_is_refused(content: str) -> None:
    assert _code(content, MARKETING) == Code.MARKETING_WITHOUT_UNSUBSCRIBE


def test_t3_applies_only_to_marketing() -> None:
    assert _code(PROMO, NOTIFICATION) is None
    assert _code(SEED_VERIFY, VERIFICATION) is None


# --- T6 -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "word"),
    [
        pytest.param("Need cash? Apply for a loan today at {1}.", "loan", id="T6-loan"),
        pytest.param("Fast LOANS approved in {1} minutes.", "loan", id="T6-loans-case-and-plural"),
        pytest.param("Download our loan app: {1}", "loan app", id="T6-loan-app-longest-at-same-position"),
        pytest.param("低息贷款，额度{1}元", "贷款", id="T6-chinese-substring"),
        pytest.param("Join our WeChat group for daily tips, code {1}.", "WeChat group", id="T6-wechat-group"),
        pytest.param("Join our wechat   Group now, code {1}.", "WeChat group", id="T6-wechat-group-spacing"),
        pytest.param("Add our QQ group {1} for offers.", "QQ group", id="T6-qq-group"),
        pytest.param("加微信{1}领取福利", "加微信", id="T6-chinese-wechat"),
        pytest.param("Recruitment day: job interview at {1}.", "recruitment", id="T6-recruitment-first"),
        pytest.param("Your job interview is at {1}.", "job interview", id="T6-job-interview"),
        pytest.param("Get 10% rebates on {1}.", "rebate", id="T6-rebates"),
        pytest.param("Your order {1} was rebated.", "rebate", id="T6-rebated"),
        pytest.param("Your account {1} was loaned 500.", "loan", id="T6-loaned"),
        pytest.param("Get a ｌｏａｎ at {1}.", "loan", id="T6-full-width-letters"),
    ],
)
def test_t6_banned_content_is_refused(content: str, word: str) -> None:
    rejection = check_template_submission(
        content, sms_type=NOTIFICATION, international=0, individual=False, banned_words=BANNED
    )
    assert rejection is not None
    assert rejection.code == Code.TEMPLATE_DIRTY_WORDS
    assert f"'{word}'" in rejection.message
    assert find_banned_word(content, BANNED) == word


@pytest.mark.parametrize(
    "content",
    [
        pytest.param("Your balloon order {1} has shipped.", id="loan-inside-balloon"),
        pytest.param("Your order {1} was placed by Sloane.", id="loan-inside-Sloane"),
        pytest.param("Your {1} was debated and deloaned.", id="inside-other-words"),
        pytest.param("Your WeChat payment {1} succeeded.", id="wechat-alone-is-fine"),
        pytest.param(SEED_VERIFY, id="seed-verification"),
    ],
)
def test_t6_look_alikes_are_not_banned(content: str) -> None:
    assert _code(content) is None


def test_t6_word_lists_are_data() -> None:
    content = "Your order {1} has shipped."
    assert _code(content, banned=()) is None
    assert _code(content, banned=["SHIPPED"]) == Code.TEMPLATE_DIRTY_WORDS
    assert _code(content, banned=["", "  "]) is None
    assert _code(content, banned={"order", "shipped"}) == Code.TEMPLATE_DIRTY_WORDS
    assert (
        find_banned_word(content, {"shipped", "order"}) == "order"
    )  # the first in the text, whatever the set order


def test_t6_is_checked_for_every_type() -> None:
    for sms_type in (0, MARKETING, NOTIFICATION, VERIFICATION):
        text = "Loan offers at {1}. Reply TD to unsubscribe."
        assert _code(text, sms_type) == Code.TEMPLATE_DIRTY_WORDS


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        # SmsType, International, A1, empty, length, T1, T3, T6: the first failing check wins.
        (
            {"content": "{0} loan", "sms_type": 9, "international": 9, "individual": True},
            Code.INVALID_SMS_TYPE,
        ),
        (
            {"content": "{0} loan", "sms_type": MARKETING, "international": 9, "individual": True},
            Code.INVALID_INTERNATIONAL,
        ),
        ({"content": "", "sms_type": MARKETING, "individual": True}, Code.FORBID_MARKETING_TEMPLATES),
        ({"content": " ", "sms_type": MARKETING, "max_chars": 0}, Code.INVALID_TEMPLATE_FORMAT),
        ({"content": "{0} loan", "sms_type": MARKETING, "max_chars": 3}, Code.CONTENT_TOO_LONG),
        ({"content": "{0} loan", "sms_type": MARKETING}, Code.INVALID_TEMPLATE_FORMAT),
        ({"content": "Loan offers at {1}", "sms_type": MARKETING}, Code.MARKETING_WITHOUT_UNSUBSCRIBE),
    ],
)
def test_check_order(kwargs: dict[str, object], code: Code) -> None:
    assert _code(**kwargs) == code  # type: ignore[arg-type]
