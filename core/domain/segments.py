"""How many billed parts a message takes (rule D6)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

Encoding = Literal["GSM7", "UCS2"]

# 3GPP TS 23.038 GSM 7-bit default alphabet in table order; 0x1B (escape to the extension table) left out.
_GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅå"
    "\u0394_\u03a6\u0393\u039b\u03a9\u03a0\u03a8\u03a3\u0398\u039eÆæßÉ"  # Δ _ Φ Γ Λ Ω Π Ψ Σ Θ Ξ
    " !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Extension table: sent as ESC + char, so each costs 2 septets.
_GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")
_GSM7 = _GSM7_BASIC | _GSM7_EXTENSION

GSM7_SINGLE, GSM7_MULTI = 160, 153
UCS2_SINGLE, UCS2_MULTI = 70, 67
MAINLAND_SINGLE, MAINLAND_MULTI = 70, 67


def encoding_of(content: str) -> Encoding:
    """GSM7 when every character is in the GSM default alphabet or its extension table, else UCS2."""
    return "GSM7" if all(ch in _GSM7 for ch in content) else "UCS2"


def _pack(sizes: Iterable[int], single: int, multi: int) -> int:
    """Parts needed for characters of the given unit sizes. A character is never split across two parts (an
    escape pair or a surrogate pair must arrive whole), so a part may end a unit short."""
    sizes = list(sizes)
    if sum(sizes) <= single:
        return 1
    parts, used = 1, 0
    for size in sizes:
        if used + size > multi:
            parts, used = parts + 1, 0
        used += size
    return parts


def count_parts(content: str, *, mainland: bool) -> int:
    """Billed parts for the full text as delivered (signature included).

    Mainland: every character (code point) counts 1, 70 in one part, 67 per part when concatenated.
    International: GSM-7 160 / 153 septets (extension characters count 2), otherwise UCS-2 70 / 67 UTF-16
    code units (a character outside the BMP, e.g. most emoji, counts 2).
    Empty content is 1 part: a message is billed at least once.
    """
    if mainland:
        return _pack((1 for _ in content), MAINLAND_SINGLE, MAINLAND_MULTI)
    if encoding_of(content) == "GSM7":
        return _pack((2 if ch in _GSM7_EXTENSION else 1 for ch in content), GSM7_SINGLE, GSM7_MULTI)
    return _pack((2 if ord(ch) > 0xFFFF else 1 for ch in content), UCS2_SINGLE, UCS2_MULTI)
