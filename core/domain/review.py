"""The review life of a signature or template (rules S2, S3, T5): who may move it from which state to which.
Pure: the caller loads the item, asks here, and writes the transition with its history row."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from core.domain.errors import Code, Rejection


class Kind(StrEnum):
    SIGNATURE = "signature"
    TEMPLATE = "template"


class Action(StrEnum):
    SUBMIT = "submit"  # customer adds it
    MODIFY = "modify"  # customer edits it: resubmits for review
    DELETE = "delete"  # customer deletes it
    START_REVIEW = "start_review"  # operator
    APPROVE = "approve"  # operator
    REJECT = "reject"  # operator, with a reason
    MARK_URGENT = "mark_urgent"  # operator; no status change


WAITING = frozenset({"pending", "reviewing"})
# Where each action may start from, and where it leads (None: the status stays).
_MOVES: dict[Action, tuple[frozenset[str], str | None]] = {
    Action.MODIFY: (frozenset({"pending", "reviewing", "rejected"}), "pending"),
    Action.DELETE: (frozenset({"pending", "reviewing", "rejected", "approved"}), "deleted"),
    Action.START_REVIEW: (frozenset({"pending"}), "reviewing"),
    Action.APPROVE: (WAITING, "approved"),
    Action.REJECT: (WAITING, "rejected"),
    Action.MARK_URGENT: (WAITING, None),
}


@dataclass(frozen=True)
class Move:
    to_status: str


def decide(kind: Kind, action: Action, status: str, *, reason: str = "") -> Move | Rejection:
    """The status after `action` on an item in `status`, or why it is refused. A review cannot be cancelled
    (S3): nothing leads from `reviewing` back to `pending` but a customer's modification."""
    allowed_from, to_status = _MOVES[action]
    if status == "deleted":
        return Rejection(missing_code(kind, action))
    if status not in allowed_from:
        if action is Action.MODIFY and status == "approved":
            return Rejection(
                Code.SIGN_ALREADY_PASSED if kind is Kind.SIGNATURE else Code.TEMPLATE_ALREADY_PASSED
            )
        return Rejection(Code.FAILED_OPERATION, f"A {kind.value} that is {status} cannot be {_past(action)}.")
    if action is Action.REJECT and not reason.strip():
        return Rejection(Code.MISSING_PARAMETER, "A rejection needs a reason the customer can read.")
    return Move(to_status or status)


def missing_code(kind: Kind, action: Action) -> Code:
    if action is Action.MODIFY:
        return Code.MISSING_SIGN_TO_MODIFY if kind is Kind.SIGNATURE else Code.MISSING_TEMPLATE_TO_MODIFY
    return Code.SIGN_ID_NOT_EXIST if kind is Kind.SIGNATURE else Code.TEMPLATE_ID_NOT_EXIST


def _past(action: Action) -> str:
    return {
        Action.MODIFY: "modified",
        Action.DELETE: "deleted",
        Action.START_REVIEW: "taken into review",
        Action.APPROVE: "approved",
        Action.REJECT: "rejected",
        Action.MARK_URGENT: "marked urgent",
        Action.SUBMIT: "submitted",
    }[action]


def status_code(status: str) -> int:
    """Tencent's StatusCode: 0 approved, 1 waiting for review, -1 rejected."""
    if status == "approved":
        return 0
    if status == "rejected":
        return -1
    return 1
