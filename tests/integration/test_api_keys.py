"""Which application an API key's sends use when their calls name none (issue 15: Alibaba's, later UCloud's),
against the real database: the key's chosen application, else its account's only one, else none (several and
no choice). Only an application of the key's own account can be chosen; another tenant's is refused exactly as
one that does not exist (tenants never see each other's data). The send path (core.services.sending) resolves
the same application."""

from __future__ import annotations

import asyncpg
import pytest

from core.infra.settings import Settings
from core.services import api_keys
from core.services.api_keys import KeyApplication, KeyNotFound, UnknownApplication
from core.services.platform import Platform
from core.services.sending import send_context
from core.store import admin
from tests.keyring import KEYRING

SIGN = "Acme"
CN = "+8613800138000"


@pytest.fixture
def platform(db: asyncpg.Pool) -> Platform:
    return Platform(Settings(), db, None)


async def new_account(db: asyncpg.Pool, apps: int) -> tuple[str, int, list[str]]:
    """An account with its key and `apps` applications: (SecretId, account id, SDK AppIDs)."""
    acct = await admin.create_account(db, KEYRING, name="Acme", kind="organization")
    made = [
        (await admin.create_app(db, KEYRING, account_id=acct.account_id, name=f"App {n}")).sdk_app_id
        for n in range(apps)
    ]
    return acct.secret_id, acct.account_id, made


async def stored_choice(db: asyncpg.Pool, secret_id: str) -> str | None:
    chosen: str | None = await db.fetchval("SELECT sdk_app_id FROM api_keys WHERE secret_id = $1", secret_id)
    return chosen


async def test_an_account_with_one_application_uses_it_without_being_told(
    platform: Platform, db: asyncpg.Pool
) -> None:
    secret_id, account_id, [only] = await new_account(db, 1)
    assert await api_keys.key_application(platform, secret_id) == KeyApplication(
        secret_id, account_id, True, None, only, 1
    )


async def test_with_several_applications_none_is_in_force_until_one_is_chosen_and_again_once_cleared(
    platform: Platform, db: asyncpg.Pool
) -> None:
    secret_id, account_id, [first, second] = await new_account(db, 2)
    assert await api_keys.key_application(platform, secret_id) == KeyApplication(
        secret_id, account_id, True, None, None, 2
    )

    chosen = await api_keys.set_key_application(platform, secret_id, second)
    assert chosen == KeyApplication(secret_id, account_id, True, second, second, 2)
    assert await api_keys.key_application(platform, secret_id) == chosen
    assert await stored_choice(db, secret_id) == second

    changed = await api_keys.set_key_application(platform, secret_id, first)
    assert (changed.chosen, changed.in_force) == (first, first)

    cleared = await api_keys.set_key_application(platform, secret_id, None)
    assert cleared == KeyApplication(secret_id, account_id, True, None, None, 2)
    assert await stored_choice(db, secret_id) is None


async def test_a_cleared_choice_falls_back_to_the_only_application(
    platform: Platform, db: asyncpg.Pool
) -> None:
    secret_id, _, [only] = await new_account(db, 1)
    assert (await api_keys.set_key_application(platform, secret_id, only)).chosen == only
    cleared = await api_keys.set_key_application(platform, secret_id, None)
    assert (cleared.chosen, cleared.in_force, cleared.apps) == (None, only, 1)
    # Clearing what is not set is no error.
    assert await api_keys.set_key_application(platform, secret_id, None) == cleared


async def test_an_account_without_applications_has_none_in_force(
    platform: Platform, db: asyncpg.Pool
) -> None:
    secret_id, account_id, _ = await new_account(db, 0)
    assert await api_keys.key_application(platform, secret_id) == KeyApplication(
        secret_id, account_id, True, None, None, 0
    )


async def test_another_accounts_application_is_refused_exactly_like_an_unknown_one(
    platform: Platform, db: asyncpg.Pool
) -> None:
    secret_id, _, [first, _second] = await new_account(db, 2)
    await api_keys.set_key_application(platform, secret_id, first)
    _, _, [theirs] = await new_account(db, 1)
    unknown = "1409999999"
    assert not await db.fetchval("SELECT EXISTS (SELECT 1 FROM apps WHERE sdk_app_id = $1)", unknown)

    refusals = []
    for sdk_app_id in (theirs, unknown):
        with pytest.raises(UnknownApplication) as refused:
            await api_keys.set_key_application(platform, secret_id, sdk_app_id)
        refusals.append((type(refused.value), str(refused.value).replace(sdk_app_id, "<id>")))
    assert refusals[0] == refusals[1] == (UnknownApplication, "The key's account has no application <id>.")
    assert await stored_choice(db, secret_id) == first  # unchanged


async def test_an_unknown_key_is_refused_for_both_reading_and_setting(
    platform: Platform, db: asyncpg.Pool
) -> None:
    _, _, [app] = await new_account(db, 1)
    with pytest.raises(KeyNotFound):
        await api_keys.key_application(platform, "AKIDnobody")
    for choice in (app, None):
        with pytest.raises(KeyNotFound):
            await api_keys.set_key_application(platform, "AKIDnobody", choice)


async def _send_app(platform: Platform, secret_id: str, sdk_app_id: str | None = None) -> str | None:
    """The application the send path resolves for the key (None: no application, the send is refused)."""
    context = await send_context(platform, secret_id, sdk_app_id, SIGN, -1, [CN])
    assert context is not None
    return context.app.sdk_app_id if context.app is not None else None


async def test_the_send_path_takes_the_keys_choice_else_the_only_application_else_none(
    platform: Platform, db: asyncpg.Pool
) -> None:
    single, _, [only] = await new_account(db, 1)
    assert await _send_app(platform, single) == only

    several, _, [first, second] = await new_account(db, 2)
    assert await _send_app(platform, several) is None
    await api_keys.set_key_application(platform, several, second)
    assert await _send_app(platform, several) == second
    await api_keys.set_key_application(platform, several, None)
    assert await _send_app(platform, several) is None

    # A dialect naming its application (Tencent's) is not affected by the key's choice, and finds only its
    # own account's applications.
    await api_keys.set_key_application(platform, several, second)
    assert await _send_app(platform, several, first) == first
    assert await _send_app(platform, several, only) is None
    assert await send_context(platform, "AKIDnobody", None, SIGN, -1, [CN]) is None
