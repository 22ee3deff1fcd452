"""Where the key comes from, and that it is never shown."""

from __future__ import annotations

import keyring
import pytest

from app import apikey
from tests.helpers.keyrings import MemoryKeyring


class HangingKeyring(MemoryKeyring):
    def get_password(self, service: str, username: str) -> str | None:
        import time

        time.sleep(2)
        return "too-late"


@pytest.fixture
def memory_keyring() -> MemoryKeyring:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


def test_environment_wins(monkeypatch: pytest.MonkeyPatch, memory_keyring: MemoryKeyring) -> None:
    memory_keyring.set_password(apikey.KEYRING_SERVICE, apikey.KEYRING_USER, "sk-from-keyring")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-from-env")
    found = apikey.lookup_key()
    assert (found.key, found.source) == ("sk-from-env", "environment")


def test_keyring_then_store_and_delete(memory_keyring: MemoryKeyring) -> None:
    assert apikey.lookup_key().source == "none"
    apikey.store_key("sk-canary-123")
    found = apikey.lookup_key()
    assert (found.key, found.source) == ("sk-canary-123", "keyring")
    assert "sk-canary-123" not in repr(found)
    apikey.delete_key()
    assert apikey.lookup_key().key is None


def test_null_keyring_means_no_key_stored() -> None:
    # conftest selects keyring.backends.null.Keyring, as on a headless box.
    found = apikey.lookup_key()
    assert found.key is None and found.source == "none" and found.note


def test_missing_keyring_is_not_an_error() -> None:
    import keyring.backends.fail

    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    try:
        found = apikey.lookup_key()
    finally:
        keyring.set_keyring(previous)
    assert found.key is None and "no system keyring" in found.note


def test_hung_keyring_times_out() -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(HangingKeyring())
    try:
        found = apikey.lookup_key(timeout_s=0.2)
    finally:
        keyring.set_keyring(previous)
    assert found.key is None and "did not answer" in found.note


def test_session_key_is_kept_in_memory_only() -> None:
    apikey.set_session_key("sk-session")
    try:
        assert apikey.lookup_key().source == "session"
    finally:
        apikey.set_session_key(None)
    assert apikey.lookup_key().key is None
