"""What an API process holds: its settings and clock from create_app, and the Platform opened in cleanup_ctx."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web

from core.infra.settings import Settings
from core.services.platform import Platform


@dataclass
class ApiState:
    settings: Settings
    clock: Callable[[], float]
    opened: Platform | None = None

    @property
    def platform(self) -> Platform:
        assert self.opened is not None, "the platform is opened in cleanup_ctx"
        return self.opened


STATE = web.AppKey("state", ApiState)
