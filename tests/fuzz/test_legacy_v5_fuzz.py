"""Issue 14, finding 6: seeded mutated requests to every legacy v5 endpoint, each with a proper `sig` (spec A2,
computed here independently of the server) so it reaches the endpoint. Whatever the body, the answer is HTTP 200,
a JSON object with an integer `result` and a string `errmsg`, and never 60008 (the internal error)."""

from __future__ import annotations

import hashlib
import json
import random
from collections import Counter
from typing import Any

from api.legacy_v5.codes import OK, SIG_MISMATCH, TIME_SKEW
from tests.flow.harness import SIGN, Platform, Tenant, running_platform
from tests.flow.images import png_b64
from tests.flow.test_legacy_v5 import app_key, url
from tests.fuzz.mutations import SEED, Mutant, mutants, time_sweep

NOW = 1_780_000_000
PER_ENDPOINT = 40
INTERNAL_ERROR = 60008
TIME_FIELDS = frozenset({"begin_time", "end_time", "begin_date", "end_date", "time"})


def endpoints(t: Tenant) -> dict[str, dict[str, Any]]:
    tel = {"nationcode": "86", "mobile": "13800138000"}
    template = {"title": "t", "remark": "r", "text": "Code {1}", "type": 0, "international": 0}
    sign = {"text": "Fuzz", "pic": png_b64(), "remark": "r", "international": 0}
    span = {"begin_date": 2026052800, "end_date": 2026052800}
    return {
        "sendsms": {
            "tel": tel,
            "tpl_id": t.template_id,
            "params": ["1234", "5"],
            "sign": SIGN,
            "ext": "e",
            "extend": "",
        },
        "sendmultisms2": {
            "tel": [tel, {"nationcode": 86, "mobile": "13800138001"}],
            "type": 0,
            "msg": f"【{SIGN}】Your code is 1234, valid for 5 minutes.",
            "ext": "",
            "extend": "",
        },
        "pullstatus": {"type": 0, "max": 10},
        "pullstatus4mobile": {"type": 1, "max": 10, "begin_time": NOW - 3600, "end_time": NOW, **tel},
        "add_template": template,
        "mod_template": {**template, "tpl_id": t.template_id},
        "del_template": {"tpl_id": [t.template_id]},
        "get_template": {"tpl_page": {"max": 10, "offset": 0}},
        "add_sign": sign,
        "mod_sign": {**sign, "sign_id": 1},
        "del_sign": {"sign_id": [1]},
        "get_sign": {"sign_id": [1, 2]},
        "pullsendstatus": span,
        "pullcallbackstatus": span,
    }


def sig(key: str, random_text: str, at: Any, body: dict[str, Any]) -> str:
    """Spec A2: sha256 of appkey, random and time, with `&mobile=` and the numbers for a send that has any."""
    text = f"appkey={key}&random={random_text}&time={at}"
    tel = body.get("tel")
    tels = tel if isinstance(tel, list) else [tel] if isinstance(tel, dict) else []
    mobiles = [str(t.get("mobile")) for t in tels if isinstance(t, dict)]
    if mobiles:
        text += "&mobile=" + ",".join(mobiles)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def envelope_fault(status: int, text: str) -> str | int:
    """Why an answer is outside the legacy envelope (or is the internal error); its `result` when it is not."""
    if status != 200:
        return f"HTTP {status}"
    try:
        answer = json.loads(text)
    except ValueError:
        return "not JSON"
    if not isinstance(answer, dict):
        return "not an object"
    result, errmsg = answer.get("result"), answer.get("errmsg")
    if isinstance(result, bool) or not isinstance(result, int) or not isinstance(errmsg, str):
        return f"no result/errmsg: {answer}"
    if result == INTERNAL_ERROR:
        return f"internal error: {errmsg}"
    return result


async def _post(
    platform: Platform, tenant: Tenant, key: str, endpoint: str, mutant: Mutant, n: int
) -> str | int:
    random_text = f"{n:08d}"  # a fresh random per request: a replayed one is refused for another reason
    if mutant.params is not None:
        body = dict(mutant.params)
        body.setdefault("sig", sig(key, random_text, body.get("time", NOW), body))
        data = Mutant(body, None, mutant.what).body()
    else:
        data = mutant.body()
    target = f"{url(platform, endpoint)}?sdkappid={tenant.sdk_app_id}&random={random_text}"
    async with platform.http.post(target, data=data) as resp:
        return envelope_fault(resp.status, await resp.text())


async def test_fuzzed_requests_to_every_v5_endpoint_stay_in_the_legacy_envelope(
    database_url: str, redis_url: str
) -> None:
    # The fixed clock puts every request in the same second: no per-IP budget, or most would be refused by it.
    async with running_platform(
        database_url, redis_url, clock=lambda: float(NOW), ip_requests_per_second=0
    ) as platform:
        tenant = await platform.add_tenant()
        key = await app_key(platform, tenant)
        rng = random.Random(f"{SEED}-v5")
        faults: list[str] = []
        results: Counter[int] = Counter()
        for endpoint, base in endpoints(tenant).items():
            # `time` and `sig` are mutated too (they are in the base), the rest of the envelope kept signed.
            signed = {**base, "time": NOW}
            sweep = time_sweep(base, TIME_FIELDS)  # `time` itself left out: it is only ever a 1021
            for mutant in [*mutants(rng, signed, PER_ENDPOINT, times=TIME_FIELDS), *sweep]:
                n = len(faults) + results.total()
                outcome = await _post(platform, tenant, key, endpoint, mutant, n)
                if isinstance(outcome, str):
                    faults.append(f"{endpoint} [{mutant.what}]: {outcome}")
                else:
                    results[outcome] += 1
        sent = len(faults) + results.total()
        assert not faults, f"{len(faults)} of {sent} answers outside the envelope:\n" + "\n".join(faults[:40])
        # The fuzz reached the endpoints: few refused by the envelope's checks (sig 1001, time 1021: those two
        # fields are mutated too), some requests even valid.
        assert results[SIG_MISMATCH] + results[TIME_SKEW] <= sent // 5, results
        assert results[OK] >= len(endpoints(tenant)) // 2, results
