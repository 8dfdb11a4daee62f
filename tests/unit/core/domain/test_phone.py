"""Rule D1 (number formats), B4 and convention 7 (masking)."""

from __future__ import annotations

import pytest

from core.domain.phone import Phone, mask_phone, mask_phones_in_text, normalize_phone

MAINLAND = Phone(e164="+8613800138000", country_code="86", national="13800138000", iso="CN")


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("+8613800138000", id="D1-e164"),
        pytest.param("008613800138000", id="D1-0086-prefix"),
        pytest.param("8613800138000", id="D1-86-prefix"),
        pytest.param("13800138000", id="D1-bare-11-digits"),
    ],
)
def test_d1_mainland_formats_normalise_to_the_same_e164(raw: str) -> None:
    assert normalize_phone(raw) == MAINLAND


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param(
            "+8618511122233", Phone("+8618511122233", "86", "18511122233", "CN"), id="D1-spec-sendsms-example"
        ),
        pytest.param("+14155552671", Phone("+14155552671", "1", "4155552671", "US"), id="D1-us"),
        pytest.param("+442071838750", Phone("+442071838750", "44", "2071838750", "GB"), id="D1-gb"),
        pytest.param("+85291234567", Phone("+85291234567", "852", "91234567", "HK"), id="D1-hong-kong"),
        pytest.param("+85366123456", Phone("+85366123456", "853", "66123456", "MO"), id="D1-macao"),
        pytest.param("+886912345678", Phone("+886912345678", "886", "912345678", "TW"), id="D1-taiwan"),
        pytest.param("+390612345678", Phone("+390612345678", "39", "0612345678", "IT"), id="D1-italian-zero"),
        pytest.param("+80012345678", Phone("+80012345678", "800", "12345678", "DEF"), id="D1-non-geographic"),
    ],
)
def test_d1_e164_numbers_parse_with_country(raw: str, expected: Phone) -> None:
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize(
    ("raw", "mainland"),
    [
        ("+8613800138000", True),
        ("+85291234567", False),  # Hong Kong, Macao and Taiwan are international for Tencent
        ("+85366123456", False),
        ("+886912345678", False),
        ("+14155552671", False),
    ],
)
def test_d4_mainland_means_cn_only(raw: str, mainland: bool) -> None:
    phone = normalize_phone(raw)
    assert phone is not None
    assert phone.mainland is mainland


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("", id="empty"),
        pytest.param("+", id="plus-only"),
        pytest.param("+86 13800138000", id="D1-space"),
        pytest.param(" +8613800138000", id="D1-leading-space"),
        pytest.param("+8613800138000 ", id="D1-trailing-space"),
        pytest.param("138-0013-8000", id="D1-dashes"),
        pytest.param("(+86)13800138000", id="D1-brackets"),
        pytest.param("+86138001380OO", id="D1-letters"),
        pytest.param("tel:+8613800138000", id="D1-uri"),
        pytest.param("＋8613800138000", id="D1-fullwidth-plus"),
        pytest.param("+\u0668\u066613800138000", id="D1-non-ascii-digits"),
        pytest.param("+86013800138000", id="trunk-zero-not-silently-stripped"),
        pytest.param("+861380013800", id="mainland-too-short"),
        pytest.param("+86138001380001", id="mainland-too-long"),
        pytest.param("1380013800", id="bare-10-digits"),
        pytest.param("23800138000", id="bare-11-digits-not-starting-with-1"),
        pytest.param("12345678901", id="bare-11-digits-not-a-real-mobile"),
        pytest.param("0013800138000", id="other-00-prefix-not-listed"),
        pytest.param("008613800138", id="0086-short"),
        pytest.param("86 13800138000", id="86-with-space"),
        pytest.param("14155552671", id="international-without-plus"),
        pytest.param("+999123456789", id="unassigned-country-code"),
    ],
)
def test_d1_invalid_numbers_are_refused(raw: str) -> None:
    assert normalize_phone(raw) is None


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("+8613800138000", "*********8000"),
        ("13800138000", "*******8000"),
        ("+14155552671", "*******2671"),
        ("1234", "****"),
        ("", ""),
    ],
)
def test_convention7_mask_keeps_only_last_four_digits(raw: str, masked: str) -> None:
    assert mask_phone(raw) == masked


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("send to +8613800138000 ok", "send to *********8000 ok"),
        ("phones=13800138000,+14155552671", "phones=*******8000,*******2671"),
        ('{"PhoneNumber": "+8618511122233"}', '{"PhoneNumber": "*********2233"}'),
        # Fewer than 7 digits: untouched. 7 digits: masked, a phone cannot be told from other digits.
        ("fee 3.50 at 12:30, code 123456", "fee 3.50 at 12:30, code 123456"),
        ("id 1234567", "id ***4567"),
        ("no digits here", "no digits here"),
        ("batch 5c145bd9-4e90-464d-a41f-5e40c0a787fb", "batch 5c145bd9-4e90-464d-a41f-5e40c0a787fb"),
        ("send:9d2e-12345678901234", "send:9d2e-**********1234"),
        # Issue 14, finding 8: an SDK AppID (A2: 10 digits starting 1400) is not a number and stays whole...
        ("/admin/v1/apps/1400000005/policy", "/admin/v1/apps/1400000005/policy"),
        ("deliver_callbacks('1400123456')", "deliver_callbacks('1400123456')"),
        # ... but only in exactly that form: with a "+", longer, or another prefix it is masked.
        ("+1400000005", "******0005"),
        ("14000000051", "*******0051"),
        ("1401000005", "******0005"),
    ],
)
def test_convention7_phones_in_free_text_are_masked(text: str, masked: str) -> None:
    assert mask_phones_in_text(text) == masked


def test_mainland_fast_path_agrees_with_a_full_libphonenumber_parse() -> None:
    """The shortcut for mainland mobiles must never accept what the full parse refuses, nor differ in result."""
    import random

    from core.domain.phone import _mainland_mobile, _parse_full

    rng = random.Random(7)
    candidates = [f"+861{rng.randrange(10**10):010d}" for _ in range(20_000)]
    candidates += [f"+861{p}{rng.randrange(10**8):08d}" for p in range(10, 100) for _ in range(20)]
    fast_hits = 0
    for candidate in candidates:
        fast = _mainland_mobile(candidate)
        if fast is not None:
            fast_hits += 1
            assert fast == _parse_full(candidate), candidate
    assert fast_hits > 10_000  # the shortcut does take most real mobile numbers
