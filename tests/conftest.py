"""Test-wide setup: offscreen Qt, no real keyring, no real user folders, never the internet."""

from __future__ import annotations

import os

# Set before anything imports Qt or the SDK.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
if hasattr(os, "geteuid") and os.geteuid() == 0:
    # Chromium refuses to start as root with its sandbox on (silently, under pytest).
    os.environ["QTWEBENGINE_DISABLE_SANDBOX"] = "1"
os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"
for _var in ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "ANTHROPIC_AUTH_TOKEN"):
    os.environ.pop(_var, None)

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _private_user_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point config and data folders at temporary ones so tests never touch real files."""
    base = tmp_path_factory.mktemp("userdirs")
    monkeypatch.setenv("CARDSMITH_CONFIG_DIR", str(base / "config"))
    monkeypatch.setenv("CARDSMITH_DATA_DIR", str(base / "data"))
