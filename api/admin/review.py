"""The review queue: what waits for an operator, each item with its documents and history, and the review
decisions (start, approve, reject, mark urgent) on signatures and templates."""

from __future__ import annotations

import re

from aiohttp import web

from api.admin.common import (
    NOT_FOUND,
    AdminError,
    Handler,
    json_response,
    operator,
    page_limit,
    positive_id,
    read_body,
    read_reason,
    state_of,
)
from core.domain.errors import Code, Rejection
from core.domain.review import Action, Kind
from core.services import review as reviews

ACTIONS = {
    "start": Action.START_REVIEW,
    "approve": Action.APPROVE,
    "reject": Action.REJECT,
    "urgent": Action.MARK_URGENT,
}
_MIME = re.compile(r"[A-Za-z0-9][\w.+-]*/[\w.+-]+")


def _kind(raw: str) -> Kind:
    try:
        return Kind(raw)
    except ValueError:
        raise AdminError(404, NOT_FOUND, f"Unknown kind {raw!r}; use signature or template.") from None


async def review_queue(request: web.Request) -> web.Response:
    kind_raw = request.query.get("kind", "")
    try:
        kind = Kind(kind_raw) if kind_raw else None
    except ValueError:
        raise AdminError(
            400, Code.INVALID_PARAMETER_VALUE.value, "`kind` must be signature or template."
        ) from None
    limit = page_limit(request.query.get("limit", ""))
    items = await reviews.queue(state_of(request).platform, kind=kind, limit=limit)
    return json_response({"items": [item.to_json() for item in items]})


async def review_item(request: web.Request) -> web.Response:
    kind = _kind(request.match_info["kind"])
    item_id = positive_id(request.match_info["id"])
    item = await reviews.item(state_of(request).platform, kind, item_id)
    if isinstance(item, Rejection):
        raise AdminError.of(item)
    return json_response(item.to_json())


def review_action(name: str) -> Handler:
    """The handler of one review decision, named in ACTIONS."""
    action = ACTIONS[name]

    async def handle(request: web.Request) -> web.Response:
        kind = _kind(request.match_info["kind"])
        item_id = positive_id(request.match_info["id"])
        actor = operator(request)
        reason = read_reason(await read_body(request), required=action is Action.REJECT)
        outcome = await reviews.decide(
            state_of(request).platform, kind, item_id, action, actor=actor, reason=reason
        )
        if isinstance(outcome, Rejection):
            raise AdminError.of(outcome)
        return json_response(
            {"kind": kind.value, "id": item_id, "action": action.value, "status": outcome.to_status}
        )

    handle.__name__ = f"review_{name}"
    return handle


async def document(request: web.Request) -> web.Response:
    doc_id = positive_id(request.match_info["id"])
    found = await reviews.document(state_of(request).platform, doc_id)
    if found is None:
        raise AdminError(404, NOT_FOUND, f"Document {doc_id} does not exist.")
    content_type, data = found
    return web.Response(
        body=data,
        headers={
            # Customer uploads: served as what they claim to be only if that is a plain media type, never
            # sniffed, and sandboxed should a browser ever render one.
            "Content-Type": content_type if _MIME.fullmatch(content_type) else "application/octet-stream",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )
