"""UCloud USMS on the wire (spec B1, B3): a form of flattened parameters (`Name.0`, `Name.Key`, `Name.N.Key`;
booleans `true`/`false`), read once; every answer HTTP 200 JSON `{"RetCode", "Action": "<Action>Response",
"Message", ...}` with RetCode always an integer (the SDK raises RetCodeException when it is missing)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from api.context import ApiState
from core.domain.sending import ApiKey

CONTENT_TYPE = "application/json"
REQUEST_UUID_HEADER = "X-UCLOUD-REQUEST-UUID"
MAX_INDEX = 10_000  # a list holds at most a few thousand items (an index of more digits is refused)

Result = tuple[dict[str, Any], dict[str, Any]]


class UError(Exception):
    """An answer other than RetCode 0."""

    def __init__(self, ret_code: int, message: str) -> None:
        super().__init__(f"{ret_code}: {message}")
        self.ret_code = ret_code
        self.message = message


MISSING, FORMAT, INVALID = 18001, 18002, 18003  # spec B6


def answer(request_id: str, action: str, fields: Mapping[str, Any]) -> web.Response:
    return _json(request_id, {"RetCode": 0, "Action": f"{action}Response", "Message": "", **fields})


def refusal(request_id: str, action: str, error: UError) -> web.Response:
    name = f"{action}Response" if action else ""
    return _json(request_id, {"RetCode": error.ret_code, "Action": name, "Message": error.message})


def _json(request_id: str, body: Mapping[str, Any]) -> web.Response:
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return web.Response(
        body=text.encode("utf-8"),
        headers={"Content-Type": CONTENT_TYPE, REQUEST_UUID_HEADER: request_id},
    )


def new_request_id() -> str:
    return str(uuid.uuid4())


class Params:
    """A request's form parameters by their flattened names."""

    def __init__(self, values: Mapping[str, str]) -> None:
        self.values = dict(values)

    def text(self, name: str, *, required: bool = True, default: str = "", max_len: int = 0) -> str:
        value = self.values.get(name)
        if value is None or (required and value == ""):
            if required:
                raise UError(MISSING, f"Missing parameter: {name}")
            return default
        if max_len and len(value) > max_len:
            raise UError(INVALID, f"{name} is longer than {max_len} characters")
        return value

    def integer(
        self, name: str, *, required: bool = True, default: int = 0, low: int = 0, high: int = 2**31 - 1
    ) -> int:
        text = self.text(name, required=required)
        if text == "":
            return default
        digits = text[1:] if text.startswith("-") else text
        if not (digits.isascii() and digits.isdigit() and len(digits) <= 18):
            raise UError(FORMAT, f"{name} must be an integer")
        value = int(text)
        if not low <= value <= high:
            raise UError(INVALID, f"{name} must be between {low} and {high}")
        return value

    def boolean(self, name: str, *, default: bool = False) -> bool:
        text = self.text(name, required=False).strip().lower()
        if text == "":
            return default
        if text not in ("true", "false"):
            raise UError(FORMAT, f"{name} must be true or false")
        return text == "true"

    def text_list(self, name: str, *, required: bool = True, max_items: int = 0) -> list[str]:
        """`Name.0`, `Name.1`, ... in index order (the SDK numbers from 0); a gap, an index written with a
        leading zero (`Name.00` would be a second item 0) or one past any list is refused, never dropped."""
        prefix = name + "."
        items: dict[int, str] = {}
        for key, value in self.values.items():
            index = key[len(prefix) :] if key.startswith(prefix) else ""
            if not (index.isascii() and index.isdigit()):
                continue  # another parameter (`Name.Key`, or not this list's at all)
            if index != "0" and (index.startswith("0") or len(index) > len(str(MAX_INDEX))):
                raise UError(FORMAT, f"{key} is not an index of {name}")
            items[int(index)] = value
        if not items:
            if required:
                raise UError(MISSING, f"Missing parameter: {name}")
            return []
        if sorted(items) != list(range(len(items))):
            raise UError(FORMAT, f"{name} must be numbered {name}.0, {name}.1, ... without gaps")
        if max_items and len(items) > max_items:
            raise UError(INVALID, f"{name} holds at most {max_items} items")
        return [items[i] for i in range(len(items))]


@dataclass(frozen=True)
class UCall:
    """An authenticated request, ready for its action."""

    state: ApiState
    key: ApiKey
    params: Params
    now: float
    request_id: str


ActionHandler = Callable[[UCall], Awaitable[Result]]
