"""The platform's ids as UCloud's strings: signatures `SIG<id>`, qualifications `QUA<id>`, uploaded files
`FILE<id>` (templates are `UTA<id>`, api/ucloud/sends.py). The bare number is accepted too; anything else
names nothing, so it is simply not found."""

from __future__ import annotations

from datetime import datetime

from api.ucloud.wire import INVALID, Params, UError

SIGNATURE, QUALIFICATION, FILE = "SIG", "QUA", "FILE"
MAX_DIGITS = 17  # within a bigint


def code(prefix: str, number: int) -> str:
    return f"{prefix}{number}"


def number(prefix: str, text: str) -> int:
    """The id in `text`; -1 when it is not one of the platform's (never anyone's item)."""
    digits = text.strip().removeprefix(prefix)
    if not (digits.isascii() and digits.isdigit()) or len(digits) > MAX_DIGITS:
        return -1
    return int(digits)


def numbers(prefix: str, params: Params, name: str, *, max_items: int = 100) -> list[int]:
    """`Name.0`, `Name.1`, ... (required, spec C6), each one of the platform's ids, repeats dropped."""
    found: list[int] = []
    for text in params.text_list(name, max_items=max_items):
        value = number(prefix, text)
        if value < 0:
            raise UError(INVALID, f"{name}: {text!r} is not an id of this platform")
        if value not in found:
            found.append(value)
    return found


def unix(at: datetime | None) -> int:
    """UCloud's times: integer Unix seconds, 0 when there is none."""
    return int(at.timestamp()) if at is not None else 0
