"""smsctl review / smsctl words: the operator's review workflow from the command line, the same actions as the
admin API (/admin/v1/). Every command prints JSON; a refused action prints its code and message to stderr and
exits 1."""

from __future__ import annotations

import click

from cli.runtime import emit, with_platform
from core.domain.errors import Rejection
from core.domain.review import Action, Kind
from core.infra.settings import Settings
from core.services import review as reviews
from core.services.review import WORD_LISTS, BadInput, WordEdit, operator_actor

KINDS = click.Choice([k.value for k in Kind])
LISTS = click.Choice(list(WORD_LISTS))


def _refuse(rejection: Rejection) -> click.ClickException:
    return click.ClickException(f"{rejection.code.value}: {rejection.message}")


def _actor(operator: str) -> str:
    try:
        return operator_actor(operator)
    except BadInput as exc:
        raise click.BadParameter(str(exc), param_hint="--operator") from None


operator_option = click.option(
    "--operator", default="operator", show_default=True, help="Who acts; recorded as operator:<name>."
)


@click.group()
def review() -> None:
    """Review signatures and templates (the operator's queue)."""


@review.command("queue")
@click.option("--kind", type=KINDS, default=None, help="Only signatures or only templates.")
@click.option("--limit", type=click.IntRange(1, 500), default=50, show_default=True)
@click.pass_obj
def review_queue(settings: Settings, kind: str | None, limit: int) -> None:
    """What waits for review: urgent first, then oldest first, with its age in seconds, when it is expected
    to be reviewed (review hours, holidays: SMS_REVIEW_*) and whether that is overdue."""
    try:
        reviews.review_hours(settings)
    except ValueError as exc:
        raise click.ClickException(f"SMS_REVIEW_* settings: {exc}") from None
    items = with_platform(
        settings, lambda p: reviews.queue(p, kind=Kind(kind) if kind else None, limit=limit)
    )
    emit([item.to_json() for item in items])


@review.command("show")
@click.argument("kind", type=KINDS)
@click.argument("item_id", metavar="ID", type=click.IntRange(1))
@click.pass_obj
def review_show(settings: Settings, kind: str, item_id: int) -> None:
    """One signature or template: what was applied for, its documents and its history."""
    item = with_platform(settings, lambda p: reviews.item(p, Kind(kind), item_id))
    if isinstance(item, Rejection):
        raise _refuse(item)
    emit(item.to_json())


def _act(
    settings: Settings, kind: str, item_id: int, action: Action, operator: str, reason: str = ""
) -> None:
    actor = _actor(operator)
    outcome = with_platform(
        settings, lambda p: reviews.decide(p, Kind(kind), item_id, action, actor=actor, reason=reason)
    )
    if isinstance(outcome, Rejection):
        raise _refuse(outcome)
    emit({"kind": kind, "id": item_id, "action": action.value, "status": outcome.to_status})


@review.command("start")
@click.argument("kind", type=KINDS)
@click.argument("item_id", metavar="ID", type=click.IntRange(1))
@operator_option
@click.pass_obj
def review_start(settings: Settings, kind: str, item_id: int, operator: str) -> None:
    """Take a pending item into review."""
    _act(settings, kind, item_id, Action.START_REVIEW, operator)


@review.command("approve")
@click.argument("kind", type=KINDS)
@click.argument("item_id", metavar="ID", type=click.IntRange(1))
@operator_option
@click.pass_obj
def review_approve(settings: Settings, kind: str, item_id: int, operator: str) -> None:
    """Approve a waiting item."""
    _act(settings, kind, item_id, Action.APPROVE, operator)


@review.command("reject")
@click.argument("kind", type=KINDS)
@click.argument("item_id", metavar="ID", type=click.IntRange(1))
@click.option("--reason", required=True, help="Why; the customer reads it as ReviewReply.")
@operator_option
@click.pass_obj
def review_reject(settings: Settings, kind: str, item_id: int, reason: str, operator: str) -> None:
    """Reject a waiting item with a reason."""
    if not reason.strip():
        raise click.BadParameter("a rejection needs a reason the customer can read", param_hint="--reason")
    _act(settings, kind, item_id, Action.REJECT, operator, reason)


@review.command("urgent")
@click.argument("kind", type=KINDS)
@click.argument("item_id", metavar="ID", type=click.IntRange(1))
@operator_option
@click.pass_obj
def review_urgent(settings: Settings, kind: str, item_id: int, operator: str) -> None:
    """Mark a waiting item urgent: it moves ahead in the queue."""
    _act(settings, kind, item_id, Action.MARK_URGENT, operator)


@click.group()
def words() -> None:
    """The word lists of the automatic pre-checks (neutral_sign: S4, banned_template: T6)."""


@words.command("list")
@click.argument("list_name", metavar="LIST", type=LISTS)
@click.pass_obj
def words_list(settings: Settings, list_name: str) -> None:
    """The words of a list."""
    emit({"list": list_name, "words": with_platform(settings, lambda p: reviews.words(p, list_name))})


def _edit(
    settings: Settings, list_name: str, *, add: tuple[str, ...] = (), remove: tuple[str, ...] = ()
) -> WordEdit:
    try:
        return with_platform(settings, lambda p: reviews.edit_words(p, list_name, add=add, remove=remove))
    except BadInput as exc:
        raise click.BadParameter(str(exc), param_hint="WORD") from None


@words.command("add")
@click.argument("list_name", metavar="LIST", type=LISTS)
@click.argument("given", metavar="WORD...", nargs=-1, required=True)
@click.pass_obj
def words_add(settings: Settings, list_name: str, given: tuple[str, ...]) -> None:
    """Add words (trimmed, case-folded) to a list."""
    emit({"list": list_name, "added": _edit(settings, list_name, add=given).added})


@words.command("remove")
@click.argument("list_name", metavar="LIST", type=LISTS)
@click.argument("given", metavar="WORD...", nargs=-1, required=True)
@click.pass_obj
def words_remove(settings: Settings, list_name: str, given: tuple[str, ...]) -> None:
    """Remove words from a list."""
    emit({"list": list_name, "removed": _edit(settings, list_name, remove=given).removed})
