"""The keyring tests seal with: the development default, which every test stack's Settings() uses too."""

from __future__ import annotations

from core.infra.crypto import Keyring
from core.infra.settings import Settings

KEYRING = Keyring.parse(Settings().master_key)
