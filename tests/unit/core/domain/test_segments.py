"""Rule D6: billed parts. GSM-7 160/153, extension characters count 2; UCS-2 70/67 in UTF-16 code units;
mainland counts every character (signature 【…】 included) as 1, 70/67."""

from __future__ import annotations

import pytest

from core.domain.segments import count_parts, encoding_of

EMOJI = "\U0001f600"  # outside the BMP: 2 UTF-16 code units


@pytest.mark.parametrize(
    ("content", "encoding"),
    [
        ("Your code is 1234.", "GSM7"),
        ("@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ¤¡ÄÖÑÜ§¿äöñüà\n\r", "GSM7"),
        ("^{}\\[~]|€\f", "GSM7"),  # extension table
        ("", "GSM7"),
        ("café", "GSM7"),  # é is in the basic table
        ("naïve", "UCS2"),  # ï is not
        ("`backtick`", "UCS2"),
        ("【Sign】", "UCS2"),
        ("验证码", "UCS2"),
        (f"hi {EMOJI}", "UCS2"),
    ],
)
def test_d6_encoding(content: str, encoding: str) -> None:
    assert encoding_of(content) == encoding


@pytest.mark.parametrize(
    ("content", "parts"),
    [
        pytest.param("", 1, id="empty-is-billed-once"),
        pytest.param("a" * 160, 1, id="gsm7-160-one-part"),
        pytest.param("a" * 161, 2, id="gsm7-161-two-parts"),
        pytest.param("a" * 306, 2, id="gsm7-2x153"),
        pytest.param("a" * 307, 3, id="gsm7-307-three-parts"),
        pytest.param("€" * 80, 1, id="gsm7-extension-counts-2-fits-160"),
        pytest.param("€" * 81, 2, id="gsm7-extension-counts-2-overflows"),
        pytest.param("a" * 159 + "[", 2, id="gsm7-extension-161-septets"),
        pytest.param("a" * 152 + "€" + "a" * 152, 3, id="gsm7-escape-pair-not-split-across-parts"),
        pytest.param("é" * 70, 1, id="gsm7-accented-basic-counts-1"),
        pytest.param("ï" * 70, 1, id="ucs2-70-one-part"),
        pytest.param("ï" * 71, 2, id="ucs2-71-two-parts"),
        pytest.param("ï" * 134, 2, id="ucs2-2x67"),
        pytest.param("ï" * 135, 3, id="ucs2-135-three-parts"),
        pytest.param(EMOJI * 35, 1, id="ucs2-emoji-counts-2-fits-70"),
        pytest.param(EMOJI * 36, 2, id="ucs2-emoji-counts-2-overflows"),
        pytest.param("a" * 159 + "ï", 3, id="one-non-gsm-char-switches-to-ucs2"),
        # "[" and "]" are GSM-7 extension characters: "[Acme] " costs 9 septets, but the text stays GSM-7.
        pytest.param("[Acme] " + "a" * 151, 1, id="intl-signature-brackets-count-2-fits"),
        pytest.param("[Acme] " + "a" * 152, 2, id="intl-signature-brackets-count-2-overflows"),
    ],
)
def test_d6_international_parts(content: str, parts: int) -> None:
    assert count_parts(content, mainland=False) == parts


@pytest.mark.parametrize(
    ("content", "parts"),
    [
        pytest.param("", 1, id="empty-is-billed-once"),
        pytest.param("a" * 70, 1, id="70-ascii-one-part"),
        pytest.param("a" * 71, 2, id="71-ascii-two-parts-no-gsm7-160"),
        pytest.param("【腾讯云】" + "验" * 65, 1, id="signature-counted-70"),
        pytest.param("【腾讯云】" + "验" * 66, 2, id="signature-counted-71"),
        pytest.param("验" * 134, 2, id="2x67"),
        pytest.param("验" * 135, 3, id="135-three-parts"),
        pytest.param("€" * 70, 1, id="extension-char-counts-1"),
        pytest.param(EMOJI * 70, 1, id="emoji-counts-1"),
    ],
)
def test_d6_mainland_every_character_counts_one(content: str, parts: int) -> None:
    assert count_parts(content, mainland=True) == parts
