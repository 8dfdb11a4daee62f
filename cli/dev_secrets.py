"""The development stack's secrets (`smsctl up`): generated once per data folder into `secrets.env` there
(mode 0600), reused on later runs, and handed to the stack's processes through their environment. The file
is a shell environment file, so `set -a; . .data/secrets.env; set +a` gives a shell the same secrets."""

from __future__ import annotations

import os
from pathlib import Path

from core.infra.settings import SECRET_SETTINGS, env_name, new_secret

FILE_NAME = "secrets.env"
_HEADER = (
    "# Secrets of the development stack `smsctl up` runs on this data folder, generated on its first run.\n"
    "# Keep this file private (mode 0600). In a shell: set -a; . {path}; set +a\n"
)


def secrets_path(data_dir: Path) -> Path:
    return data_dir / FILE_NAME


def load_or_create(data_dir: Path) -> dict[str, str]:
    """Every secret setting's value (setting name -> value) from the data folder's file; a secret the file
    lacks (the first run, or a setting added since) is generated and written there first."""
    path = secrets_path(data_dir)
    stored = parse(path.read_text()) if path.exists() else {}
    values = {name: stored.get(env_name(name)) or new_secret(name) for name in SECRET_SETTINGS}
    if any(env_name(name) not in stored for name in SECRET_SETTINGS):
        _write_private(path, render(values, path))
    else:
        path.chmod(0o600)  # a copy or an editor may have widened it
    return values


def stored(data_dir: Path) -> dict[str, str]:
    """The secrets the data folder's file holds (setting name -> value); empty when it has none."""
    path = secrets_path(data_dir)
    by_env = parse(path.read_text()) if path.exists() else {}
    return {name: by_env[env_name(name)] for name in SECRET_SETTINGS if by_env.get(env_name(name))}


def render(values: dict[str, str], path: Path) -> str:
    lines = [f"{env_name(name)}={value}\n" for name, value in values.items()]
    return _HEADER.format(path=path) + "".join(lines)


def parse(text: str) -> dict[str, str]:
    """`NAME=value` lines (environment variable -> value); blank lines and `#` comments are skipped."""
    lines = (line.strip() for line in text.splitlines())
    pairs = (line.split("=", 1) for line in lines if "=" in line and not line.startswith("#"))
    return {name.strip(): value.strip() for name, value in pairs}


def _write_private(path: Path, text: str) -> None:
    """Write `text` to `path` so that it is never readable by others, not even for a moment: a new file
    created 0600 beside it, then renamed over it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    tmp.replace(path)
