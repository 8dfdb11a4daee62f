"""Settings are read from the environment once, typed, with DATABASE_URL / REDIS_URL as the usual names."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.infra.settings import Settings


def test_environment_values_are_parsed_to_their_types() -> None:
    settings = Settings.from_env(
        {
            "DATABASE_URL": "postgresql://db/sms",
            "SMS_REDIS_URL": "redis://cache/1",
            "SMS_API_PORT": "9000",
            "SMS_CARRIER_TIMEOUT_S": "2.5",
            "SMS_API_REUSE_PORT": "yes",
            "SMS_DATA_DIR": "/srv/sms",
            "SMS_LOG_JSON": "",
        }
    )
    assert settings.database_url == "postgresql://db/sms"
    assert settings.redis_url == "redis://cache/1"
    assert settings.api_port == 9000
    assert settings.carrier_timeout_s == 2.5
    assert settings.api_reuse_port is True
    assert settings.data_dir == Path("/srv/sms")
    assert settings.log_json is None  # empty: decide by whether stderr is a terminal
    assert settings.api_url == "http://127.0.0.1:9000"


def test_defaults_follow_the_rules() -> None:
    settings = Settings.from_env({})
    assert settings.max_numbers_per_request == 200  # D1
    assert settings.intl_daily_limit_per_account == 1000  # L3
    assert settings.carrier_idle_timeout_s == 90  # C1
    assert settings.timezone == "Asia/Shanghai"
    assert (settings.max_signatures_per_account, settings.max_templates_per_account) == (50, 200)  # S5, T5


def test_a_malformed_number_fails_at_start_not_later() -> None:
    with pytest.raises(ValueError):
        Settings.from_env({"SMS_API_PORT": "eighty"})
