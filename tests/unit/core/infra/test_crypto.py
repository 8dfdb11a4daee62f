"""Issue 14, finding 8: values sealed at rest (AES-GCM, key id beside each value, purpose-bound) and keyed
look-up hashes."""

from __future__ import annotations

import base64

import pytest

from core.infra.crypto import DEV_MASTER_KEY, Keyring, SealError
from core.infra.settings import Settings

KEY_A = "a:" + base64.b64encode(bytes(range(32))).decode()
KEY_B = "b:" + base64.b64encode(bytes(range(100, 132))).decode()


def test_a_sealed_value_opens_to_itself_and_carries_the_current_key_id() -> None:
    ring = Keyring.parse(KEY_A)
    token = ring.seal("s3cr3t-κλειδί", "api_keys.secret_key:AKID1")
    assert token.startswith("v1:a:")
    assert "s3cr3t" not in token
    assert ring.open(token, "api_keys.secret_key:AKID1") == "s3cr3t-κλειδί"


def test_sealing_twice_gives_two_ciphertexts() -> None:
    ring = Keyring.parse(KEY_A)
    assert ring.seal("same", "p") != ring.seal("same", "p")


def test_a_value_sealed_for_one_purpose_does_not_open_for_another() -> None:
    """Swapping ciphertexts between columns (or rows) is refused: the purpose is associated data."""
    ring = Keyring.parse(KEY_A)
    token = ring.seal("app-key", "apps.app_key:1400000001")
    with pytest.raises(SealError):
        ring.open(token, "apps.app_key:1400000002")
    with pytest.raises(SealError):
        ring.open(token, "api_keys.secret_key:1400000001")


def test_a_tampered_value_does_not_open() -> None:
    ring = Keyring.parse(KEY_A)
    token = ring.seal("secret", "p")
    prefix, body = token.rsplit(":", 1)
    raw = bytearray(base64.urlsafe_b64decode(body))
    raw[-1] ^= 1
    with pytest.raises(SealError):
        ring.open(prefix + ":" + base64.urlsafe_b64encode(bytes(raw)).decode(), "p")
    # Relabelling the key id is tampering too: the id is part of the associated data.
    both = Keyring.parse(f"{KEY_A},{KEY_B}")
    with pytest.raises(SealError):
        both.open(both.seal("secret", "p").replace("v1:a:", "v1:b:"), "p")


@pytest.mark.parametrize("token", ["", "plain-secret", "v2:a:AAAA", "v1:a:", "v1:a:!!!", "v1::AAAA"])
def test_malformed_values_are_refused_as_seal_errors(token: str) -> None:
    with pytest.raises(SealError):
        Keyring.parse(KEY_A).open(token, "p")


def test_a_value_sealed_under_a_key_no_longer_in_the_ring_is_refused() -> None:
    token = Keyring.parse(KEY_B).seal("secret", "p")
    with pytest.raises(SealError, match="'b'"):
        Keyring.parse(KEY_A).open(token, "p")


def test_rotation_old_values_open_new_ones_use_the_first_key() -> None:
    old = Keyring.parse(KEY_A)
    token = old.seal("secret", "p")
    rotated = Keyring.parse(f"{KEY_B},{KEY_A}")
    assert rotated.open(token, "p") == "secret"
    assert not rotated.is_current(token)
    resealed = rotated.seal(rotated.open(token, "p"), "p")
    assert rotated.kid_of(resealed) == "b" and rotated.is_current(resealed)
    with pytest.raises(SealError):
        old.open(resealed, "p")


def test_lookup_hashes_are_keyed_purpose_bound_and_survive_rotation() -> None:
    ring = Keyring.parse(KEY_A)
    digest = ring.lookup_hash("+8613800138000", "messages.phone")
    assert len(digest) == 32
    assert digest == ring.lookup_hash("+8613800138000", "messages.phone")
    assert digest != ring.lookup_hash("+8613800138001", "messages.phone")
    assert digest != ring.lookup_hash("+8613800138000", "replies.phone")
    assert digest != Keyring.parse(KEY_B).lookup_hash("+8613800138000", "messages.phone")
    # After a rotation a search looks under every key, so rows hashed before it are still found.
    assert digest in Keyring.parse(f"{KEY_B},{KEY_A}").lookup_hashes("+8613800138000", "messages.phone")


@pytest.mark.parametrize(
    ("setting", "problem"),
    [
        ("", "empty"),
        ("nokid", "kid:base64"),
        ("a b:" + base64.b64encode(bytes(32)).decode(), "kid:base64"),
        ("a:not base64!", "not base64"),
        ("a:" + base64.b64encode(bytes(16)).decode(), "32 bytes"),
        (f"{KEY_A},{KEY_A}", "twice"),
    ],
)
def test_a_malformed_setting_is_refused_naming_it(setting: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem) as raised:
        Keyring.parse(setting)
    assert "SMS_MASTER_KEY" in str(raised.value)


def test_the_setting_reads_sms_master_key_and_defaults_to_the_development_key() -> None:
    assert Settings.from_env({}).master_key == DEV_MASTER_KEY
    assert Keyring.parse(DEV_MASTER_KEY).current_kid == "dev"
    assert Settings.from_env({"SMS_MASTER_KEY": f"{KEY_B},{KEY_A}"}).master_key == f"{KEY_B},{KEY_A}"
