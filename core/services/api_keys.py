"""API keys and the application their sends use when the calls name none (issue 15: Alibaba's, later
UCloud's): an operator sets it with smsctl or the admin API; a key of an account with a single application
uses that one without being told (sql/queries/intake.sql load_send_context resolves it on each send)."""

from __future__ import annotations

from core.services.platform import Platform
from core.store import api_keys
from core.store.api_keys import KeyApplication, SetResult

__all__ = ["KeyApplication", "KeyNotFound", "UnknownApplication", "key_application", "set_key_application"]


class KeyNotFound(LookupError):
    def __init__(self, secret_id: str) -> None:
        super().__init__(f"API key {secret_id} does not exist.")
        self.secret_id = secret_id


class UnknownApplication(LookupError):
    """Not an application of the key's account: one that does not exist and another tenant's are refused
    alike, so the refusal never tells that another tenant has it."""

    def __init__(self, sdk_app_id: str) -> None:
        super().__init__(f"The key's account has no application {sdk_app_id}.")
        self.sdk_app_id = sdk_app_id


async def key_application(platform: Platform, secret_id: str) -> KeyApplication:
    """The key's chosen application and the one in force. Raises KeyNotFound."""
    found = await api_keys.key_application(platform.db, secret_id)
    if found is None:
        raise KeyNotFound(secret_id)
    return found


async def set_key_application(platform: Platform, secret_id: str, sdk_app_id: str | None) -> KeyApplication:
    """Choose which of its account's applications the key's sends use when their calls name none; None clears
    the choice (the account's only application is then used, if it has exactly one). Raises KeyNotFound or
    UnknownApplication."""
    result = await api_keys.set_key_application(platform.db, secret_id, sdk_app_id)
    if result is SetResult.UNKNOWN_KEY:
        raise KeyNotFound(secret_id)
    if result is SetResult.UNKNOWN_APP:
        assert sdk_app_id is not None
        raise UnknownApplication(sdk_app_id)
    return await key_application(platform, secret_id)
