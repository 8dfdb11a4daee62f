"""The whole send path in one test process: the API and the carrier simulator on real sockets, a burst arq
worker, real Postgres and Redis. The official SDK talks to the API over HTTP from a thread."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import asyncpg
from arq import create_pool
from tencentcloud.common import abstract_client, credential
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.sms.v20210111 import models, sms_client

from api.app import create_app
from core.infra.queue import redis_settings
from core.infra.settings import SECRET_SETTINGS, Settings, environment_with, secrets_environment
from core.services.platform import Platform as Services
from core.store import admin
from tests.keyring import CHILD_MASTER_KEY, KEYRING, opened
from worker.carriers.simulator import SimulatorConfig, create_simulator_app, serve
from worker.main import build_callback_worker, build_worker

TOKEN = "test-carrier-token"
# Every secret setting has a test value (the carrier's token is TOKEN) but the admin token, whose development
# default the flow tests send; a worker child (worker_environment) gets the same ones.
# The master key stays the development default in process (tests/keyring.py opens with it).
SECRETS = {name: f"test-{name}" for name in SECRET_SETTINGS if name not in ("admin_token", "master_key")} | {
    "carrier_webhook_token": TOKEN
}
SIGN = "TestCorp"
TEMPLATE = "Your code is {1}, valid for {2} minutes."


@dataclass
class Tenant:
    account_id: int
    secret_id: str
    secret_key: str
    sdk_app_id: str
    template_id: int
    intl_template_id: int
    app_key: str


@dataclass
class Platform:
    settings: Settings
    api_url: str
    sim_url: str
    db: asyncpg.Pool
    clock: Callable[[], float]
    http: aiohttp.ClientSession
    sdk_clock: SdkClock
    tenants: list[Tenant] = field(default_factory=list)

    def sdk(self, tenant: Tenant, *, secret_key: str | None = None) -> sms_client.SmsClient:
        endpoint = self.api_url.removeprefix("http://")
        profile = ClientProfile(httpProfile=HttpProfile(endpoint=endpoint, protocol="http", reqTimeout=30))
        cred = credential.Credential(tenant.secret_id, secret_key or tenant.secret_key)
        return sms_client.SmsClient(cred, "ap-guangzhou", profile)

    async def send_sms(self, tenant: Tenant, phones: list[str], params: list[str], **fields: Any) -> Any:
        req = models.SendSmsRequest()
        req.PhoneNumberSet = phones
        req.SmsSdkAppId = tenant.sdk_app_id
        req.TemplateId = str(tenant.template_id)
        req.SignName = SIGN
        req.TemplateParamSet = params
        for name, value in fields.items():
            setattr(req, name, value)
        client = self.sdk(tenant)
        return await asyncio.to_thread(client.SendSms, req)

    async def run_worker(self, *, clock: Callable[[], float] | None = None, **overrides: Any) -> None:
        """The worker process in burst mode: send batches (and alarms), then the callback queue."""
        workers = (
            build_worker(
                self.settings,
                burst=True,
                clock=clock or self.clock,
                with_cron=False,
                poll_delay=0,
                **overrides,
            ),
            build_callback_worker(self.settings, burst=True, clock=clock or self.clock, poll_delay=0),
        )
        for worker in workers:
            try:
                await worker.main()
            finally:
                await worker.close()

    @asynccontextmanager
    async def services(self) -> AsyncIterator[Services]:
        """The core services' Platform over this stack's database, Redis and clock (for calling a service or a
        job's step directly, as the worker would)."""
        redis = await create_pool(redis_settings(self.settings.redis_url))
        try:
            yield Services(self.settings, self.db, redis, self.clock)
        finally:
            await redis.aclose()

    async def simulator(self, path: str, payload: dict[str, Any] | None = None) -> Any:
        headers = {"Authorization": f"Bearer {TOKEN}"}
        if payload is None:
            async with self.http.get(self.sim_url + path, headers=headers) as resp:
                return await resp.json()
        async with self.http.post(self.sim_url + path, json=payload, headers=headers) as resp:
            return await resp.json()

    async def statuses(self, tenant: Tenant) -> dict[str, dict[str, Any]]:
        """The tenant's messages by number, their numbers and content opened (they are sealed at rest)."""
        rows = await self.db.fetch("SELECT * FROM messages WHERE sdk_app_id = $1", tenant.sdk_app_id)
        return {r["phone"]: r for r in map(opened, rows)}

    async def add_template(
        self,
        account_id: int,
        content: str,
        *,
        sms_type: int = 0,
        international: bool = False,
        approve: bool = True,
    ) -> int:
        return await admin.create_template(
            self.db,
            account_id=account_id,
            content=content,
            sms_type=sms_type,
            international=international,
            approve=approve,
        )

    async def add_tenant(
        self,
        *,
        kind: str = "organization",
        name: str = "Tenant",
        balance_minor: int = 100_000,
        contact_phone: str = "",
    ) -> Tenant:
        acct = await admin.create_account(
            self.db, KEYRING, name=name, kind=kind, balance_minor=balance_minor, contact_phone=contact_phone
        )
        app = await admin.create_app(self.db, KEYRING, account_id=acct.account_id, name=f"{name} app")
        await admin.create_signature(
            self.db, account_id=acct.account_id, name=SIGN, international=False, approve=True
        )
        tid = await self.add_template(acct.account_id, TEMPLATE)
        itid = await self.add_template(acct.account_id, TEMPLATE, international=True)
        tenant = Tenant(
            acct.account_id, acct.secret_id, acct.secret_key, app.sdk_app_id, tid, itid, app.app_key
        )
        self.tenants.append(tenant)
        return tenant


def worker_environment(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment of an `smsctl worker` child on this platform's Postgres, Redis, carrier and secrets.
    The flow tests send the development admin token to their in-process API; a worker refuses to start
    with it (and serves no admin API), so the child gets a test one."""
    return environment_with(
        DATABASE_URL=settings.database_url,
        REDIS_URL=settings.redis_url,
        SMS_CARRIER_URL=settings.carrier_url,
        **secrets_environment(
            dataclasses.replace(settings, admin_token="test-admin-token", master_key=CHILD_MASTER_KEY)
        ),
        **extra,
    )


class SdkClock:
    """The official SDK's clock in these tests: the real time in whole seconds, but never the same second
    twice. The SDK signs with a one-second timestamp and no nonce, so two identical calls in one second are
    one signed request, which the platform runs once (the replay guard, issue 14). A test's calls are each a
    request of their own, as they would be a second apart; a test about replays freezes the clock instead."""

    def __init__(self) -> None:
        self._last = 0
        self._frozen: int | None = None
        self._lock = threading.Lock()  # the SDK runs in threads (asyncio.to_thread)

    def freeze(self, at: int | None) -> None:
        """Sign every call at `at` (identical calls are then one signed request, sent again); None thaws."""
        self._frozen = at

    def time(self) -> float:
        with self._lock:
            if self._frozen is not None:
                return float(self._frozen)
            self._last = max(int(time.time()), self._last + 1)
            return float(self._last)

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)


@asynccontextmanager
async def running_platform(
    database_url: str,
    redis_url: str,
    *,
    clock: Callable[[], float] = time.time,
    simulator: SimulatorConfig | None = None,
    **settings_overrides: Any,
) -> AsyncIterator[Platform]:
    settings = Settings(
        database_url=database_url,
        redis_url=redis_url,
        send_retry_base_s=0.0,
        # The tests' callback receivers listen on 127.0.0.1, as on a development machine.
        **{"callback_private_networks": True, **SECRETS, **settings_overrides},
    )
    async with AsyncExitStack() as stack:
        # A clock of each test's own, so a test's calls never run far ahead of the API's clock.
        sdk_clock = SdkClock()
        stack.callback(setattr, abstract_client, "time", abstract_client.time)
        abstract_client.time = sdk_clock  # type: ignore[assignment]
        api_url = await stack.enter_async_context(serve(create_app(settings, clock=clock)))
        sim_config = dataclasses.replace(
            simulator or SimulatorConfig(token=TOKEN),
            token=TOKEN,
            report_url=api_url + "/carrier/reports",
            reply_url=api_url + "/carrier/replies",
        )
        sim_url = await stack.enter_async_context(serve(create_simulator_app(sim_config)))
        settings = dataclasses.replace(settings, carrier_url=sim_url, public_api_url=api_url)
        pool = await asyncpg.create_pool(database_url, min_size=1, max_size=4)
        assert pool is not None
        stack.push_async_callback(pool.close)
        http = await stack.enter_async_context(aiohttp.ClientSession())
        yield Platform(settings, api_url, sim_url, pool, clock, http, sdk_clock)
