"""User settings: round trip, a corrupt file never stops the app, and no API key in any file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

import pytest

from app import apikey
from app.core.plan import parse_plan
from app.core.store import StoreSnapshot
from app.engine.generate import GenerateOptions, plan_generation
from app.paths import config_dir, data_dir
from app.settings import (
    MAX_RECENT,
    Settings,
    SettingsError,
    add_recent_file,
    load_settings,
    save_settings,
    settings_path,
)

ENV_CANARY = "sk-ant-canary-env-3f9a1c7e5b"
SESSION_CANARY = "sk-ant-canary-session-8d2e6b4a1f"


@pytest.fixture
def session_key() -> Iterator[str]:
    apikey.set_session_key(SESSION_CANARY)
    yield SESSION_CANARY
    apikey.set_session_key(None)


def every_file_text() -> str:
    """Everything under the (test's private) config and data folders, as one string."""
    parts: list[str] = []
    for folder in (config_dir(), data_dir()):
        if folder.exists():
            parts += [p.read_bytes().decode("utf-8", "replace") for p in folder.rglob("*") if p.is_file()]
    return "\n".join(parts)


def test_missing_file_gives_defaults() -> None:
    assert not settings_path().exists()
    assert load_settings() == Settings()


def test_round_trip_keeps_every_field() -> None:
    settings = Settings(
        model="claude-sonnet-4-5",
        concurrency=7,
        max_tokens=2048,
        stall_timeout_s=45.0,
        max_attempts=6,
        column_px=480,
        theme="dark",
        recent_files=["/plans/a.md", "/plans/b.md"],
    )
    save_settings(settings)
    assert settings_path().parent == config_dir()
    assert load_settings() == settings
    # Written atomically: no temporary file left beside it.
    assert [p.name for p in config_dir().iterdir()] == ["settings.json"]


def test_plans_values_stay_none() -> None:
    save_settings(Settings(model=None, concurrency=None, max_tokens=None))
    data = json.loads(settings_path().read_text(encoding="utf-8"))
    assert data["model"] is None and data["concurrency"] is None and data["max_tokens"] is None
    assert load_settings() == Settings()


@pytest.mark.parametrize(
    "content",
    [
        b"{not json",
        b"\xff\xfe\x00garbage",
        b"[1, 2, 3]",
        b"null",
        b"",
        json.dumps({"concurrency": "many", "theme": "purple", "column_px": 5}).encode(),
    ],
)
def test_corrupt_file_gives_defaults(content: bytes) -> None:
    settings_path().parent.mkdir(parents=True, exist_ok=True)
    settings_path().write_bytes(content)
    assert load_settings() == Settings()


def test_each_invalid_value_falls_back_alone() -> None:
    settings_path().parent.mkdir(parents=True, exist_ok=True)
    settings_path().write_text(
        json.dumps(
            {
                "model": "claude-opus-4-5",
                "concurrency": 17,  # out of range
                "max_tokens": True,  # a bool is not a number
                "stall_timeout_s": "NaN",
                "max_attempts": 3,
                "column_px": 640,
                "theme": "light",
                "recent_files": ["/a.md", 5, "/a.md", "", "/b.md"],
                "unknown": {"nested": 1},
            }
        ),
        encoding="utf-8",
    )
    assert load_settings() == Settings(
        model="claude-opus-4-5", max_attempts=3, column_px=640, theme="light", recent_files=["/a.md", "/b.md"]
    )


def test_recent_files_are_unique_newest_first_and_capped() -> None:
    settings = Settings()
    for i in range(MAX_RECENT + 3):
        settings = add_recent_file(settings, f"/plans/{i}.md")
    settings = add_recent_file(settings, "/plans/5.md")
    assert len(settings.recent_files) == MAX_RECENT
    assert settings.recent_files[0] == "/plans/5.md"
    assert settings.recent_files.count("/plans/5.md") == 1
    save_settings(settings)
    assert load_settings().recent_files == settings.recent_files


def test_no_key_in_any_file(monkeypatch: pytest.MonkeyPatch, session_key: str) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", ENV_CANARY)
    save_settings(Settings(model="claude-haiku-4-5", recent_files=["/plans/guide.md"]))
    text = every_file_text()
    assert "claude-haiku-4-5" in text  # the file was written and is read here
    assert ENV_CANARY not in text and session_key not in text
    assert "sk-ant" not in text


@pytest.mark.parametrize(
    "settings",
    [
        Settings(model=ENV_CANARY),
        Settings(model="sk-proj-ABCDEFGHIJKLMNOPQRSTUV"),
        Settings(recent_files=[f"/home/me/{SESSION_CANARY}.md"]),
    ],
    ids=["env-key-as-model", "key-shaped-model", "session-key-in-a-path"],
)
def test_save_refuses_a_key(monkeypatch: pytest.MonkeyPatch, session_key: str, settings: Settings) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", ENV_CANARY)
    with pytest.raises(SettingsError, match="API key"):
        save_settings(settings)
    assert not settings_path().exists()
    assert ENV_CANARY not in every_file_text()


def test_a_key_in_the_file_is_never_loaded() -> None:
    settings_path().parent.mkdir(parents=True, exist_ok=True)
    settings_path().write_text(json.dumps({"model": "sk-ant-api03-abcdefghijklmnopqrstuvwxyz"}), encoding="utf-8")
    assert load_settings().model is None


def test_unwritable_config_folder_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(SettingsError, match="cannot save the settings"):
        save_settings(Settings(), blocker / "settings.json")


# --- the max_tokens override reaches the request (GenerateOptions.max_tokens) --------------------

PLAN = """---
title: T
max_tokens: 1024
---
Context.

## One
Show one thing.
"""


def test_max_tokens_option_overrides_the_plans_and_changes_the_request() -> None:
    plan = parse_plan(PLAN)
    snapshot = StoreSnapshot(folder=Path("unused.cards"), cards={})
    [plain] = plan_generation(plan, snapshot, GenerateOptions())
    [raised] = plan_generation(plan, snapshot, GenerateOptions(max_tokens=2048))
    # The card's own budget; thinking's headroom is added on top of either (app.core.thinking).
    assert plain.request.card_max_tokens == 1024
    assert raised.request.card_max_tokens == 2048
    # A different max_tokens is a different request: cards made with the old one become stale.
    assert raised.request.sha256() != plain.request.sha256()
