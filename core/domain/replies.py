"""Replies (rule B1, B2): which texts unsubscribe, and how long a reply is attributed to the message before it."""

from __future__ import annotations

import unicodedata
from datetime import timedelta

# B1: replying one of these (case-insensitive, surrounding and inner spaces ignored) unsubscribes.
UNSUBSCRIBE_WORDS = frozenset({"t", "n", "td", "unsubscribe", "qx", "0000"})
# B2: a reply belongs to the most recent message sent to its number within this window.
ATTRIBUTION_WINDOW = timedelta(hours=72)
MAX_TEXT_CHARS = 1000


def is_unsubscribe(text: str) -> bool:
    """'TD', ' td ', 'T D', full-width TD and 'UNSUBSCRIBE' all unsubscribe; 'TD please' does not."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(folded.split()) in UNSUBSCRIBE_WORDS


def stored_text(text: str) -> str:
    """What is kept of a reply's text: all of it up to the limit (longer ones are cut, never refused)."""
    return text[:MAX_TEXT_CHARS]
