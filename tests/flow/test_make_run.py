"""`make run` as a newcomer meets it: `smsctl up` on an empty data dir starts everything on embedded servers,
prints the demo credentials, the official SDK sends with them, `smsctl messages` shows the message delivered,
Ctrl-C stops it all, and a second start reuses the data."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tencentcloud.common import credential
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.sms.v20210111 import models, sms_client

from core.infra.settings import environment_with


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _env(data_dir: Path, api_port: int, sim_port: int) -> dict[str, str]:
    env = environment_with(
        SMS_DATA_DIR=str(data_dir),
        SMS_API_PORT=str(api_port),
        SMS_SIMULATOR_PORT=str(sim_port),
        SMS_LOG_JSON="1",
    )
    for name in ("DATABASE_URL", "REDIS_URL", "SMS_DATABASE_URL", "SMS_REDIS_URL", "SMS_CARRIER_URL"):
        env.pop(name, None)  # the point is the embedded default
    return env


async def _start(env: dict[str, str]) -> tuple[asyncio.subprocess.Process, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "cli",
        "up",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    banner = ""
    while "Ctrl-C stops everything" not in banner:
        line = await asyncio.wait_for(proc.stdout.readline(), 60)
        assert line, f"smsctl up ended before it was ready: {banner}"
        banner += line.decode()
    return proc, banner


async def _stop(proc: asyncio.subprocess.Process) -> int:
    proc.send_signal(signal.SIGINT)
    return await asyncio.wait_for(proc.wait(), 30)


def _send(demo: dict[str, Any]) -> Any:
    profile = ClientProfile(
        httpProfile=HttpProfile(endpoint=demo["api_url"].removeprefix("http://"), protocol="http")
    )
    client = sms_client.SmsClient(
        credential.Credential(demo["secret_id"], demo["secret_key"]), "ap-guangzhou", profile
    )
    req = models.SendSmsRequest()
    req.SmsSdkAppId, req.SignName, req.TemplateId = demo["sdk_app_id"], demo["sign_name"], demo["template_id"]
    req.TemplateParamSet = ["123456", "5"]
    req.PhoneNumberSet = ["+8613800138000"]
    return client.SendSms(req)


async def _messages(env: dict[str, str], sdk_app_id: str) -> list[dict[str, Any]]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "cli", "messages", "--app", sdk_app_id, env=env, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await proc.communicate()
    assert proc.returncode == 0
    records: list[dict[str, Any]] = json.loads(out)
    return records


async def test_smsctl_up_runs_the_platform_a_first_sms_is_delivered_and_data_survives_a_restart() -> None:
    with tempfile.TemporaryDirectory(prefix="smsrun") as tmp:
        data_dir = Path(tmp) / "data"
        env = _env(data_dir, _free_port(), _free_port())
        proc, banner = await _start(env)
        try:
            demo = json.loads((data_dir / "demo.json").read_text())
            assert set(demo) >= {
                "api_url",
                "secret_id",
                "secret_key",
                "sdk_app_id",
                "sign_name",
                "template_id",
            }
            assert demo["secret_id"] in banner and demo["api_url"] in banner

            resp = await asyncio.to_thread(_send, demo)
            assert resp.SendStatusSet[0].Code == "Ok"
            # The README's number is the demo's test number (L2): sending it again is not limited.
            again = await asyncio.to_thread(_send, demo)
            assert again.SendStatusSet[0].Code == "Ok"
            deadline = time.monotonic() + 30
            while True:
                records = await _messages(env, demo["sdk_app_id"])
                if len(records) == 2 and all(r["status"] == "delivered" for r in records):
                    break
                assert time.monotonic() < deadline, records
                await asyncio.sleep(0.2)
            assert {r["serial_no"] for r in records} == {
                resp.SendStatusSet[0].SerialNo,
                again.SendStatusSet[0].SerialNo,
            }
        finally:
            assert await _stop(proc) == 0
        assert not (data_dir / "redis" / "redis.sock").exists() or not _connectable(
            data_dir / "redis" / "redis.sock"
        )

        proc, _ = await _start(env)
        try:
            again = json.loads((data_dir / "demo.json").read_text())
            assert again["secret_id"] == demo["secret_id"]  # the same tenant, not a new one
            assert len(await _messages(env, demo["sdk_app_id"])) == 2
        finally:
            assert await _stop(proc) == 0


def _connectable(path: Path) -> bool:
    with socket.socket(socket.AF_UNIX) as s:
        try:
            s.connect(str(path))
        except OSError:
            return False
        return True
