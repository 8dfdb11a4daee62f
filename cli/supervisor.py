"""One supervisor for several `smsctl` processes (`worker --processes N`, `api --processes N`, `up`).

It starts each child, restarts one that exits while the supervisor is not stopping (after an exponential
backoff, one log line per restart saying why), forwards SIGTERM/SIGINT to every child, waits up to a grace
period for them to exit, then SIGKILLs the rest. The policy (what counts as a crash, how long to back off,
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

log = get_logger("smsctl.supervisor")

# Past the children's own grace period (arq's wait for running jobs, aiohttp's for open requests), the time
# they get to close their pools before the supervisor's hard deadline.
STOP_MARGIN_S = 5.0
# Exit codes of a child that stopped as asked: it exited 0, or died of the signal it was sent.
_CLEAN_STOP_CODES = frozenset({0, -signal.SIGTERM, -signal.SIGINT})


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
        code = supervisor_exit_code(clean)
        log.info(
            "supervisor stopped",
            exit_code=code,
            unclean=[c.spec.name for c, ok in zip(children, clean, strict=True) if not ok],
        )
        return code

    async def _keep_running(self, child: _Child) -> None:
        """Start the child, and start it again after each crash, until the supervisor stops."""
        loop = asyncio.get_running_loop()
        crashes = 0
        try:
            while not self.stopping:
                started = loop.time()
                try:
                    child.proc = await asyncio.create_subprocess_exec(
                        *child.spec.argv,
                        env=None if child.spec.env is None else dict(child.spec.env),
                        process_group=0,
                    )
                except OSError as exc:
                    returncode, reason = 127, f"could not start: {exc}"
                else:
                    if self.stopping:  # the stop came while it was starting: it missed the forward
                        _send(child, self._stop_signal or signal.SIGTERM)
                    returncode = await child.proc.wait()
                    reason = describe_exit(returncode)
                    if not is_unexpected_exit(self.stopping):
                        child.final_code = returncode
                        return
                ran_for_s = loop.time() - started
                crashes = consecutive_crashes(crashes, ran_for_s, self.backoff)
                delay = backoff_delay(crashes, self.backoff)
                child.restarts += 1
                log.warning(
                    "child exited unexpectedly; restarting",
                    child=child.spec.name,
                    reason=reason,
                    exit_code=returncode,
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


def _send(child: _Child, signum: signal.Signals) -> None:
    proc = child.proc
    if proc is not None and proc.returncode is None:
        with contextlib.suppress(ProcessLookupError):  # it exited a moment ago
            proc.send_signal(signum)
