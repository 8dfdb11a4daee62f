"""Fuzz suite for the admin API (issue 14, finding 6): schemathesis reads the OpenAPI document the running
platform serves and sends it generated and mutated requests (the documented examples, boundary and invalid
values, then random ones) with the admin token, against real Postgres and Redis seeded with an account, an
application, a second API key, a signature with documents, a template, a package and a blocklist entry, so reads
find real objects.

Every answer must be inside the document: no 5xx, every status documented for its operation, the documented
content type, a body matching the documented schema, a 405 naming the allowed methods, and a request the
document calls invalid refused (so the constraints it states are the ones the code enforces). Bounded and
seeded: the same ~1,200 requests every run (the boundary phase's cases plus MAX_EXAMPLES random ones per
operation), no example database, no shrinking."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import schemathesis
import yaml
from schemathesis.engine import Status, events, from_schema

from core.store import admin
from core.store.keys import secret_key_purpose
from tests.flow.harness import Platform, running_platform
from tests.keyring import KEYRING

ADMIN_TOKEN = "fuzz-admin-token"
AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
NOW = 1_780_000_000
SEED = 14
MAX_EXAMPLES = 4  # per operation in the random phase; the coverage phase adds its own boundary cases
# What the generated values are salted with, a quarter of the time: the inputs that were 500s (issue 14,
# finding 6) and their neighbours.
HOSTILE_TEXT = [
    "\x00",
    "1400000001\x00",
    "9" * 5000,
    "-" + "9" * 20,
    "0001-01-01",
    "9999-12-31T23:59:59-14:00",
    "1e400",
    "NaN",
]
HOSTILE_INTEGERS = [2**63, -(2**63) - 1, 10**30, 0, -1]
# The SecretId the document's example names, seeded as a second key of the account.
SECRET_ID = "AKIDfuzz0000000000000000000000000001"
SEEDED = (
    "/admin/v1/review/signature/1",
    "/admin/v1/review/template/1",
    "/admin/v1/documents/1",
    "/admin/v1/apps/1400000001/policy",
    "/admin/v1/apps/1400000001/callbacks",
    "/admin/v1/accounts/1/blocklist",
    "/admin/v1/accounts/1/packages",
    f"/admin/v1/keys/{SECRET_ID}",
)
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
    "unsupported_method",
    "negative_data_rejection",
)


async def seed(platform: Platform) -> None:
    """One of each object the admin API shows. A fresh database numbers them 1 (and the application
    1400000001), the values the document's examples and the boundary phase try first."""
    db = platform.db
    acct = await admin.create_account(
        db, KEYRING, name="Fuzz Ltd", kind="organization", balance_minor=100_000
    )
    await admin.create_app(db, KEYRING, account_id=acct.account_id, name="Fuzz app")
    await db.execute(
        "INSERT INTO api_keys (secret_id, account_id, secret_key_sealed) VALUES ($1, $2, $3)",
        SECRET_ID,
        acct.account_id,
        KEYRING.seal("k" * 32, secret_key_purpose(SECRET_ID)),
    )
    proof = await db.fetchval(
        "INSERT INTO documents (account_id, content_type, sha256, data) VALUES ($1, 'image/png', 'p', $2)"
        " RETURNING id",
        acct.account_id,
        b"\x89PNG\r\n\x1a\n",
    )
    sign_id = await admin.create_signature(
        db, account_id=acct.account_id, name="FuzzCorp", international=False, approve=False
    )
    await db.execute(
        "UPDATE signatures SET proof_document_id = $2, remark = 'fuzzed' WHERE id = $1", sign_id, proof
    )
    # Template ids start at 1000 like Tencent's; number this one 1 too (a throwaway test database).
    await db.execute("ALTER TABLE templates ALTER COLUMN id RESTART WITH 1")
    await admin.create_template(
        db,
        account_id=acct.account_id,
        content="Your code is {1}.",
        sms_type=0,
        international=False,
        approve=False,
        name="Code",
    )
    await db.execute(
        "INSERT INTO sms_packages (account_id, package_type, parts_total, valid_from, valid_until,"
        " created_at, created_by) VALUES ($1, 0, 1000, now(), now() + interval '30 days', now(), 'seed')",
        acct.account_id,
    )
    await db.execute(
        "INSERT INTO blocklist (account_id, phone, source, reason, created_by)"
        " VALUES ($1, '+8613800138000', 'reply', 'TD', 'reply')",
        acct.account_id,
    )


@dataclass
class Outcome:
    failures: list[str] = field(default_factory=list)
    answered: set[tuple[str, str, int]] = field(default_factory=set)  # (method, path, status) seen


def run_schemathesis(document: dict[str, Any], api_url: str) -> Outcome:
    """Run every phase but the stateful one over the document: the failures found, one line each, and what
    was answered."""
    config = schemathesis.config.SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            "base-url": api_url,
            "headers": AUTH,
            "workers": 1,
            "continue-on-failure": True,
            # No replay of an earlier run's failures from .schemathesis/: every run sends the same requests.
            "cache": {"enabled": False},
            "dictionaries": {
                "hostile-text": {"values": HOSTILE_TEXT},
                "hostile-integers": {"values": HOSTILE_INTEGERS},
            },
            "generation": {
                "dictionaries": {
                    "string": {"dictionary": "hostile-text", "probability": 0.25},
                    "integer": {"dictionary": "hostile-integers", "probability": 0.25},
                },
                "max-examples": MAX_EXAMPLES,
                "deterministic": True,
                "database": "none",
                "no-shrink": True,
            },
            "phases": {
                "stateful": {"enabled": False},
                # One method each path does not take is enough to see the 405 and its Allow header.
                "coverage": {"unexpected-methods": ["TRACE"]},
            },
            "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
        }
    )
    schema = schemathesis.openapi.from_dict(document, config=config)
    outcome = Outcome()
    found = outcome.failures
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            for interaction in event.recorder.interactions.values():
                if interaction.response is not None:
                    path = urlsplit(interaction.request.uri).path
                    outcome.answered.add((interaction.request.method, path, interaction.response.status_code))
        if isinstance(event, events.ScenarioFinished) and event.status in (Status.FAILURE, Status.ERROR):
            for checks in event.recorder.checks.values():
                for check in checks:
                    if check.failure_info is not None:
                        info = check.failure_info
                        found.append(
                            f"{event.recorder.label}: {check.name}: {info.failure.title}:"
                            f" {info.failure.message}\n    {info.code_sample}"
                        )
            if event.status is Status.ERROR:
                found.append(f"{event.recorder.label}: error")
        elif isinstance(event, (events.NonFatalError, events.FatalError)):
            found.append(f"engine error: {event}")
    return outcome


async def test_fuzzed_admin_requests_stay_inside_the_served_openapi_document(
    database_url: str, redis_url: str
) -> None:
    async with running_platform(
        database_url, redis_url, clock=lambda: float(NOW), admin_token=ADMIN_TOKEN
    ) as platform:
        await seed(platform)
        async with platform.http.get(platform.api_url + "/admin/v1/openapi.yaml", headers=AUTH) as resp:
            assert resp.status == 200
            document = yaml.safe_load(await resp.text())
        outcome = await asyncio.to_thread(run_schemathesis, document, platform.api_url)
    assert not outcome.failures, "\n".join(outcome.failures)
    # The seeded objects were found, so their documented 200 bodies were checked too.
    for path in SEEDED:
        assert ("GET", path, 200) in outcome.answered, path
