"""Test-wide setup: offscreen Qt, no real keyring, no real user folders, never the internet; and the
fixtures every kind of test shares: the Messages API stand-in and an in-memory keyring."""

from __future__ import annotations

import os

# Set before anything imports Qt or the SDK.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
if hasattr(os, "geteuid") and os.geteuid() == 0:
    # Chromium refuses to start as root with its sandbox on (silently, under pytest).
    os.environ["QTWEBENGINE_DISABLE_SANDBOX"] = "1"
os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"
for _var in ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "ANTHROPIC_AUTH_TOKEN", "OPENAI_API_KEY",
             "CARDSMITH_PROVIDER", "CARDSMITH_OPENAI_BASE_URL"):
    os.environ.pop(_var, None)

from collections.abc import Iterator  # noqa: E402
from contextlib import ExitStack  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402

from tests.helpers.keyrings import MemoryKeyring, keyring_backend  # noqa: E402
from tests.helpers.server_thread import KEY, ServedStandIn, StandIn, StandInThread  # noqa: E402


@pytest.fixture(autouse=True)
def _private_user_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point config, data and cache folders at temporary ones so tests never touch real files."""
    base = tmp_path_factory.mktemp("userdirs")
    monkeypatch.setenv("CARDSMITH_CONFIG_DIR", str(base / "config"))
    monkeypatch.setenv("CARDSMITH_DATA_DIR", str(base / "data"))
    monkeypatch.setenv("CARDSMITH_CACHE_DIR", str(base / "cache"))


@pytest.fixture
def stand_in(monkeypatch: pytest.MonkeyPatch) -> Iterator[StandIn]:
    """``stand_in(api_key=None, **options)`` starts a Messages API stand-in (tests/fakes; the options
    are ``FakeMessagesAPI``'s) serving from a thread of its own until the test ends.

    ANTHROPIC_BASE_URL points at it, so the SDK anywhere in the test (a provider, the command line,
    a process started with this environment) reaches it and never the internet; with ``api_key``,
    ANTHROPIC_API_KEY holds that key.
    """
    with ExitStack() as running:

        def start(*, api_key: str | None = None, **options: Any) -> ServedStandIn:
            api = running.enter_context(StandInThread(**options))
            monkeypatch.setenv("ANTHROPIC_BASE_URL", api.base_url)
            if api_key is not None:
                monkeypatch.setenv("ANTHROPIC_API_KEY", api_key)
            return api

        yield start


@pytest.fixture
def api(stand_in: StandIn) -> ServedStandIn:
    """The stand-in most tests need: every card good, and the environment pointing the SDK at it
    with the canary ``KEY`` (tests/helpers/server_thread.py). Script it per test; a module that
    needs other options overrides this fixture with ``stand_in(...)``."""
    return stand_in(api_key=KEY)


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    """An in-memory keyring in place of the null one for the test."""
    with keyring_backend(MemoryKeyring()) as backend:
        yield backend
