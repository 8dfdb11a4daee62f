"""B1: the unsubscribe keywords, in several cases and spacings."""

from __future__ import annotations

import pytest

from core.domain.replies import MAX_TEXT_CHARS, is_unsubscribe, stored_text


@pytest.mark.parametrize(
    "text",
    ["T", "t", "N", "n", "TD", "td", "Td", " TD ", "T D", "\\tTD\\n", "Unsubscribe", "UNSUBSCRIBE", "unSubScribe",
     "QX", "qx", "0000", " 0000 ", "ＴＤ"],
)  # fmt: skip
def test_the_unsubscribe_keywords_block(text: str) -> None:
    assert is_unsubscribe(text.replace("\\t", "\t").replace("\\n", "\n"))


@pytest.mark.parametrize(
    "text", ["", " ", "TD please", "Thanks", "000", "00000", "yes", "T.D", "STOP NOW", "TDD"]
)
def test_other_replies_do_not(text: str) -> None:
    assert not is_unsubscribe(text)


def test_long_texts_are_kept_up_to_the_limit() -> None:
    assert stored_text("x" * (MAX_TEXT_CHARS + 5)) == "x" * MAX_TEXT_CHARS
    assert stored_text("") == ""
