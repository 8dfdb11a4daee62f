"""Signature submission: the enumerated fields (S1; spec 7 SignType / DocumentType / SignPurpose /
International), the name's form (2-12 CJK characters, letters, digits) and identifiability (S4), and the
duplicate key."""

from __future__ import annotations

import pytest

from core.domain.errors import Code
from core.domain.signatures import check_sign_fields, check_sign_name, sign_name_key

# The seed FAQ's non-identifiable examples (S4); in production the list is data the operator edits.
NEUTRAL = ("test", "aabb", "verification code", "notification")


def _fields(
    sign_type: int = 0, document_type: int = 0, sign_purpose: int = 0, international: int = 0
) -> Code | None:
    rejection = check_sign_fields(
        sign_type=sign_type,
        document_type=document_type,
        sign_purpose=sign_purpose,
        international=international,
    )
    return None if rejection is None else rejection.code


# --- fields ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sign_type", "document_type", "international"),
    [
        pytest.param(0, 0, 0, id="company-three-in-one"),
        pytest.param(0, 1, 0, id="company-business-licence"),
        pytest.param(0, 1, 1, id="company-international"),
        pytest.param(4, 7, 0, id="trademark-registration"),
        pytest.param(5, 2, 0, id="government-organisation-code"),
        pytest.param(5, 3, 1, id="government-social-credit-code"),
        *(pytest.param(1, d, 1, id=f"app-international-doc-{d}") for d in (0, 1, 2, 3, 4)),
    ],
)
def test_s1_allowed_type_and_document_combinations(
    sign_type: int, document_type: int, international: int
) -> None:
    for purpose in (0, 1):
        assert _fields(sign_type, document_type, purpose, international) is None


@pytest.mark.parametrize(
    ("sign_type", "document_type"),
    [
        (0, 2),
        (0, 3),
        (0, 4),  # app back-office screenshot: app signatures only
        (0, 7),
        (4, 0),
        (4, 1),
        (5, 0),
        (5, 7),
        (0, 5),  # discontinued document types
        (0, 6),
        (5, 8),
        (0, 9),  # unknown
        (0, -1),
    ],
)
def test_s1_document_type_must_fit_the_sign_type(sign_type: int, document_type: int) -> None:
    assert _fields(sign_type, document_type) == Code.INVALID_DOCUMENT_TYPE


@pytest.mark.parametrize("sign_type", [2, 3, 6])
def test_discontinued_sign_types_are_refused(sign_type: int) -> None:
    rejection = check_sign_fields(sign_type=sign_type, document_type=0, sign_purpose=0, international=1)
    assert rejection is not None
    assert rejection.code == Code.INVALID_PARAMETER_VALUE
    assert "discontinued" in rejection.message


@pytest.mark.parametrize("sign_type", [7, -1, 100])
def test_unknown_sign_types_are_refused(sign_type: int) -> None:
    assert _fields(sign_type) == Code.INVALID_PARAMETER_VALUE


def test_app_signatures_are_no_longer_accepted_for_the_mainland() -> None:
    rejection = check_sign_fields(sign_type=1, document_type=0, sign_purpose=0, international=0)
    assert rejection is not None
    assert rejection.code == Code.INVALID_PARAMETER_VALUE
    assert "mainland" in rejection.message


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"international": 2}, Code.INVALID_INTERNATIONAL),
        ({"international": -1}, Code.INVALID_INTERNATIONAL),
        ({"sign_purpose": 2}, Code.INVALID_SIGN_PURPOSE),
        ({"sign_purpose": -1}, Code.INVALID_SIGN_PURPOSE),
        # Order: International, SignPurpose, SignType, DocumentType.
        (
            {"international": 3, "sign_purpose": 3, "sign_type": 9, "document_type": 9},
            Code.INVALID_INTERNATIONAL,
        ),
        ({"sign_purpose": 3, "sign_type": 9, "document_type": 9}, Code.INVALID_SIGN_PURPOSE),
        ({"sign_type": 2, "document_type": 9}, Code.INVALID_PARAMETER_VALUE),
    ],
)
def test_enumerated_values_and_check_order(kwargs: dict[str, int], code: Code) -> None:
    assert _fields(**kwargs) == code


# --- name: form -----------------------------------------------------------------------------------------------


def _name(name: str, neutral: tuple[str, ...] = NEUTRAL) -> Code | None:
    rejection = check_sign_name(name, neutral_words=neutral)
    return None if rejection is None else rejection.code


@pytest.mark.parametrize(
    "name",
    [
        "腾讯云",
        "腾讯",  # two-ideograph abbreviations are common
        "TencentCloud",
        "QQ",  # two characters: left to the neutral-word list
        "OPPO",  # abba is not a repetitive pattern
        "3M",
        "Tencent2024",
        "腾讯Cloud",
        "𠀀𠀁公司",  # CJK extension B
        "一二三四五六七八九十百千",  # 12 characters
        "ABCDEFGHIJKL",
        "  腾讯云  ",  # trimmed
        "Test123",  # contains a neutral word, but is not one
        "Notifier",
        "SMSCodeHub",
    ],
)
def test_identifiable_names_are_accepted(name: str) -> None:
    assert _name(name) is None


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("一二三四五六七八九十百千万", id="13-cjk"),
        pytest.param("ABCDEFGHIJKLM", id="13-letters"),
        pytest.param("Tencent Technology", id="seed-example-18-chars"),
        pytest.param("x" * 1000, id="very-long"),
    ],
)
def test_names_over_12_characters_are_too_long(name: str) -> None:
    assert _name(name) == Code.SIGN_NAME_TOO_LONG


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("", id="empty"),
        pytest.param("   ", id="blank"),
        pytest.param("腾", id="one-character"),
        pytest.param(" A ", id="one-character-after-trim"),
        pytest.param("Tencent Co", id="space"),
        pytest.param("腾讯-云", id="hyphen"),
        pytest.param("腾讯云!", id="punctuation"),
        pytest.param("<script>", id="angle-bracket"),
        pytest.param("O'Brien", id="apostrophe"),
        pytest.param("腾讯😀", id="emoji"),
        pytest.param("【腾讯云】", id="carrier-brackets"),
        pytest.param("｛腾讯｝", id="full-width-braces"),
        pytest.param("ＡＢＣ公司", id="full-width-letters"),
        pytest.param("腾讯·云", id="middle-dot"),
        pytest.param("Café", id="accented-letter"),
        pytest.param("腾讯\n云", id="newline"),
    ],
)
def test_malformed_names_are_refused(name: str) -> None:
    rejection = check_sign_name(name, neutral_words=NEUTRAL)
    assert rejection is not None
    assert rejection.code == Code.SIGN_UNAPPROVED


def test_charset_message_is_clear() -> None:
    rejection = check_sign_name("Tencent Co", neutral_words=NEUTRAL)
    assert rejection is not None
    assert "Chinese characters, letters and digits" in rejection.message


def test_max_chars_can_be_set() -> None:
    assert check_sign_name("ABCDEFGHIJKLM", neutral_words=(), max_chars=20) is None


# --- name: S4 non-identifiable ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("test", id="S4-seed-test"),
        pytest.param("TEST", id="S4-case-folded"),
        pytest.param("  Test ", id="S4-trimmed"),
        pytest.param("aabb", id="S4-seed-aabb"),
        pytest.param("notification", id="S4-seed-notification"),
        pytest.param("Notification", id="S4-seed-notification-capitalised"),
        pytest.param("verification code", id="S4-seed-verification-code"),
        pytest.param("Verification  Code", id="S4-seed-verification-code-spacing"),
        pytest.param("VerificationCode", id="S4-seed-verification-code-without-space"),
    ],
)
def test_s4_neutral_words_are_refused(name: str) -> None:
    rejection = check_sign_name(name, neutral_words=NEUTRAL)
    assert rejection is not None
    assert rejection.code == Code.SIGN_UNAPPROVED
    assert "Non-identifiable" in rejection.message
    assert "neutral" in rejection.message


def test_s4_multi_word_entries_match_without_spaces() -> None:
    assert _name("SMSCode", neutral=("sms code",)) == Code.SIGN_UNAPPROVED
    assert _name("SMS Code", neutral=("smscode",)) == Code.SIGN_UNAPPROVED
    assert _name("SMSCode", neutral=()) is None


def test_s4_neutral_words_are_data() -> None:
    assert _name("验证码", neutral=()) is None
    assert _name("验证码", neutral=("验证码",)) == Code.SIGN_UNAPPROVED
    assert _name("Demo", neutral=()) is None
    assert _name("Demo", neutral=("  DEMO ",)) == Code.SIGN_UNAPPROVED
    assert _name("Demo", neutral=("", "  ")) is None  # blank entries match nothing


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("aaaa", id="S4-aaaa"),
        pytest.param("aaa", id="S4-aaa"),
        pytest.param("AaBb", id="S4-aabb-mixed-case"),
        pytest.param("aaabbb", id="S4-two-runs"),
        pytest.param("abab", id="S4-abab"),
        pytest.param("ababab", id="S4-ababab"),
        pytest.param("aabbaabb", id="S4-unit-repeated"),
        pytest.param("1111", id="S4-digits"),
        pytest.param("8989", id="S4-alternating-digits"),
        pytest.param("哈哈哈", id="S4-cjk-repeated"),
        pytest.param("哈哈嘿嘿", id="S4-cjk-two-runs"),
    ],
)
def test_s4_repetitive_patterns_are_refused(name: str) -> None:
    rejection = check_sign_name(name, neutral_words=())
    assert rejection is not None
    assert rejection.code == Code.SIGN_UNAPPROVED
    assert "Non-identifiable" in rejection.message
    assert "repetitive" in rejection.message


@pytest.mark.parametrize("name", ["aab", "abba", "abcabc", "aabbc", "Mississippi"])
def test_s4_near_repetitions_are_accepted(name: str) -> None:
    assert _name(name, neutral=()) is None


def test_order_neutral_then_length_then_form_then_pattern() -> None:
    assert _name("test test test") == Code.SIGN_NAME_TOO_LONG  # not itself a neutral word
    rejection = check_sign_name("test!", neutral_words=NEUTRAL)
    assert rejection is not None
    assert "Non-identifiable" not in rejection.message
    rejection = check_sign_name("aaaa aaaa", neutral_words=())
    assert rejection is not None
    assert "Non-identifiable" not in rejection.message


# --- duplicate key --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("TencentCloud", "tencentcloud", True),
        ("  TencentCloud ", "TENCENTCLOUD", True),
        ("Straße", "STRASSE", True),  # casefold, not lower
        ("腾讯云", "腾讯云", True),
        ("腾讯云", "腾讯", False),
        ("Tencent", "Tencent2", False),
    ],
)
def test_sign_name_key(a: str, b: str, same: bool) -> None:
    assert (sign_name_key(a) == sign_name_key(b)) is same
