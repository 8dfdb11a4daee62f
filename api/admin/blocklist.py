"""An account's unsubscription blocklist (B1): the entries, the customer's request to lift one, and the
operator's approval."""

from __future__ import annotations

from aiohttp import web

from api.admin.common import (
    AdminError,
    json_response,
    operator,
    phone_number,
    positive_id,
    read_body,
    read_reason,
    state_of,
)
from core.domain.errors import Code
from core.services import blocklist


async def blocklist_get(request: web.Request) -> web.Response:
    account_id = positive_id(request.match_info["account_id"], "account id")
    entries = await blocklist.entries(state_of(request).platform, account_id)
    return json_response({"account_id": account_id, "entries": [e.to_json() for e in entries]})


async def blocklist_lift_request(request: web.Request) -> web.Response:
    """The customer's application to lift an unsubscription (B1), recorded with who and why."""
    account_id = positive_id(request.match_info["account_id"], "account id")
    phone = phone_number(request.match_info["phone"])
    body = await read_body(request)
    reason = read_reason(body, required=True)
    by = str(body.get("requested_by") or f"account:{account_id}")[:100]
    status = await blocklist.request_lift(state_of(request).platform, account_id, phone, reason=reason, by=by)
    if status is None:
        raise AdminError(409, Code.FAILED_OPERATION.value, "No active unsubscription of this number to lift.")
    return json_response({"account_id": account_id, "phone": phone, "status": status})


async def blocklist_lift(request: web.Request) -> web.Response:
    """An operator approves the lift; it takes effect at once."""
    account_id = positive_id(request.match_info["account_id"], "account id")
    phone = phone_number(request.match_info["phone"])
    status = await blocklist.approve_lift(state_of(request).platform, account_id, phone, by=operator(request))
    if status is None:
        raise AdminError(409, Code.FAILED_OPERATION.value, "No lift request for this number is waiting.")
    return json_response({"account_id": account_id, "phone": phone, "status": status})
