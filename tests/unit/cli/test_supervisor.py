"""The supervisor's policy: what counts as a crash, how long it backs off before a restart, and what counts as
a clean stop."""

from __future__ import annotations

import signal

import pytest

from cli.supervisor import (
    RestartBackoff,
    backoff_delay,
    consecutive_crashes,
    describe_exit,
    gives_up,
    is_clean_stop,
    is_unexpected_exit,
    start_failures,
    supervisor_exit_code,
)

POLICY = RestartBackoff(initial_s=0.5, max_s=30.0, reset_after_s=60.0)


def test_any_exit_while_running_is_a_crash_and_any_exit_while_stopping_is_expected() -> None:
    assert is_unexpected_exit(stopping=False)
    assert not is_unexpected_exit(stopping=True)


@pytest.mark.parametrize(
    ("crashes", "delay"),
    [(0, 0.5), (1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (6, 16.0), (7, 30.0), (8, 30.0), (10_000, 30.0)],
)
def test_backoff_doubles_from_the_initial_delay_up_to_the_cap(crashes: int, delay: float) -> None:
    assert backoff_delay(crashes, POLICY) == delay


@pytest.mark.parametrize(
    ("previous", "ran_for_s", "expected"),
    [
        (0, 0.1, 1),  # the first crash
        (1, 0.1, 2),  # crashed again at once
        (5, 59.9, 6),  # not long enough to count as recovered
        (5, 60.0, 1),  # ran a minute: the backoff starts over
        (5, 3600.0, 1),
    ],
)
def test_a_child_that_ran_long_enough_starts_its_backoff_over(
    previous: int, ran_for_s: float, expected: int
) -> None:
    assert consecutive_crashes(previous, ran_for_s, POLICY) == expected


def test_a_child_crashing_in_a_loop_waits_half_a_second_then_longer_and_longer() -> None:
    crashes, delays = 0, []
    for _ in range(9):
        crashes = consecutive_crashes(crashes, 0.2, POLICY)
        delays.append(backoff_delay(crashes, POLICY))
    assert delays == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0]


@pytest.mark.parametrize(
    ("returncode", "text"),
    [
        (0, "exit code 0"),
        (3, "exit code 3"),
        (-signal.SIGKILL, "signal SIGKILL"),
        (-signal.SIGSEGV, "signal SIGSEGV"),
        (-200, "signal 200"),  # not a known signal number
    ],
)
def test_an_exit_is_described_by_its_code_or_its_signal(returncode: int, text: str) -> None:
    assert describe_exit(returncode) == text


@pytest.mark.parametrize(
    ("returncode", "killed", "clean"),
    [
        (0, False, True),
        (-signal.SIGTERM, False, True),  # died of the forwarded signal
        (-signal.SIGINT, False, True),
        (None, False, True),  # was waiting out a restart backoff when the stop came
        (1, False, False),  # failed while stopping
        (-signal.SIGKILL, True, False),  # outlived the grace period
        (-signal.SIGKILL, False, False),  # killed by someone else
    ],
)
def test_a_clean_stop_is_an_exit_0_or_by_the_forwarded_signal_without_sigkill(
    returncode: int | None, killed: bool, clean: bool
) -> None:
    assert is_clean_stop(returncode, killed) is clean


def test_the_supervisor_exits_0_only_when_every_child_stopped_cleanly() -> None:
    assert supervisor_exit_code([True, True]) == 0
    assert supervisor_exit_code([True, False]) == 1


@pytest.mark.parametrize(
    ("ran_for_s", "before", "after", "give_up"),
    [(0.1, 0, 1, False), (0.1, 4, 5, True), (9.9, 3, 4, False), (10.0, 4, 0, False)],
)
def test_only_quick_exits_in_a_row_count_toward_giving_up(
    ran_for_s: float, before: int, after: int, give_up: bool
) -> None:
    policy = RestartBackoff()
    assert start_failures(before, ran_for_s, policy) == after
    assert gives_up(after, policy) is give_up
