"""Message numbers and rendered content at rest (issue 14, finding 8): `messages.phone` and `messages.content`
hold values sealed under the platform's keyring, `messages.phone_hash` the keyed hash of the number. A batch is
sealed in one pass before its one INSERT, and only the rows a statement returns are opened."""

from __future__ import annotations

from collections.abc import Sequence

from core.infra.crypto import Keyring
from core.store import queries
from core.store.queries import Db

PHONE = "messages.phone"
CONTENT = "messages.content"


def seal_numbers(keyring: Keyring, e164s: Sequence[str]) -> tuple[list[str], list[bytes]]:
    """The sealed numbers and their look-up hashes, in the order given."""
    return [keyring.seal(p, PHONE) for p in e164s], [keyring.lookup_hash(p, PHONE) for p in e164s]


def number_hashes(keyring: Keyring, e164: str) -> list[bytes]:
    """What to look a number up by: its hash under every key of the ring (rows hashed before a rotation)."""
    return keyring.lookup_hashes(e164, PHONE)


def seal_content(keyring: Keyring, content: str) -> str:
    return keyring.seal(content, CONTENT)


def open_number(keyring: Keyring, stored: str) -> str:
    return keyring.open(stored, PHONE)


def open_content(keyring: Keyring, stored: str) -> str:
    return keyring.open(stored, CONTENT)


def open_queued_number(keyring: Keyring, stored: str) -> str:
    """A number in a queued callback: sealed when it came from a message, plain when it came from a reply (or
    was queued before migration 0014). No number starts with the sealed form's "v1:"."""
    return keyring.open(stored, PHONE) if stored.startswith("v1:") else stored


async def reseal_messages(db: Db, keyring: Keyring, batch: int = 500) -> int:
    """Seal the messages still plain (rows from before migration 0014) and re-seal those under another key
    than the current one, `batch` rows per round (one statement each way); how many were written."""
    prefix = f"v1:{keyring.current_kid}:"
    done, after = 0, 0
    while rows := await queries.fetch(db, "messages_to_reseal", prefix=prefix, after=after, limit=batch):
        phones = [r["phone"] if r["plain"] else open_number(keyring, r["phone"]) for r in rows]
        contents = [r["content"] if r["plain"] else open_content(keyring, r["content"]) for r in rows]
        sealed, hashes = seal_numbers(keyring, phones)
        written = await queries.fetch(
            db,
            "reseal_messages",
            ids=[r["id"] for r in rows],
            accepted_ats=[r["accepted_at"] for r in rows],
            olds=[r["phone"] for r in rows],
            phones=sealed,
            contents=[seal_content(keyring, c) for c in contents],
            phone_hashes=hashes,
        )
        done += len(written)
        after = rows[-1]["id"]
    return done
