"""smsctl app callbacks: show or set where an application's status reports and replies are POSTed (B2, B3)
and in which format, the same action as the admin API's /admin/v1/apps/{sdk_app_id}/callbacks."""

from __future__ import annotations

import click

from cli.runtime import emit, with_platform
from core.infra.settings import Settings
from core.services import callbacks
from core.services.callbacks import AppNotFound, InvalidCallbackUrl

NOT_FOUND = "ResourceNotFound"  # as the admin API answers an unknown application


@click.command("callbacks")
@click.option("--app", "sdk_app_id", required=True, help="The SDK AppID.")
@click.option("--status-url", default=None, metavar="URL", help="Where status reports go; '' turns them off.")
@click.option("--reply-url", default=None, metavar="URL", help="Where replies go; '' turns them off.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(callbacks.FORMATS),
    default=None,
    help="The bodies' format: tencent (the default) or alibaba (SmsReport / SmsUp batch push).",
)
@click.pass_obj
def app_callbacks(
    settings: Settings, sdk_app_id: str, status_url: str | None, reply_url: str | None, fmt: str | None
) -> None:
    """Show an application's callback URLs, their format and its callback queue (pending, given up), or set
    the URLs and/or the format.

    tencent: status reports are POSTed as JSON arrays, replies one JSON object each, acknowledged with
    {"result": 0}. alibaba: Alibaba Cloud SMS's HTTP batch push, SmsReport and SmsUp arrays, acknowledged with
    HTTP 200 and a numeric "code", retried after 1, 5 and 10 minutes. Both are signed with the AppKey
    (X-Sms-Timestamp, X-Sms-Signature). A URL must be http(s), at most 512 characters, without credentials,
    not the platform's own API, and lead to a public address (unless SMS_CALLBACK_PRIVATE_NETWORKS)."""
    try:
        if status_url is None and reply_url is None and fmt is None:
            found = with_platform(settings, lambda p: callbacks.config(p, sdk_app_id))
        else:
            found = with_platform(
                settings,
                lambda p: callbacks.configure(
                    p,
                    sdk_app_id,
                    status_url=status_url,
                    reply_url=reply_url,
                    format=callbacks.CallbackFormat(fmt) if fmt else None,
                ),
            )
    except InvalidCallbackUrl as exc:
        hint = "--status-url" if exc.field == "status_url" else "--reply-url"
        raise click.BadParameter(exc.problem, param_hint=hint) from None
    except AppNotFound as exc:
        raise click.ClickException(f"{NOT_FOUND}: {exc}") from None
    emit(found.to_json())
