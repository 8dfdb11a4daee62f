"""`smsctl up` / `make run`: the whole platform on one machine for development. Starts (or reuses) embedded
Postgres and Redis, migrates, seeds a demo tenant, then runs the simulator, the API and a worker as child
processes under the supervisor of `smsctl worker --processes` (a child that crashes is restarted) until Ctrl-C,
when it stops them all."""

from __future__ import annotations

import asyncio
import json
import urllib.request
from pathlib import Path
from typing import Any

import asyncpg
import click

from cli.runtime import resolve
from cli.supervisor import STOP_MARGIN_S, ChildSpec, Supervisor
from core.infra.migrations import migrate
from core.infra.settings import Settings, environment_with
from core.store import admin

DEMO_SIGN = "SMSDemo"
DEMO_TEST_NUMBER = "+8613800138000"
DEMO_TEMPLATE = "Your verification code is {1}. It expires in {2} minutes."


async def seed_demo(database_url: str, previous: dict[str, Any] | None, api_url: str) -> dict[str, Any]:
    """Migrate, then create the demo tenant once; a later run reuses the one `previous` (demo.json) names
    while its key is still in the database."""
    conn = await asyncpg.connect(database_url)
    try:
        await migrate(conn)
        if previous and await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM api_keys WHERE secret_id = $1)", previous.get("secret_id")
        ):
            return {**previous, "api_url": api_url}
        async with conn.transaction():
            acct = await admin.create_account(
                conn, name="Demo Org", kind="organization", balance_minor=100_000
            )
            app = await admin.create_app(conn, account_id=acct.account_id, name="Demo App")
            await admin.create_signature(
                conn, account_id=acct.account_id, name=DEMO_SIGN, international=False, approve=True
            )
            # L2: the README's example number is a test number, so a newcomer can send to it again and again.
            await conn.execute(
                "INSERT INTO app_allowlist (sdk_app_id, phone, note, added_by) VALUES ($1, $2, 'demo test number',"
                " 'smsctl up')",
                app.sdk_app_id,
                DEMO_TEST_NUMBER,
            )
            template_id = await admin.create_template(
                conn, account_id=acct.account_id, content=DEMO_TEMPLATE, sms_type=0, international=False,
                approve=True, name="Demo verification code",
            )  # fmt: skip
        return {
            "api_url": api_url,
            "account_id": acct.account_id,
            "secret_id": acct.secret_id,
            "secret_key": acct.secret_key,
            "sdk_app_id": app.sdk_app_id,
            "app_key": app.app_key,
            "sign_name": DEMO_SIGN,
            "template_id": str(template_id),
        }
    finally:
        await conn.close()


def write_demo_file(path: Path, demo: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)  # it holds a secret key
    path.write_text(json.dumps(demo, indent=2) + "\n")


def run_stack(settings: Settings) -> int:
    runtime = resolve(settings)
    s = runtime.settings
    demo_file = s.data_dir / "demo.json"
    previous = json.loads(demo_file.read_text()) if demo_file.exists() else None
    demo = asyncio.run(seed_demo(s.database_url, previous, s.api_url))
    write_demo_file(demo_file, demo)
    simulator_url = f"http://{s.simulator_host}:{s.simulator_port}"
    # The worker sends to the simulator started here, wherever its port is.
    env = environment_with(
        DATABASE_URL=s.database_url,
        REDIS_URL=s.redis_url,
        SMS_CARRIER_URL=simulator_url,
        # A development stack: customers' callback receivers may run on this machine.
        SMS_CALLBACK_PRIVATE_NETWORKS="1",
    )
    children = [ChildSpec.smsctl(name, name, env=env) for name in ("simulator", "api", "worker")]
    supervisor = Supervisor(children, grace_s=s.shutdown_grace_s + STOP_MARGIN_S)
    try:
        return asyncio.run(_serve_with_banner(supervisor, demo, s))
    finally:
        runtime.stop()
        click.echo("smsctl up: stopped", err=True)


async def _serve_with_banner(supervisor: Supervisor, demo: dict[str, Any], s: Settings) -> int:
    """The supervisor runs the children (restarting one that crashes); the banner is printed once the API
    answers, so the first request does not hit a closed port."""

    async def announce() -> None:
        while True:
            if await asyncio.to_thread(_answers, s.api_url + "/healthz"):
                _banner(demo, s)
                return
            await asyncio.sleep(0.2)

    banner = asyncio.create_task(announce())
    try:
        return await supervisor.serve()
    finally:
        banner.cancel()


def _answers(url: str) -> bool:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via an HTTP proxy
    try:
        with opener.open(url, timeout=0.5) as resp:
            return bool(resp.status == 200)
    except OSError:
        return False


def _banner(demo: dict[str, Any], s: Settings) -> None:
    click.echo(
        f"""
SMS platform is running.
  API (Tencent Cloud SMS API 3.0):  {s.api_url}
  carrier simulator:                http://{s.simulator_host}:{s.simulator_port}
  demo credentials (also in {s.data_dir / "demo.json"}):
    secret_id   {demo["secret_id"]}
    secret_key  {demo["secret_key"]}
    sdk_app_id  {demo["sdk_app_id"]}
    sign_name   {demo["sign_name"]}
    template_id {demo["template_id"]}   "{DEMO_TEMPLATE}"

Send a first SMS with the official SDK (see README), then look at it:
  .venv/bin/smsctl messages --app {demo["sdk_app_id"]}
Review customers' signatures and templates: .venv/bin/smsctl review queue
  (or the admin API at {s.api_url}/admin/v1/, bearer token from SMS_ADMIN_TOKEN)
Ctrl-C stops everything.
""",
        err=False,
    )
