"""The pre-check word lists the review uses: read one, add and remove words."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

from api.admin.common import (
    NOT_FOUND,
    AdminError,
    json_response,
    read_body,
    reject_unknown,
    state_of,
)
from core.domain.errors import Code
from core.services import review as reviews
from core.services.review import BadInput, check_list_name, normalize_words

MAX_WORDS_PER_REQUEST = 1000


def _list_name(raw: str) -> str:
    try:
        return check_list_name(raw)
    except BadInput as exc:
        raise AdminError(404, NOT_FOUND, str(exc)) from None


async def words_get(request: web.Request) -> web.Response:
    name = _list_name(request.match_info["list"])
    return json_response({"list": name, "words": await reviews.words(state_of(request).platform, name)})


def _words_field(body: Mapping[str, Any], key: str) -> list[str]:
    value = body.get(key, [])
    if not isinstance(value, list) or not all(isinstance(w, str) for w in value):
        raise AdminError(400, Code.INVALID_PARAMETER.value, f"`{key}` must be a list of strings.")
    if len(value) > MAX_WORDS_PER_REQUEST:
        raise AdminError(
            400, Code.INVALID_PARAMETER_VALUE.value, f"`{key}` has more than {MAX_WORDS_PER_REQUEST} words."
        )
    try:
        return normalize_words(value)
    except BadInput as exc:
        raise AdminError(400, Code.INVALID_PARAMETER_VALUE.value, f"`{key}`: {exc}") from None


async def words_edit(request: web.Request) -> web.Response:
    name = _list_name(request.match_info["list"])
    body = await read_body(request)
    reject_unknown(body, {"add", "remove"})
    add, remove = _words_field(body, "add"), _words_field(body, "remove")
    if not add and not remove:
        raise AdminError(400, Code.MISSING_PARAMETER.value, "Give words to `add` or `remove`.")
    both = set(add) & set(remove)
    if both:
        raise AdminError(
            400,
            Code.INVALID_PARAMETER_VALUE.value,
            f"Words both added and removed: {', '.join(sorted(both))}.",
        )
    edit = await reviews.edit_words(state_of(request).platform, name, add=add, remove=remove)
    return json_response({"list": name, "added": edit.added, "removed": edit.removed, "words": edit.words})
