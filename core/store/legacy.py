"""What the legacy v5 dialect reads: an application by its sdkappid, with its AppKey (v5 signs with it; there
is no SecretId) and, for sends, the rest of the send context in the same query."""

from __future__ import annotations

import json
from collections.abc import Sequence

import asyncpg

from core.domain.sending import Account, ApiKey, AppContext, Template
from core.infra.crypto import Keyring
from core.store import queries
from core.store.intake import context_from_row
from core.store.keys import open_app_key


async def load_legacy_app(
    conn: asyncpg.Connection | asyncpg.Pool,
    keyring: Keyring,
    sdk_app_id: str,
    *,
    sign_name: str = "",
    template_id: int = -1,
    phones: Sequence[str] = (),
    default_sign: bool = False,
    with_templates: bool = False,
) -> AppContext | None:
    """The application and its AppKey (opened, to check the request's sig), None when the sdkappid is unknown. `default_sign`: with no sign name,
    take the account's newest approved mainland signature (v5 sends may leave `sign` empty)."""
    row = await queries.fetchrow(
        conn,
        "load_legacy_app",
        sdk_app_id=sdk_app_id,
        sign_name=sign_name,
        template_id=template_id,
        phones=list(phones),
        default_sign=default_sign,
        with_templates=with_templates,
    )
    if row is None:
        return None
    account = Account(row["account_id"], row["kind"], row["account_status"])
    # v5 has no API key: the AppKey signed the request.
    context = context_from_row(row, ApiKey("", "", True, account))
    templates = tuple(
        Template(t["id"], t["content"], t["sms_type"], t["international"], "approved")
        for t in json.loads(row["templates"] or "[]")
    )
    app_key = open_app_key(keyring, row["sdk_app_id"], row["app_key_sealed"])
    return AppContext(row["sdk_app_id"], app_key, context, templates)
