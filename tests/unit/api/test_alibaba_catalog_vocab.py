"""Alibaba's catalog vocabulary (spec 5): the platform's review states as SignStatus / TemplateStatus and
AuditStatus, and its SmsType + International as the public TemplateType, the internal one of
QuerySmsTemplateList and IntlType. Every platform value has exactly one Alibaba value."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from api.alibaba import catalog_wire, templates
from core.services.catalog import TemplateRow

AT = datetime(2026, 12, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("status", "number", "audit"),
    [
        ("pending", 0, "AUDIT_STATE_INIT"),
        ("reviewing", 0, "AUDIT_STATE_INIT"),
        ("approved", 1, "AUDIT_STATE_PASS"),
        ("rejected", 2, "AUDIT_STATE_NOT_PASS"),
        ("deleted", 10, "AUDIT_STATE_CANCEL"),
    ],
)
def test_review_states(status: str, number: int, audit: str) -> None:
    assert catalog_wire.status_number(status) == number
    assert catalog_wire.audit_state(status) == audit


def row(sms_type: int, international: bool) -> TemplateRow:
    return TemplateRow(1000, "n", "c ${a}", international, "approved", "", AT, sms_type)


@pytest.mark.parametrize(
    ("sms_type", "international", "public", "internal"),
    [
        (3, False, 0, 2),  # verification code
        (2, False, 1, 0),  # notification
        (0, False, 1, 0),  # Tencent's "regular": a notification
        (1, False, 2, 1),  # marketing: promotional
        (3, True, 3, 6),
        (2, True, 3, 6),
        (1, True, 3, 6),
        (0, True, 3, 6),
    ],
)
def test_template_types(sms_type: int, international: bool, public: int, internal: int) -> None:
    assert templates.public_type(row(sms_type, international)) == public
    assert templates.internal_type(row(sms_type, international)) == internal
