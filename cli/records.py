"""smsctl messages [export]: message records (rule B4), newest first, masked; the export streams CSV a chunk at
a time (core.services.records)."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import click

from cli.runtime import emit, with_platform
from core.domain.phone import normalize_phone
from core.domain.records import DEFAULT_SPAN, RecordFilter, masked_row, parse_time
from core.services import records

_RECORD_OPTIONS = (
    click.option("--app", "sdk_app_id", default=None, help="Only this application (SDK AppID)."),
    click.option("--account", "account_id", type=click.IntRange(1), default=None, help="Only this account."),
    click.option("--phone", default=None, help="Only this number (E.164)."),
    click.option("--since", default=None, help="From (ISO 8601 or Unix seconds); default a day ago."),
    click.option("--until", default=None, help="Before this time (ISO 8601 or Unix seconds); default now."),
)


def _record_options(command: Callable[..., None]) -> Callable[..., None]:
    """The record filters, shared by `messages` and `messages export`."""
    for option in reversed(_RECORD_OPTIONS):
        command = option(command)
    return command


def _record_filters(ctx: click.Context, **given: Any) -> RecordFilter:
    """The filters of a search or an export; a subcommand's own option wins over the group's
    (`smsctl messages --app X export` and `smsctl messages export --app X` are the same)."""
    group = ctx.parent.params if ctx.parent is not None and ctx.parent.command is messages else {}
    raw = {name: group.get(name) if value is None else value for name, value in given.items()}
    if raw["sdk_app_id"] is None and raw["account_id"] is None:
        raise click.UsageError("give --app or --account")
    phone = raw["phone"]
    if phone is not None:
        parsed = normalize_phone(phone)
        if parsed is None:
            raise click.BadParameter("not a valid phone number", param_hint="--phone")
        phone = parsed.e164
    until = _time_option(raw["until"], "--until") or datetime.now(UTC)
    since = _time_option(raw["since"], "--since") or until - DEFAULT_SPAN
    return RecordFilter(
        account_id=raw["account_id"], sdk_app_id=raw["sdk_app_id"], phone=phone, since=since, until=until
    )


def _time_option(raw: str | None, hint: str) -> datetime | None:
    if raw is None:
        return None
    parsed = parse_time(raw)
    if parsed is None:
        raise click.BadParameter("not ISO 8601 or Unix seconds", param_hint=hint)
    return parsed


@click.group(invoke_without_command=True)
@_record_options
@click.option("--limit", type=click.IntRange(1, 1000), default=50)
@click.pass_context
def messages(
    ctx: click.Context,
    sdk_app_id: str | None,
    account_id: int | None,
    phone: str | None,
    since: str | None,
    until: str | None,
    limit: int,
) -> None:
    """Message records (rule B4), newest first, numbers and variables masked; `messages export` writes CSV."""
    if ctx.invoked_subcommand is not None:
        return
    filters = _record_filters(
        ctx, sdk_app_id=sdk_app_id, account_id=account_id, phone=phone, since=since, until=until
    )
    found = with_platform(ctx.obj, lambda p: records.search(p, filters, limit=limit))
    emit([masked_row(r) for r in found])


@messages.command("export")
@_record_options
@click.option("--output", type=click.Path(dir_okay=False), default=None, help="A file; default stdout.")
@click.pass_context
def messages_export(
    ctx: click.Context,
    sdk_app_id: str | None,
    account_id: int | None,
    phone: str | None,
    since: str | None,
    until: str | None,
    output: str | None,
) -> None:
    """Every matching record as CSV (a header row first), masked, read and written a chunk at a time."""
    filters = _record_filters(
        ctx, sdk_app_id=sdk_app_id, account_id=account_id, phone=phone, since=since, until=until
    )
    with contextlib.ExitStack() as stack:
        out = stack.enter_context(open(output, "w", newline="", encoding="utf-8")) if output else sys.stdout

        async def write(text: str) -> None:
            out.write(text)

        rows = with_platform(ctx.obj, lambda p: records.export_csv(p, filters, write))
    if output:
        emit({"rows": rows, "output": output})
