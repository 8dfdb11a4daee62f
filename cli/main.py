"""smsctl: the operator's command line. Every command prints JSON (except the long-running servers)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import signal
import sys
from collections.abc import Awaitable
from typing import Any

import asyncpg
import click

from cli import dev_secrets
from cli.accounts import account, app, sign, template
from cli.api_keys import key
from cli.apps import APP_COMMANDS
from cli.billing import package, prices, recharge, settlement, statement
from cli.cron import cron
from cli.preflight import PortUse, is_address_in_use, require_secrets
from cli.records import messages
from cli.review import review, words
from cli.runtime import Runtime, emit, resolve, with_db
from cli.stats import stats
from cli.status import status
from cli.unknown import unknown
from core.infra.crypto import Keyring
from core.infra.logging import configure_logging
from core.infra.migrations import migrate as apply_migrations
from core.infra.settings import Settings, with_secrets
from core.services.keys import reseal_after_migrating, reseal_keys


async def until_signalled(work: Awaitable[None]) -> None:
    """Run `work` until SIGINT or SIGTERM, then let it clean up (cancellation runs its finally blocks)."""
    task = asyncio.ensure_future(work)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, task.cancel)
    with contextlib.suppress(asyncio.CancelledError):
        await task


@click.group()
@click.pass_context
def main(ctx: click.Context) -> None:
    """Operate the SMS platform."""
    settings = Settings.from_env()
    # A secret the environment leaves unset comes from the data folder's secrets.env, when `smsctl up` made
    # one: every command on that folder then opens its sealed data and reaches its processes, as they do.
    settings = with_secrets(settings, dev_secrets.stored(settings.data_dir))
    configure_logging(settings.log_level, settings.log_json)
    ctx.obj = settings


@main.command()
@click.pass_obj
def migrate(settings: Settings) -> None:
    """Apply pending SQL migrations, then seal any key or message still plain (SQL never sees the master key)."""
    keyring = _keyring(settings)

    async def run(conn: asyncpg.Connection) -> dict[str, Any]:
        applied = await apply_migrations(conn)
        sealed = await reseal_after_migrating(conn, keyring, applied)
        return {"applied": applied, "sealed": dataclasses.asdict(sealed)}

    emit(with_db(settings, run))


def _keyring(settings: Settings) -> Keyring:
    try:
        return Keyring.parse(settings.master_key)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None


@main.group()
def keys() -> None:
    """Secrets and message numbers at rest."""


@keys.command("reencrypt")
@click.pass_obj
def keys_reencrypt(settings: Settings) -> None:
    """Seal plain keys and messages and re-seal those under an older master key with the current (first) one
    of SMS_MASTER_KEY: run after putting a new key first; the old one can be dropped once this is done."""
    keyring = _keyring(settings)
    emit(dataclasses.asdict(with_db(settings, lambda conn: reseal_keys(conn, keyring))))


@main.command()
@click.option("--host", default=None)
@click.option("--port", type=int, default=None)
@click.option(
    "--processes", type=click.IntRange(1), default=1, help="API processes sharing the port (SO_REUSEPORT)."
)
@click.pass_obj
def api(settings: Settings, host: str | None, port: int | None, processes: int) -> None:
    """Serve the customer APIs and the carrier webhook."""
    require_secrets(settings, "api")
    if processes > 1:
        from cli.processes import supervise_api

        sys.exit(supervise_api(settings, processes, host=host, port=port))
    from aiohttp import web

    from api.app import create_app
    from core.infra.metrics import serve_metrics

    runtime = resolve(settings)
    s = runtime.settings
    serve_metrics(s.api_metrics_port, s.metrics_host)
    use = PortUse("api_port", host or s.api_host, port or s.api_port)
    try:
        web.run_app(
            create_app(s),
            host=use.host,
            port=use.port,
            reuse_port=s.api_reuse_port or None,
            shutdown_timeout=s.shutdown_grace_s,  # requests in flight get the grace period to finish
            print=None,
            access_log=None,
        )
    except OSError as exc:
        if is_address_in_use(exc):  # one line for the operator (and the supervisor), not a traceback
            raise click.ClickException(f"smsctl api: {use.describe()} is already in use") from None
        raise


@main.command()
@click.option("--burst", is_flag=True, help="Process what is queued, then exit.")
@click.option("--processes", type=click.IntRange(1), default=1, help="Worker processes under one supervisor.")
@click.option("--check", is_flag=True, help="Exit 0 if live workers keep their health keys, else 1.")
@click.pass_obj
def worker(settings: Settings, burst: bool, processes: int, check: bool) -> None:
    """Run the arq workers: send batches and the scheduled jobs, and, on their own queue, customer callbacks."""
    if check:
        from cli.processes import live_workers

        live = asyncio.run(live_workers(resolve(settings).settings.redis_url))
        emit({"live": live, "interval_s": settings.worker_health_interval_s})
        sys.exit(0 if live["main"] and live["callbacks"] else 1)
    require_secrets(settings, "worker")
    if processes > 1:
        if burst:
            raise click.UsageError("--burst runs one process (a supervisor would restart a finished worker)")
        from cli.processes import supervise_workers

        sys.exit(supervise_workers(settings, processes))
    from cli.processes import GracefulStop
    from core.infra.metrics import serve_metrics
    from worker.main import build_callback_worker, build_worker

    runtime = resolve(settings)
    serve_metrics(runtime.settings.worker_metrics_port, runtime.settings.metrics_host)

    async def run() -> None:
        # On SIGTERM/SIGINT both workers stop taking jobs and running ones get shutdown_grace_s to finish; one
        # still running then is cancelled, and retried whole later (its claim keeps it from a double send).
        grace_s = runtime.settings.shutdown_grace_s
        main_worker = build_worker(runtime.settings, burst=burst, job_completion_wait=grace_s)
        callback_worker = build_callback_worker(runtime.settings, burst=burst)
        stop = GracefulStop(main_worker, callback_worker, grace_s)
        if not burst:
            stop.install()
        # In burst mode the callbacks go last, so they include those queued by the send jobs.
        callbacks = None if burst else asyncio.create_task(callback_worker.async_run())
        try:
            await main_worker.async_run()
            if burst:
                await callback_worker.async_run()
        except asyncio.CancelledError:
            pass  # arq's own SIGINT/SIGTERM handler cancels the main task: a normal stop
        finally:
            if callbacks is not None:
                await stop.drain_callbacks()
                callbacks.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await callbacks
            await main_worker.close()
            await callback_worker.close()

    asyncio.run(run())


@main.group(invoke_without_command=True)
@click.option("--host", default=None)
@click.option("--port", type=int, default=None)
@click.option(
    "--report-url", default=None, help="Where to POST delivery reports (default: the API's webhook)."
)
@click.option("--latency", type=float, default=0.0, help="Seconds before answering a submit.")
@click.option("--failure-rate", type=float, default=0.0, help="Share of submit calls answered 503.")
@click.option("--undeliverable-rate", type=float, default=0.0, help="Share of messages reported UNDELIV.")
@click.option("--undeliverable", multiple=True, help="An E.164 number always reported UNDELIV.")
@click.option("--report-delay", type=float, default=0.5, help="Seconds from submit to delivery report.")
@click.option(
    "--dedupe/--no-dedupe",
    default=True,
    help="Answer a serial submitted again without sending it twice (default), or send every submit as a "
    "carrier that does not dedupe does (then set SMS_CARRIER_DEDUPES_ON_SERIAL=0 for the worker).",
)
@click.pass_context
def simulator(
    ctx: click.Context,
    host: str | None,
    port: int | None,
    report_url: str | None,
    latency: float,
    failure_rate: float,
    undeliverable_rate: float,
    undeliverable: tuple[str, ...],
    report_delay: float,
    dedupe: bool,
) -> None:
    """Run the carrier simulator (`smsctl simulator reply ...` injects a subscriber's reply into a running one)."""
    if ctx.invoked_subcommand is not None:
        return
    from worker.carriers.simulator import SimulatorConfig, run_simulator

    settings: Settings = ctx.obj
    config = SimulatorConfig(
        token=settings.carrier_webhook_token,
        report_url=report_url if report_url is not None else settings.api_url + "/carrier/reports",
        latency_s=latency,
        failure_rate=failure_rate,
        undeliverable_rate=undeliverable_rate,
        undeliverable_numbers=frozenset(undeliverable),
        report_delay_s=report_delay,
        reply_url=settings.api_url + "/carrier/replies",
        dedupe=dedupe,
    )
    use = PortUse("simulator_port", host or settings.simulator_host, port or settings.simulator_port)
    try:
        asyncio.run(until_signalled(run_simulator(config, use.host, use.port)))
    except OSError as exc:
        if is_address_in_use(exc):
            raise click.ClickException(f"smsctl simulator: {use.describe()} is already in use") from None
        raise


@simulator.command("reply")
@click.option("--phone", required=True, help="The subscriber's number (E.164).")
@click.option("--text", required=True, help="What they replied, e.g. TD to unsubscribe.")
@click.option("--sign", default="")
@click.option("--simulator-url", default=None, help="Default: the configured simulator host and port.")
@click.pass_obj
def simulator_reply(settings: Settings, phone: str, text: str, sign: str, simulator_url: str | None) -> None:
    """Make the simulator deliver a subscriber's reply to the platform, as a carrier would."""
    import aiohttp

    url = (simulator_url or f"http://{settings.simulator_host}:{settings.simulator_port}") + "/replies"
    token = settings.carrier_webhook_token

    async def post() -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {token}"}
        async with (
            aiohttp.ClientSession() as http,
            http.post(
                url, json={"replies": [{"phone": phone, "text": text, "sign": sign}]}, headers=headers
            ) as resp,
        ):
            return resp.status, await resp.json(content_type=None)

    status, body = asyncio.run(post())
    if status != 200:
        raise click.ClickException(f"the simulator answered {status}: {body}")
    emit(body)


@main.command()
@click.pass_obj
def up(settings: Settings) -> None:
    """Run the whole platform for development: databases, simulator, API and a worker."""
    from cli.up import run_stack

    sys.exit(run_stack(settings))


@main.command()
@click.option("--messages", type=int, default=200_000, help="Messages in the end-to-end run.")
@click.option("--quick", is_flag=True, help="10,000 messages: a development run of under a minute.")
@click.option("--clients", type=int, default=16, help="Concurrent load-generator clients.")
@click.option("--api-processes", type=int, default=1)
@click.option("--worker-processes", type=int, default=1)
@click.pass_obj
def bench(
    settings: Settings, messages: int, quick: bool, clients: int, api_processes: int, worker_processes: int
) -> None:
    """Benchmark the real stack against the machine's own floor (writes bench/results and bench/REPORT.md)."""
    from bench.run import BenchOptions, publish, run_bench

    options = BenchOptions(
        messages=10_000 if quick else messages,
        clients=clients,
        api_processes=api_processes,
        worker_processes=worker_processes,
        quick=quick,
        half_rate_seconds=5.0 if quick else 10.0,
    )
    results = asyncio.run(run_bench(settings, options))
    path = publish(results, options)
    emit({k: results[k] for k in ("e2e_msgs_per_s", "floor_msgs_per_s", "ratio_to_floor", "intake_p99_ms")}
         | {"peak_rss_mb": results["peak_rss_mb"], "results": str(path)})  # fmt: skip


@main.command()
@click.option("--requests", type=int, default=600, help="SendSms requests in the load.")
@click.option("--numbers", type=int, default=50, help="Numbers per request.")
@click.option("--rate", type=float, default=10.0, help="Requests per second.")
@click.pass_obj
def chaos(settings: Settings, requests: int, numbers: int, rate: float) -> None:
    """Kill the worker, the API, Redis and Postgres once each under load; count lost and twice-sent messages.
    Exits 1 if any accepted message was lost or sent twice."""
    from bench.chaos import ChaosOptions, render, run_chaos

    options = ChaosOptions(requests=requests, numbers_per_request=numbers, rate_rps=rate)
    counts = asyncio.run(run_chaos(settings, options))
    click.echo(render(counts))
    sys.exit(1 if counts["lost"] or counts["sent_twice"] else 0)


main.add_command(account)
main.add_command(key)
main.add_command(app)
main.add_command(sign)
main.add_command(template)
main.add_command(messages)
main.add_command(review)
main.add_command(words)
main.add_command(stats)
main.add_command(prices)
main.add_command(cron)
main.add_command(status)
main.add_command(unknown)
account.add_command(recharge)
account.add_command(statement)
account.add_command(settlement)
account.add_command(package)
for _command in APP_COMMANDS:
    app.add_command(_command)


__all__ = ["Runtime", "main"]
