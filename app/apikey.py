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


# --- whether a key can be stored here (blocking: the window calls these off the GUI thread) ------

KEYRING_TIMEOUT_S = 3.0


@dataclass(frozen=True)
class KeyStatus:
    """Where the key comes from, and whether a keyring could store one."""

    source: KeySource
    note: str = ""
    keyring_problem: str = ""
    """Why keys cannot be stored in a keyring here; "" when a usable keyring exists."""


def check_key_status(timeout_s: float = KEYRING_TIMEOUT_S) -> KeyStatus:
    """Where the key comes from and whether a keyring can store one. Blocks up to ~2 timeouts."""
    found = lookup_key(timeout_s=timeout_s)
    return KeyStatus(found.source, found.note, keyring_problem(found.note, timeout_s))


def keyring_problem(note: str, timeout_s: float = KEYRING_TIMEOUT_S) -> str:
    """"" when keys can be stored; else one line saying why not."""
    if note == "no system keyring is available":
        return "No system keyring is available here (a headless Linux box has no Secret Service)."
    try:
        backend = run_with_timeout(_keyring_backend, timeout_s)
    except KeyringTimeout:
        return ""  # a slow keyring is still a keyring; storing reports its own timeout
    except Exception:  # noqa: BLE001 - any failure to pick a backend means "no keyring"
        return "No system keyring is available here."
    module = type(backend).__module__
    if module.startswith("keyrings.alt"):
        return "The only keyring here keeps passwords in a plain file; Cardsmith will not use it."
    if module in ("keyring.backends.null", "keyring.backends.fail"):
        return "No system keyring is available here (the keyring is turned off or missing)."
    if module == "keyring.backends.chainer" and not getattr(backend, "backends", ()):
        return "No system keyring is available here."
    return ""


def _keyring_backend() -> object:
    import keyring

    return keyring.get_keyring()


def describe_keyring_error(exc: BaseException) -> str:
    """One line without the exception's text, which a backend might fill with anything."""
    if isinstance(exc, KeyringTimeout):
        return "the system keyring did not answer in time"
    if type(exc).__name__ == "NoKeyringError":
        return "no system keyring is available"
    if isinstance(exc, RuntimeError) and "plaintext" in str(exc):
        return str(exc)  # store_key's own refusal
    return f"the system keyring failed ({type(exc).__name__})"
