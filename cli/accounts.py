"""smsctl account / app / sign / template create: an operator seeds accounts, their applications, and signatures
and templates (created approved with --approve, for bootstrapping); the rest of each group (recharge, policy,
callbacks, ...) is registered on these groups by cli.main."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import click

from cli.runtime import emit, with_platform
from core.domain.phone import normalize_phone
from core.infra.settings import Settings
from core.services import accounts
from core.services.platform import Platform

T = TypeVar("T")
SMS_TYPES = {"regular": 0, "marketing": 1, "notification": 2, "verification": 3}


@click.group()
def account() -> None:
    """Customer accounts."""


@account.command("create")
@click.option("--name", required=True)
@click.option("--kind", type=click.Choice(["individual", "organization"]), required=True)
@click.option("--balance", type=int, default=0, help="Opening balance in minor units of the currency.")
@click.option("--contact", default="", help="Contact phone number (E.164) for account notices.")
@click.pass_obj
def account_create(settings: Settings, name: str, kind: str, balance: int, contact: str) -> None:
    """Create an account and its first API key."""
    if contact and normalize_phone(contact) is None:
        raise click.BadParameter("not a valid phone number", param_hint="--contact")
    new = with_platform(
        settings,
        lambda p: accounts.create_account(
            p, name=name, kind=kind, balance_minor=balance, contact_phone=contact
        ),
    )
    emit({"account_id": new.account_id, "secret_id": new.secret_id, "secret_key": new.secret_key})


@click.group()
def app() -> None:
    """Applications (SDK AppID + AppKey)."""


@app.command("create")
@click.option("--account", "account_id", type=int, required=True)
@click.option("--name", required=True)
@click.pass_obj
def app_create(settings: Settings, account_id: int, name: str) -> None:
    """Create an application for an account."""
    new = _for_account(lambda p: accounts.create_app(p, account_id=account_id, name=name), settings)
    emit({"sdk_app_id": new.sdk_app_id, "app_key": new.app_key})


@click.group()
def sign() -> None:
    """SMS signatures."""


@sign.command("create")
@click.option("--account", "account_id", type=int, required=True)
@click.option("--name", required=True)
@click.option("--international", is_flag=True)
@click.option("--approve", is_flag=True, help="Create it approved (bootstrapping; skips review).")
@click.pass_obj
def sign_create(settings: Settings, account_id: int, name: str, international: bool, approve: bool) -> None:
    """Create a signature."""
    sign_id = _for_account(
        lambda p: accounts.create_signature(
            p, account_id=account_id, name=name, international=international, approve=approve
        ),
        settings,
    )
    emit({"sign_id": sign_id})


@click.group()
def template() -> None:
    """Message templates."""


@template.command("create")
@click.option("--account", "account_id", type=int, required=True)
@click.option("--content", required=True)
@click.option("--type", "kind", type=click.Choice(list(SMS_TYPES)), default="regular")
@click.option("--international", is_flag=True)
@click.option("--approve", is_flag=True, help="Create it approved (bootstrapping; skips review).")
@click.option("--name", default="")
@click.pass_obj
def template_create(
    settings: Settings,
    account_id: int,
    content: str,
    kind: str,
    international: bool,
    approve: bool,
    name: str,
) -> None:
    """Create a template."""
    try:
        template_id = _for_account(
            lambda p: accounts.create_template(
                p,
                account_id=account_id,
                content=content,
                sms_type=SMS_TYPES[kind],
                international=international,
                approve=approve,
                name=name,
            ),
            settings,
        )
    except accounts.InvalidTemplate as exc:
        raise click.ClickException(f"{exc.rejection.code.value}: {exc.rejection.message}") from exc
    emit({"template_id": template_id})


def _for_account(action: Callable[[Platform], Awaitable[T]], settings: Settings) -> T:
    try:
        return with_platform(settings, action)
    except accounts.AccountNotFound as exc:
        raise click.ClickException(str(exc)) from None
