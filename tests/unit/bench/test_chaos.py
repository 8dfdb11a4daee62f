"""make chaos counts per number: which numbers were accepted follows from the loadgen's accepted request
indices, and a partly accepted request is an error, not a silent undercount."""

from __future__ import annotations

import pytest

from bench.chaos import _accepted_phones, render
from bench.loadgen import LoadConfig, phone_numbers

CONFIG = LoadConfig(
    api_url="http://127.0.0.1:1",
    secret_id="id",
    secret_key="key",
    sdk_app_id="1400000000",
    sign_name="S",
    template_id="1",
    params=("1",),
    clients=1,
    requests=4,
    numbers_per_request=3,
)


def test_accepted_phones_are_the_numbers_of_the_accepted_requests_only() -> None:
    phones = _accepted_phones(CONFIG, {"accepted_by_index": [[0, 3], [2, 3]]})
    assert phones == phone_numbers(CONFIG, 0) + phone_numbers(CONFIG, 2)
    assert not set(phones) & set(phone_numbers(CONFIG, 1))


def test_a_partly_accepted_request_is_refused_rather_than_counted() -> None:
    with pytest.raises(RuntimeError, match="accepted for 2 of 3"):
        _accepted_phones(CONFIG, {"accepted_by_index": [[1, 2]]})


def test_render_shows_every_count_and_each_kill() -> None:
    counts = {
        "accepted": 1000, "recorded": 1000, "to_carrier": 1001, "delivered": 990, "failed": 0,
        "unknown_seen": 40, "unknown": 10, "lost": 0, "sent_twice": 1, "results_file": "r.json",
        "kills": [{"killed": "worker", "at_s": 1.5}, {"killed": "redis", "at_s": 3.0}],
        "restarts": [{"restarted": "worker", "at_s": 3.2, "exit_code": 1}],
    }  # fmt: skip
    text = render(counts)
    assert "worker at 1.5 s, redis at 3.0 s" in text
    assert "started again: worker at 3.2 s" in text
    rows = dict(line.rsplit(maxsplit=1) for line in text.splitlines()[2:-1])
    assert {k.strip(): v for k, v in rows.items()} == {
        "accepted": "1,000", "recorded": "1,000", "to carrier": "1,001", "delivered": "990", "failed": "0",
        "unknown seen": "40", "unknown": "10", "lost": "0", "sent twice": "1",
    }  # fmt: skip
