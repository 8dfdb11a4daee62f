"""smsctl app callbacks as an operator runs it: show, set and turn off an application's callback URLs; a URL
that is not http(s), has no host, points at the platform's own API or leads to a private or reserved address
(issue 14, finding 4) is refused with the reason and nothing changes."""

from __future__ import annotations

import asyncpg

from tests.integration.test_cli import smsctl
from tests.integration.test_cli_policy import new_app


async def test_show_set_refuse_and_turn_off(database_url: str, db: asyncpg.Pool) -> None:
    app = await new_app(database_url, "organization")
    code, shown, _ = await smsctl(database_url, "app", "callbacks", "--app", app)
    assert code == 0
    assert shown == {
        "sdk_app_id": app,
        "status_url": "",
        "reply_url": "",
        "format": "tencent",
        "pending": 0,
        "given_up": 0,
    }

    status_url, reply_url = "https://[2001:4860:4860::8888]/sms/status", "http://8.8.8.8:9000/reply"
    code, shown, _ = await smsctl(
        database_url, "app", "callbacks", "--app", app, "--status-url", status_url, "--reply-url", reply_url
    )
    assert code == 0 and (shown["status_url"], shown["reply_url"]) == (status_url, reply_url)

    for option, url, reason in [
        ("--status-url", "ftp://example.com/cb", "http"),
        ("--reply-url", "http:///cb", "host"),
        ("--status-url", "http://127.0.0.1:8080/admin/v1/apps/1400000001/policy", "platform's own API"),
        ("--reply-url", "http://localhost:8080/carrier/replies", "platform's own API"),
        ("--reply-url", "http://169.254.169.254/latest/meta-data/", "private or reserved address"),
        ("--status-url", "http://[::ffff:10.0.0.1]/cb", "private or reserved address"),
        ("--status-url", "http://203.0.113.9:9000/reply", "private or reserved address"),  # documentation
        ("--status-url", "http://localhost:9000/cb", "private or reserved address"),
        ("--reply-url", "https://callbacks.invalid/cb", "does not resolve"),
    ]:
        code, _, err = await smsctl(database_url, "app", "callbacks", "--app", app, option, url)
        assert code != 0 and reason in err and "Traceback" not in err, err
    row = await db.fetchrow(
        "SELECT status_callback_url, reply_callback_url FROM apps WHERE sdk_app_id = $1", app
    )
    assert tuple(row) == (status_url, reply_url)

    code, shown, _ = await smsctl(database_url, "app", "callbacks", "--app", app, "--reply-url", "")
    assert code == 0 and (shown["status_url"], shown["reply_url"]) == (status_url, "")

    code, _, err = await smsctl(database_url, "app", "callbacks", "--app", "1400999999")
    assert code == 1 and "ResourceNotFound" in err


async def test_the_format_is_set_alone_or_with_the_urls_and_shown(
    database_url: str, db: asyncpg.Pool
) -> None:
    """Issue 15: an application's callbacks go in the platform's own format (tencent, the default) or in
    Alibaba Cloud SMS's batch push format; smsctl sets it with or without the URLs, and refuses anything else."""
    app = await new_app(database_url, "organization")
    status_url = "https://[2001:4860:4860::8888]/sms/status"
    code, shown, _ = await smsctl(database_url, "app", "callbacks", "--app", app, "--format", "alibaba")
    assert code == 0 and (shown["format"], shown["status_url"], shown["reply_url"]) == ("alibaba", "", "")
    code, shown, _ = await smsctl(database_url, "app", "callbacks", "--app", app)
    assert code == 0 and shown["format"] == "alibaba"

    code, shown, _ = await smsctl(
        database_url, "app", "callbacks", "--app", app, "--status-url", status_url, "--format", "tencent"
    )
    assert code == 0 and (shown["format"], shown["status_url"]) == ("tencent", status_url)
    code, shown, _ = await smsctl(database_url, "app", "callbacks", "--app", app, "--status-url", status_url)
    assert code == 0 and shown["format"] == "tencent"  # left out: stays as it is

    for bad in ("aliyun", "", "ALIBABA "):
        code, _, err = await smsctl(database_url, "app", "callbacks", "--app", app, "--format", bad)
        assert code == 2 and "--format" in err and "Traceback" not in err, err
    # A bad URL next to a good format changes nothing.
    code, _, err = await smsctl(
        database_url, "app", "callbacks", "--app", app, "--format", "alibaba", "--reply-url", "ftp://x/y"
    )
    assert code != 0 and "http" in err
    assert await db.fetchval("SELECT callback_format FROM apps WHERE sdk_app_id = $1", app) == "tencent"

    code, _, err = await smsctl(
        database_url, "app", "callbacks", "--app", "1400999999", "--format", "alibaba"
    )
    assert code == 1 and "ResourceNotFound" in err
