"""Issue 14, finding 8: message numbers and texts sealed for their column, with a look-up hash per number."""

from __future__ import annotations

import pytest

from core.infra.crypto import SealError
from core.store.sealed_numbers import (
    number_hashes,
    open_content,
    open_number,
    open_queued_number,
    seal_content,
    seal_numbers,
)
from tests.keyring import KEYRING


def test_a_batch_is_sealed_in_order_with_one_hash_per_number() -> None:
    phones = ["+8613800138000", "+14155550123", "+8613800138000"]
    sealed, hashes = seal_numbers(KEYRING, phones)
    assert [open_number(KEYRING, s) for s in sealed] == phones
    assert len(set(sealed)) == 3  # the same number twice gives two ciphertexts...
    assert hashes[0] == hashes[2] != hashes[1]  # ...but one hash, which is how it is found
    assert hashes[0] in number_hashes(KEYRING, "+8613800138000")


def test_a_number_and_a_text_do_not_open_in_each_others_column() -> None:
    with pytest.raises(SealError):
        open_content(KEYRING, seal_numbers(KEYRING, ["+8613800138000"])[0][0])
    with pytest.raises(SealError):
        open_number(KEYRING, seal_content(KEYRING, "+8613800138000"))


def test_a_queued_callback_number_is_opened_when_sealed_and_kept_when_plain() -> None:
    """Status callbacks carry the message's sealed number; reply callbacks (and items queued before
    migration 0014) a plain one."""
    [sealed], _ = seal_numbers(KEYRING, ["+8613800138000"])
    assert open_queued_number(KEYRING, sealed) == "+8613800138000"
    assert open_queued_number(KEYRING, "+8613800138000") == "+8613800138000"
