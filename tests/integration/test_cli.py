"""smsctl as an operator runs it: a real process, JSON out, against the configured database."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from core.infra.settings import environment_with


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
