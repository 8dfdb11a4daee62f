"""Operator bootstrapping: accounts, API keys, applications, and directly approved signatures and templates
(the review workflow comes with its own issue)."""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass

import asyncpg

from core.domain.errors import Rejection
from core.domain.templates import check_template_format
from core.infra.crypto import Keyring
from core.store import queries
from core.store.keys import app_key_purpose, secret_key_purpose

Db = asyncpg.Connection | asyncpg.Pool | asyncpg.pool.PoolConnectionProxy
_ALNUM = string.ascii_letters + string.digits


def new_secret_id() -> str:
    return "AKID" + "".join(secrets.choice(_ALNUM) for _ in range(32))


def new_secret(length: int = 32) -> str:
    return "".join(secrets.choice(_ALNUM) for _ in range(length))


@dataclass(frozen=True)
class NewAccount:
    account_id: int
    secret_id: str
    secret_key: str


async def create_account(
    db: Db, keyring: Keyring, *, name: str, kind: str, balance_minor: int = 0, contact_phone: str = ""
) -> NewAccount:
    """An account with its first API key, its SecretKey sealed at rest (the plain one is returned once)."""
    if kind not in ("individual", "organization"):
        raise ValueError("kind must be individual or organization")
    secret_id, secret_key = new_secret_id(), new_secret()
    account_id: int = await queries.fetchval(
        db,
        "create_account",
        name=name,
        kind=kind,
        balance_minor=balance_minor,
        contact_phone=contact_phone,
        secret_id=secret_id,
        secret_key_sealed=keyring.seal(secret_key, secret_key_purpose(secret_id)),
    )
    return NewAccount(account_id, secret_id, secret_key)


async def set_key_enabled(db: Db, secret_id: str, enabled: bool) -> bool:
    result = await queries.execute(db, "set_key_enabled", secret_id=secret_id, enabled=enabled)
    return result.endswith(" 1")


@dataclass(frozen=True)
class NewApp:
    sdk_app_id: str
    app_key: str


async def create_app(db: Db, keyring: Keyring, *, account_id: int, name: str) -> NewApp:
    """An application; its AppKey is sealed at rest, bound to its id (taken first), and returned once."""
    app_key = secrets.token_hex(16)
    sdk_app_id: str = await queries.fetchval(db, "next_sdk_app_id")
    await queries.execute(
        db,
        "create_app",
        sdk_app_id=sdk_app_id,
        account_id=account_id,
        name=name,
        app_key_sealed=keyring.seal(app_key, app_key_purpose(sdk_app_id)),
    )
    return NewApp(sdk_app_id, app_key)


async def set_app_status(db: Db, sdk_app_id: str, status: str) -> bool:
    result = await queries.execute(db, "set_app_status", sdk_app_id=sdk_app_id, status=status)
    return result.endswith(" 1")


async def create_signature(db: Db, *, account_id: int, name: str, international: bool, approve: bool) -> int:
    sign_id: int = await queries.fetchval(
        db,
        "create_signature",
        account_id=account_id,
        name=name,
        international=international,
        status="approved" if approve else "pending",
    )
    return sign_id


class InvalidTemplate(ValueError):
    def __init__(self, rejection: Rejection) -> None:
        super().__init__(rejection.message)
        self.rejection = rejection


async def create_template(
    db: Db,
    *,
    account_id: int,
    content: str,
    sms_type: int,
    international: bool,
    approve: bool,
    name: str = "",
) -> int:
    rejection = check_template_format(content)
    if rejection is not None:
        raise InvalidTemplate(rejection)
    template_id: int = await queries.fetchval(
        db,
        "create_template",
        account_id=account_id,
        name=name,
        content=content,
        sms_type=sms_type,
        international=international,
        status="approved" if approve else "pending",
    )
    return template_id
