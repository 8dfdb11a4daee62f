"""An application's allowlist (L2): numbers its frequency limits do not apply to."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from api.admin.common import (
    NOT_FOUND,
    AdminError,
    json_response,
    operator,
    read_body,
    reject_unknown,
    state_of,
)
from core.domain.errors import Code
from core.domain.phone import normalize_phones
from core.services import policy
from core.services.policy import MAX_ALLOWLIST, AllowEntry, AllowlistFull, AppNotFound

MAX_PHONES_PER_REQUEST = 1000
MAX_NOTE_CHARS = 200


async def _app_id(request: web.Request) -> str:
    """The path's SDK AppID, answered 404 unless the application exists."""
    sdk_app_id = request.match_info["sdk_app_id"]
    if not await policy.app_exists(state_of(request).platform, sdk_app_id):
        raise AdminError(404, NOT_FOUND, str(AppNotFound(sdk_app_id)))
    return sdk_app_id


def _phones(body: Mapping[str, Any], allowed: set[str]) -> list[str]:
    """`phones` normalized to E.164 (rule D1); any invalid one refuses the whole request."""
    reject_unknown(body, allowed)
    given = body.get("phones")
    if given is None or given == []:
        raise AdminError(400, Code.MISSING_PARAMETER.value, "Give the numbers in `phones`.")
    if not isinstance(given, list) or not all(isinstance(p, str) for p in given):
        raise AdminError(400, Code.INVALID_PARAMETER.value, "`phones` must be a list of strings.")
    if len(given) > MAX_PHONES_PER_REQUEST:
        raise AdminError(
            400,
            Code.INVALID_PARAMETER_VALUE.value,
            f"`phones` has more than {MAX_PHONES_PER_REQUEST} numbers.",
        )
    phones, invalid = normalize_phones(given)
    if invalid:
        raise AdminError(
            400,
            Code.INCORRECT_PHONE.value,
            f"Invalid phone numbers (nothing was changed): {json.dumps(invalid, ensure_ascii=False)}.",
        )
    return phones


def _allowlist(sdk_app_id: str, entries: list[AllowEntry], **extra: Any) -> web.Response:
    return json_response(
        {
            "sdk_app_id": sdk_app_id,
            **extra,
            "limit": MAX_ALLOWLIST,
            "allowlist": [e.to_json() for e in entries],
        }
    )


async def allowlist_get(request: web.Request) -> web.Response:
    sdk_app_id = request.match_info["sdk_app_id"]
    try:
        entries = await policy.allowlist(state_of(request).platform, sdk_app_id)
    except AppNotFound as exc:
        raise AdminError(404, NOT_FOUND, str(exc)) from None
    return _allowlist(sdk_app_id, entries)


async def allowlist_add(request: web.Request) -> web.Response:
    sdk_app_id = await _app_id(request)
    body = await read_body(request)
    phones = _phones(body, {"phones", "note"})
    note = body.get("note", "")
    if not isinstance(note, str):
        raise AdminError(400, Code.INVALID_PARAMETER.value, "`note` must be a string.")
    note = note.strip()
    if len(note) > MAX_NOTE_CHARS:
        raise AdminError(
            400, Code.INVALID_PARAMETER_VALUE.value, f"`note` is at most {MAX_NOTE_CHARS} characters."
        )
    actor = operator(request)
    try:
        edit = await policy.edit_allowlist(
            state_of(request).platform, sdk_app_id, add=phones, note=note, actor=actor
        )
    except AllowlistFull as exc:
        raise AdminError(409, exc.code, str(exc)) from None
    except AppNotFound as exc:
        raise AdminError(404, NOT_FOUND, str(exc)) from None
    return _allowlist(sdk_app_id, edit.entries, added=edit.added)


async def allowlist_remove(request: web.Request) -> web.Response:
    sdk_app_id = await _app_id(request)
    phones = _phones(await read_body(request), {"phones"})
    try:
        edit = await policy.edit_allowlist(
            state_of(request).platform, sdk_app_id, remove=phones, actor=operator(request)
        )
    except AppNotFound as exc:
        raise AdminError(404, NOT_FOUND, str(exc)) from None
    return _allowlist(sdk_app_id, edit.entries, removed=edit.removed)
