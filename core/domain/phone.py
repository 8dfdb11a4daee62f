"""Phone numbers: normalisation to E.164 (rule D1) and masking for logs and displays (B4, convention 7)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import phonenumbers

UNKNOWN_ISO = "DEF"  # what Tencent reports as IsoCode when it cannot place a number

_STRICT = re.compile(r"\+?[0-9]+", re.ASCII)
_MAINLAND_MOBILE = re.compile(r"1[0-9]{10}", re.ASCII)


# Mainland mobiles are most of the traffic: matched against libphonenumber's own CN patterns directly, which is
# what is_valid_number does for them, at a fraction of the cost of a full parse. Anything else takes the full path.
def _cn_pattern(kind: str) -> re.Pattern[str]:
    metadata = phonenumbers.PhoneMetadata.metadata_for_region("CN")
    assert metadata is not None
    pattern = getattr(metadata, kind).national_number_pattern
    assert isinstance(pattern, str)
    return re.compile(pattern)


_CN_GENERAL = _cn_pattern("general_desc")
_CN_MOBILE = _cn_pattern("mobile")
# A run of 7+ digits standing on its own: digits inside a word (a UUID, a hex id) are not a number.
_DIGIT_RUN = re.compile(r"(?<![0-9A-Za-z])\+?[0-9]{7,}(?![0-9A-Za-z])", re.ASCII)
# An SDK AppID (rule A2: 10 digits starting 1400) is no phone number: a complete number starting with 1 is a
# NANP one of 11 digits (mainland mobiles are 11 digits too), so 10 bare digits of this form never dial anyone.
_SDK_APP_ID = re.compile(r"1400[0-9]{6}", re.ASCII)


@dataclass(frozen=True)
class Phone:
    e164: str  # "+8613800138000"
    country_code: str  # "86"
    national: str  # national significant number, "13800138000"
    iso: str  # "CN", "US", ...; UNKNOWN_ISO for non-geographic numbers

    @property
    def mainland(self) -> bool:
        """Chinese mainland only: Hong Kong, Macao and Taiwan are international for Tencent (own codes)."""
        return self.iso == "CN"


def _candidate_e164(raw: str) -> str | None:
    """The E.164 form the caller meant, using only the prefixes D1 allows; None if none applies."""
    if raw.startswith("+"):
        return raw
    # Mainland shortcuts: 0086 / 86 followed by an 11-digit mobile, or the bare 11-digit mobile.
    for prefix in ("0086", "86"):
        rest = raw.removeprefix(prefix)
        if rest != raw and _MAINLAND_MOBILE.fullmatch(rest):
            return "+86" + rest
    if _MAINLAND_MOBILE.fullmatch(raw):
        return "+86" + raw
    return None


def normalize_phone(raw: str) -> Phone | None:
    """Parse a number as sent in PhoneNumberSet (rule D1). None means invalid.

    Strict: only ASCII digits with an optional leading "+" are accepted; no spaces, dashes or other junk is
    stripped. The result must be a valid number per libphonenumber and must read back to exactly the digits
    given (so e.g. a national trunk "0" after the country code is refused, not silently dropped).
    """
    if not _STRICT.fullmatch(raw):
        return None
    candidate = _candidate_e164(raw)
    if candidate is None:
        return None
    fast = _mainland_mobile(candidate)
    if fast is not None:
        return fast
    return _parse_full(candidate)


def _mainland_mobile(candidate: str) -> Phone | None:
    national = candidate[3:]
    if (
        candidate.startswith("+86")
        and _MAINLAND_MOBILE.fullmatch(national)
        and _CN_GENERAL.fullmatch(national)
        and _CN_MOBILE.fullmatch(national)
    ):
        return Phone(e164=candidate, country_code="86", national=national, iso="CN")
    return None


def _parse_full(candidate: str) -> Phone | None:
    try:
        number = phonenumbers.parse(candidate, None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if e164 != candidate:
        return None
    region = phonenumbers.region_code_for_number(number)
    # "001" is libphonenumber's region for non-geographic codes (+800, +882, ...).
    iso = region if region and region.isalpha() and region != "ZZ" else UNKNOWN_ISO
    return Phone(
        e164=e164,
        country_code=str(number.country_code),
        national=phonenumbers.national_significant_number(number),
        iso=iso,
    )


def mask_phone(text: str) -> str:
    """Mask a number so only its last 4 digits show: "+8613800138000" -> "*********8000".

    Non-digits (the "+") are dropped; each hidden digit becomes one "*". A value of 4 digits or fewer is
    fully hidden, since showing "the last 4" would show everything.
    """
    digits = "".join(ch for ch in text if "0" <= ch <= "9")
    if len(digits) <= 4:
        return "*" * len(digits)
    return "*" * (len(digits) - 4) + digits[-4:]


def mask_phones_in_text(text: str) -> str:
    """Mask every free-standing run of 7+ ASCII digits (with an optional leading "+") in free text, e.g. a
    log line. Deliberately blunt: standalone ids and timestamps of 7+ digits are masked too, because a log must
    never carry a full number (convention 7); digits inside a word, as in a UUID, are left alone. The one
    exception is an SDK AppID, recognised by its form (not by where it appears), which cannot be a number."""
    return _DIGIT_RUN.sub(lambda m: m.group() if is_sdk_app_id(m.group()) else mask_phone(m.group()), text)


def is_sdk_app_id(text: str) -> bool:
    return _SDK_APP_ID.fullmatch(text) is not None


@dataclass(frozen=True)
class NumberInfo:
    """What DescribePhoneNumberInfo tells about one number; `phone` is the input itself when it does not parse."""

    phone: str
    valid: bool
    country_code: str = ""
    national: str = ""
    iso: str = UNKNOWN_ISO
    iso_name: str = ""


def describe_number(raw: str) -> NumberInfo:
    phone = normalize_phone(raw)
    if phone is None:
        return NumberInfo(phone=raw, valid=False)
    name = ""
    if phone.iso != UNKNOWN_ISO:
        # The English name of the region, from libphonenumber's own data (no I/O beyond its package files).
        from phonenumbers import geocoder

        name = geocoder.country_name_for_number(phonenumbers.parse(phone.e164), "en")
    return NumberInfo(phone.e164, True, phone.country_code, phone.national, phone.iso, name)


def split_phone(phone: str) -> tuple[str, str]:
    """(country calling code, national number) of an E.164 number; ("", digits) when it cannot be parsed."""
    parsed = normalize_phone(phone)
    return (parsed.country_code, parsed.national) if parsed else ("", phone.lstrip("+"))


def normalize_phones(given: Iterable[str]) -> tuple[list[str], list[str]]:
    """(the numbers in E.164, the ones that are not valid numbers, as given): for lists an operator edits,
    where one invalid number refuses the whole change."""
    valid: list[str] = []
    invalid: list[str] = []
    for raw in given:
        phone = normalize_phone(raw)
        if phone is None:
            invalid.append(raw)
        else:
            valid.append(phone.e164)
    return valid, invalid
