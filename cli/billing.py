"""smsctl prices import|list, smsctl account recharge|statement: the operator's billing commands (P1, P2), the
same actions as the admin API's /admin/v1/prices and /admin/v1/accounts/{id}/... Every command prints JSON."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import click

from cli.runtime import emit, with_db
from core.domain.billing import month, package_terms, recharge_amount
from core.domain.money import format_amount
from core.domain.prices import PriceFileError, parse_price_csv
from core.infra.settings import Settings
from core.store import billing


@click.group()
def prices() -> None:
    """The price per part per country (P1)."""


@prices.command("list")
@click.pass_obj
def prices_list(settings: Settings) -> None:
    rows = with_db(settings, billing.list_prices)
    emit(
        {
            "currency": settings.currency,
            "prices": [
                {"country": iso, "price": format_amount(p, settings.money_exponent), "price_minor": p}
                for iso, p, _ in rows
            ],
        }
    )


@prices.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_obj
def prices_import(settings: Settings, file: Path) -> None:
    """Set the prices of the countries FILE names (CSV: country,price[,currency]); a file with any bad line
    changes nothing and every problem is reported by line."""
    try:
        rows = parse_price_csv(
            file.read_text(encoding="utf-8-sig"), exponent=settings.money_exponent, currency=settings.currency
        )
    except UnicodeDecodeError:
        raise click.ClickException("the price file must be UTF-8 text") from None
    except PriceFileError as exc:
        raise click.ClickException("\n".join(["nothing imported:", *exc.problems])) from None

    async def apply(db: asyncpg.Connection) -> int:
        now = datetime.now(UTC)
        return await billing.replace_prices(db, [(r.iso_code, r.price_minor) for r in rows], now=now)

    emit({"updated": with_db(settings, apply)})


@click.command("recharge")
@click.option("--account", "account_id", type=click.IntRange(1), required=True)
@click.option("--amount", required=True, help="A positive amount of the platform currency, e.g. 100.00.")
@click.option("--note", default="", help="Why (shown on the statement).")
@click.pass_obj
def recharge(settings: Settings, account_id: int, amount: str, note: str) -> None:
    """Add money to an account; back at zero or above ends arrears and any suspension at once."""
    try:
        minor = recharge_amount(amount, exponent=settings.money_exponent, currency=settings.currency)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--amount") from None

    async def apply(db: asyncpg.Connection) -> billing.Standing | None:
        return await billing.recharge(
            db, account_id, minor, now=datetime.fromtimestamp(time.time(), UTC), by="operator:cli", note=note
        )

    standing = with_db(settings, apply)
    if standing is None:
        raise click.ClickException(f"account {account_id} does not exist")
    emit(
        {
            "account_id": account_id,
            "recharged": format_amount(minor, settings.money_exponent),
            "balance": format_amount(standing.balance_minor, settings.money_exponent),
            "balance_minor": standing.balance_minor,
            "status": standing.status,
        }
    )


@click.command("statement")
@click.option("--account", "account_id", type=click.IntRange(1), required=True)
@click.option("--month", "month_text", required=True, help="YYYY-MM, in the platform's time zone.")
@click.pass_obj
def statement(settings: Settings, account_id: int, month_text: str) -> None:
    """A month's ledger (recharges, daily charges) and per-day usage; the balance before and after."""
    try:
        period = month(month_text, ZoneInfo(settings.timezone))
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--month") from None

    async def load(db: asyncpg.Connection) -> dict[str, Any] | None:
        return await billing.statement(
            db,
            account_id,
            since=period.since,
            until=period.until,
            first_day=period.first_day,
            last_day=period.last_day,
        )

    found = with_db(settings, load)
    if found is None:
        raise click.ClickException(f"account {account_id} does not exist")
    emit({**found, "currency": settings.currency, "month": month_text})


@click.command("settlement")
@click.option("--account", "account_id", type=click.IntRange(1), required=True)
@click.option("--international", type=click.Choice(["daily", "monthly"]), required=True)
@click.pass_obj
def settlement(settings: Settings, account_id: int, international: str) -> None:
    """P3: settle the account's international usage daily or monthly (on the 1st, for the month before)."""

    async def apply(db: asyncpg.Connection) -> bool:
        return await billing.set_intl_settlement(db, account_id, international)

    if not with_db(settings, apply):
        raise click.ClickException(f"account {account_id} does not exist")
    emit({"account_id": account_id, "international": international})


@click.command("package")
@click.option("--account", "account_id", type=click.IntRange(1), required=True)
@click.option("--parts", type=click.IntRange(1), required=True, help="Mainland parts in the package.")
@click.option(
    "--from", "valid_from", type=click.DateTime(), required=True, help="Valid from (platform time)."
)
@click.option(
    "--until", "valid_until", type=click.DateTime(), required=True, help="Valid until (platform time)."
)
@click.option(
    "--price", default=None, help="Sell it for this amount (charged to the balance); omit for a gift."
)
@click.pass_obj
def package(
    settings: Settings,
    account_id: int,
    parts: int,
    valid_from: datetime,
    valid_until: datetime,
    price: str | None,
) -> None:
    """Grant or sell a package of mainland parts; usage draws from packages before the balance."""
    tz = ZoneInfo(settings.timezone)
    start, end = valid_from.replace(tzinfo=tz), valid_until.replace(tzinfo=tz)
    try:
        package_terms(parts, start, end)
        price_minor = (
            recharge_amount(price, exponent=settings.money_exponent, currency=settings.currency)
            if price
            else 0
        )
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None

    async def apply(db: asyncpg.Connection) -> tuple[billing.Package, billing.Standing] | None:
        return await billing.grant_package(
            db,
            account_id,
            parts=parts,
            valid_from=start,
            valid_until=end,
            price_minor=price_minor,
            now=datetime.now(UTC),
            by="operator:cli",
        )

    granted = with_db(settings, apply)
    if granted is None:
        raise click.ClickException(f"account {account_id} does not exist")
    emit(
        {
            "package": granted[0].__dict__,
            "balance_minor": granted[1].balance_minor,
            "status": granted[1].status,
        }
    )
