"""One supervisor for several `smsctl` processes (`worker --processes N`, `api --processes N`, `up`).

It starts each child, restarts one that exits while the supervisor is not stopping (after an exponential
backoff, one log line per restart saying why), forwards SIGTERM/SIGINT to every child, waits up to a grace
period for them to exit, then SIGKILLs the rest. A child that keeps failing at start (a port taken, a secret
missing: nothing a restart cures) is given up after a few tries: the supervisor logs the cause (the child's
last line on stderr, which it relays) and stops everything with exit code 1. The policy (what counts as a crash, how long to back off,
what counts as a clean stop) is in pure functions; `Supervisor` only acts on it.

Children run in their own process groups, so a Ctrl-C in the terminal reaches them once, through the
supervisor, and not a second time straight from the terminal."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from core.infra.logging import get_logger
from core.infra.settings import environment_with

log = get_logger("smsctl.supervisor")

# Past the children's own grace period (arq's wait for running jobs, aiohttp's for open requests), the time
# they get to close their pools before the supervisor's hard deadline.
STOP_MARGIN_S = 5.0
# Exit codes of a child that stopped as asked: it exited 0, or died of the signal it was sent.
_CLEAN_STOP_CODES = frozenset({0, -signal.SIGTERM, -signal.SIGINT})
# Children's stderr is relayed a line at a time, up to this long; a failing child's cause is cut to this.
_LINE_LIMIT = 1 << 20
_CAUSE_CHARS = 500


@dataclass(frozen=True)
class ChildSpec:
    """A child process: a name for the logs, its full command line, and its environment (None: ours)."""

    name: str
    argv: tuple[str, ...]
    env: Mapping[str, str] | None = None

    @classmethod
    def smsctl(cls, name: str, *args: str, env: Mapping[str, str] | None = None) -> ChildSpec:
        """An `smsctl <args>` child run by this interpreter."""
        return cls(name, (sys.executable, "-m", "cli", *args), env)


@dataclass(frozen=True)
class RestartBackoff:
    """Restart delays: initial_s, doubling per consecutive crash up to max_s; a child that ran at least
    reset_after_s before it crashed starts again from initial_s."""

    initial_s: float = 0.5
    max_s: float = 30.0
    reset_after_s: float = 60.0
    # A child that exits within start_window_s of starting failed at start; after max_start_failures such
    # exits in a row the supervisor gives up.
    start_window_s: float = 10.0
    max_start_failures: int = 5


# --- policy: pure functions -------------------------------------------------------------------------------


def is_unexpected_exit(stopping: bool) -> bool:
    """Any exit while the supervisor is not stopping is a crash to restart (a long-running server has no
    reason to exit 0 on its own); any exit while stopping is the one we asked for."""
    return not stopping


def consecutive_crashes(previous: int, ran_for_s: float, policy: RestartBackoff) -> int:
    """The crash count after a child that ran `ran_for_s` crashed: a long enough run resets it to 1."""
    return 1 if ran_for_s >= policy.reset_after_s else previous + 1


def backoff_delay(crashes: int, policy: RestartBackoff) -> float:
    """Seconds to wait before restarting after the `crashes`-th consecutive crash (1-based)."""
    if crashes <= 1:
        return policy.initial_s
    # Cap the exponent too, so a child crashing for days never overflows the float.
    return min(policy.initial_s * 2.0 ** min(crashes - 1, 64), policy.max_s)


def start_failures(previous: int, ran_for_s: float, policy: RestartBackoff) -> int:
    """Consecutive failures at start after a child that ran `ran_for_s` exited: one more if it exited within
    the start window, else none (it started fine and crashed later: restarting is the cure)."""
    return previous + 1 if ran_for_s < policy.start_window_s else 0


def gives_up(failures_at_start: int, policy: RestartBackoff) -> bool:
    return failures_at_start >= policy.max_start_failures


def describe_exit(returncode: int) -> str:
    """A readable exit: "exit code 3" or "signal SIGKILL" (subprocess reports death by signal N as -N)."""
    if returncode < 0:
        try:
            return f"signal {signal.Signals(-returncode).name}"
        except ValueError:
            return f"signal {-returncode}"
    return f"exit code {returncode}"


def is_clean_stop(returncode: int | None, killed: bool) -> bool:
    """A child stopped cleanly if it needed no SIGKILL and exited 0 or of the signal it was forwarded.
    A child that was not running when the stop came (None: waiting out a restart backoff) is clean too."""
    return not killed and (returncode is None or returncode in _CLEAN_STOP_CODES)


def supervisor_exit_code(clean: Sequence[bool]) -> int:
    """0 when every child stopped cleanly, else 1."""
    return 0 if all(clean) else 1


# --- the imperative shell -----------------------------------------------------------------------------------


@dataclass
class _Child:
    spec: ChildSpec
    proc: asyncio.subprocess.Process | None = None
    restarts: int = 0
    # The last non-blank line the child wrote to stderr: what it said as it failed.
    last_line: str = ""
    killed: bool = False
    # The exit code of the process running when the stop came (None if none was running).
    final_code: int | None = None
    done: asyncio.Event = field(default_factory=asyncio.Event)


class Supervisor:
    """Runs `children` until SIGTERM/SIGINT (or `stop()`), then stops them within `grace_s`."""

    def __init__(
        self,
        children: Sequence[ChildSpec],
        grace_s: float,
        restart_backoff: RestartBackoff | None = None,
    ) -> None:
        if not children:
            raise ValueError("a supervisor needs at least one child")
        if len({c.name for c in children}) != len(children):
            raise ValueError("child names must be unique")
        self.specs = tuple(children)
        self.grace_s = grace_s
        self.backoff = restart_backoff or RestartBackoff()
        self._stop_signal: signal.Signals | None = None
        self._stop_requested: asyncio.Event | None = None
        # (child, cause) once a child kept failing at start and the supervisor gave up.
        self.gave_up: tuple[str, str] | None = None

    def run(self) -> int:
        """Run until stopped; returns the process exit code (0 after a clean stop)."""
        return asyncio.run(self.serve())

    def stop(self, signum: signal.Signals = signal.SIGTERM) -> None:
        """Begin stopping: forward `signum` to every child. A second request changes nothing; the
        deadline set by the first stands."""
        if self._stop_requested is None:
            return
        if self._stop_signal is not None:
            log.info("already stopping", signal=signum.name)
            return
        self._stop_signal = signum
        self._stop_requested.set()

    @property
    def stopping(self) -> bool:
        return self._stop_signal is not None

    async def serve(self) -> int:
        loop = asyncio.get_running_loop()
        self._stop_requested = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self.stop, sig)
        children = [_Child(spec) for spec in self.specs]
        tasks = [asyncio.create_task(self._keep_running(child)) for child in children]
        log.info("supervisor started", children=[c.name for c in self.specs], grace_s=self.grace_s)
        try:
            await self._stop_requested.wait()
            signum = self._stop_signal or signal.SIGTERM
            log.info("stopping children", signal=signum.name, grace_s=self.grace_s)
            for child in children:
                _send(child, signum)
            _, late = await asyncio.wait(tasks, timeout=self.grace_s)
            for child in children:
                if not child.done.is_set() and child.proc is not None and child.proc.returncode is None:
                    log.warning("child did not stop within the grace period: SIGKILL", child=child.spec.name)
                    child.killed = True
                    _send(child, signal.SIGKILL)
            if late:
                await asyncio.wait(late)
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        clean = [is_clean_stop(c.final_code, c.killed) for c in children]
        code = 1 if self.gave_up else supervisor_exit_code(clean)
        log.info(
            "supervisor stopped",
            exit_code=code,
            unclean=[c.spec.name for c, ok in zip(children, clean, strict=True) if not ok],
        )
        return code

    async def _keep_running(self, child: _Child) -> None:
        """Start the child, and start it again after each crash, until the supervisor stops."""
        loop = asyncio.get_running_loop()
        crashes = failures_at_start = 0
        env = _child_environment(child.spec)
        try:
            while not self.stopping:
                started = loop.time()
                child.last_line = ""
                try:
                    child.proc = await asyncio.create_subprocess_exec(
                        *child.spec.argv,
                        env=env,
                        process_group=0,
                        stderr=asyncio.subprocess.PIPE,
                        limit=_LINE_LIMIT,
                    )
                except OSError as exc:
                    returncode, reason = 127, f"could not start: {exc}"
                    child.last_line = str(exc)
                else:
                    assert child.proc.stderr is not None
                    relay = asyncio.create_task(_relay(child, child.proc.stderr))
                    if self.stopping:  # the stop came while it was starting: it missed the forward
                        _send(child, self._stop_signal or signal.SIGTERM)
                    returncode = await child.proc.wait()
                    # Its last words, unless a process it started still holds the pipe open.
                    await asyncio.wait([relay], timeout=1.0)
                    reason = describe_exit(returncode)
                    if not is_unexpected_exit(self.stopping):
                        child.final_code = returncode
                        return
                ran_for_s = loop.time() - started
                failures_at_start = start_failures(failures_at_start, ran_for_s, self.backoff)
                if gives_up(failures_at_start, self.backoff):
                    self.gave_up = (child.spec.name, child.last_line or reason)
                    log.error(
                        "child keeps failing at start; giving up",
                        child=child.spec.name,
                        reason=reason,
                        cause=child.last_line,
                        failures=failures_at_start,
                    )
                    child.proc = None
                    self.stop()
                    return
                crashes = consecutive_crashes(crashes, ran_for_s, self.backoff)
                delay = backoff_delay(crashes, self.backoff)
                child.restarts += 1
                log.warning(
                    "child exited unexpectedly; restarting",
                    child=child.spec.name,
                    reason=reason,
                    exit_code=returncode,
                    cause=child.last_line,
                    ran_s=round(ran_for_s, 3),
                    backoff_s=delay,
                    restarts=child.restarts,
                )
                child.proc = None
                assert self._stop_requested is not None
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop_requested.wait(), delay)
        finally:
            child.done.set()


def _child_environment(spec: ChildSpec) -> dict[str, str]:
    """The child's environment. Its stderr is our pipe, not the terminal, so it is told the log format
    that our own stderr calls for (pretty on a terminal) unless the environment already says."""
    env = dict(spec.env) if spec.env is not None else environment_with()
    env.setdefault("SMS_LOG_JSON", "0" if sys.stderr.isatty() else "1")
    return env


async def _relay(child: _Child, stream: asyncio.StreamReader) -> None:
    """Copy the child's stderr to ours a whole line at a time (so lines of several children and our own
    never interleave mid-line), remembering its last non-blank line."""
    while True:
        try:
            line = await stream.readuntil(b"\n")
        except asyncio.IncompleteReadError as exc:  # the end: what is left has no newline
            line = exc.partial
        except asyncio.LimitOverrunError as exc:  # a longer line than we buffer: pass it on in pieces
            line = await stream.readexactly(exc.consumed)
        if not line:
            return
        _write_stderr(line)
        text = line.decode(errors="replace").strip()
        if text:
            child.last_line = text[:_CAUSE_CHARS]


def _write_stderr(data: bytes) -> None:
    out = getattr(sys.stderr, "buffer", None)
    if out is None:  # a replaced sys.stderr (text only)
        sys.stderr.write(data.decode(errors="replace"))
    else:
        out.write(data)
    sys.stderr.flush()


def _send(child: _Child, signum: signal.Signals) -> None:
    proc = child.proc
    if proc is not None and proc.returncode is None:
        with contextlib.suppress(ProcessLookupError):  # it exited a moment ago
            proc.send_signal(signum)
