"""smsctl key show / key app as an operator runs them (issue 15): an API key's account and the application its
Alibaba and UCloud sends use (the chosen one, else the account's only one), set and cleared; never the
SecretKey. Another tenant's application is refused exactly as an unknown one, and nothing changes."""

from __future__ import annotations

import asyncpg

from tests.integration.test_cli import smsctl


async def new_account(database_url: str) -> dict[str, str]:
    code, account, _ = await smsctl(
        database_url, "account", "create", "--name", "Acme", "--kind", "organization"
    )
    assert code == 0
    return {k: str(v) for k, v in account.items()}


async def new_app(database_url: str, account_id: str) -> str:
    code, app, _ = await smsctl(database_url, "app", "create", "--account", account_id, "--name", "Shop")
    assert code == 0
    sdk_app_id: str = app["sdk_app_id"]
    return sdk_app_id


async def test_show_set_and_clear_a_keys_application(database_url: str, db: asyncpg.Pool) -> None:
    account = await new_account(database_url)
    secret_id, account_id = account["secret_id"], account["account_id"]
    code, shown, _ = await smsctl(database_url, "key", "show", secret_id)
    assert code == 0
    assert shown == {
        "secret_id": secret_id,
        "account_id": int(account_id),
        "project_id": f"org-{account_id}",
        "enabled": True,
        "sdk_app_id": None,
        "sdk_app_id_in_force": None,
        "account_apps": 0,
    }

    only = await new_app(database_url, account_id)
    code, shown, _ = await smsctl(database_url, "key", "show", secret_id)
    assert code == 0 and (shown["sdk_app_id"], shown["sdk_app_id_in_force"], shown["account_apps"]) == (
        None,
        only,
        1,
    )

    second = await new_app(database_url, account_id)
    code, shown, _ = await smsctl(database_url, "key", "show", secret_id)
    assert code == 0 and (shown["sdk_app_id_in_force"], shown["account_apps"]) == (None, 2)

    code, shown, _ = await smsctl(database_url, "key", "app", secret_id, second)
    assert code == 0 and (shown["sdk_app_id"], shown["sdk_app_id_in_force"]) == (second, second)
    assert await db.fetchval("SELECT sdk_app_id FROM api_keys WHERE secret_id = $1", secret_id) == second
    code, shown, _ = await smsctl(database_url, "key", "show", secret_id)
    assert code == 0 and shown["sdk_app_id"] == second

    code, shown, _ = await smsctl(database_url, "key", "app", secret_id, "--clear")
    assert code == 0 and (shown["sdk_app_id"], shown["sdk_app_id_in_force"]) == (None, None)
    assert await db.fetchval("SELECT sdk_app_id FROM api_keys WHERE secret_id = $1", secret_id) is None


async def test_the_secret_key_is_never_printed(database_url: str) -> None:
    account = await new_account(database_url)
    app = await new_app(database_url, account["account_id"])
    for args in (("show", account["secret_id"]), ("app", account["secret_id"], app)):
        code, shown, err = await smsctl(database_url, "key", *args)
        assert code == 0
        assert "secret_key" not in shown
        assert account["secret_key"] not in repr(shown) and account["secret_key"] not in err


async def test_refusals_name_the_problem_and_change_nothing(database_url: str, db: asyncpg.Pool) -> None:
    account = await new_account(database_url)
    secret_id = account["secret_id"]
    ours = await new_app(database_url, account["account_id"])
    assert (await smsctl(database_url, "key", "app", secret_id, ours))[0] == 0
    theirs = await new_app(database_url, (await new_account(database_url))["account_id"])

    messages = []
    for sdk_app_id in (theirs, "1409999999"):
        code, _, err = await smsctl(database_url, "key", "app", secret_id, sdk_app_id)
        assert code != 0 and "Traceback" not in err
        messages.append((code, err.replace(sdk_app_id, "<id>")))
    # Another tenant's application is refused word for word as one that does not exist.
    assert messages[0] == messages[1] and "The key's account has no application <id>." in messages[0][1]

    usage: list[tuple[str, ...]] = [("app", secret_id), ("app", secret_id, ours, "--clear")]
    for args in usage:
        code, _, err = await smsctl(database_url, "key", *args)
        assert code == 2 and "give either SDK_APP_ID or --clear" in err

    unknown: list[tuple[str, ...]] = [("show", "AKIDnobody"), ("app", "AKIDnobody", ours)]
    for args in [*unknown, ("app", "AKIDnobody", "--clear")]:
        code, _, err = await smsctl(database_url, "key", *args)
        assert code == 1 and "ResourceNotFound: API key AKIDnobody does not exist." in err, err
    assert await db.fetchval("SELECT sdk_app_id FROM api_keys WHERE secret_id = $1", secret_id) == ours
