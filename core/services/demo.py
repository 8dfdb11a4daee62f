"""The demo tenant `smsctl up` seeds on a development stack: an organization with an application, an approved
signature and template, and the README's example number on its allowlist (L2), so a newcomer can send to it
again and again."""

from __future__ import annotations

from typing import Any

from core.services.platform import Platform
from core.store import admin, policy
from core.store.intake import load_api_key

DEMO_SIGN = "SMSDemo"
DEMO_TEST_NUMBER = "+8613800138000"
DEMO_TEMPLATE = "Your verification code is {1}. It expires in {2} minutes."


async def demo_tenant(platform: Platform, previous: dict[str, Any] | None) -> dict[str, Any]:
    """The tenant `previous` describes while its key still exists; otherwise a new one, created atomically.
    The answer holds its secrets: the caller keeps it where only the operator reads it."""
    if (
        previous
        and await load_api_key(platform.db, platform.keyring, str(previous.get("secret_id", ""))) is not None
    ):
        return previous
    async with platform.db.acquire() as conn, conn.transaction():
        acct = await admin.create_account(
            conn, platform.keyring, name="Demo Org", kind="organization", balance_minor=100_000
        )
        app = await admin.create_app(conn, platform.keyring, account_id=acct.account_id, name="Demo App")
        await admin.create_signature(
            conn, account_id=acct.account_id, name=DEMO_SIGN, international=False, approve=True
        )
        await policy.add_allowlist(conn, app.sdk_app_id, [DEMO_TEST_NUMBER], "demo test number", "smsctl up")
        template_id = await admin.create_template(
            conn, account_id=acct.account_id, content=DEMO_TEMPLATE, sms_type=0, international=False,
            approve=True, name="Demo verification code",
        )  # fmt: skip
    return {
        "account_id": acct.account_id,
        "secret_id": acct.secret_id,
        "secret_key": acct.secret_key,
        "sdk_app_id": app.sdk_app_id,
        "app_key": app.app_key,
        "sign_name": DEMO_SIGN,
        "template_id": str(template_id),
    }
