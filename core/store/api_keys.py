"""Which application an API key's sends use when their calls name none (Alibaba, UCloud; migration 0015):
shown and set for smsctl and the admin API (sql/queries/api_keys.sql). The SecretKey is never read here."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from core.domain.projects import project_id
from core.store import queries
from core.store.queries import Db


@dataclass(frozen=True)
class KeyApplication:
    secret_id: str
    account_id: int
    enabled: bool
    chosen: str | None  # the application set for the key; None: not chosen
    in_force: str | None  # what its sends use: the chosen one, else the account's only one, else none
    apps: int  # how many applications the account has

    def to_json(self) -> dict[str, Any]:
        return {
            "secret_id": self.secret_id,
            "account_id": self.account_id,
            "project_id": project_id(self.account_id),  # UCloud's ProjectId for this account
            "enabled": self.enabled,
            "sdk_app_id": self.chosen,
            "sdk_app_id_in_force": self.in_force,
            "account_apps": self.apps,
        }


class SetResult(Enum):
    SET = "set"
    UNKNOWN_KEY = "unknown_key"
    UNKNOWN_APP = "unknown_app"  # none such in the key's account (another tenant's is not told apart)


async def key_application(db: Db, secret_id: str) -> KeyApplication | None:
    row = await queries.fetchrow(db, "key_application", secret_id=secret_id)
    return KeyApplication(*row) if row else None


async def set_key_application(db: Db, secret_id: str, sdk_app_id: str | None) -> SetResult:
    """Choose `sdk_app_id` (one of the key's account's applications) for the key, or clear it (None)."""
    row = await queries.fetchrow(db, "set_key_application", secret_id=secret_id, sdk_app_id=sdk_app_id)
    assert row is not None
    if not row["key_found"]:
        return SetResult.UNKNOWN_KEY
    return SetResult.SET if row["changed"] else SetResult.UNKNOWN_APP
