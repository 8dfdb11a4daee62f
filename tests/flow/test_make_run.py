"""`make run` as a newcomer meets it: `smsctl up` on an empty data dir starts everything on embedded servers,
prints the demo credentials, the official SDK sends with them, `smsctl messages` shows the message delivered,
Ctrl-C stops it all, and a second start reuses the data. Its secrets are its own (generated once per data
folder, never printed), it heals when its embedded Redis dies, and a taken port stops it before it starts."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import socket
import stat
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import psutil
import pytest
from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.sms.v20210111 import models, sms_client

from cli.up import listens
from core.infra.settings import SECRET_SETTINGS, Settings, env_name, environment_with


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


async def _start(env: dict[str, str], stderr: Path) -> tuple[asyncio.subprocess.Process, str]:
    with stderr.open("ab") as err:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "cli", "up", env=env, stdout=asyncio.subprocess.PIPE, stderr=err
        )
    assert proc.stdout is not None
    banner = ""
    while "Ctrl-C stops everything" not in banner:
        line = await asyncio.wait_for(proc.stdout.readline(), 60)
        assert line, f"smsctl up ended before it was ready: {banner}"
        banner += line.decode()
    return proc, banner


def _tail(stderr: Path) -> str:
    """What the stack logged above debug, for a failed assertion's message."""
    lines = stderr.read_text(errors="replace").splitlines() if stderr.exists() else []
    return "\n".join(line for line in lines if '"debug"' not in line)[-4000:]


async def _status(env: dict[str, str]) -> dict[str, Any]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "cli", "status", env=env, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await proc.communicate()
    assert proc.returncode == 0
    status: dict[str, Any] = json.loads(out)
    return status


async def _stop(proc: asyncio.subprocess.Process) -> int:
    proc.send_signal(signal.SIGINT)
    return await asyncio.wait_for(proc.wait(), 30)


def _send(demo: dict[str, Any], code: str = "123456") -> Any:
    profile = ClientProfile(
        httpProfile=HttpProfile(endpoint=demo["api_url"].removeprefix("http://"), protocol="http")
    )
    client = sms_client.SmsClient(
        credential.Credential(demo["secret_id"], demo["secret_key"]), "ap-guangzhou", profile
    )
    req = models.SendSmsRequest()
    req.SmsSdkAppId, req.SignName, req.TemplateId = demo["sdk_app_id"], demo["sign_name"], demo["template_id"]
    req.TemplateParamSet = [code, "5"]
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


async def _delivered(env: dict[str, str], sdk_app_id: str, count: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 30
    while True:
        records = await _messages(env, sdk_app_id)
        if len(records) == count and all(r["status"] == "delivered" for r in records):
            return records
        assert time.monotonic() < deadline, records
        await asyncio.sleep(0.2)


def _redis_servers(up: asyncio.subprocess.Process) -> list[psutil.Process]:
    """The live redis-server processes `smsctl up` started (it names itself redis-server once running)."""
    live = []
    for p in psutil.Process(up.pid).children():
        with contextlib.suppress(psutil.NoSuchProcess):  # one that exits as we look
            if "redis" in p.name() and p.status() != psutil.STATUS_ZOMBIE:
                live.append(p)
    return live


async def _admin_status(api_url: str, token: str) -> int:
    async with (
        aiohttp.ClientSession() as http,
        http.get(api_url + "/admin/v1/review/queue", headers={"Authorization": f"Bearer {token}"}) as resp,
    ):
        return resp.status


async def test_smsctl_up_runs_the_platform_a_first_sms_is_delivered_and_data_survives_a_restart() -> None:
    with tempfile.TemporaryDirectory(prefix="smsrun") as tmp:
        data_dir = Path(tmp) / "data"
        stderr = Path(tmp) / "stderr.log"
        env = _env(data_dir, _free_port(), _free_port())
        proc, banner = await _start(env, stderr)
        try:
            # The banner waits for the worker too: when it shows, both of its roles keep their health keys.
            workers = (await _status(env))["processes"]["workers"]
            assert workers["main"] >= 1 and workers["callbacks"] >= 1, workers
            # And for the carrier simulator: it listens (a Ctrl-C right after the banner caught it starting).
            assert listens(f"http://127.0.0.1:{env['SMS_SIMULATOR_PORT']}/stats")
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
            # The README's number is the demo's test number (L2): sending it again is not limited. (Another
            # code, so it is another request: the same one signed in the same second would be a replay.)
            again = await asyncio.to_thread(_send, demo, "654321")
            assert again.SendStatusSet[0].Code == "Ok"
            records = await _delivered(env, demo["sdk_app_id"], 2)
            assert {r["serial_no"] for r in records} == {
                resp.SendStatusSet[0].SerialNo,
                again.SendStatusSet[0].SerialNo,
            }
        finally:
            assert await _stop(proc) == 0, _tail(stderr)
        assert not (data_dir / "redis" / "redis.sock").exists() or not _connectable(
            data_dir / "redis" / "redis.sock"
        )

        proc, _ = await _start(env, stderr)
        try:
            again = json.loads((data_dir / "demo.json").read_text())
            assert again["secret_id"] == demo["secret_id"]  # the same tenant, not a new one
            assert len(await _messages(env, demo["sdk_app_id"])) == 2
        finally:
            assert await _stop(proc) == 0, _tail(stderr)


async def test_smsctl_up_generates_its_secrets_once_keeps_them_private_and_prints_where_not_what() -> None:
    """Finding 3 (issue 14): the stack runs on secrets of its own, not the development defaults: generated
    into the data folder (mode 0600) on the first run, the same on the next, their path in the banner and
    their values nowhere in its output; its API takes the file's admin token and refuses the default one."""
    with tempfile.TemporaryDirectory(prefix="smsrun") as tmp:
        data_dir = Path(tmp) / "data"
        stderr = Path(tmp) / "stderr.log"
        env = _env(data_dir, _free_port(), _free_port())
        proc, banner = await _start(env, stderr)
        try:
            secrets_file = data_dir / "secrets.env"
            assert stat.S_IMODE(secrets_file.stat().st_mode) == 0o600
            first = secrets_file.read_text()
            values = dict(line.split("=", 1) for line in first.splitlines() if not line.startswith("#"))
            assert set(values) == {env_name(name) for name in SECRET_SETTINGS}
            defaults = Settings()
            for name in SECRET_SETTINGS:
                assert len(values[env_name(name)]) >= 40 and values[env_name(name)] != getattr(defaults, name)
            assert str(secrets_file) in banner
            api_url = json.loads((data_dir / "demo.json").read_text())["api_url"]
            assert await _admin_status(api_url, values["SMS_ADMIN_TOKEN"]) == 200
            assert await _admin_status(api_url, defaults.admin_token) == 401
        finally:
            assert await _stop(proc) == 0, _tail(stderr)
        proc, banner_again = await _start(env, stderr)
        assert await _stop(proc) == 0, _tail(stderr)
        assert secrets_file.read_text() == first  # reused, not regenerated
        assert stat.S_IMODE(secrets_file.stat().st_mode) == 0o600
        output = banner + banner_again + stderr.read_text()
        assert not [name for name, value in values.items() if value in output]


async def _send_until_accepted(demo: dict[str, Any], deadline: float) -> None:
    while True:
        with contextlib.suppress(TencentCloudSDKException):  # a connection the API held died
            resp = await asyncio.to_thread(_send, demo)
            if resp.SendStatusSet[0].Code == "Ok":
                return
        assert time.monotonic() < deadline, "no send was accepted after the restart"
        await asyncio.sleep(0.2)


def _postmaster(data_dir: Path) -> int | None:
    """The pid of the embedded Postgres running on the data folder, if one is."""
    with contextlib.suppress(FileNotFoundError, ValueError, IndexError):
        pid = int((data_dir / "pg" / "postmaster.pid").read_text().split()[0])
        if psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
            return pid
    return None


async def test_smsctl_up_restarts_its_embedded_redis_and_postgres_when_they_die_and_sends_work_again() -> (
    None
):
    """Finding 7 (issue 14): Redis, then Postgres, killed under the stack is started again (Redis not left a
    zombie) and the next send is accepted and delivered, with nobody acting."""
    with tempfile.TemporaryDirectory(prefix="smsrun") as tmp:
        data_dir = Path(tmp) / "data"
        env = _env(data_dir, _free_port(), _free_port())
        proc, _ = await _start(env, Path(tmp) / "stderr.log")
        try:
            demo = json.loads((data_dir / "demo.json").read_text())
            [redis] = _redis_servers(proc)
            redis.kill()
            deadline = time.monotonic() + 30
            while True:
                servers = _redis_servers(proc)
                if servers and servers[0].pid != redis.pid:
                    break
                assert time.monotonic() < deadline, "redis was not started again"
                await asyncio.sleep(0.1)
            await _send_until_accepted(demo, deadline)
            await _delivered(env, demo["sdk_app_id"], 1)

            postmaster = _postmaster(data_dir)
            assert postmaster is not None
            psutil.Process(postmaster).kill()
            deadline = time.monotonic() + 60
            while _postmaster(data_dir) in (None, postmaster):
                assert time.monotonic() < deadline, "postgres was not started again"
                await asyncio.sleep(0.1)
            await _send_until_accepted(demo, deadline)
            await _delivered(env, demo["sdk_app_id"], 2)
        finally:
            assert await _stop(proc) == 0


@pytest.mark.parametrize("setting", ["SMS_API_PORT", "SMS_SIMULATOR_PORT"])
async def test_smsctl_up_with_a_taken_port_exits_at_once_naming_it_and_starts_nothing(setting: str) -> None:
    """Finding 7 (issue 14): a port that something else holds is one line naming the port and its
    setting, and a non-zero exit before any server or child starts (no restart loop, and no worker sending
    messages and the carrier token to whatever holds the simulator's port)."""
    with tempfile.TemporaryDirectory(prefix="smsrun") as tmp, socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        taken = holder.getsockname()[1]
        data_dir = Path(tmp) / "data"
        env = _env(data_dir, _free_port(), _free_port())
        env[setting] = str(taken)
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "cli", "up", env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
        )  # fmt: skip
        out, err = await asyncio.wait_for(proc.communicate(), 30)
        assert proc.returncode != 0 and out == b""
        lines = err.decode().strip().splitlines()
        assert len(lines) == 1 and f"port {taken}" in lines[0] and setting in lines[0], lines
        assert not data_dir.exists()  # no Postgres, no Redis, no secrets: nothing started


def _connectable(path: Path) -> bool:
    with socket.socket(socket.AF_UNIX) as s:
        try:
            s.connect(str(path))
        except OSError:
            return False
        return True
