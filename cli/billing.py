"""smsctl prices import|list, smsctl account recharge|statement: the operator's billing commands (P1, P2), the
same actions as the admin API's /admin/v1/prices and /admin/v1/accounts/{id}/... Every command prints JSON."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from cli.runtime import emit, with_platform
from core.domain.billing import month, package_terms, recharge_amount
from core.domain.money import format_amount
from core.domain.prices import PriceFileError, parse_price_csv
from core.infra.settings import Settings
from core.services import billing


@click.group()
def prices() -> None:
    """The price per part per country (P1)."""


@prices.command("list")
@click.pass_obj
def prices_list(settings: Settings) -> None:
    rows = with_platform(settings, billing.prices)
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
    emit({"updated": with_platform(settings, lambda p: billing.set_prices(p, rows))})


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
    standing = with_platform(
        settings, lambda p: billing.recharge(p, account_id, minor, by="operator:cli", note=note)
    )
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
    found = with_platform(settings, lambda p: billing.statement(p, account_id, period))
    if found is None:
        raise click.ClickException(f"account {account_id} does not exist")
    emit({**found, "currency": settings.currency, "month": month_text})


@click.command("settlement")
@click.option("--account", "account_id", type=click.IntRange(1), required=True)
@click.option("--international", type=click.Choice(["daily", "monthly"]), required=True)
@click.pass_obj
def settlement(settings: Settings, account_id: int, international: str) -> None:
    """P3: settle the account's international usage daily or monthly (on the 1st, for the month before)."""
    if not with_platform(settings, lambda p: billing.set_settlement(p, account_id, international)):
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
    granted = with_platform(
        settings,
        lambda p: billing.grant_package(
            p,
            account_id,
            parts=parts,
            valid_from=start,
            valid_until=end,
            price_minor=price_minor,
            by="operator:cli",
        ),
    )
    if granted is None:
        raise click.ClickException(f"account {account_id} does not exist")
    emit(
        {
            "package": granted[0].__dict__,
            "balance_minor": granted[1].balance_minor,
            "status": granted[1].status,
        }
    )
