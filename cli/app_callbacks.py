"""smsctl app callbacks: show or set where an application's status reports and replies are POSTed (B2, B3),
the same action as the admin API's /admin/v1/apps/{sdk_app_id}/callbacks."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from cli.runtime import emit, with_db
from core.domain.callbacks import check_callback_url, platform_endpoints
from core.infra.settings import Settings
from core.store.callbacks_config import get_callback_config, set_callback_urls
from core.store.policy import AppNotFound

NOT_FOUND = "ResourceNotFound"  # as the admin API answers an unknown application


@click.command("callbacks")
@click.option("--app", "sdk_app_id", required=True, help="The SDK AppID.")
@click.option("--status-url", default=None, metavar="URL", help="Where status reports go; '' turns them off.")
@click.option("--reply-url", default=None, metavar="URL", help="Where replies go; '' turns them off.")
@click.pass_obj
def app_callbacks(settings: Settings, sdk_app_id: str, status_url: str | None, reply_url: str | None) -> None:
    """Show an application's callback URLs and its callback queue (pending, given up), or set the URLs.

    Status reports are POSTed as JSON arrays, replies one JSON object each, signed with the AppKey
    (X-Sms-Timestamp, X-Sms-Signature). A URL must be http(s), at most 512 characters, without credentials,
    and not the platform's own API."""
    hosts, ports = platform_endpoints(settings.api_host, settings.api_port, settings.public_api_url)
    for value, hint in ((status_url, "--status-url"), (reply_url, "--reply-url")):
        problem = check_callback_url(value, platform_hosts=hosts, platform_port=ports) if value else None
        if problem:
            raise click.BadParameter(problem, param_hint=hint)
    if status_url is None and reply_url is None:
        found = with_db(settings, lambda db: get_callback_config(db, sdk_app_id))
    else:
        now = datetime.now(UTC)
        found = with_db(
            settings,
            lambda db: set_callback_urls(db, sdk_app_id, status_url=status_url, reply_url=reply_url, now=now),
        )
    if found is None:
        raise click.ClickException(f"{NOT_FOUND}: {AppNotFound(sdk_app_id)}")
    emit(found.to_json())
