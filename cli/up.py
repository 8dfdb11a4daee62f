"""`smsctl up` / `make run`: the whole platform on one machine for development. Checks that every port it
will listen on is free, then starts (or reuses) embedded Postgres and Redis (and starts them again if they
die), migrates, seeds a demo tenant, and runs the simulator, the API and a worker as child processes under the
supervisor of `smsctl worker --processes` (a child that crashes is restarted) until Ctrl-C, when it stops them
all. Its secrets are generated once per data folder (cli/dev_secrets.py) and given to the children."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import click
from redis.exceptions import RedisError

from cli import dev_secrets
from cli.preflight import require_free_ports, stack_ports
from cli.processes import live_workers
from cli.runtime import Runtime, resolve
from cli.supervisor import STOP_MARGIN_S, ChildSpec, Supervisor
from core.infra.logging import get_logger
from core.infra.migrations import migrate
from core.infra.settings import Settings, environment_with, secrets_environment, with_secrets
from core.services.demo import DEMO_TEMPLATE, demo_tenant
from core.services.keys import reseal_after_migrating
from core.services.platform import open_platform

log = get_logger("smsctl.up")
# How often the embedded servers are checked, and started again when one has died.
WATCH_INTERVAL_S = 0.5


async def seed_demo(settings: Settings, previous: dict[str, Any] | None, api_url: str) -> dict[str, Any]:
    """Migrate, then create the demo tenant once; a later run reuses the one `previous` (demo.json) names
    while its key is still in the database."""
    async with open_platform(settings, redis=False, db_min=1, db_max=2) as platform:
        async with platform.db.acquire() as conn:
            await reseal_after_migrating(conn, platform.keyring, await migrate(conn))
        return {**await demo_tenant(platform, previous), "api_url": api_url}


def write_demo_file(path: Path, demo: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)  # it holds a secret key
    path.write_text(json.dumps(demo, indent=2) + "\n")


def run_stack(settings: Settings) -> int:
    require_free_ports(stack_ports(settings))  # before anything starts: a taken port is one line, not a loop
    settings = with_secrets(settings, dev_secrets.load_or_create(settings.data_dir))
    runtime = resolve(settings)
    s = runtime.settings
    demo_file = s.data_dir / "demo.json"
    previous = json.loads(demo_file.read_text()) if demo_file.exists() else None
    demo = asyncio.run(seed_demo(s, previous, s.api_url))
    write_demo_file(demo_file, demo)
    simulator_url = f"http://{s.simulator_host}:{s.simulator_port}"
    # The worker sends to the simulator started here, wherever its port is.
    env = environment_with(
        DATABASE_URL=s.database_url,
        REDIS_URL=s.redis_url,
        SMS_CARRIER_URL=simulator_url,
        # A development stack: customers' callback receivers may run on this machine.
        SMS_CALLBACK_PRIVATE_NETWORKS="1",
        **secrets_environment(s),
    )
    children = [ChildSpec.smsctl(name, name, env=env) for name in ("simulator", "api", "worker")]
    supervisor = Supervisor(children, grace_s=s.shutdown_grace_s + STOP_MARGIN_S)
    try:
        code = asyncio.run(_serve_with_banner(supervisor, demo, runtime))
    finally:
        runtime.stop()
    if supervisor.gave_up:
        name, cause = supervisor.gave_up
        click.echo(f"smsctl up: the {name} keeps failing at start: {cause}", err=True)
    click.echo("smsctl up: stopped", err=True)
    return code


async def _serve_with_banner(supervisor: Supervisor, demo: dict[str, Any], runtime: Runtime) -> int:
    """The supervisor runs the children (restarting one that crashes); the banner is printed once the API
    answers, the worker keeps its health key and the carrier simulator listens, so the first request does not
    hit a closed port and the first SMS is sent at once (and a Ctrl-C after the banner finds every child past
    its start: one caught starting exits 1). Meanwhile the embedded servers are watched."""
    s = runtime.settings

    async def announce() -> None:
        while True:
            simulator = f"http://{s.simulator_host}:{s.simulator_port}/stats"
            if (
                await asyncio.to_thread(_answers, s.api_url + "/healthz")
                and await worker_is_up(s.redis_url)
                and await asyncio.to_thread(listens, simulator)
            ):
                _banner(demo, s)
                return
            await asyncio.sleep(0.2)

    banner = asyncio.create_task(announce())
    watch = asyncio.create_task(_keep_embedded_running(runtime))
    try:
        return await supervisor.serve()
    finally:
        banner.cancel()
        watch.cancel()
        await asyncio.gather(banner, watch, return_exceptions=True)


async def _keep_embedded_running(runtime: Runtime) -> None:
    """Start an embedded server again when it dies, so the stack heals without a person (the children
    reconnect by themselves). A failed restart is logged and tried again at the next look."""
    while True:
        await asyncio.sleep(WATCH_INTERVAL_S)
        try:
            revived = await asyncio.to_thread(runtime.revive)
        except Exception as exc:
            log.error("an embedded server died and could not be started again", error=str(exc))
            continue
        for server in revived:
            log.warning("embedded server had died; started it again", server=server)


async def worker_is_up(redis_url: str) -> bool:
    try:
        live = await live_workers(redis_url)
    except (OSError, RedisError):  # Redis not reachable yet: neither is the worker
        return False
    return live.get("main", 0) >= 1 and live.get("callbacks", 0) >= 1


def listens(url: str) -> bool:
    """Whether a server answers at `url` at all (any HTTP status: the simulator's pages want its token)."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via an HTTP proxy
    try:
        with opener.open(url, timeout=0.5):
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


def _answers(url: str) -> bool:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via an HTTP proxy
    try:
        with opener.open(url, timeout=0.5) as resp:
            return bool(resp.status == 200)
    except OSError:
        return False


def _banner(demo: dict[str, Any], s: Settings) -> None:
    secrets_file = dev_secrets.secrets_path(s.data_dir)
    click.echo(
        f"""
SMS platform is running.
  API (Tencent Cloud SMS API 3.0 and v5, Alibaba Cloud SMS Dysmsapi):  {s.api_url}
      UCloud USMS (ucloud-sdk-python3 base_url):                      {s.api_url}/usms
  carrier simulator:                http://{s.simulator_host}:{s.simulator_port}
  demo credentials (also in {s.data_dir / "demo.json"}):
    secret_id   {demo["secret_id"]}
    secret_key  {demo["secret_key"]}
    sdk_app_id  {demo["sdk_app_id"]}
    sign_name   {demo["sign_name"]}
    template_id {demo["template_id"]}   "{DEMO_TEMPLATE}"  (Alibaba's TemplateCode: SMS_{demo["template_id"]})

Send a first SMS with the official Tencent or Alibaba SDK (see README), then look at it:
  .venv/bin/smsctl messages --app {demo["sdk_app_id"]}
Review customers' signatures and templates: .venv/bin/smsctl review queue
  (or the admin API at {s.api_url}/admin/v1/, bearer token SMS_ADMIN_TOKEN)
This stack's secrets (admin token, carrier token, gate key, master key) are in {secrets_file} (mode 0600).
  In a shell: set -a; . {secrets_file}; set +a
  then: curl -H "Authorization: Bearer $SMS_ADMIN_TOKEN" {s.api_url}/admin/v1/review/queue
Ctrl-C stops everything.
""",
        err=False,
    )
