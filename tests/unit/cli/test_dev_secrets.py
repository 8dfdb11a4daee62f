"""The development stack's secrets file (finding 3, issue 14): every secret setting generated once, private,
reused; a secret the file lacks (a setting added since) is added without changing the others."""

from __future__ import annotations

import stat
from pathlib import Path

from cli import dev_secrets
from core.infra.settings import SECRET_SETTINGS, Settings, env_name, unsafe_secrets, with_secrets


def test_generated_once_private_and_reused(tmp_path: Path) -> None:
    first = dev_secrets.load_or_create(tmp_path / "data")
    path = dev_secrets.secrets_path(tmp_path / "data")
    assert set(first) == set(SECRET_SETTINGS) and len(set(first.values())) == len(SECRET_SETTINGS)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert unsafe_secrets(with_secrets(Settings(), first)) == []
    assert dev_secrets.load_or_create(tmp_path / "data") == first
    assert dev_secrets.stored(tmp_path / "data") == first


def test_a_secret_missing_from_the_file_is_added_and_the_others_kept(tmp_path: Path) -> None:
    kept, *missing = SECRET_SETTINGS
    path = dev_secrets.secrets_path(tmp_path)
    path.write_text(f"# an older file\n{env_name(kept)}=kept-value\n")
    path.chmod(0o644)
    values = dev_secrets.load_or_create(tmp_path)
    assert values[kept] == "kept-value" and all(values[name] for name in missing)
    assert dev_secrets.parse(path.read_text()) == {env_name(n): v for n, v in values.items()}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_widened_file_is_made_private_again(tmp_path: Path) -> None:
    dev_secrets.load_or_create(tmp_path)
    path = dev_secrets.secrets_path(tmp_path)
    path.chmod(0o644)
    dev_secrets.load_or_create(tmp_path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_secrets_set_in_the_environment_win_over_the_file(tmp_path: Path) -> None:
    values = dev_secrets.load_or_create(tmp_path)
    settings = with_secrets(Settings(admin_token="from-the-environment"), values)
    assert settings.admin_token == "from-the-environment"
    assert settings.gate_hash_key == values["gate_hash_key"]
