"""Scrapes of the API's /metrics around the benchmark's load: the counters must move with the load (the
operations issue's check that metrics are live), and the figures go into the results."""

from __future__ import annotations

from typing import Any

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

# The counters compared before and after the load: (sample name, labels that must match).
WATCHED: dict[str, tuple[str, dict[str, str]]] = {
    "send_sms_ok_requests": ("sms_api_requests_total", {"action": "SendSms", "code": "Ok"}),
    "messages_accepted": ("sms_messages_total", {"event": "accepted"}),
    "messages_delivered": ("sms_messages_total", {"event": "delivered"}),
}
# Alibaba's door labels its requests by its own action name and answer code.
ALIBABA_SEND_OK = ("sms_api_requests_total", {"action": "alibaba/SendSms", "code": "OK"})


async def scrape(http: aiohttp.ClientSession, api_url: str, dialect: str = "tencent") -> dict[str, float]:
    """The watched counters' current values (labels not named are summed over); the SendSms requests counted
    are the dialect's."""
    async with http.get(api_url + "/metrics") as resp:
        text = await resp.text()
    watched = dict(WATCHED)
    if dialect == "alibaba":
        watched["send_sms_ok_requests"] = ALIBABA_SEND_OK
    values = dict.fromkeys(watched, 0.0)
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            for key, (name, labels) in watched.items():
                if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                    values[key] += sample.value
    return values


def deltas(before: dict[str, float], after: dict[str, float]) -> dict[str, Any]:
    return {key: int(after[key] - before.get(key, 0.0)) for key in after}
