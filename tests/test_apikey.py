"""Where the key comes from, and that it is never shown."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import keyring.backends.fail
import pytest

from app import apikey
from tests.helpers.keyrings import MemoryKeyring, keyring_backend


class HangingKeyring(MemoryKeyring):
    """Answers only once the test is over (``release``), long after the lookup gave up."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()

    def get_password(self, service: str, username: str) -> str | None:
        self.release.wait(30)
        return "too-late"


@pytest.fixture
def hanging_keyring() -> Iterator[HangingKeyring]:
    with keyring_backend(HangingKeyring()) as backend:
        yield backend
        backend.release.set()


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
    with keyring_backend(keyring.backends.fail.Keyring()):
        found = apikey.lookup_key()
    assert found.key is None and "no system keyring" in found.note


def test_hung_keyring_times_out(hanging_keyring: HangingKeyring) -> None:
    found = apikey.lookup_key(timeout_s=0.2)
    assert found.key is None and "did not answer" in found.note


def test_session_key_is_kept_in_memory_only() -> None:
    apikey.set_session_key("sk-session")
    try:
        assert apikey.lookup_key().source == "session"
    finally:
        apikey.set_session_key(None)
    assert apikey.lookup_key().key is None
