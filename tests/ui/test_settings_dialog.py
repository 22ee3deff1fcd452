"""The settings dialog: saved settings, key status words, the key only in the keyring, theme applied."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any, Iterator

import keyring
import keyring.backends.fail
import pytest

from app import apikey
from app.engine.generate import GenerateOptions
from app.paths import config_dir, data_dir
from app.settings import Settings, generate_options, load_settings, save_settings, settings_path
from app.ui.settings_dialog import CHECKING, PLANS_CHOICE, SettingsDialog
from tests.helpers.cli import copy_example
from tests.helpers.window import MakeWindow, read_dom
from tests.helpers.keyrings import MemoryKeyring

KEY = "sk-ant-dialog-canary-5c1d9e2f7a"


@pytest.fixture(autouse=True)
def _no_session_key() -> Iterator[None]:
    apikey.set_session_key(None)
    yield
    apikey.set_session_key(None)


class GatedKeyring(MemoryKeyring):
    """Answers only when the test opens the gate; records which thread asked."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()
        self.threads: list[threading.Thread] = []

    def get_password(self, service: str, username: str) -> str | None:
        self.threads.append(threading.current_thread())
        self.gate.wait(5)
        return super().get_password(service, username)




def make_dialog(qtbot: Any, settings: Settings | None = None) -> SettingsDialog:
    dialog = SettingsDialog(settings or Settings())
    qtbot.addWidget(dialog)
    return dialog


def settled(qtbot: Any, dialog: SettingsDialog) -> SettingsDialog:
    qtbot.waitUntil(lambda: not dialog.busy and dialog.key_status is not None, timeout=10000)
    return dialog


def all_written_text(*folders: Path) -> str:
    parts: list[str] = []
    for folder in (config_dir(), data_dir(), *folders):
        if folder.exists():
            parts += [p.read_bytes().decode("utf-8", "replace") for p in folder.rglob("*") if p.is_file()]
    return "\n".join(parts)


# -- key status ------------------------------------------------------------------------------


def test_no_keyring_means_not_set_and_offers_env_or_session(qtbot: Any) -> None:
    # conftest selects the null backend, as a headless box without Secret Service has.
    dialog = settled(qtbot, make_dialog(qtbot))
    assert dialog.status_words == "not set"
    assert dialog.status_label.text() == "API key: not set"
    help_text = dialog.keyring_label.text()
    assert "No system keyring" in help_text and "ANTHROPIC_API_KEY" in help_text
    assert "this session only" in help_text
    dialog.key_edit.setText(KEY)
    assert not dialog.save_key_button.isEnabled() and not dialog.remove_key_button.isEnabled()
    assert dialog.session_key_button.isEnabled()


def test_missing_keyring_backend_is_no_key_stored(qtbot: Any) -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    try:
        dialog = settled(qtbot, make_dialog(qtbot))
    finally:
        keyring.set_keyring(previous)
    assert dialog.status_words == "not set"
    assert "No system keyring is available" in dialog.keyring_label.text()


def test_environment_key_is_shown_as_set_and_wins(
    qtbot: Any, monkeypatch: pytest.MonkeyPatch, memory_keyring: MemoryKeyring
) -> None:
    memory_keyring.set_password(apikey.KEYRING_SERVICE, apikey.KEYRING_USER, "sk-ant-in-keyring-xyz")
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    dialog = settled(qtbot, make_dialog(qtbot))
    assert dialog.status_words == "set (from environment)"
    assert not dialog.env_label.isHidden() and "wins" in dialog.env_label.text()
    assert KEY not in dialog.status_label.text()


def test_keyring_key_is_shown_as_set(qtbot: Any, memory_keyring: MemoryKeyring) -> None:
    memory_keyring.set_password(apikey.KEYRING_SERVICE, apikey.KEYRING_USER, KEY)
    dialog = settled(qtbot, make_dialog(qtbot))
    assert dialog.status_words == "set (system keyring)"
    assert dialog.env_label.isHidden()
    shown = " ".join(w.text() for w in (dialog.status_label, dialog.keyring_label, dialog.key_edit))
    assert KEY not in shown


def test_keyring_runs_off_the_gui_thread_with_checking_meanwhile(qtbot: Any) -> None:
    backend = GatedKeyring()
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    try:
        dialog = make_dialog(qtbot)
        qtbot.waitUntil(lambda: bool(backend.threads), timeout=5000)
        assert dialog.busy and dialog.status_words == CHECKING
        assert dialog.status_label.text() == f"API key: {CHECKING}"
        assert backend.threads[0] is not threading.main_thread()
        backend.gate.set()
        settled(qtbot, dialog)
    finally:
        backend.gate.set()
        keyring.set_keyring(previous)
    assert dialog.status_words == "not set"


# -- entering a key --------------------------------------------------------------------------


def test_saving_a_key_puts_it_in_the_keyring_and_nowhere_on_disk(
    qtbot: Any, memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    dialog = settled(qtbot, make_dialog(qtbot))
    assert dialog.status_words == "not set"
    dialog.key_edit.setText(KEY)
    assert dialog.save_key_button.isEnabled()
    dialog.save_key_button.click()
    settled(qtbot, dialog)
    assert memory_keyring.items[(apikey.KEYRING_SERVICE, apikey.KEYRING_USER)] == KEY
    assert dialog.status_words == "set (system keyring)"
    assert dialog.key_edit.text() == ""

    dialog.accept()
    assert settings_path().is_file()
    assert KEY not in all_written_text(tmp_path)

    again = settled(qtbot, make_dialog(qtbot))
    again.remove_key_button.click()
    settled(qtbot, again)
    assert memory_keyring.items == {}
    assert again.status_words == "not set"


def test_session_key_stays_in_memory(qtbot: Any, tmp_path: Path) -> None:
    dialog = settled(qtbot, make_dialog(qtbot))
    dialog.key_edit.setText(KEY)
    dialog.session_key_button.click()
    settled(qtbot, dialog)
    assert dialog.status_words == "set (this session only)"
    assert apikey.lookup_key().key == KEY
    dialog.accept()
    assert KEY not in all_written_text(tmp_path)


def test_a_failing_keyring_is_one_line_without_the_key(qtbot: Any, memory_keyring: MemoryKeyring) -> None:
    def broken(service: str, username: str, password: str) -> None:
        raise OSError(f"backend exploded while storing {password}")

    memory_keyring.set_password = broken  # type: ignore[method-assign]
    dialog = settled(qtbot, make_dialog(qtbot))
    dialog.key_edit.setText(KEY)
    dialog.save_key_button.click()
    settled(qtbot, dialog)
    assert dialog.error == "could not save the key: the system keyring failed (OSError)"
    assert KEY not in dialog.error_label.text()
    assert dialog.status_words == "not set"


# -- the other settings ----------------------------------------------------------------------


def test_ok_saves_what_the_widgets_show(qtbot: Any) -> None:
    start = Settings(model="my-local-model", concurrency=3, recent_files=["/plans/a.md"])
    dialog = make_dialog(qtbot, start)
    assert dialog.model_combo.currentText() == "my-local-model"
    assert dialog.current_settings() == start  # nothing changed yet
    # Meanwhile the window opened another plan: OK keeps the recent files it saved.
    save_settings(Settings(recent_files=["/plans/b.md", "/plans/a.md"]))

    dialog.model_combo.setCurrentText(PLANS_CHOICE)
    dialog.concurrency_spin.setValue(dialog.concurrency_spin.minimum())  # "(the plan's)"
    dialog.max_tokens_spin.setValue(2048)
    dialog.stall_spin.setValue(30)
    dialog.attempts_spin.setValue(2)
    dialog.column_spin.setValue(500)
    dialog.theme_combo.setCurrentIndex(dialog.theme_combo.findData("light"))
    assert "characters" in dialog.budget_label.text()
    dialog.accept()
    expected = Settings(model=None, concurrency=None, max_tokens=2048, stall_timeout_s=30.0,
                        max_attempts=2, column_px=500, theme="light",
                        recent_files=["/plans/b.md", "/plans/a.md"])
    assert dialog.saved == expected
    assert load_settings() == expected
    assert json.loads(settings_path().read_text(encoding="utf-8"))["theme"] == "light"


def test_a_key_typed_as_the_model_is_refused(qtbot: Any) -> None:
    dialog = make_dialog(qtbot)
    dialog.show()
    dialog.model_combo.setCurrentText(KEY)
    dialog.accept()
    assert dialog.isVisible() and dialog.saved is None
    assert "looks like an API key" in dialog.error
    assert not settings_path().exists()


def test_settings_fill_in_the_generate_options() -> None:
    settings = Settings(model="claude-sonnet-4-5", concurrency=2, max_tokens=900,
                        stall_timeout_s=20.0, max_attempts=7)
    merged = generate_options(settings, GenerateOptions(only=("A",), concurrency=5))
    assert (merged.only, merged.concurrency, merged.model, merged.max_tokens) == (("A",), 5, "claude-sonnet-4-5", 900)
    assert (merged.stall_timeout_s, merged.max_attempts) == (20.0, 7)
    assert generate_options(Settings(), GenerateOptions()).model is None


def test_ok_applies_theme_and_concurrency_to_the_window(
    qtbot: Any, tmp_path: Path, make_window: MakeWindow
) -> None:
    window = make_window(copy_example(tmp_path))
    dialog = window.open_settings()
    dialog.theme_combo.setCurrentIndex(dialog.theme_combo.findData("dark"))
    dialog.concurrency_spin.setValue(9)
    dialog.model_combo.setCurrentText("claude-opus-4-5")
    dialog.accept()

    assert window.session.settings.theme == "dark" and load_settings().theme == "dark"
    assert window.panel.concurrency_spin.value() == 9
    # Another model is another request: the example's cards are now stale.
    assert set(window.session.states.values()) == {"stale"}
    qtbot.waitUntil(
        lambda: "theme-dark" in read_dom(window, qtbot, "document.documentElement.className"),
        timeout=5000,
    )
