"""The operators' admin API (/admin/v1/) on the running platform: a bearer token on every route, the review queue
(rule S7: urgent first, then oldest, with age), items with documents and history, review decisions (S2) recorded
with who/from/to/why, refusals as 409s, a race of two decisions won by exactly one, the word lists (S4, T6), and
an OpenAPI document that matches the routes actually served."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import web

from api.app import create_app
from core.infra.settings import Settings
from core.store import admin
from tests.flow.harness import Platform, running_platform
from tests.keyring import KEYRING

ADMIN_TOKEN = "test-admin-token"
NOW = 1_780_000_000  # the API's fixed clock
AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@dataclass
class Reply:
    status: int
    body: Any
    text: str
    content_type: str


@dataclass
class Env:
    platform: Platform
    account_id: int

    async def call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        data: bytes | None = None,
        headers: dict[str, str] | None = None,
        operator: str | None = None,
    ) -> Reply:
        sent = dict(AUTH if headers is None else headers)
        if operator is not None:
            sent["X-Operator"] = operator
        async with self.platform.http.request(
            method, self.platform.api_url + path, json=json, data=data, headers=sent
        ) as resp:
            raw = await resp.read()
            text = raw.decode(errors="replace")
            body = await resp.json() if resp.content_type == "application/json" else raw
            return Reply(resp.status, body, text, resp.content_type)

    async def signature(self, name: str, *, age_s: int = 0) -> int:
        sign_id = await admin.create_signature(
            self.platform.db, account_id=self.account_id, name=name, international=False, approve=False
        )
        await self._submitted(age_s, "signatures", sign_id)
        return sign_id

    async def template(self, content: str, *, age_s: int = 0) -> int:
        template_id = await admin.create_template(
            self.platform.db,
            account_id=self.account_id,
            content=content,
            sms_type=0,
            international=False,
            approve=False,
            name="T " + content[:10],
        )
        await self._submitted(age_s, "templates", template_id)
        return template_id

    async def _submitted(self, age_s: int, table: str, item_id: int) -> None:
        # Test setup: when the customer submitted it, relative to the API's clock.
        await self.platform.db.execute(
            f"UPDATE {table} SET submitted_at = to_timestamp($2) WHERE id = $1",  # noqa: S608 - fixed names
            item_id,
            float(NOW - age_s),
        )

    async def queue(self, query: str = "") -> list[tuple[str, int]]:
        reply = await self.call("GET", "/admin/v1/review/queue" + query)
        assert reply.status == 200, reply.text
        return [(item["kind"], item["id"]) for item in reply.body["items"]]

    async def history(self, kind: str, item_id: int) -> list[dict[str, Any]]:
        reply = await self.call("GET", f"/admin/v1/review/{kind}/{item_id}")
        assert reply.status == 200, reply.text
        events: list[dict[str, Any]] = reply.body["history"]
        return events


@pytest.fixture
async def env(database_url: str, redis_url: str) -> AsyncIterator[Env]:
    async with running_platform(
        database_url, redis_url, clock=lambda: float(NOW), admin_token=ADMIN_TOKEN
    ) as platform:
        acct = await admin.create_account(platform.db, KEYRING, name="Acme Ltd", kind="organization")
        yield Env(platform, acct.account_id)


def error(reply: Reply, status: int, code: str) -> str:
    """The admin API's error shape: JSON, the right status and code, no internals. Returns the message."""
    assert reply.status == status, reply.text
    assert reply.content_type == "application/json"
    assert "Traceback" not in reply.text and 'File "' not in reply.text
    assert set(reply.body) == {"error"} and reply.body["error"]["code"] == code, reply.text
    message: str = reply.body["error"]["message"]
    assert message
    return message


async def test_every_admin_route_needs_the_bearer_token(env: Env) -> None:
    sign_id = await env.signature("Acme")
    routes = [
        ("GET", "/admin/v1/review/queue"),
        ("GET", f"/admin/v1/review/signature/{sign_id}"),
        ("POST", f"/admin/v1/review/signature/{sign_id}/start"),
        ("POST", f"/admin/v1/review/signature/{sign_id}/approve"),
        ("POST", f"/admin/v1/review/signature/{sign_id}/reject"),
        ("POST", f"/admin/v1/review/signature/{sign_id}/urgent"),
        ("GET", "/admin/v1/documents/1"),
        ("GET", "/admin/v1/words/neutral_sign"),
        ("POST", "/admin/v1/words/neutral_sign"),
        ("GET", "/admin/v1/openapi.yaml"),
        ("GET", "/admin/v1/no/such/route"),  # nothing is revealed without the token
    ]
    refused = [
        {},
        {"Authorization": "Bearer wrong-token"},
        {"Authorization": ADMIN_TOKEN},  # no scheme
        {"Authorization": f"Basic {ADMIN_TOKEN}"},
        {"Authorization": f"Bearer {ADMIN_TOKEN}x"},
        {"Authorization": "Bearer"},
    ]
    for method, path in routes:
        for headers in refused:
            reply = await env.call(method, path, headers=headers, json={"reason": "x", "add": ["y"]})
            error(reply, 401, "AuthFailure.InvalidAuthorization")
    reply = await env.call("GET", "/admin/v1/review/queue", headers={})
    assert reply.status == 401
    # Nothing changed, and the customer-facing routes do not ask for the admin token.
    assert await env.history("signature", sign_id) == []
    assert await env.platform.db.fetchval("SELECT status FROM signatures WHERE id = $1", sign_id) == "pending"
    assert await env.platform.db.fetchval("SELECT count(*) FROM word_lists WHERE word = 'y'") == 0
    async with env.platform.http.get(env.platform.api_url + "/healthz") as resp:
        assert resp.status == 200


async def test_an_empty_configured_token_refuses_everyone(database_url: str, redis_url: str) -> None:
    async with running_platform(database_url, redis_url, admin_token="") as platform:
        for headers in ({}, {"Authorization": "Bearer "}, {"Authorization": "Bearer"}):
            async with platform.http.get(
                platform.api_url + "/admin/v1/review/queue", headers=headers
            ) as resp:
                assert resp.status == 401


async def test_queue_is_urgent_first_then_oldest_with_its_age(env: Env) -> None:
    s_old = await env.signature("Oldest", age_s=3000)
    t_mid = await env.template("Your order {1} has shipped.", age_s=2000)
    s_new = await env.signature("Newest", age_s=100)
    approved = await admin.create_signature(
        env.platform.db, account_id=env.account_id, name="Done", international=False, approve=True
    )

    reply = await env.call("GET", "/admin/v1/review/queue")
    assert reply.status == 200, reply.text
    items = reply.body["items"]
    assert [(i["kind"], i["id"]) for i in items] == [
        ("signature", s_old),
        ("template", t_mid),
        ("signature", s_new),
    ]
    assert [i["age_s"] for i in items] == [3000, 2000, 100]
    assert items[0] | {"submitted_at": None} == {
        "kind": "signature",
        "id": s_old,
        "account_id": env.account_id,
        "account_name": "Acme Ltd",
        "name": "Oldest",
        "content": "Oldest",
        "status": "pending",
        "urgent": False,
        "submitted_at": None,
        "age_s": 3000,
        "urgent_at": None,
        # Submitted at 03:36 on Friday in Shanghai: 2 hours of review hours from the 09:00 opening (S7).
        "expected_review_at": "2026-05-29T11:00:00+08:00",
        "overdue": False,
    }
    assert items[1]["content"] == "Your order {1} has shipped."
    assert ("signature", approved) not in await env.queue()

    assert await env.queue("?kind=signature") == [("signature", s_old), ("signature", s_new)]
    assert await env.queue("?kind=template") == [("template", t_mid)]
    assert await env.queue("?limit=2") == [("signature", s_old), ("template", t_mid)]

    # Marking the newest urgent moves it to the front; its status stays.
    reply = await env.call("POST", f"/admin/v1/review/signature/{s_new}/urgent")
    assert reply.status == 200, reply.text
    assert reply.body == {"kind": "signature", "id": s_new, "action": "mark_urgent", "status": "pending"}
    assert await env.queue() == [("signature", s_new), ("signature", s_old), ("template", t_mid)]
    reply = await env.call("POST", f"/admin/v1/review/template/{t_mid}/urgent")
    assert reply.status == 200
    # Among urgent items the oldest still goes first.
    assert await env.queue() == [("template", t_mid), ("signature", s_new), ("signature", s_old)]

    # Items under review stay in the queue; decided ones leave it.
    assert (await env.call("POST", f"/admin/v1/review/signature/{s_old}/start")).status == 200
    assert ("signature", s_old) in await env.queue()
    assert (await env.call("POST", f"/admin/v1/review/signature/{s_old}/approve")).status == 200
    assert await env.queue() == [("template", t_mid), ("signature", s_new)]


async def test_bad_queue_parameters_are_400(env: Env) -> None:
    for query, code in [
        ("?kind=sms", "InvalidParameterValue"),
        ("?limit=0", "InvalidParameterValue.LimitVerifyFail"),
        ("?limit=501", "InvalidParameterValue.LimitVerifyFail"),
        ("?limit=ten", "InvalidParameterValue.LimitVerifyFail"),
        ("?limit=-1", "InvalidParameterValue.LimitVerifyFail"),
    ]:
        error(await env.call("GET", "/admin/v1/review/queue" + query), 400, code)


async def test_show_then_start_then_approve_records_each_step(env: Env) -> None:
    template_id = await env.template("Code {1}, valid {2} minutes.", age_s=60)
    reply = await env.call("GET", f"/admin/v1/review/template/{template_id}")
    assert reply.status == 200, reply.text
    shown = reply.body
    assert shown["kind"] == "template" and shown["id"] == template_id
    assert shown["content"] == "Code {1}, valid {2} minutes." and shown["sms_type"] == 0
    assert shown["international"] is False and shown["remark"] == "" and shown["name"].startswith("T ")
    assert shown["account_name"] == "Acme Ltd" and shown["account_kind"] == "organization"
    assert shown["status"] == "pending" and shown["history"] == [] and shown["review_reply"] == ""

    reply = await env.call("POST", f"/admin/v1/review/template/{template_id}/start", operator="alice")
    assert reply.body == {
        "kind": "template",
        "id": template_id,
        "action": "start_review",
        "status": "reviewing",
    }
    reply = await env.call("POST", f"/admin/v1/review/template/{template_id}/approve", operator="bob")
    assert reply.body == {"kind": "template", "id": template_id, "action": "approve", "status": "approved"}

    history = await env.history("template", template_id)
    assert [(e["actor"], e["action"], e["from_status"], e["to_status"], e["reason"]) for e in history] == [
        ("operator:alice", "start_review", "pending", "reviewing", ""),
        ("operator:bob", "approve", "reviewing", "approved", ""),
    ]
    assert all(e["at"] for e in history)
    row = await env.platform.db.fetchrow("SELECT status, version FROM templates WHERE id = $1", template_id)
    assert row["status"] == "approved" and row["version"] == 3

    # The default operator name, and a bad one.
    sign_id = await env.signature("Acme")
    assert (await env.call("POST", f"/admin/v1/review/signature/{sign_id}/start")).status == 200
    assert (await env.history("signature", sign_id))[0]["actor"] == "operator:operator"
    for bad in ("two words", "x" * 65):
        reply = await env.call("POST", f"/admin/v1/review/signature/{sign_id}/approve", operator=bad)
        error(reply, 400, "InvalidParameterValue")
    assert len(await env.history("signature", sign_id)) == 1


async def test_a_rejection_needs_a_reason_the_customer_then_reads(env: Env) -> None:
    sign_id = await env.signature("Test")
    path = f"/admin/v1/review/signature/{sign_id}/reject"
    error(await env.call("POST", path), 400, "MissingParameter")
    error(await env.call("POST", path, json={}), 400, "MissingParameter")
    error(await env.call("POST", path, json={"reason": "   "}), 400, "MissingParameter")
    error(await env.call("POST", path, json={"reason": 5}), 400, "InvalidParameter")
    error(await env.call("POST", path, json={"reason": "x" * 501}), 400, "InvalidParameterValue")
    error(await env.call("POST", path, json=["reason"]), 400, "InvalidParameter")
    error(await env.call("POST", path, data=b"{not json"), 400, "FailedOperation.JsonParseFail")
    assert await env.history("signature", sign_id) == []

    reason = "The signature must be your company's name or abbreviation (S4)."
    reply = await env.call("POST", path, json={"reason": reason}, operator="carol")
    assert reply.body == {"kind": "signature", "id": sign_id, "action": "reject", "status": "rejected"}
    [event] = await env.history("signature", sign_id)
    assert (event["actor"], event["action"], event["from_status"], event["to_status"], event["reason"]) == (
        "operator:carol",
        "reject",
        "pending",
        "rejected",
        reason,
    )
    # What the customer's DescribeSmsSignList answers as ReviewReply.
    assert (
        await env.platform.db.fetchval("SELECT review_reply FROM signatures WHERE id = $1", sign_id) == reason
    )
    assert (await env.call("GET", f"/admin/v1/review/signature/{sign_id}")).body["review_reply"] == reason
    assert ("signature", sign_id) not in await env.queue()


async def test_refused_actions_answer_409_and_unknown_items_404(env: Env) -> None:
    sign_id = await env.signature("Acme")
    assert (await env.call("POST", f"/admin/v1/review/signature/{sign_id}/approve")).status == 200

    message = error(
        await env.call("POST", f"/admin/v1/review/signature/{sign_id}/approve"), 409, "FailedOperation"
    )
    assert "approved" in message
    for action in ("start", "urgent"):
        error(
            await env.call("POST", f"/admin/v1/review/signature/{sign_id}/{action}"), 409, "FailedOperation"
        )
    error(
        await env.call("POST", f"/admin/v1/review/signature/{sign_id}/reject", json={"reason": "late"}),
        409,
        "FailedOperation",
    )
    # A review cannot be taken twice.
    template_id = await env.template("Hello {1}")
    assert (await env.call("POST", f"/admin/v1/review/template/{template_id}/start")).status == 200
    error(await env.call("POST", f"/admin/v1/review/template/{template_id}/start"), 409, "FailedOperation")
    # A deleted item is gone for review.
    await env.platform.db.execute("UPDATE templates SET status = 'deleted' WHERE id = $1", template_id)
    error(
        await env.call("POST", f"/admin/v1/review/template/{template_id}/approve"),
        404,
        "FailedOperation.TemplateIdNotExist",
    )
    assert len(await env.history("signature", sign_id)) == 1

    error(await env.call("GET", "/admin/v1/review/signature/999999"), 404, "FailedOperation.SignIdNotExist")
    error(
        await env.call("POST", "/admin/v1/review/template/999999/approve"),
        404,
        "FailedOperation.TemplateIdNotExist",
    )
    error(await env.call("GET", "/admin/v1/review/message/1"), 404, "ResourceNotFound")
    for bad_id in ("abc", "0", "-1", "99999999999999999999", "١٢"):
        error(await env.call("GET", f"/admin/v1/review/signature/{bad_id}"), 400, "InvalidParameterValue")
    error(await env.call("GET", "/admin/v1/no/such/route"), 404, "ResourceNotFound")
    error(await env.call("DELETE", f"/admin/v1/review/signature/{sign_id}"), 405, "UnsupportedOperation")


async def test_concurrent_approve_and_reject_one_wins_and_history_has_one_decision(env: Env) -> None:
    for round_no in range(6):
        sign_id = await env.signature(f"Race{round_no}")
        if round_no % 2:
            assert (await env.call("POST", f"/admin/v1/review/signature/{sign_id}/start")).status == 200
        approve, reject = await asyncio.gather(
            env.call("POST", f"/admin/v1/review/signature/{sign_id}/approve", operator="a"),
            env.call(
                "POST", f"/admin/v1/review/signature/{sign_id}/reject", json={"reason": "no"}, operator="b"
            ),
        )
        assert sorted([approve.status, reject.status]) == [200, 409], (approve.text, reject.text)
        loser = approve if approve.status == 409 else reject
        error(loser, 409, "FailedOperation")
        winner = "approved" if approve.status == 200 else "rejected"
        decisions = [
            e for e in await env.history("signature", sign_id) if e["action"] in ("approve", "reject")
        ]
        assert [e["to_status"] for e in decisions] == [winner]
        row = await env.platform.db.fetchrow(
            "SELECT status, review_reply FROM signatures WHERE id = $1", sign_id
        )
        assert row["status"] == winner
        assert row["review_reply"] == ("no" if winner == "rejected" else "")


async def test_documents_are_listed_with_the_signature_and_served_raw(env: Env) -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    db = env.platform.db
    proof = await db.fetchval(
        "INSERT INTO documents (account_id, content_type, sha256, data) VALUES ($1, 'image/png', 'x', $2)"
        " RETURNING id",
        env.account_id,
        png,
    )
    odd = await db.fetchval(
        "INSERT INTO documents (account_id, content_type, sha256, data) VALUES ($1, 'text/html; x', 'y', $2)"
        " RETURNING id",
        env.account_id,
        b"<script>alert(1)</script>",
    )
    sign_id = await env.signature("Acme")
    await db.execute(
        "UPDATE signatures SET proof_document_id = $2, commission_document_id = $3, sign_type = 1,"
        " document_type = 2, sign_purpose = 1, remark = 'our shop', qualification_id = 7 WHERE id = $1",
        sign_id,
        proof,
        odd,
    )
    shown = (await env.call("GET", f"/admin/v1/review/signature/{sign_id}")).body
    assert {k: shown[k] for k in ("name", "sign_type", "document_type", "sign_purpose", "remark")} == {
        "name": "Acme",
        "sign_type": 1,
        "document_type": 2,
        "sign_purpose": 1,
        "remark": "our shop",
    }
    assert shown["international"] is False and shown["qualification_id"] == 7
    assert shown["documents"] == [
        {"id": proof, "role": "proof", "content_type": "image/png", "size": len(png)},
        {"id": odd, "role": "commission", "content_type": "text/html; x", "size": 25},
    ]

    reply = await env.call("GET", f"/admin/v1/documents/{proof}")
    assert reply.status == 200 and reply.content_type == "image/png" and reply.body == png
    async with env.platform.http.get(
        env.platform.api_url + f"/admin/v1/documents/{odd}", headers=AUTH
    ) as resp:
        # Not a plain media type: served as opaque bytes, never sniffed, sandboxed.
        assert resp.content_type == "application/octet-stream"
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in resp.headers["Content-Security-Policy"]
    error(await env.call("GET", "/admin/v1/documents/999999"), 404, "ResourceNotFound")


async def test_word_lists_round_trip(env: Env) -> None:
    reply = await env.call("GET", "/admin/v1/words/neutral_sign")
    assert reply.status == 200 and reply.body["list"] == "neutral_sign"
    before = reply.body["words"]
    assert "test" in before and before == sorted(before)

    reply = await env.call(
        "POST", "/admin/v1/words/neutral_sign", json={"add": ["  Example Co ", "TEST", "新词"]}
    )
    assert reply.status == 200, reply.text
    assert reply.body["added"] == ["example co", "新词"] and reply.body["removed"] == []
    after = (await env.call("GET", "/admin/v1/words/neutral_sign")).body["words"]
    assert set(after) == set(before) | {"example co", "新词"}
    assert reply.body["words"] == after

    reply = await env.call("POST", "/admin/v1/words/neutral_sign", json={"remove": ["EXAMPLE CO", "absent"]})
    assert reply.body["removed"] == ["example co"]
    reply = await env.call(
        "POST", "/admin/v1/words/neutral_sign", json={"add": ["Fresh"], "remove": ["新词"]}
    )
    assert reply.body["added"] == ["fresh"] and reply.body["removed"] == ["新词"]
    assert set(reply.body["words"]) == set(before) | {"fresh"}
    # The other list is untouched.
    assert "fresh" not in (await env.call("GET", "/admin/v1/words/banned_template")).body["words"]

    path = "/admin/v1/words/neutral_sign"
    for body, code in [
        ({}, "MissingParameter"),
        ({"add": []}, "MissingParameter"),
        ({"add": ["  "]}, "InvalidParameterValue"),
        ({"add": ["x" * 101]}, "InvalidParameterValue"),
        ({"add": "word"}, "InvalidParameter"),
        ({"add": [1]}, "InvalidParameter"),
        ({"add": ["a"], "remove": ["A "]}, "InvalidParameterValue"),
        ({"add": ["a"], "replace": ["b"]}, "InvalidParameter"),
        ({"add": ["w"] * 1001}, "InvalidParameterValue"),
    ]:
        error(await env.call("POST", path, json=body), 400, code)
    error(await env.call("GET", "/admin/v1/words/other"), 404, "ResourceNotFound")
    error(await env.call("POST", "/admin/v1/words/other", json={"add": ["a"]}), 404, "ResourceNotFound")
    assert (await env.call("GET", path)).body["words"] == reply.body["words"]


async def test_an_internal_failure_is_a_json_500_without_internals(env: Env) -> None:
    await env.platform.db.execute("ALTER TABLE word_lists RENAME TO word_lists_gone")
    error(await env.call("GET", "/admin/v1/words/neutral_sign"), 500, "InternalError")


def served_routes() -> set[tuple[str, str]]:
    """(method, path template) of every admin route the app actually serves."""
    app = create_app(Settings(database_url="postgresql://unused", redis_url="redis://unused"))
    routes: set[tuple[str, str]] = set()
    for resource in app.router.resources():
        if isinstance(resource, web.PrefixedSubAppResource):  # mounted routes carry their full path
            for route in resource._app.router.routes():
                if route.method != "HEAD" and route.resource is not None:
                    routes.add((route.method.lower(), route.resource.canonical))
    return routes


def documented_routes(text: str) -> set[tuple[str, str]]:
    try:
        import yaml  # type: ignore[import-untyped]
    except ImportError:
        # No YAML parser installed: read the paths block by its indentation (two spaces a path, four a method).
        routes: set[tuple[str, str]] = set()
        path = ""
        in_paths = False
        for line in text.splitlines():
            if re.fullmatch(r"\S.*:", line):
                in_paths = line == "paths:"
            elif in_paths and (m := re.fullmatch(r"  (/\S+):", line)):
                path = m.group(1)
            elif in_paths and (m := re.fullmatch(r"    (get|post|put|patch|delete):", line)):
                routes.add((m.group(1), path))
        return routes
    doc = yaml.safe_load(text)
    assert doc["openapi"].startswith("3.1")
    assert doc["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": doc["components"]["securitySchemes"]["bearerAuth"]["description"],
    }
    return {
        (method, path)
        for path, item in doc["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    }


async def test_the_openapi_document_is_served_and_lists_every_route(env: Env) -> None:
    reply = await env.call("GET", "/admin/v1/openapi.yaml")
    assert reply.status == 200 and reply.content_type == "application/yaml"
    text = reply.text
    assert text.startswith("openapi: 3.1.0")
    for needle in ("securitySchemes:", "bearerAuth:", "scheme: bearer", "security:", "X-Operator"):
        assert needle in text
    served = served_routes()
    # review, documents, words, openapi; apps: policy, allowlist, enable/disable, callbacks; blocklist; messages;
    # unknown outcomes; stats; prices, recharge, statement; keys and their application
    assert len(served) == 39
    assert documented_routes(text) == served
    for schema in ("QueueItem", "SignatureDetail", "TemplateDetail", "Event", "Error", "WordList"):
        assert f"\n    {schema}:\n" in text
