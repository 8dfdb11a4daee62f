"""What customers do with their signatures and templates (rules S1-S6, T1-T7): add, modify, delete and list.
Every dialect calls these; they raise PlatformError with the platform's code for anything refused, and write
nothing unless everything passed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from core.domain.errors import Code, PlatformError, Rejection
from core.domain.images import Image, decode_image
from core.domain.review import Action, Kind, decide, missing_code
from core.domain.sending import Account
from core.domain.signatures import check_sign_fields, check_sign_name, sign_name_key
from core.domain.templates import check_template_submission
from core.infra.settings import Settings
from core.services.platform import Platform
from core.store import catalog
from core.store.catalog import SignRow as SignRow  # the rows the dialects read
from core.store.catalog import TemplateRow as TemplateRow
from core.store.review import load_item, record_change, transition, word_list

MAX_NAME_CHARS = 100
MAX_REMARK_CHARS = 500


@dataclass(frozen=True)
class SignInput:
    name: str
    sign_type: int
    document_type: int
    sign_purpose: int
    international: int
    proof_image: str
    commission_image: str = ""
    remark: str = ""
    qualification_id: int = 0
    # Alibaba's CreateSmsSign carries no files: its documents are the named qualification's (S1).
    documents_in_qualification: bool = False
    # A modification without a new proof keeps the one on file (UCloud's UpdateUSMSSignature: File optional).
    keep_proof: bool = False


@dataclass(frozen=True)
class TemplateInput:
    name: str
    content: str
    sms_type: int
    international: int
    remark: str = ""
    unsubscribe_info: str = ""  # UCloud's: kept to show it back (the content already carries it)
    instruction: str = ""


def _refuse(rejection: Rejection | None) -> None:
    if rejection is not None:
        raise PlatformError(rejection.code, rejection.detail)


def _text_limits(name: str, remark: str) -> None:
    if not name.strip():
        raise PlatformError(Code.MISSING_PARAMETER, "The name must not be empty.")
    if len(name) > MAX_NAME_CHARS or len(remark) > MAX_REMARK_CHARS:
        raise PlatformError(Code.INVALID_PARAMETER_VALUE, "The name or remark is too long.")


async def _check_sign(
    pool: asyncpg.Pool, settings: Settings, sign: SignInput
) -> tuple[Image | None, Image | None]:
    _refuse(
        check_sign_fields(
            sign_type=sign.sign_type,
            document_type=sign.document_type,
            sign_purpose=sign.sign_purpose,
            international=sign.international,
        )
    )
    _text_limits(sign.name, sign.remark)
    _refuse(check_sign_name(sign.name, neutral_words=await word_list(pool, "neutral_sign")))
    proof: Image | None = None
    if sign.documents_in_qualification and not sign.qualification_id:
        raise PlatformError(
            Code.MISSING_PARAMETER, "A qualification is required for a signature without files."
        )
    if sign.proof_image or not (sign.documents_in_qualification or sign.keep_proof):
        decoded = decode_image(sign.proof_image, max_bytes=settings.max_image_bytes)
        if isinstance(decoded, Rejection):
            raise PlatformError(decoded.code, f"ProofImage: {decoded.message}")
        proof = decoded
    commission: Image | None = None
    if sign.sign_purpose == 1 and not sign.commission_image:
        # On behalf of another party: their authorization letter (S1).
        raise PlatformError(Code.MISSING_PARAMETER, "CommissionImage is required when SignPurpose is 1.")
    if sign.commission_image:
        decoded = decode_image(sign.commission_image, max_bytes=settings.max_image_bytes)
        if isinstance(decoded, Rejection):
            raise PlatformError(decoded.code, f"CommissionImage: {decoded.message}")
        commission = decoded
    return proof, commission


async def _no_waiting_duplicate(
    conn: catalog.Db, account_id: int, sign: SignInput, exclude_id: int = 0
) -> None:
    waiting = await catalog.waiting_sign_names(
        conn, account_id, international=bool(sign.international), exclude_id=exclude_id
    )
    if sign_name_key(sign.name) in {sign_name_key(n) for n in waiting}:
        raise PlatformError(Code.SIGN_EXIST_UNAPPROVED)


async def _lock_account(conn: catalog.Db, account_id: int) -> None:
    # Serialises one account's additions, so the per-account limits and the duplicate check are exact. NO KEY
    # UPDATE, not UPDATE: the foreign-key checks of a concurrent review decision (its history row references
    # the account) take KEY SHARE on this row, and FOR UPDATE would deadlock with them.
    await conn.execute("SELECT 1 FROM accounts WHERE id = $1 FOR NO KEY UPDATE", account_id)


async def add_signature(platform: Platform, account: Account, sign: SignInput) -> int:
    pool, settings = platform.db, platform.settings
    if sign.keep_proof:
        raise ValueError("keep_proof is for modifications")  # a new signature has no proof on file
    proof, commission = await _check_sign(pool, settings, sign)
    async with pool.acquire() as conn, conn.transaction():
        await _lock_account(conn, account.id)
        if await catalog.count_live(conn, Kind.SIGNATURE, account.id) >= settings.max_signatures_per_account:
            raise PlatformError(Code.SIGN_NUMBER_LIMIT)
        await _no_waiting_duplicate(conn, account.id, sign)
        proof_id = await catalog.store_document(conn, account.id, proof) if proof else None
        commission_id = await catalog.store_document(conn, account.id, commission) if commission else None
        return await catalog.insert_signature(
            conn,
            account_id=account.id,
            name=sign.name.strip(),
            sign_type=sign.sign_type,
            document_type=sign.document_type,
            sign_purpose=sign.sign_purpose,
            international=bool(sign.international),
            proof_document_id=proof_id,
            commission_document_id=commission_id,
            remark=sign.remark,
            qualification_id=sign.qualification_id,
        )


async def modify_signature(
    platform: Platform, account: Account, sign_id: int, sign: SignInput, *, actor: str
) -> int:
    pool, settings = platform.db, platform.settings
    item = await load_item(pool, Kind.SIGNATURE, sign_id, account_id=account.id)
    if item is None:
        raise PlatformError(missing_code(Kind.SIGNATURE, Action.MODIFY))
    _refuse(_decision(decide(Kind.SIGNATURE, Action.MODIFY, item.status)))
    if item.international != bool(sign.international):
        raise PlatformError(
            Code.INVALID_INTERNATIONAL, "International must stay as the signature was created."
        )
    proof, commission = await _check_sign(pool, settings, sign)
    async with pool.acquire() as conn, conn.transaction():
        await _lock_account(conn, account.id)
        await _no_waiting_duplicate(conn, account.id, sign, exclude_id=sign_id)
        proof_id = await catalog.store_document(conn, account.id, proof) if proof else None
        commission_id = await catalog.store_document(conn, account.id, commission) if commission else None
        fields: dict[str, object] = {
            "name": sign.name.strip(),
            "sign_type": sign.sign_type,
            "document_type": sign.document_type,
            "sign_purpose": sign.sign_purpose,
            "proof_document_id": proof_id,
            "commission_document_id": commission_id,
            "remark": sign.remark,
            "qualification_id": sign.qualification_id,
            "review_reply": "",
        }
        if proof_id is None:
            del fields["proof_document_id"]  # no new proof (a qualification's documents): the one sent stays
        if not await record_change(
            conn, item, action=Action.MODIFY, to_status="pending", actor=actor, fields=fields
        ):
            raise PlatformError(Code.FAILED_OPERATION, "The signature changed meanwhile; please retry.")
    return sign_id


async def add_template(platform: Platform, account: Account, template: TemplateInput) -> int:
    pool, settings = platform.db, platform.settings
    await _check_template(pool, account, template)
    async with pool.acquire() as conn, conn.transaction():
        await _lock_account(conn, account.id)
        if await catalog.count_live(conn, Kind.TEMPLATE, account.id) >= settings.max_templates_per_account:
            raise PlatformError(Code.TEMPLATE_NUMBER_LIMIT)
        return await catalog.insert_template(
            conn,
            account_id=account.id,
            name=template.name.strip(),
            content=template.content,
            sms_type=template.sms_type,
            international=bool(template.international),
            remark=template.remark,
            unsubscribe_info=template.unsubscribe_info,
            instruction=template.instruction,
        )


async def modify_template(
    platform: Platform, account: Account, template_id: int, template: TemplateInput, *, actor: str
) -> int:
    pool = platform.db
    item = await load_item(pool, Kind.TEMPLATE, template_id, account_id=account.id)
    if item is None:
        raise PlatformError(missing_code(Kind.TEMPLATE, Action.MODIFY))
    _refuse(_decision(decide(Kind.TEMPLATE, Action.MODIFY, item.status)))
    if item.international != bool(template.international):
        raise PlatformError(
            Code.INVALID_INTERNATIONAL, "International must stay as the template was created."
        )
    await _check_template(pool, account, template)
    fields = {
        "name": template.name.strip(),
        "content": template.content,
        "sms_type": template.sms_type,
        "remark": template.remark,
        "unsubscribe_info": template.unsubscribe_info,
        "instruction": template.instruction,
        "review_reply": "",
    }
    async with pool.acquire() as conn, conn.transaction():
        if not await record_change(
            conn, item, action=Action.MODIFY, to_status="pending", actor=actor, fields=fields
        ):
            raise PlatformError(Code.FAILED_OPERATION, "The template changed meanwhile; please retry.")
    return template_id


async def _check_template(pool: asyncpg.Pool, account: Account, template: TemplateInput) -> None:
    _text_limits(template.name, template.remark)
    _refuse(
        check_template_submission(
            template.content,
            sms_type=template.sms_type,
            international=template.international,
            individual=account.kind == "individual",
            banned_words=await word_list(pool, "banned_template"),
        )
    )


async def delete_item(
    platform: Platform, kind: Kind, account: Account, item_id: int, *, actor: str
) -> datetime:
    """Always allowed (S3); a deleted signature or template can no longer send."""
    result = await transition(platform.db, kind, item_id, Action.DELETE, actor=actor, account_id=account.id)
    _refuse(_decision(result))
    return platform.utc_now()


def _decision(result: object) -> Rejection | None:
    return result if isinstance(result, Rejection) else None


async def signatures(
    platform: Platform,
    account_id: int,
    *,
    international: bool | None,
    ids: Sequence[int],
    limit: int,
    offset: int,
) -> list[SignRow]:
    """The account's signatures (not deleted): those `ids`, or a page of all, oldest first."""
    return await catalog.list_signatures(
        platform.db, account_id, international=international, ids=ids, limit=limit, offset=offset
    )


async def templates(
    platform: Platform,
    account_id: int,
    *,
    international: bool | None,
    ids: Sequence[int],
    limit: int,
    offset: int,
) -> list[TemplateRow]:
    """The account's templates (not deleted): those `ids`, or a page of all, oldest first."""
    return await catalog.list_templates(
        platform.db, account_id, international=international, ids=ids, limit=limit, offset=offset
    )


async def count_live(platform: Platform, kind: Kind, account_id: int) -> int:
    """How many signatures or templates the account has that are not deleted (S5, T5)."""
    return await catalog.count_live(platform.db, kind, account_id)


async def signature(platform: Platform, account_id: int, sign_id: int) -> SignRow | None:
    """One of the account's live signatures; None: no such signature, or another account's."""
    rows = await catalog.list_signatures(
        platform.db, account_id, international=None, ids=[sign_id], limit=1, offset=0
    )
    return rows[0] if rows else None


async def signature_named(platform: Platform, account_id: int, name: str) -> SignRow | None:
    """The account's live signature of that name (the newest, should two share it); None: not the account's."""
    return await catalog.signature_by_name(platform.db, account_id, name.strip())


async def template(platform: Platform, account_id: int, template_id: int) -> TemplateRow | None:
    """One of the account's live templates; None: no such template, or another account's."""
    rows = await catalog.list_templates(
        platform.db, account_id, international=None, ids=[template_id], limit=1, offset=0
    )
    return rows[0] if rows else None
