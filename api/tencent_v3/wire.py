"""The Tencent Cloud SMS API 3.0 envelope and parameter reading shared by every action of the dialect."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from api.context import ApiState
from core.domain.bounds import int64
from core.domain.errors import Code, PlatformError, Rejection
from core.domain.sending import ApiKey


def envelope(request_id: str, fields: Mapping[str, Any]) -> web.Response:
    body = json.dumps({"Response": {**fields, "RequestId": request_id}}, ensure_ascii=False)
    return json_response(200, body.encode())


def json_response(status: int, body: bytes) -> web.Response:
    # The SDK detects errors only when Content-Type is exactly application/json (no charset).
    return web.Response(body=body, status=status, headers={"Content-Type": "application/json"})


def error_envelope(request_id: str, rejection: Rejection) -> web.Response:
    return envelope(request_id, {"Error": {"Code": rejection.code.value, "Message": rejection.message}})


class Params:
    """A request's parameters, read with the types API 3.0 gives them; a bad one raises its coded error."""

    def __init__(self, params: dict[str, Any], *, where: str = "") -> None:
        self.params = params
        self.where = where  # the path of a nested structure (`MultiSmsInfoSet.3.`), for the messages

    def item(self, name: str, index: int, value: dict[str, Any]) -> Params:
        """The structure at `name[index]`, read the same way; its errors name it by its path."""
        return Params(value, where=f"{self.where}{name}.{index}.")

    def text(self, name: str, *, required: bool = True, default: str = "") -> str:
        value = self.params.get(name)
        if value is None:
            if required:
                raise PlatformError(Code.MISSING_PARAMETER, f"The parameter `{self.where}{name}` is missing.")
            return default
        # The SDK sends whatever type the caller assigned; a number for a string field is accepted.
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise PlatformError(
                Code.INVALID_PARAMETER, f"The parameter `{self.where}{name}` must be a string."
            )
        return str(value)

    def text_list(self, name: str, *, required: bool = True) -> list[str]:
        value = self.params.get(name)
        if value is None:
            if required:
                raise PlatformError(Code.MISSING_PARAMETER, f"The parameter `{self.where}{name}` is missing.")
            return []
        if not isinstance(value, list) or any(
            isinstance(v, bool) or not isinstance(v, (str, int)) for v in value
        ):
            raise PlatformError(
                Code.INVALID_PARAMETER, f"The parameter `{self.where}{name}` must be a list of strings."
            )
        return [str(v) for v in value]

    def integer(self, name: str, *, required: bool = True, default: int = 0) -> int:
        """An integer field within int64; GET requests carry every value as a string, so digits in a string
        are accepted."""
        value = self.params.get(name)
        if value is None:
            if required:
                raise PlatformError(Code.MISSING_PARAMETER, f"The parameter `{self.where}{name}` is missing.")
            return default
        number = int64(value)
        if number is None:
            raise PlatformError(
                Code.INVALID_PARAMETER, f"The parameter `{self.where}{name}` must be a 64-bit integer."
            )
        return number

    def integer_list(self, name: str, *, max_items: int) -> list[int]:
        value = self.params.get(name)
        if value is None:
            return []
        if not isinstance(value, list) or len(value) > max_items:
            raise PlatformError(
                Code.INVALID_PARAMETER,
                f"The parameter `{self.where}{name}` must be a list of at most {max_items} integers.",
            )
        out = []
        for item in value:
            number = int64(item)
            if number is None or number < 0:
                raise PlatformError(
                    Code.INVALID_PARAMETER,
                    f"The parameter `{self.where}{name}` must hold 64-bit integers >= 0.",
                )
            out.append(number)
        return out


class Call(Params):
    """One API call after authentication: its parameters, key and clock."""

    def __init__(self, state: ApiState, key: ApiKey, params: dict[str, Any], now: float) -> None:
        super().__init__(params)
        self.state = state
        self.key = key
        self.now = now


Result = tuple[dict[str, Any], dict[str, Any]]
"""What an action answers: the fields of its Response (the envelope adds RequestId) and what to log."""
ActionHandler = Callable[[Call], Awaitable[Result]]


@dataclass(frozen=True)
class ApiVersion:
    """One `X-TC-Version` the dialect serves. The handlers read and answer version 2021-01-11; another version
    is a translation: its request parameters renamed to the handlers' before they run, their answer (and any
    error) rewritten in its own names and JSON types after. Translations rename and retype, never decide."""

    name: str
    actions: frozenset[str]
    request: Callable[[str, dict[str, Any]], dict[str, Any]]  # (action, params) -> the handler's params
    response: Callable[[str, dict[str, Any], ZoneInfo], dict[str, Any]]  # (action, fields, platform zone)
    error: Callable[[str, Rejection], dict[str, str]]  # (action, rejection) -> {"Code", "Message"}
    planned: frozenset[str] = (
        frozenset()
    )  # real actions of the version, answered UnsupportedOperation for now
