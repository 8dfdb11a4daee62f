"""What text the platform can keep: every dialect refuses, with its own code, a request carrying a string that
Postgres text or a UTF-8 answer cannot hold."""

from __future__ import annotations

from typing import Any


def is_utf8(text: str) -> bool:
    """False for a str holding a lone surrogate (JSON "\\ud800", or header bytes decoded with surrogateescape)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def is_storable(value: Any) -> bool:
    """No NUL and no lone surrogate in any string of `value` (dict keys included): JSON ("\\u0000", "\\ud800")
    and query strings ("%00") can carry them, but Postgres text and a UTF-8 answer cannot. Iterative: the
    nesting depth is the client's."""
    pending: list[Any] = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if "\x00" in item or not is_utf8(item):
                return False
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, dict):
            pending.extend(item)
            pending.extend(item.values())
    return True
