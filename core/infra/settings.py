"""The platform's one settings object, read from the environment once and passed explicitly."""

from __future__ import annotations

import base64
import dataclasses
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from core.infra.crypto import DEV_MASTER_KEY


@dataclass(frozen=True)
class Settings:
    # Where embedded servers keep their data when no URL is configured.
    data_dir: Path = Path(".data")
    # Empty means: start (or reuse) the embedded server under data_dir.
    database_url: str = ""
    redis_url: str = ""

    api_host: str = "127.0.0.1"
    api_port: int = 8080
    # Several API processes may share the port (SO_REUSEPORT); the kernel spreads connections among them.
    api_reuse_port: bool = False
    # The API's own base URL as the carrier simulator should call it back.
    public_api_url: str = ""
    timezone: str = "Asia/Shanghai"
    currency: str = "CNY"
    # Minor units are 10^-money_exponent of the currency: prices such as 0.045 need 3 decimal places.
    money_exponent: int = 3

    # Intake.
    max_body_bytes: int = 1024 * 1024
    # The request line (path and query): Alibaba's SendSms carries up to 1,000 numbers in the query (about
    # 19 KB), past the HTTP server's usual 8 KB.
    max_request_line_bytes: int = 64 * 1024
    # Anti-bombing (L4): this many per-number limit refusals for one application within the window raise an
    # alarm to the account's alarm recipients, sent through the platform's own send path.
    alarm_rejections_threshold: int = 50
    alarm_window_s: int = 300
    # ... and a day's sends above this multiple of the application's usual daily volume (when that day has
    # at least alarm_volume_min messages, so small applications do not alarm on noise).
    alarm_volume_factor: float = 3.0
    alarm_volume_min: int = 1000
    # Requests per second one source IP may make to the customer API (L4); 0 turns the limit off.
    ip_requests_per_second: int = 1000
    # Behind a reverse proxy the client's address is the first X-Forwarded-For entry; trust it only then.
    trust_forwarded_for: bool = False
    signature_max_skew_s: int = 300
    # UCloud's signature has no time or nonce: the same signed request within this many seconds gets the first
    # answer and runs nothing (a resend by the SDK's retries, or a replay); after it, a replay would run.
    ucloud_replay_window_s: int = 600
    max_numbers_per_request: int = 200
    individual_max_variable_len: int = 12
    max_content_chars: int = 500
    intl_daily_limit_per_account: int = 1000
    # Signatures and templates (rules S5, T5) and their documents.
    max_signatures_per_account: int = 50
    max_templates_per_account: int = 200
    # Review hours (S7), in `timezone`: reviewers work review_hours on review_days ("mon-fri", "mon-fri,sat"),
    # not on review_holidays (ISO dates, "2026-10-01,2026-10-02" or ranges "2026-10-01..2026-10-07"), but on
    # review_workdays (weekend days worked in lieu). An item is expected reviewed within review_target_min
    # of that working time, an urgent one within review_urgent_target_min of being marked urgent.
    review_hours: str = "09:00-18:00"
    review_days: str = "mon-fri"
    review_holidays: str = ""
    review_workdays: str = ""
    review_target_min: int = 120
    review_urgent_target_min: int = 30
    # Proof images travel base64 inside a request body of at most max_body_bytes.
    max_image_bytes: int = 700 * 1024
    # Keys the hash that stands for a phone number in Redis keys (numbers never appear there in plain).
    # A secret (SECRET_SETTINGS): whoever knows it can reverse those hashes by enumerating numbers.
    gate_hash_key: str = "dev-gate-key"  # a development default: set it in production
    # The keyring that seals secrets and message numbers at rest (core/infra/crypto.py): "kid:base64,..."
    # of 32-byte keys, the first one current. A development default: set SMS_MASTER_KEY in production.
    master_key: str = DEV_MASTER_KEY
    db_pool_min: int = 2
    db_pool_max: int = 10

    # Carrier connector (rule C1: persistent pool, idle connections closed after 90 s).
    carrier_url: str = "http://127.0.0.1:8090"
    carrier_pool_size: int = 32
    carrier_idle_timeout_s: float = 90.0
    carrier_timeout_s: float = 10.0
    # Shared secret the carrier presents on our webhook (and we present to the simulator).
    # Whether the carrier dedupes submits on our serial (the simulator does unless told otherwise): only then is a
    # dead worker's batch resubmitted; otherwise its messages become `unknown` for an operator to settle.
    carrier_dedupes_on_serial: bool = True
    carrier_webhook_token: str = "dev-carrier-token"  # noqa: S105 - development default, set in production
    # Bearer token of the operators' admin API (/admin/v1/); empty refuses every admin request.
    admin_token: str = "dev-admin-token"  # noqa: S105 - development default, set SMS_ADMIN_TOKEN in production

    # Worker.
    worker_max_jobs: int = 64
    worker_poll_delay_s: float = 0.05
    job_timeout_s: int = 60
    send_max_tries: int = 8
    send_retry_base_s: float = 2.0
    send_retry_max_s: float = 300.0
    # A batch still `queued` this long after acceptance is re-enqueued by the outbox sweep.
    outbox_stale_after_s: int = 60
    # A claim (`sending`) older than this is taken over by the sweep once the claiming worker's health key is
    # gone (a live worker keeps its batch however slow the carrier is).
    claim_lease_s: int = 180
    # Each worker process refreshes its health key this often (it expires a second later): `smsctl worker
    # --check` fails within this many seconds of a worker dying or hanging.
    worker_health_interval_s: int = 10
    # Each worker process serves its Prometheus metrics on this port (0: off); `smsctl worker --processes N`
    # gives its children this port, the next one, ... (port + i - 1 for child i).
    worker_metrics_port: int = 0
    # Each API process answers GET /metrics on the API port; with `smsctl api --processes N` that reaches one
    # child, so each child can also serve its own metrics on this port + i - 1 (0: off).
    api_metrics_port: int = 0
    # Where the per-process metrics ports listen (not the API's /metrics).
    metrics_host: str = "127.0.0.1"
    partitions_ahead_days: int = 3
    # Shutdown (SIGTERM/SIGINT): a worker stops taking jobs and lets running ones finish for this long (an API
    # process its requests in flight) before cancelling them; a job cancelled so is retried whole later.
    # `--processes N` supervisors SIGKILL a child still running a few seconds after that; 0 means no wait.
    shutdown_grace_s: float = 30.0

    # Customer callbacks (B2, B3): status reports and replies POSTed to the application's URLs.
    # One request may take this long (connect to answer) before it counts as failed.
    callback_timeout_s: float = 5.0
    # At most this many status reports in one request (a JSON array), and queue items read per round.
    callback_batch: int = 100
    # Retries back off exponentially from base to max; items still failing this long after they were
    # queued are given up (kept as 'given_up' for the operator, counted in stats_hourly).
    callback_retry_base_s: float = 10.0
    callback_retry_max_s: float = 1800.0
    callback_give_up_s: int = 86400
    # Customer URLs (callbacks and alarm webhooks) lead to public addresses only (no loopback, private,
    # link-local or reserved ones, by literal or by name), so a customer's URL cannot reach the platform's own
    # network; this setting lifts that rule for both. On for development stacks (smsctl up).
    callback_private_networks: bool = False
    # Deliveries running at once per worker process (each one application's queue), on the callback queue's
    # own worker, apart from the send jobs.
    callback_max_jobs: int = 32
    # Pull-queue items (PullSmsSendStatus / PullSmsReplyStatus) nobody pulled are purged after this.
    pull_retention_days: int = 7

    # Billing (P2): the previous day's usage is charged at this local time the next morning; days missed while
    # no worker ran are charged at the next run, up to this many days back. An account in arrears this long
    # is suspended.
    billing_time: str = "02:00"
    billing_catchup_days: int = 62
    arrears_grace_s: int = 12 * 3600

    # Simulator (smsctl simulator).
    simulator_host: str = "127.0.0.1"
    simulator_port: int = 8090

    log_json: bool | None = None  # None: JSON when stderr is not a TTY
    log_level: str = "INFO"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Build settings from `SMS_<FIELD>` variables (and DATABASE_URL / REDIS_URL)."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(f"SMS_{f.name.upper()}")
            if raw is None and f.name in ("database_url", "redis_url"):
                raw = env.get(f.name.upper())
            if raw is None:
                continue
            values[f.name] = _parse(f.type, raw)
        values.update(overrides)
        return cls(**values)

    @property
    def api_url(self) -> str:
        return self.public_api_url or f"http://{self.api_host}:{self.api_port}"


# The settings that are shared secrets. Their defaults exist only so tests and tools can build a Settings
# without them: `smsctl api` and `smsctl worker` refuse to start while any is empty or still its default, and
# `smsctl up` generates each one for its data folder. A new secret is one more name here.
SECRET_SETTINGS: tuple[str, ...] = ("gate_hash_key", "carrier_webhook_token", "admin_token", "master_key")


def env_name(setting: str) -> str:
    """The environment variable that sets `setting`."""
    return f"SMS_{setting.upper()}"


def unsafe_secrets(settings: Settings) -> list[str]:
    """The secret settings that are empty or still their development default."""
    defaults = {f.name: f.default for f in fields(Settings)}
    return [name for name in SECRET_SETTINGS if getattr(settings, name) in ("", defaults[name])]


def new_secret(setting: str) -> str:
    """A fresh value for the secret setting `setting`: 32 random bytes, URL-safe base64 (43 characters); for
    the master key, a one-key keyring in its own form (kid:base64 of 32 bytes)."""
    if setting == "master_key":
        return "k1:" + base64.b64encode(secrets.token_bytes(32)).decode()
    return secrets.token_urlsafe(32)


def with_secrets(settings: Settings, values: Mapping[str, str]) -> Settings:
    """`settings` with each unsafe secret that `values` (setting name -> value) holds taken from it; secrets
    already set to something else are kept."""
    chosen: dict[str, Any] = {name: values[name] for name in unsafe_secrets(settings) if name in values}
    return dataclasses.replace(settings, **chosen)


def secrets_environment(settings: Settings) -> dict[str, str]:
    """The environment variables that give a child process these settings' secrets."""
    return {env_name(name): str(getattr(settings, name)) for name in SECRET_SETTINGS}


def _parse(type_name: Any, raw: str) -> Any:
    t = str(type_name)
    if t == "int":
        return int(raw)
    if t == "float":
        return float(raw)
    if t.startswith("bool"):
        if raw == "" and "None" in t:
            return None
        return raw.strip().lower() in ("1", "true", "yes", "on")
    if t == "Path":
        return Path(raw)
    return raw


def environment_with(**extra: str) -> dict[str, str]:
    """This process's environment plus `extra`, for starting child processes."""
    return {**os.environ, **extra}
