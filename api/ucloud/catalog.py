"""UCloud's catalog actions (spec B4): signatures, templates, qualifications and their files, merged into the
dispatcher's table."""

from __future__ import annotations

from api.ucloud import qualifications, signatures, templates
from api.ucloud.wire import ActionHandler

ACTIONS: dict[str, ActionHandler] = {**signatures.ACTIONS, **templates.ACTIONS, **qualifications.ACTIONS}
