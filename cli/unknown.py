"""smsctl unknown list | resend | fail: messages whose submit outcome is unknown (their worker died between
the carrier call and recording its answer, and the carrier does not dedupe on our serial). The platform never
resends them by itself; an operator does, or fails them (core.services.unknown_outcomes)."""

from __future__ import annotations

import click

from cli.runtime import emit, with_platform
from core.domain.unknown_outcomes import BadOperatorRequest
from core.infra.settings import Settings
from core.services import unknown_outcomes


@click.group()
def unknown() -> None:
    """Messages whose submit outcome is unknown: list them, resend or fail them."""


@unknown.command("list")
@click.option("--app", "sdk_app_id", default=None, help="Only this application (SDK AppID).")
@click.option("--limit", type=click.IntRange(1, 1000), default=50)
@click.pass_obj
def unknown_list(settings: Settings, sdk_app_id: str | None, limit: int) -> None:
    """Oldest first, numbers masked."""
    found = with_platform(
        settings, lambda p: unknown_outcomes.list_unknown(p, sdk_app_id=sdk_app_id, limit=limit)
    )
    emit([u.to_json() for u in found])


@unknown.command("resend")
@click.argument("serials", nargs=-1, required=True)
@click.option(
    "--fresh-ref",
    is_flag=True,
    help="Give the carrier a new reference, so even a carrier that dedupes sends it again (check first that "
    "it has no trace of the message: the subscriber may get it twice).",
)
@click.pass_obj
def unknown_resend(settings: Settings, serials: tuple[str, ...], fresh_ref: bool) -> None:
    """Requeue these messages through the normal send path (by default under the same serial)."""
    try:
        done = with_platform(
            settings, lambda p: unknown_outcomes.resend(p, serials, fresh_ref=fresh_ref), redis=True
        )
    except BadOperatorRequest as exc:
        raise click.BadParameter(str(exc), param_hint="SERIALS") from None
    emit(done.to_json())


@unknown.command("fail")
@click.argument("serials", nargs=-1, required=True)
@click.option(
    "--reason", default="", help="The error the messages carry (default: says an operator failed them)."
)
@click.pass_obj
def unknown_fail(settings: Settings, serials: tuple[str, ...], reason: str) -> None:
    """Fail these messages as a submit the carrier refused: status reported, not charged."""
    try:
        done = with_platform(settings, lambda p: unknown_outcomes.fail(p, serials, reason=reason), redis=True)
    except BadOperatorRequest as exc:
        raise click.BadParameter(str(exc)) from None
    emit(done.to_json())
