"""Where the API key comes from: ``ANTHROPIC_API_KEY``, else the system keyring; never a file.

Keyring calls can block (a locked Secret Service prompts the user), so they run in a worker thread
with a timeout. A missing keyring backend is "no key stored", not an error: callers offer the
environment variable or a key kept in memory for this session.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from typing import Callable, Literal, TypeVar

T = TypeVar("T")

ENV_VAR = "ANTHROPIC_API_KEY"
KEYRING_SERVICE = "cardsmith"
KEYRING_USER = "anthropic-api-key"

KeySource = Literal["environment", "keyring", "session", "none"]


@dataclass(frozen=True)
class KeyLookup:
    """The key (never printed: ``repr`` hides it) and where it came from."""

    key: str | None
    source: KeySource
    note: str = ""
    """Why there is no key, e.g. "no system keyring is available"."""

    def __repr__(self) -> str:
        shown = "set" if self.key else "not set"
        return f"KeyLookup(key=<{shown}>, source={self.source!r}, note={self.note!r})"


_session_key: str | None = None


def set_session_key(key: str | None) -> None:
    """Keep a key in memory for this process only (when no keyring is available)."""
    global _session_key
    _session_key = key or None


class KeyringTimeout(TimeoutError):
    """The keyring backend did not answer in time."""


def run_with_timeout(fn: Callable[[], T], timeout_s: float) -> T:
    """Run a keyring call in a daemon thread: a hung backend must not hang the app, nor its exit
    (a ThreadPoolExecutor's workers are joined at interpreter exit)."""
    box: dict[str, object] = {}

    def target() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # handed to the caller's thread
            box["error"] = exc

    worker = threading.Thread(target=target, name="keyring", daemon=True)
    worker.start()
    worker.join(timeout_s)
    if worker.is_alive():
        raise KeyringTimeout()
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["value"]  # type: ignore[return-value]


def _keyring_get() -> str | None:
    import keyring

    return keyring.get_password(KEYRING_SERVICE, KEYRING_USER)


def lookup_key(*, timeout_s: float = 3.0) -> KeyLookup:
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        return KeyLookup(env, "environment")
    if _session_key:
        return KeyLookup(_session_key, "session")
    try:
        stored = run_with_timeout(_keyring_get, timeout_s)
    except KeyringTimeout:
        return KeyLookup(None, "none", "the system keyring did not answer in time")
    except Exception as exc:  # NoKeyringError, a locked or broken backend: all mean "no key stored"
        if type(exc).__name__ == "NoKeyringError":
            return KeyLookup(None, "none", "no system keyring is available")
        return KeyLookup(None, "none", f"the system keyring failed ({type(exc).__name__})")
    if stored:
        return KeyLookup(stored, "keyring")
    return KeyLookup(None, "none", "no key is stored in the system keyring")


def store_key(key: str, *, timeout_s: float = 3.0) -> None:
    """Save the key in the system keyring; raises RuntimeError (or the backend's error) on failure."""
    import keyring

    backend = keyring.get_keyring()
    # A plaintext backend would put the key in a file: refuse it outright.
    if type(backend).__module__.startswith("keyrings.alt"):
        raise RuntimeError("refusing to store the API key with a plaintext keyring backend")
    run_with_timeout(lambda: keyring.set_password(KEYRING_SERVICE, KEYRING_USER, key), timeout_s)


def delete_key(*, timeout_s: float = 3.0) -> None:
    import keyring

    def _delete() -> None:
        try:
            keyring.delete_password(KEYRING_SERVICE, KEYRING_USER)
        except keyring.errors.PasswordDeleteError:
            pass

    run_with_timeout(_delete, timeout_s)


MISSING_KEY_HELP = (
    "no API key: set ANTHROPIC_API_KEY in the environment"
    " (or store one from the window's Settings)"
)
