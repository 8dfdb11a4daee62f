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


def test_issue14_application_ids_are_kept_by_their_form_and_numbers_masked_whatever_the_key() -> None:
    """Finding 8: `sdk_app_id` showed as ******0005, as did the admin path naming it and the records export's
    scope. An SDK AppID is kept wherever it appears; a client can put anything in an "app" field, so a phone
    number there is masked all the same."""
    event = redact(
        None,
        "info",
        {
            "event": "admin request",
            "sdk_app_id": "1400000005",
            "path": "/admin/v1/apps/1400000005/policy",
            "scope": "1400000005",
            "app": "13800138000",
            "apps": ["1400000007", "+8613800138000"],
        },
    )
    assert event["sdk_app_id"] == "1400000005"
    assert event["path"] == "/admin/v1/apps/1400000005/policy"
    assert event["scope"] == "1400000005"
    assert event["app"] == "*******8000"
    assert event["apps"] == ["1400000007", "*********8000"]
