"""When `smsctl migrate` / `smsctl up` scan the messages table to seal it (issue 14, finding 8): only when some
rows may be plain or under an older key, so an ordinary start does not read every message."""

from __future__ import annotations

import base64

from core.infra.crypto import DEV_MASTER_KEY, Keyring
from core.infra.migrations import load_migrations
from core.services.keys import SEALING_MIGRATION, messages_may_need_sealing

ONE_KEY = Keyring.parse(DEV_MASTER_KEY)
ROTATING = Keyring.parse("k2:" + base64.b64encode(b"n" * 32).decode() + "," + DEV_MASTER_KEY)


def test_the_sealing_migration_is_a_real_one() -> None:
    assert SEALING_MIGRATION in {m.name for m in load_migrations()}


def test_messages_are_scanned_right_after_the_sealing_migration() -> None:
    assert messages_may_need_sealing(["0013_unknown_outcomes", SEALING_MIGRATION], ONE_KEY)


def test_messages_are_scanned_while_an_older_key_is_in_the_ring() -> None:
    assert messages_may_need_sealing([], ROTATING)


def test_an_ordinary_start_does_not_scan_the_messages() -> None:
    assert not messages_may_need_sealing([], ONE_KEY)
    assert not messages_may_need_sealing(["0015_later"], ONE_KEY)
