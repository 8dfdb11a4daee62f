"""smsctl app policy / allowlist / disable / enable: an application's sending policy (rules L1, L4), its allowlist
of test/alarm numbers (L2) and its emergency disable (A3), the same services as the admin API (/admin/v1/apps/).
Every command prints JSON; a refused action prints its code and message to stderr and exits 1. cli.main imports
this module and registers the commands under `smsctl app`."""

from __future__ import annotations

import click

from cli.app_callbacks import app_callbacks
from cli.runtime import emit, with_platform
from core.domain.errors import Rejection
from core.domain.phone import normalize_phones
from core.infra.settings import Settings
from core.services import policy
from core.services.policy import MAX_ALLOWLIST, AllowlistFull, AppNotFound, IndividualPolicy
from core.services.review import BadInput, operator_actor

NOT_FOUND = "ResourceNotFound"  # as the admin API answers an unknown application


def _refuse(code: str, message: str) -> click.ClickException:
    return click.ClickException(f"{code}: {message}")


def _not_found(sdk_app_id: str) -> click.ClickException:
    return _refuse(NOT_FOUND, str(AppNotFound(sdk_app_id)))


def _assignment(raw: str) -> tuple[str, int | str | None]:
    """`field=value`: `null` removes an optional limit, an integer sets it; anything else is passed on for
    validate_policy to refuse with its code, as the API would."""
    name, sep, value = raw.partition("=")
    name, value = name.strip(), value.strip()
    if not sep or not name:
        raise click.BadParameter(f"{raw!r} is not field=value", param_hint="--set")
    if value == "null":
        return name, None
    try:
        return name, int(value) if value.isascii() else value
    except ValueError:
        return name, value


def _phones(given: tuple[str, ...], hint: str) -> list[str]:
    phones, invalid = normalize_phones(given)
    if invalid:
        raise click.BadParameter(
            f"invalid phone numbers (nothing was changed): {', '.join(invalid)}", param_hint=hint
        )
    return phones


@click.command("policy")
@click.argument("sdk_app_id")
@click.option(
    "--set",
    "assignments",
    multiple=True,
    metavar="FIELD=VALUE",
    help="Change a field (repeatable); VALUE an integer, or null to remove an optional limit.",
)
@click.pass_obj
def app_policy(settings: Settings, sdk_app_id: str, assignments: tuple[str, ...]) -> None:
    """Show an application's sending policy (stored and in force), or change fields of it with --set.

    Fields: same_content_30s, one_hour, daily, same_content_daily, cap_daily, cap_daily_mainland,
    cap_daily_international. An individual account's application keeps the defaults (rule L1)."""
    values: dict[str, int | str | None] = {}
    for raw in assignments:
        name, value = _assignment(raw)
        if name in values:
            raise click.BadParameter(f"{name} is given twice", param_hint="--set")
        values[name] = value
    try:
        if not values:
            emit(with_platform(settings, lambda p: policy.get_policy(p, sdk_app_id)).to_json())
            return
        outcome = with_platform(settings, lambda p: policy.update_policy(p, sdk_app_id, values))
    except AppNotFound:
        raise _not_found(sdk_app_id) from None
    except IndividualPolicy as exc:
        raise _refuse(exc.code, str(exc)) from None
    if isinstance(outcome, Rejection):
        raise _refuse(outcome.code.value, outcome.message)
    emit(outcome.to_json())


@click.command("allowlist")
@click.argument("sdk_app_id")
@click.option("--add", "add", multiple=True, metavar="PHONE", help="A number to add (repeatable).")
@click.option("--remove", "remove", multiple=True, metavar="PHONE", help="A number to remove (repeatable).")
@click.option("--note", default="", help="Why the added numbers are exempt (e.g. 'alarm on-call').")
@click.option(
    "--operator", default="operator", show_default=True, help="Who acts; recorded as operator:<name>."
)
@click.pass_obj
def app_allowlist(
    settings: Settings,
    sdk_app_id: str,
    add: tuple[str, ...],
    remove: tuple[str, ...],
    note: str,
    operator: str,
) -> None:
    """Show an application's allowlist (numbers exempt from the per-number limits, rule L2), or change it.

    Numbers are normalized as in a send request (13800138000 is +8613800138000); removals apply before
    additions, all in one transaction. At most 100 numbers per application."""
    to_add, to_remove = _phones(add, "--add"), _phones(remove, "--remove")
    both = sorted(set(to_add) & set(to_remove))
    if both:
        raise click.BadParameter(f"both added and removed: {', '.join(both)}", param_hint="--add/--remove")
    try:
        actor = operator_actor(operator)
    except BadInput as exc:
        raise click.BadParameter(str(exc), param_hint="--operator") from None
    try:
        edit = with_platform(
            settings,
            lambda p: policy.edit_allowlist(
                p, sdk_app_id, add=to_add, remove=to_remove, note=note, actor=actor
            ),
        )
    except AppNotFound:
        raise _not_found(sdk_app_id) from None
    except AllowlistFull as exc:
        raise _refuse(exc.code, str(exc)) from None
    emit(
        {"sdk_app_id": sdk_app_id}
        | ({"removed": edit.removed} if to_remove else {})
        | ({"added": edit.added} if to_add else {})
        | {"limit": MAX_ALLOWLIST, "allowlist": [e.to_json() for e in edit.entries]}
    )


def _set_status(settings: Settings, sdk_app_id: str, status: str) -> None:
    try:
        with_platform(settings, lambda p: policy.set_app_status(p, sdk_app_id, status))
    except AppNotFound:
        raise _not_found(sdk_app_id) from None
    emit({"sdk_app_id": sdk_app_id, "status": status})


@click.command("disable")
@click.argument("sdk_app_id")
@click.pass_obj
def app_disable(settings: Settings, sdk_app_id: str) -> None:
    """Disable an application in an emergency (rule A3): every later send is refused at once."""
    _set_status(settings, sdk_app_id, "disabled")


@click.command("enable")
@click.argument("sdk_app_id")
@click.pass_obj
def app_enable(settings: Settings, sdk_app_id: str) -> None:
    """Enable a disabled application again."""
    _set_status(settings, sdk_app_id, "active")


APP_COMMANDS = (app_policy, app_allowlist, app_disable, app_enable, app_callbacks)
