"""Money: integer minor units of the platform currency, never a float. `exponent` is how many decimal
places a minor unit is (3 by default: SMS prices such as 0.045 CNY need a tenth of a cent)."""

from __future__ import annotations

import re
from decimal import Decimal

_AMOUNT = re.compile(r"[+-]?[0-9]{1,15}(?:\.[0-9]{1,9})?", re.ASCII)


def parse_amount(text: str, exponent: int) -> int:
    """ "12.5" -> 12500 minor units (exponent 3). Raises ValueError for anything that is not a plain decimal
    number or has more decimal places than a minor unit holds."""
    cleaned = text.strip()
    if not _AMOUNT.fullmatch(cleaned):
        raise ValueError(f"{text!r} is not an amount such as 12.50")
    scaled = Decimal(cleaned).scaleb(exponent)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{text!r} has more than {exponent} decimal places")
    return int(scaled)


def format_amount(minor: int, exponent: int) -> str:
    """12500 -> "12.500" (exponent 3); negative amounts keep their sign."""
    sign = "-" if minor < 0 else ""
    whole, fraction = divmod(abs(minor), 10**exponent)
    return f"{sign}{whole}.{fraction:0{exponent}d}" if exponent else f"{sign}{whole}"
