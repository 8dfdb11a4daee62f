"""What the legacy v5 dialect reads: an application by its sdkappid, with its AppKey (v5 signs with it; there
is no SecretId) and, for sends, the rest of the send context in the same query."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg

from core.domain.sending import Account, Template
from core.store.intake import ApiKey, SendContext, context_from_row


@dataclass(frozen=True)
class LegacyApp:
    sdk_app_id: str
    app_key: str
    # The send context as the shared send path wants it; the account is the application's owner.
    context: SendContext
    # The account's approved templates, when asked for (plain-text sends are matched against them).
    templates: tuple[Template, ...] = ()


_LOAD = """
SELECT app.sdk_app_id, app.app_key, app.status AS app_status,
       a.id AS account_id, a.kind, a.status AS account_status,
       app.limit_same_content_30s, app.limit_one_hour, app.limit_daily, app.limit_same_content_daily,
       app.cap_daily, app.cap_daily_mainland, app.cap_daily_international, app.intl_countries,
       app.usual_daily_volume,
       ARRAY(SELECT phone FROM app_allowlist l WHERE l.sdk_app_id = app.sdk_app_id) AS allowlist,
       ARRAY(SELECT phone FROM blocklist b WHERE b.account_id = app.account_id AND b.phone = ANY($4::text[])
             AND b.status <> 'lifted') AS blocked,
       s.name AS sign_name, s.international AS sign_international, s.status AS sign_status,
       t.id AS template_id, t.content, t.sms_type, t.international AS template_international,
       t.status AS template_status,
       CASE WHEN $6 THEN (
           SELECT COALESCE(json_agg(json_build_object('id', id, 'content', content, 'sms_type', sms_type,
                                                      'international', international) ORDER BY id), '[]')
           FROM templates WHERE account_id = app.account_id AND status = 'approved'
       ) END AS templates
FROM apps app
JOIN accounts a ON a.id = app.account_id
LEFT JOIN LATERAL (
    SELECT name, international, status FROM signatures
    WHERE account_id = app.account_id AND status <> 'deleted'
      AND (name = $2 OR ($2 = '' AND $5 AND status = 'approved' AND NOT international))
    ORDER BY status = 'approved' DESC, id DESC LIMIT 1
) s ON true
LEFT JOIN templates t ON t.id = $3 AND t.account_id = app.account_id AND t.status <> 'deleted'
WHERE app.sdk_app_id = $1
"""


async def load_legacy_app(
    conn: asyncpg.Connection | asyncpg.Pool,
    sdk_app_id: str,
    *,
    sign_name: str = "",
    template_id: int = -1,
    phones: Sequence[str] = (),
    default_sign: bool = False,
    with_templates: bool = False,
) -> LegacyApp | None:
    """The application and its AppKey, None when the sdkappid is unknown. `default_sign`: with no sign name,
    take the account's newest approved mainland signature (v5 sends may leave `sign` empty)."""
    row = await conn.fetchrow(
        _LOAD, sdk_app_id, sign_name, template_id, list(phones), default_sign, with_templates
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
    return LegacyApp(row["sdk_app_id"], row["app_key"], context, templates)
