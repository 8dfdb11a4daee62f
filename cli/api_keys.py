"""smsctl key show / key app: an API key (never its SecretKey) and the application its sends use when their
calls name none (Alibaba, UCloud), the same actions as the admin API's /admin/v1/keys/{secret_id}."""

from __future__ import annotations

import click

from cli.runtime import emit, with_platform
from core.infra.settings import Settings
from core.services import api_keys
from core.services.api_keys import KeyNotFound, UnknownApplication

NOT_FOUND = "ResourceNotFound"  # as the admin API answers an unknown key


@click.group("key")
def key() -> None:
    """API keys (SecretId): the application their Alibaba and UCloud sends use."""


@key.command("show")
@click.argument("secret_id")
@click.pass_obj
def key_show(settings: Settings, secret_id: str) -> None:
    """The key's account, the application chosen for it and the one its sends use (the chosen one, else the
    account's only one; none when the account has several and none is chosen)."""
    try:
        found = with_platform(settings, lambda p: api_keys.key_application(p, secret_id))
    except KeyNotFound as exc:
        raise click.ClickException(f"{NOT_FOUND}: {exc}") from None
    emit(found.to_json())


@key.command("app")
@click.argument("secret_id")
@click.argument("sdk_app_id", required=False)
@click.option("--clear", is_flag=True, help="Forget the choice: the account's only application is then used.")
@click.pass_obj
def key_app(settings: Settings, secret_id: str, sdk_app_id: str | None, clear: bool) -> None:
    """Set which of its account's applications the key's sends use when their calls name none (Alibaba's,
    UCloud's), or --clear the choice."""
    if clear == (sdk_app_id is not None):
        raise click.UsageError("give either SDK_APP_ID or --clear")
    try:
        found = with_platform(settings, lambda p: api_keys.set_key_application(p, secret_id, sdk_app_id))
    except KeyNotFound as exc:
        raise click.ClickException(f"{NOT_FOUND}: {exc}") from None
    except UnknownApplication as exc:
        raise click.BadParameter(str(exc), param_hint="SDK_APP_ID") from None
    emit(found.to_json())
