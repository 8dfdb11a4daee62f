"""Accounts, their API keys and applications, and what an operator seeds for them (signatures and templates
created approved, for bootstrapping): the operator's side of rules A1-A3."""

from __future__ import annotations

from collections.abc import Set as AbstractSet

from core.domain.sending import ApiKey
from core.services.customer_urls import url_problem
from core.services.platform import Platform
from core.store import accounts, admin
from core.store.admin import InvalidTemplate, NewAccount, NewApp
from core.store.intake import load_api_key

__all__ = ["AccountNotFound", "InvalidTemplate", "InvalidWebhookUrl", "NewAccount", "NewApp"]


class AccountNotFound(LookupError):
    def __init__(self, account_id: int) -> None:
        super().__init__(f"account {account_id} does not exist")
        self.account_id = account_id


class InvalidWebhookUrl(ValueError):
    """The platform will not call this alarm webhook; the message says why, for the customer."""


async def _require(platform: Platform, account_id: int) -> None:
    if not await accounts.account_exists(platform.db, account_id):
        raise AccountNotFound(account_id)


async def create_account(
    platform: Platform, *, name: str, kind: str, balance_minor: int = 0, contact_phone: str = ""
) -> NewAccount:
    """A new account with its first API key (the secret is shown once, to the caller)."""
    return await admin.create_account(
        platform.db,
        platform.keyring,
        name=name,
        kind=kind,
        balance_minor=balance_minor,
        contact_phone=contact_phone,
    )


async def create_app(platform: Platform, *, account_id: int, name: str) -> NewApp:
    await _require(platform, account_id)
    return await admin.create_app(platform.db, platform.keyring, account_id=account_id, name=name)


async def create_signature(
    platform: Platform, *, account_id: int, name: str, international: bool, approve: bool
) -> int:
    await _require(platform, account_id)
    return await admin.create_signature(
        platform.db, account_id=account_id, name=name, international=international, approve=approve
    )


async def create_template(
    platform: Platform,
    *,
    account_id: int,
    content: str,
    sms_type: int,
    international: bool,
    approve: bool,
    name: str = "",
) -> int:
    """Raises InvalidTemplate when the content breaks a template rule (T1-T4)."""
    await _require(platform, account_id)
    return await admin.create_template(
        platform.db,
        account_id=account_id,
        content=content,
        sms_type=sms_type,
        international=international,
        approve=approve,
        name=name,
    )


async def api_key(platform: Platform, secret_id: str) -> ApiKey | None:
    return await load_api_key(platform.db, platform.keyring, secret_id)


async def set_alarm_recipients(
    platform: Platform,
    account_id: int,
    phones: list[str],
    webhook: str,
    *,
    also_hosts: AbstractSet[str] = frozenset(),
    also_ports: AbstractSet[int] = frozenset(),
) -> bool:
    """L4: who hears of an application's unusual limit refusals (numbers in E.164, a webhook URL or ''); the
    webhook is checked as every customer URL is (core.services.customer_urls; `also_hosts` and `also_ports`:
    where the caller's own request arrived). False when the account does not exist; raises
    InvalidWebhookUrl."""
    problem = (
        await url_problem(platform, webhook, also_hosts=also_hosts, also_ports=also_ports)
        if webhook
        else None
    )
    if problem:
        raise InvalidWebhookUrl(problem)
    return await accounts.set_alarm_recipients(platform.db, account_id, phones, webhook)
