"""smsctl app policy / allowlist / disable / enable as an operator runs them: a real process against the
configured database, JSON out, a refusal reported on stderr with its code and exit status 1, never a
traceback."""

from __future__ import annotations

import asyncpg

from core.domain.frequency import DEFAULT_POLICY
from tests.integration.test_cli import smsctl

DEFAULTS = DEFAULT_POLICY.to_json()


async def new_app(database_url: str, kind: str) -> str:
    code, account, _ = await smsctl(database_url, "account", "create", "--name", "Acme", "--kind", kind)
    assert code == 0
    code, app, _ = await smsctl(
        database_url, "app", "create", "--account", str(account["account_id"]), "--name", "Shop"
    )
    assert code == 0
    sdk_app_id: str = app["sdk_app_id"]
    return sdk_app_id


async def test_policy_show_set_and_refusals(database_url: str, db: asyncpg.Pool) -> None:
    app = await new_app(database_url, "organization")
    code, shown, _ = await smsctl(database_url, "app", "policy", app)
    assert code == 0
    assert shown["stored"] == shown["effective"] == DEFAULTS and shown["account_kind"] == "organization"

    code, shown, _ = await smsctl(
        database_url,
        "app",
        "policy",
        app,
        "--set",
        "daily=10",
        "--set",
        "one_hour=4",
        "--set",
        "cap_daily=500",
    )
    assert code == 0
    expected = DEFAULTS | {"daily": 10, "one_hour": 4, "cap_daily": 500}
    assert shown["stored"] == shown["effective"] == expected and shown["policy_updated_at"]
    code, shown, _ = await smsctl(database_url, "app", "policy", app, "--set", "one_hour=null")
    assert code == 0 and shown["stored"] == expected | {"one_hour": None}
    row = await db.fetchrow(
        "SELECT limit_daily, limit_one_hour, cap_daily FROM apps WHERE sdk_app_id = $1", app
    )
    assert row is not None and tuple(row) == (10, None, 500)

    before = await db.fetchrow("SELECT * FROM apps WHERE sdk_app_id = $1", app)
    for assignment, expected_code in [
        ("daily=0", "InvalidParameterValue"),
        ("daily=-3", "InvalidParameterValue"),
        ("cap_daily=1000000000000", "InvalidParameterValue"),
        ("daily=null", "InvalidParameterValue"),
        ("daily=ten", "InvalidParameter"),
        ("weekly=3", "InvalidParameter"),
        ("one_hour=11", "InvalidParameterValue"),  # above daily (10)
    ]:
        code, out, err = await smsctl(database_url, "app", "policy", app, "--set", assignment)
        assert code == 1 and out is None, (assignment, err)
        assert f"Error: {expected_code}: " in err and "Traceback" not in err, (assignment, err)
    code, _, err = await smsctl(database_url, "app", "policy", app, "--set", "daily")
    assert code == 2 and "field=value" in err
    assert await db.fetchrow("SELECT * FROM apps WHERE sdk_app_id = $1", app) == before

    individual = await new_app(database_url, "individual")
    code, _, err = await smsctl(database_url, "app", "policy", individual, "--set", "daily=5")
    assert code == 1 and "UnauthorizedOperation.IndividualUserPolicyPermissionDeny" in err
    code, shown, _ = await smsctl(database_url, "app", "policy", individual)
    assert code == 0 and shown["effective"] == DEFAULTS and shown["note"]

    code, _, err = await smsctl(database_url, "app", "policy", "1409999999")
    assert code == 1 and "ResourceNotFound" in err and "Traceback" not in err


async def test_allowlist_and_disable_enable(database_url: str, db: asyncpg.Pool) -> None:
    app = await new_app(database_url, "organization")
    code, listed, _ = await smsctl(
        database_url,
        "app",
        "allowlist",
        app,
        "--add",
        "13800138000",
        "--add",
        "+14155550123",
        "--note",
        "alarm",
    )
    assert code == 0 and listed["added"] == 2
    assert [(e["phone"], e["note"], e["added_by"]) for e in listed["allowlist"]] == [
        ("+14155550123", "alarm", "operator:operator"),
        ("+8613800138000", "alarm", "operator:operator"),
    ]
    code, listed, _ = await smsctl(database_url, "app", "allowlist", app)
    assert code == 0 and len(listed["allowlist"]) == 2 and listed["limit"] == 100

    code, _, err = await smsctl(
        database_url, "app", "allowlist", app, "--add", "+8613900139000", "--add", "12 34"
    )
    assert code == 2 and "12 34" in err and "Traceback" not in err
    code, listed, _ = await smsctl(
        database_url, "app", "allowlist", app, "--remove", "+8613800138000", "--add", "8613900139000"
    )
    assert code == 0 and listed["removed"] == 1 and listed["added"] == 1
    assert [e["phone"] for e in listed["allowlist"]] == ["+14155550123", "+8613900139000"]

    many = [arg for n in range(100) for arg in ("--add", f"+86137{n:08d}")]
    code, _, err = await smsctl(database_url, "app", "allowlist", app, "--remove", "+14155550123", *many)
    assert code == 1 and "FailedOperation.AllowlistNumberLimit" in err
    # All or nothing: the removal given with it is rolled back too.
    phones = await db.fetch("SELECT phone FROM app_allowlist WHERE sdk_app_id = $1 ORDER BY phone", app)
    assert [r["phone"] for r in phones] == ["+14155550123", "+8613900139000"]

    code, out, _ = await smsctl(database_url, "app", "disable", app)
    assert code == 0 and out == {"sdk_app_id": app, "status": "disabled"}
    assert await db.fetchval("SELECT status FROM apps WHERE sdk_app_id = $1", app) == "disabled"
    code, out, _ = await smsctl(database_url, "app", "enable", app)
    assert code == 0 and out == {"sdk_app_id": app, "status": "active"}
    assert await db.fetchval("SELECT status FROM apps WHERE sdk_app_id = $1", app) == "active"

    for command in ("disable", "enable", "allowlist"):
        code, _, err = await smsctl(database_url, "app", command, "1409999999")
        assert code == 1 and "ResourceNotFound: Application 1409999999 does not exist." in err
