"""Convention 7: logs never carry a full phone number or a secret."""

from __future__ import annotations

import json
import logging

import pytest
import structlog

from core.infra.logging import configure_logging, redact


def test_secrets_are_redacted_phones_masked_and_identifiers_kept() -> None:
    event = redact(
        None,
        "info",
        {
            "event": "sending to +8613800138000",
            "secret_key": "abcd1234",
            "Authorization": "TC3-HMAC-SHA256 Credential=AKID...",
            "phones": ["+8613800138000", 3],
            "request_id": "0c5e3f1e-1234-4cde-9a1b-000000000001",
            "app": "1400000001",
        },
    )
    assert event["event"] == "sending to *********8000"
    assert event["secret_key"] == "[redacted]"
    assert event["Authorization"] == "[redacted]"
    assert event["phones"] == ["*********8000", 3]
    assert event["app"] == "1400000001"
    assert event["request_id"] == "0c5e3f1e-1234-4cde-9a1b-000000000001"


def test_configured_json_logs_mask_phones_from_our_loggers_and_from_stdlib_ones(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("INFO", json=True)
    try:
        structlog.get_logger("test").info("delivered", phone="+14155550123", app="1400000009")
        logging.getLogger("arq.worker").info("job for 13800138000 done")
        lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    finally:
        structlog.reset_defaults()
        logging.getLogger().handlers.clear()
    assert lines[0]["phone"] == "*******0123" and lines[0]["app"] == "1400000009"
    assert lines[1]["event"] == "job for *******8000 done"
    assert "14155550123" not in json.dumps(lines) and "13800138000" not in json.dumps(lines)
