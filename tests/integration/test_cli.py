"""smsctl as an operator runs it: a real process, JSON out, against the configured database."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from core.infra.settings import (
    SECRET_SETTINGS,
    Settings,
    env_name,
    environment_with,
    secrets_environment,
    unsafe_secrets,
)
from tests.keyring import CHILD_MASTER_KEY


async def smsctl(database_url: str, *args: str) -> tuple[int, Any, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "cli",
        *args,
        env=environment_with(DATABASE_URL=database_url, SMS_LOG_JSON="1"),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, json.loads(out) if proc.returncode == 0 else None, err.decode()


async def test_bootstrap_a_tenant_and_list_its_messages(database_url: str) -> None:
    code, account, _ = await smsctl(
        database_url, "account", "create", "--name", "Acme", "--kind", "organization"
    )
    assert code == 0
    assert set(account) == {"account_id", "secret_id", "secret_key"}
    assert account["secret_id"].startswith("AKID") and len(account["secret_key"]) == 32

    acct = str(account["account_id"])
    code, app, _ = await smsctl(database_url, "app", "create", "--account", acct, "--name", "Shop")
    assert code == 0 and app["sdk_app_id"].startswith("1400") and len(app["sdk_app_id"]) == 10  # A2

    code, sign, _ = await smsctl(
        database_url, "sign", "create", "--account", acct, "--name", "Acme", "--approve"
    )
    assert code == 0 and isinstance(sign["sign_id"], int)

    code, template, _ = await smsctl(
        database_url, "template", "create", "--account", acct, "--content", "Code {1}", "--approve"
    )
    assert code == 0 and isinstance(template["template_id"], int)

    code, records, _ = await smsctl(database_url, "messages", "--app", app["sdk_app_id"])
    assert code == 0 and records == []


async def test_bad_operator_input_is_refused_with_a_message_and_no_traceback(database_url: str) -> None:
    code, _, err = await smsctl(database_url, "app", "create", "--account", "999", "--name", "x")
    assert code != 0 and "account 999 does not exist" in err and "Traceback" not in err

    code, account, _ = await smsctl(database_url, "account", "create", "--name", "A", "--kind", "individual")
    acct = str(account["account_id"])
    code, _, err = await smsctl(database_url, "template", "create", "--account", acct, "--content", "{1}{2}")
    assert code != 0 and "InvalidParameterValue.InvalidTemplateFormat" in err and "Traceback" not in err

    code, _, err = await smsctl(database_url, "messages", "--app", "1400000001", "--phone", "12 34")
    assert code != 0 and "not a valid phone number" in err


GOOD_SECRETS = {env_name(name): f"good-{name}-" + "x" * 32 for name in SECRET_SETTINGS} | {
    env_name("master_key"): CHILD_MASTER_KEY
}


# Each secret, left at its default for one command and empty for the other.
REFUSALS = [(c, s, v) for s in SECRET_SETTINGS for c, v in (("api", None), ("worker", ""))]


@pytest.mark.parametrize(("command", "secret", "value"), REFUSALS)
async def test_production_processes_refuse_a_default_or_empty_secret_naming_it(
    command: str, secret: str, value: str | None, tmp_path: Path
) -> None:
    """Finding 3 (issue 14): `smsctl api` / `smsctl worker` with a development default (unset) or empty
    secret exit non-zero at once with one line naming its environment variable, before starting anything."""
    env = environment_with(SMS_DATA_DIR=str(tmp_path / "data"), SMS_LOG_JSON="1", **GOOD_SECRETS)
    for name in ("DATABASE_URL", "REDIS_URL"):
        env.pop(name, None)  # were it to start, it would start embedded servers in the data dir
    if value is None:
        env.pop(env_name(secret))
    else:
        env[env_name(secret)] = value
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "cli", command, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )  # fmt: skip
    _, err = await asyncio.wait_for(proc.communicate(), 30)
    lines = err.decode().strip().splitlines()
    assert proc.returncode != 0
    assert len(lines) == 1 and env_name(secret) in lines[0], lines
    assert all(other not in lines[0] for other in GOOD_SECRETS if other != env_name(secret))
    assert not (tmp_path / "data").exists()  # nothing started


def test_the_secret_settings_are_the_shared_secrets_and_their_defaults_count_as_unset() -> None:
    assert {"gate_hash_key", "carrier_webhook_token", "admin_token"} <= set(SECRET_SETTINGS)
    assert unsafe_secrets(Settings()) == list(SECRET_SETTINGS)
    good = Settings.from_env(GOOD_SECRETS)
    assert unsafe_secrets(dataclasses.replace(good, admin_token="")) == ["admin_token"]
    assert unsafe_secrets(good) == []
    assert secrets_environment(good) == GOOD_SECRETS
