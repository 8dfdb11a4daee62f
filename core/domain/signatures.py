"""Signature submission rules (S1, S4; spec 6.10 and 7): the enumerated fields, the name's form and content, and
the key that spots the same signature submitted twice. Pure: word lists come in as parameters (they are data
the operator edits), never from here."""

from __future__ import annotations

import re
from collections.abc import Collection
from itertools import groupby

from core.domain.errors import Code, Rejection

SIGN_NAME_MIN_CHARS = 2
SIGN_NAME_MAX_CHARS = 12

# Spec 7: the document types each sign type accepts. App (1) is accepted for international signatures only.
ALLOWED_DOCUMENT_TYPES: dict[int, frozenset[int]] = {
    0: frozenset({0, 1}),  # company: three-in-one licence, business licence
    1: frozenset(
        {0, 1, 2, 3, 4}
    ),  # app (international only): licences, certificates, app back-office screenshot
    4: frozenset({7}),  # trademark: trademark registration
    5: frozenset({2, 3}),  # government / public institution / other: organisation code, social credit code
}
APP_SIGN_TYPE = 1
DISCONTINUED_SIGN_TYPES: dict[int, str] = {2: "website", 3: "official account", 6: "mini program"}
DISCONTINUED_DOCUMENT_TYPES = frozenset({5, 6, 8})
_FLAGS = frozenset({0, 1})

# What Tencent accepts in a name: CJK ideographs (the unified blocks, extensions and compatibility ideographs),
# ASCII letters and ASCII digits. No spaces, punctuation, symbols, emoji, full-width letters or brackets.
_NAME_CHARS = re.compile(
    "[0-9A-Za-z\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]+",
)
_WHITESPACE = re.compile(r"\s+")


def check_sign_fields(
    *, sign_type: int, document_type: int, sign_purpose: int, international: int
) -> Rejection | None:
    """The enumerated fields of AddSmsSign / ModifySmsSign (spec 7), checked in this order: International,
    SignPurpose, SignType, then DocumentType against what the sign type accepts."""
    if international not in _FLAGS:
        return Rejection(Code.INVALID_INTERNATIONAL, "International must be 0 (Chinese mainland) or 1.")
    if sign_purpose not in _FLAGS:
        return Rejection(
            Code.INVALID_SIGN_PURPOSE, "SignPurpose must be 0 (own use) or 1 (on behalf of others)."
        )
    if sign_type in DISCONTINUED_SIGN_TYPES:
        return Rejection(
            Code.INVALID_PARAMETER_VALUE,
            f"SignType {sign_type} ({DISCONTINUED_SIGN_TYPES[sign_type]}) is discontinued; "
            "use 0 (company), 4 (trademark) or 5 (government / public institution / other).",
        )
    allowed = ALLOWED_DOCUMENT_TYPES.get(sign_type)
    if allowed is None:
        return Rejection(Code.INVALID_PARAMETER_VALUE, f"SignType {sign_type} is not a valid sign type.")
    if sign_type == APP_SIGN_TYPE and international == 0:
        return Rejection(
            Code.INVALID_PARAMETER_VALUE,
            "SignType 1 (app) is no longer accepted for Chinese mainland signatures; "
            "use the company's name (SignType 0).",
        )
    if document_type in DISCONTINUED_DOCUMENT_TYPES:
        return Rejection(Code.INVALID_DOCUMENT_TYPE, f"DocumentType {document_type} is discontinued.")
    if document_type not in allowed:
        accepted = ", ".join(str(t) for t in sorted(allowed))
        return Rejection(
            Code.INVALID_DOCUMENT_TYPE,
            f"DocumentType {document_type} is not valid for SignType {sign_type} (accepted: {accepted}).",
        )
    return None


def check_sign_name(
    name: str, *, neutral_words: Collection[str], max_chars: int = SIGN_NAME_MAX_CHARS
) -> Rejection | None:
    """The signature's content, trimmed, checked in this order: not one of the operator's neutral words (S4;
    compared case-folded and without spaces, so the entry "verification code" stops "Verification Code" and
    "VerificationCode" with S4's reason rather than a length or character complaint); 2 to max_chars
    characters, each a CJK ideograph, an ASCII letter or an ASCII digit; not a repetitive pattern of at most
    two distinct characters (S4: aaa, aabb, abab)."""
    text = name.strip()
    if text and _compact(text) in {_compact(word) for word in neutral_words}:
        return Rejection(
            Code.SIGN_UNAPPROVED,
            f"Non-identifiable signature: '{text}' is a neutral word. Use the name or abbreviation of your "
            "organization or application.",
        )
    if len(text) > max_chars:
        return Rejection(
            Code.SIGN_NAME_TOO_LONG, f"The signature name has {len(text)} characters; at most {max_chars}."
        )
    if len(text) < SIGN_NAME_MIN_CHARS:
        return Rejection(
            Code.SIGN_UNAPPROVED, f"The signature name needs at least {SIGN_NAME_MIN_CHARS} characters."
        )
    if not _NAME_CHARS.fullmatch(text):
        return Rejection(
            Code.SIGN_UNAPPROVED,
            "The signature name may contain only Chinese characters, letters and digits "
            "(no spaces, punctuation or symbols).",
        )
    folded = _compact(text)
    if _is_repetitive(folded):
        return Rejection(
            Code.SIGN_UNAPPROVED,
            f"Non-identifiable signature: '{text}' is a repetitive pattern. Use the name or abbreviation of "
            "your organization or application.",
        )
    return None


def sign_name_key(name: str) -> str:
    """The form under which two names are the same signature (a duplicate waiting for review)."""
    return name.strip().casefold()


def _compact(text: str) -> str:
    return _WHITESPACE.sub("", text).casefold()


def _is_repetitive(text: str) -> bool:
    """At least 3 characters, at most 2 distinct ones, in a repeating shape: one character repeated (aaa),
    two runs of 2 or more (aabb, aaabbb), or a shorter unit repeated (abab, aabbaabb). Two-character names
    ("QQ", two-ideograph abbreviations) and names like "OPPO" (abba) are left to the neutral-word list."""
    if len(text) < 3 or len(set(text)) > 2:
        return False
    runs = [len(list(group)) for _, group in groupby(text)]
    if len(runs) <= 2 and min(runs) >= 2:
        return True
    n = len(text)
    return any(n % size == 0 and text == text[:size] * (n // size) for size in range(1, n // 2 + 1))
