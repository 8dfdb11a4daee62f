"""The metric helpers: bounded labels, counting by country, the billing-run and job wrappers, the worker
children's ports. The registry is the process's own and shared by every test, so each test compares the value
before and after, never an absolute value."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from arq import Retry
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from cli.processes import metrics_port_env
from core.infra.metrics import billing_run, count_messages, count_refusals, country, exposition
from core.infra.settings import Settings
from worker.jobs.measured import measured


def value(name: str, **labels: str) -> float:
    found = REGISTRY.get_sample_value(name, labels)
    return 0.0 if found is None else found


@pytest.mark.parametrize(
    ("iso", "label"),
    [("CN", "CN"), ("US", "US"), ("DEF", "DEF"), ("", "DEF"), ("+8613800138000", "DEF"), ("１２", "DEF")],
)
def test_the_country_label_is_an_iso_code_or_def_never_a_number(iso: str, label: str) -> None:
    assert country(iso) == label


def test_messages_are_counted_once_per_country() -> None:
    before = {c: value("sms_messages_total", event="accepted", country=c) for c in ("CN", "US", "DEF")}
    count_messages("accepted", ["CN", "US", "CN", "", "CN"])
    after = {c: value("sms_messages_total", event="accepted", country=c) for c in ("CN", "US", "DEF")}
    assert {c: after[c] - before[c] for c in after} == {"CN": 3, "US": 1, "DEF": 1}


def test_refusals_are_counted_by_limit_code() -> None:
    code = "LimitExceeded.PhoneNumberDailyLimit"
    before = value("sms_gate_refusals_total", limit=code)
    count_refusals([code, code])
    assert value("sms_gate_refusals_total", limit=code) - before == 2


async def test_a_billing_run_is_counted_ok_or_error() -> None:
    @billing_run("unit_test_run")
    async def step(fail: bool) -> str:
        if fail:
            raise RuntimeError("boom")
        return "done"

    assert await step(False) == "done"
    with pytest.raises(RuntimeError):
        await step(True)
    assert value("sms_billing_runs_total", kind="unit_test_run", result="ok") == 1
    assert value("sms_billing_runs_total", kind="unit_test_run", result="error") == 1


async def test_a_measured_job_is_counted_by_result_and_timed() -> None:
    async def unit_test_job(ctx: dict[Any, Any], outcome: str) -> str:
        if outcome == "retry":
            raise Retry(defer=1)
        if outcome == "error":
            raise ValueError("bad")
        if outcome == "cancelled":
            raise asyncio.CancelledError
        return outcome

    job = measured(unit_test_job)
    assert job.__qualname__.endswith("unit_test_job")  # arq names the function after it
    assert await job({}, "ok") == "ok"
    for outcome, error in (("retry", Retry), ("error", ValueError), ("cancelled", asyncio.CancelledError)):
        with pytest.raises(error):
            await job({}, outcome)
    for result in ("ok", "retry", "error", "cancelled"):
        assert value("sms_jobs_total", job="unit_test_job", result=result) == 1
    assert value("sms_job_seconds_count", job="unit_test_job") == 4


def test_each_child_gets_its_own_metrics_port_and_none_when_off() -> None:
    assert [metrics_port_env("WORKER", 9300, i) for i in (1, 2, 3)] == [
        {"SMS_WORKER_METRICS_PORT": "9300"},
        {"SMS_WORKER_METRICS_PORT": "9301"},
        {"SMS_WORKER_METRICS_PORT": "9302"},
    ]
    assert metrics_port_env("API", 9400, 2) == {"SMS_API_METRICS_PORT": "9401"}
    assert metrics_port_env("WORKER", 0, 1) == {}
    # The names match the settings they set.
    assert Settings.from_env({"SMS_WORKER_METRICS_PORT": "9300", "SMS_API_METRICS_PORT": "9401"}) == Settings(
        worker_metrics_port=9300, api_metrics_port=9401
    )


def test_the_exposition_parses_and_speaks_openmetrics_when_asked() -> None:
    count_messages("sent", ["CN"])
    body, content_type = exposition()
    assert content_type.startswith("text/plain")
    families = {f.name: f for f in text_string_to_metric_families(body.decode())}
    assert {"sms_api_requests", "sms_messages", "sms_jobs", "sms_queue_depth"} <= set(families)
    assert families["sms_messages"].type == "counter"
    body, content_type = exposition("application/openmetrics-text; version=1.0.0")
    assert content_type.startswith("application/openmetrics-text")
    assert body.rstrip().endswith(b"# EOF")
