"""Signatures and templates, both families (spec 5)."""

from __future__ import annotations

from api.alibaba.wire import ActionHandler

ACTIONS: dict[str, ActionHandler] = {}
