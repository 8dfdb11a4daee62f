"""Signatures and templates, both families (spec 5): the actions of signs.py and templates.py."""

from __future__ import annotations

from api.alibaba import signs, templates
from api.alibaba.wire import ActionHandler

ACTIONS: dict[str, ActionHandler] = {**signs.ACTIONS, **templates.ACTIONS}
