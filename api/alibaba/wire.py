"""Alibaba Cloud SMS (Dysmsapi 2017-05-25) on the wire: the parameters of a request read once (query and form
body merged, every value a string), the JSON envelope of every answer, and the refusal carried to it. Business
outcomes are HTTP 200 with `Code` (never raised by the SDKs, spec 4); gateway refusals are 4xx/5xx JSON."""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from api.context import ApiState
from core.domain.sending import ApiKey
from core.domain.text import is_storable

CONTENT_TYPE = "application/json;charset=utf-8"
HOST_ID = "dysmsapi.aliyuncs.com"

# What a handler returns: the answer's fields (besides Code, Message, RequestId) and what the log line says.
Result = tuple[dict[str, Any], dict[str, Any]]


class AliError(Exception):
    """An answer other than OK: its Alibaba code, message and HTTP status (200 for business outcomes)."""

    def __init__(self, code: str, message: str, status: int = 200) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


def new_request_id() -> str:
    return str(uuid.uuid4()).upper()  # Alibaba's RequestIds are upper-case UUIDs


def answer(request_id: str, fields: Mapping[str, Any]) -> web.Response:
    body = {"RequestId": request_id, "Code": "OK", "Message": "OK", **fields}
    return _json(200, body)


def refusal(request_id: str, error: AliError) -> web.Response:
    body: dict[str, Any] = {"RequestId": request_id, "Code": error.code, "Message": error.message}
    if error.status != 200:  # the gateway's shape (spec 3.3), without its `Recommend` link to Alibaba's site
        body["HostId"] = HOST_ID
    return _json(error.status, body)


def _json(status: int, body: Mapping[str, Any]) -> web.Response:
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return web.Response(status=status, body=text.encode("utf-8"), headers={"Content-Type": CONTENT_TYPE})


def invalid(message: str) -> AliError:
    return AliError("isv.INVALID_PARAMETERS", message)


class Params:
    """A request's parameters by name (query and form body merged; the SDKs send every value as a string)."""

    def __init__(self, values: Mapping[str, str]) -> None:
        self.values = dict(values)

    def text(self, name: str, *, required: bool = True, default: str = "", max_len: int = 0) -> str:
        value = self.values.get(name)
        if value is None or (required and value == ""):
            if required:
                raise AliError(f"Missing{name}", f"{name} is mandatory for this action.", 400)
            return default
        if max_len and len(value) > max_len:
            raise invalid(f"{name} is longer than {max_len} characters.")
        return value

    def integer(
        self, name: str, *, required: bool = True, default: int = 0, low: int = 0, high: int = 2**31 - 1
    ) -> int:
        text = self.text(name, required=required, default="")
        if text == "":
            return default
        # isascii: str.isdigit() also holds for "²" and Arabic-Indic digits; the length bounds int().
        digits = text[1:] if text.startswith("-") else text
        if not (digits.isascii() and digits.isdigit() and len(digits) <= 18):
            raise invalid(f"{name} must be an integer.")
        value = int(text)
        if not low <= value <= high:
            raise invalid(f"{name} must be between {low} and {high}.")
        return value

    def boolean(self, name: str, *, default: bool = False) -> bool:
        text = self.text(name, required=False).strip().lower()  # the Python SDK sends True / False
        if text == "":
            return default
        if text not in ("true", "false"):
            raise invalid(f"{name} must be true or false.")
        return text == "true"

    def json_value(self, name: str, *, required: bool = True) -> Any:
        text = self.text(name, required=required)
        if text == "":
            return None
        try:
            value = json.loads(text)
        except (ValueError, RecursionError):
            raise AliError("isv.INVALID_JSON_PARAM", f"{name} is not valid JSON.") from None
        if not is_storable(value):  # "\u0000" or "\ud800" inside: as if sent raw in the parameter
            raise unstorable()
        return value


def unstorable() -> AliError:
    return AliError("InvalidParameter", "A parameter holds NUL or invalid characters.", 400)


@dataclass(frozen=True)
class AliCall:
    """An authenticated request, ready for its action."""

    state: ApiState
    key: ApiKey
    params: Params
    now: float
    request_id: str


ActionHandler = Callable[[AliCall], Awaitable[Result]]
