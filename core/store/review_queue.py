"""The operator's side of review (rules S2, S4, S7, T6): the queue of signatures and templates waiting, urgent
first and then oldest first; one item with its documents and history; the documents themselves; and the word
lists the automatic pre-checks read. State changes go through `core.store.review.transition`, never here."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from core.domain.review import Kind
from core.store import queries
from core.store.qualifications import signature_documents as qualification_documents
from core.store.review import Db as ReviewDb
from core.store.review import Event, history

Db = asyncpg.Connection | asyncpg.Pool | asyncpg.pool.PoolConnectionProxy

WORD_LISTS = ("neutral_sign", "banned_template")
MAX_WORD_CHARS = 100
MAX_OPERATOR_CHARS = 64

_QUEUE = {
    None: "review_queue",
    Kind.SIGNATURE: "review_queue_signatures",
    Kind.TEMPLATE: "review_queue_templates",
}


class BadInput(ValueError):
    """Operator input that cannot be used as given (an unknown word list, an empty or overlong word)."""


@dataclass(frozen=True)
class QueueItem:
    kind: Kind
    id: int
    account_id: int
    account_name: str
    name: str
    # A template's text; a signature's content is its name.
    content: str
    status: str
    urgent: bool
    submitted_at: datetime
    age_s: int
    # When it was first marked urgent, if it was (from its history).
    urgent_at: datetime | None

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "id": self.id,
            "account_id": self.account_id,
            "account_name": self.account_name,
            "name": self.name,
            "content": self.content,
            "status": self.status,
            "urgent": self.urgent,
            "submitted_at": self.submitted_at.isoformat(),
            "age_s": self.age_s,
            "urgent_at": self.urgent_at.isoformat() if self.urgent_at else None,
        }


@dataclass(frozen=True)
class DocumentInfo:
    id: int
    # "proof" (the certificate), "commission" (authorization letter for use on behalf of others) or
    # "qualification:<part>" (a document of the signature's qualification, e.g. qualification:company_certificate)
    role: str
    content_type: str
    size: int

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "role": self.role, "content_type": self.content_type, "size": self.size}


@dataclass(frozen=True)
class ItemDetail:
    kind: Kind
    id: int
    account_id: int
    account_name: str
    account_kind: str
    status: str
    urgent: bool
    review_reply: str
    version: int
    created_at: datetime
    submitted_at: datetime
    updated_at: datetime
    # What the customer applied for: a signature's name, sign_type, document_type, sign_purpose, international,
    # remark, qualification_id; a template's name, content, sms_type, international, remark.
    fields: dict[str, str | int | bool]
    documents: list[DocumentInfo]
    history: list[Event]

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "id": self.id,
            "account_id": self.account_id,
            "account_name": self.account_name,
            "account_kind": self.account_kind,
            "status": self.status,
            "urgent": self.urgent,
            "review_reply": self.review_reply,
            "version": self.version,
            "created_at": self.created_at.isoformat(),
            "submitted_at": self.submitted_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            **self.fields,
            "documents": [d.to_json() for d in self.documents],
            "history": [event_json(e) for e in self.history],
        }


def event_json(event: Event) -> dict[str, Any]:
    return {
        "actor": event.actor,
        "action": event.action,
        "from_status": event.from_status,
        "to_status": event.to_status,
        "reason": event.reason,
        "at": event.at.isoformat(),
    }


def operator_actor(name: str) -> str:
    """The history's actor for an operator: `operator:<name>`; the name is short, printable, without spaces."""
    name = name.strip()
    if not name or len(name) > MAX_OPERATOR_CHARS or not name.isprintable() or any(c.isspace() for c in name):
        raise BadInput(
            f"The operator name must be 1 to {MAX_OPERATOR_CHARS} printable characters, no spaces."
        )
    return f"operator:{name}"


async def list_queue(db: Db, *, kind: Kind | None, limit: int, now: datetime) -> list[QueueItem]:
    """What waits for review (pending or reviewing): urgent first, then oldest submitted first (S7)."""
    rows = await queries.fetch(db, _QUEUE[kind], limit=limit)
    return [
        QueueItem(
            kind=Kind(r["kind"]),
            id=r["id"],
            account_id=r["account_id"],
            account_name=r["account_name"],
            name=r["name"],
            content=r["content"],
            status=r["status"],
            urgent=r["urgent"],
            submitted_at=r["submitted_at"],
            age_s=max(0, int((now - r["submitted_at"]).total_seconds())),
            urgent_at=r["urgent_at"] if r["urgent"] else None,
        )
        for r in rows
    ]


async def get_item(db: ReviewDb, kind: Kind, item_id: int) -> ItemDetail | None:
    """One signature or template with everything the reviewer needs, including its history. Deleted ones too."""
    row = await queries.fetchrow(
        db, "review_signature" if kind is Kind.SIGNATURE else "review_template", id=item_id
    )
    if row is None:
        return None
    documents: list[DocumentInfo] = []
    fields: dict[str, str | int | bool]
    if kind is Kind.SIGNATURE:
        fields = {
            name: row[name]
            for name in (
                "name",
                "sign_type",
                "document_type",
                "sign_purpose",
                "international",
                "remark",
                "qualification_id",
            )
        }
        for role in ("proof", "commission"):
            doc_id = row[f"{role}_document_id"]
            if doc_id is not None:
                documents.append(DocumentInfo(doc_id, role, row[f"{role}_content_type"], row[f"{role}_size"]))
        # The documents of the qualification it rests on (UCloud's qualifications), by their part in it.
        for doc in await qualification_documents(db, item_id):
            documents.append(
                DocumentInfo(doc["id"], f"qualification:{doc['role']}", doc["content_type"], doc["size"])
            )
    else:
        fields = {name: row[name] for name in ("name", "content", "sms_type", "international", "remark")}
    return ItemDetail(
        kind=kind,
        id=row["id"],
        account_id=row["account_id"],
        account_name=row["account_name"],
        account_kind=row["account_kind"],
        status=row["status"],
        urgent=row["urgent"],
        review_reply=row["review_reply"],
        version=row["version"],
        created_at=row["created_at"],
        submitted_at=row["submitted_at"],
        updated_at=row["updated_at"],
        fields=fields,
        documents=documents,
        history=await history(db, kind, item_id),
    )


async def get_document(db: Db, doc_id: int) -> tuple[str, bytes] | None:
    """An uploaded document: its content type and bytes."""
    row = await queries.fetchrow(db, "get_document", id=doc_id)
    if row is None:
        return None
    return row["content_type"], bytes(row["data"])


def normalize_words(words: Iterable[str]) -> list[str]:
    """Words as the lists keep them: trimmed, case-folded, unique, in the order given. Refuses empty or
    overlong words rather than dropping them silently."""
    seen: dict[str, None] = {}
    for raw in words:
        word = raw.strip().casefold()
        if not word:
            raise BadInput("A word cannot be empty.")
        if len(word) > MAX_WORD_CHARS:
            raise BadInput(f"A word is at most {MAX_WORD_CHARS} characters: {word[:20]!r}...")
        seen[word] = None
    return list(seen)


def check_list_name(name: str) -> str:
    if name not in WORD_LISTS:
        raise BadInput(f"Unknown word list {name!r}; the lists are {', '.join(WORD_LISTS)}.")
    return name


async def add_words(db: Db, list_name: str, words: Iterable[str]) -> list[str]:
    """Add words to a list; answers the ones that were not in it yet."""
    check_list_name(list_name)
    rows = await queries.fetch(db, "add_words", list=list_name, words=normalize_words(words))
    return sorted(r["word"] for r in rows)


async def remove_words(db: Db, list_name: str, words: Iterable[str]) -> list[str]:
    """Remove words from a list; answers the ones that were in it."""
    check_list_name(list_name)
    rows = await queries.fetch(db, "remove_words", list=list_name, words=normalize_words(words))
    return sorted(r["word"] for r in rows)


@dataclass(frozen=True)
class WordEdit:
    added: list[str]
    removed: list[str]
    words: list[str]  # the list after the edit


async def edit_words(pool: asyncpg.Pool, list_name: str, *, add: list[str], remove: list[str]) -> WordEdit:
    """Add and remove words in one transaction; answers what changed and the list after it."""
    check_list_name(list_name)
    async with pool.acquire() as conn, conn.transaction():
        added = await add_words(conn, list_name, add) if add else []
        removed = await remove_words(conn, list_name, remove) if remove else []
        rows = await queries.fetch(conn, "word_list", list=list_name)
    return WordEdit(added, removed, [r["word"] for r in rows])
