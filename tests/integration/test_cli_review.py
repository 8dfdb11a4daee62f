"""smsctl review / smsctl words as an operator runs them: a real process against the configured database, JSON
out, a refused action reported on stderr with its code and exit status 1, never a traceback."""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime, timedelta

from core.infra.settings import environment_with
from tests.integration.test_cli import smsctl


async def test_review_queue_approve_reject_and_a_refusal(database_url: str) -> None:
    code, account, _ = await smsctl(
        database_url, "account", "create", "--name", "Acme", "--kind", "organization"
    )
    acct = str(account["account_id"])
    code, sign, _ = await smsctl(database_url, "sign", "create", "--account", acct, "--name", "Acme")
    code, template, _ = await smsctl(
        database_url, "template", "create", "--account", acct, "--content", "Order {1} shipped"
    )
    sign_id, template_id = str(sign["sign_id"]), str(template["template_id"])

    code, queue, _ = await smsctl(database_url, "review", "queue")
    assert code == 0
    assert [(i["kind"], i["id"]) for i in queue] == [
        ("signature", sign["sign_id"]),
        ("template", int(template_id)),
    ]
    assert queue[0]["account_name"] == "Acme" and queue[0]["age_s"] >= 0
    # Each with when it is expected to be reviewed (S7), in the platform's zone, at least 2 hours ahead.
    submitted = datetime.fromisoformat(queue[0]["submitted_at"])
    due = datetime.fromisoformat(queue[0]["expected_review_at"])
    assert due.utcoffset() == timedelta(hours=8) and due - submitted >= timedelta(hours=2)
    assert queue[0]["overdue"] is False and queue[0]["urgent_at"] is None
    template_due = datetime.fromisoformat(queue[1]["expected_review_at"])
    code, only_templates, _ = await smsctl(
        database_url, "review", "queue", "--kind", "template", "--limit", "5"
    )
    assert code == 0 and [i["id"] for i in only_templates] == [int(template_id)]

    code, urgent, _ = await smsctl(database_url, "review", "urgent", "template", template_id)
    assert code == 0 and urgent["status"] == "pending"
    code, queue, _ = await smsctl(database_url, "review", "queue")
    assert [i["kind"] for i in queue] == ["template", "signature"]
    # Urgent: due within 30 minutes of review hours of being marked, never later than before.
    urgent_at = datetime.fromisoformat(queue[0]["urgent_at"])
    urgent_due = datetime.fromisoformat(queue[0]["expected_review_at"])
    assert urgent_at <= urgent_due <= template_due

    code, started, _ = await smsctl(
        database_url, "review", "start", "signature", sign_id, "--operator", "alice"
    )
    assert code == 0 and started == {
        "kind": "signature",
        "id": int(sign_id),
        "action": "start_review",
        "status": "reviewing",
    }
    code, approved, _ = await smsctl(
        database_url, "review", "approve", "signature", sign_id, "--operator", "alice"
    )
    assert code == 0 and approved["status"] == "approved"

    code, _, err = await smsctl(database_url, "review", "reject", "template", template_id)
    assert code != 0 and "--reason" in err
    code, rejected, _ = await smsctl(
        database_url, "review", "reject", "template", template_id, "--reason", "Say what the {1} is."
    )
    assert code == 0 and rejected["status"] == "rejected"

    code, shown, _ = await smsctl(database_url, "review", "show", "template", template_id)
    assert code == 0 and shown["status"] == "rejected" and shown["review_reply"] == "Say what the {1} is."
    assert [(e["actor"], e["action"], e["to_status"], e["reason"]) for e in shown["history"]] == [
        ("operator:operator", "mark_urgent", "pending", ""),
        ("operator:operator", "reject", "rejected", "Say what the {1} is."),
    ]
    code, shown, _ = await smsctl(database_url, "review", "show", "signature", sign_id)
    assert [e["actor"] for e in shown["history"]] == ["operator:alice", "operator:alice"]

    # Refusals: the code and message on stderr, exit status 1.
    code, out, err = await smsctl(database_url, "review", "approve", "signature", sign_id)
    assert code == 1 and out is None
    assert (
        "FailedOperation: A signature that is approved cannot be approved." in err and "Traceback" not in err
    )
    code, _, err = await smsctl(database_url, "review", "approve", "template", "999999")
    assert code == 1 and "FailedOperation.TemplateIdNotExist" in err and "Traceback" not in err
    code, _, err = await smsctl(database_url, "review", "show", "signature", "999999")
    assert code == 1 and "FailedOperation.SignIdNotExist" in err
    code, _, err = await smsctl(database_url, "review", "approve", "message", "1")
    assert code == 2 and "Traceback" not in err

    code, queue, _ = await smsctl(database_url, "review", "queue")
    assert code == 0 and queue == []


async def test_words_list_add_remove(database_url: str) -> None:
    code, listed, _ = await smsctl(database_url, "words", "list", "banned_template")
    assert code == 0 and listed["list"] == "banned_template" and "loan" in listed["words"]

    code, added, _ = await smsctl(database_url, "words", "add", "banned_template", " Crypto Tips ", "loan")
    assert code == 0 and added == {"list": "banned_template", "added": ["crypto tips"]}
    code, listed, _ = await smsctl(database_url, "words", "list", "banned_template")
    assert "crypto tips" in listed["words"]

    code, removed, _ = await smsctl(database_url, "words", "remove", "banned_template", "CRYPTO TIPS", "nope")
    assert code == 0 and removed == {"list": "banned_template", "removed": ["crypto tips"]}
    code, listed, _ = await smsctl(database_url, "words", "list", "banned_template")
    assert "crypto tips" not in listed["words"]

    code, _, err = await smsctl(database_url, "words", "add", "banned_template", "  ")
    assert code == 2 and "cannot be empty" in err and "Traceback" not in err
    code, _, err = await smsctl(database_url, "words", "add", "other_list", "x")
    assert code == 2 and "Traceback" not in err


async def test_a_bad_review_hours_setting_is_one_line_not_a_traceback(database_url: str) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "cli", "review", "queue",
        env=environment_with(DATABASE_URL=database_url, SMS_REVIEW_HOLIDAYS="2026-10-07..2026-10-01"),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await proc.communicate()
    assert proc.returncode == 1 and out == b""
    assert b"SMS_REVIEW_* settings" in err and b"Traceback" not in err
