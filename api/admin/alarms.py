"""An account's alarm contacts (L4): who it alerts when its applications look like they are being used to
bomb numbers."""

from __future__ import annotations

from aiohttp import web

from api.admin.common import (
    NOT_FOUND,
    AdminError,
    json_response,
    phone_number,
    positive_id,
    read_body,
    request_endpoints,
    state_of,
)
from core.domain.errors import Code
from core.services import accounts


async def alarm_put(request: web.Request) -> web.Response:
    """L4: who an account alerts when its applications look like they are being used to bomb numbers."""
    account_id = positive_id(request.match_info["account_id"], "account id")
    body = await read_body(request)
    raw_phones = body.get("phones", [])
    webhook = body.get("webhook", "")
    if not isinstance(raw_phones, list) or len(raw_phones) > 10 or not isinstance(webhook, str):
        raise AdminError(
            400, Code.INVALID_PARAMETER.value, "`phones` (at most 10) and `webhook` (a URL or '')."
        )
    phones = [phone_number(str(p)) for p in raw_phones]
    hosts, ports = request_endpoints(request)
    try:
        found = await accounts.set_alarm_recipients(
            state_of(request).platform, account_id, phones, webhook, also_hosts=hosts, also_ports=ports
        )
    except accounts.InvalidWebhookUrl as exc:
        raise AdminError(400, Code.INVALID_PARAMETER_VALUE.value, f"`webhook`: {exc}") from None
    if not found:
        raise AdminError(404, NOT_FOUND, f"Account {account_id} does not exist.")
    return json_response({"account_id": account_id, "phones": phones, "webhook": webhook})
