"""The settings dialog: provider and models (``app.ui.provider_box``), limits, column, theme, and
where the API key comes from (docs/formats.md#the-api-key).

The key is shown only as where it comes from ("set (system keyring)"...), never as text. Every
keyring call runs off the GUI thread (``asyncio.to_thread`` on the qasync loop; ``app.apikey``
adds its own timeout), with "checking…" shown meanwhile. A missing keyring is "no key stored": the
dialog explains it and offers the environment variable or a key kept in memory for this session.
The key is never written anywhere but the keyring, and never logged.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Callable

import shiboken6
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app import apikey
from app.apikey import KEYRING_TIMEOUT_S, KeyStatus, check_key_status, describe_keyring_error
from app.core.contract import width_budget
from app.core.ranges import (
    COLUMN_RANGE,
    CONCURRENCY_RANGE,
    MAX_ATTEMPTS_RANGE,
    MAX_TOKENS_RANGE,
    STALL_TIMEOUT_RANGE,
)
from app.settings import (
    Settings,
    SettingsError,
    load_settings,
    save_settings,
)
from app.ui.provider_box import ERROR_STYLE, PLANS_CHOICE, ProviderBox
from app.ui.qtapp import event_loop

__all__ = ["CHECKING", "PLANS_CHOICE", "SettingsDialog", "open_settings_dialog"]
THEME_CHOICES: tuple[tuple[str, str], ...] = (
    ("auto", "Automatic (follow the system)"),
    ("light", "Light"),
    ("dark", "Dark"),
)
STATUS_WORDS: dict[str, str] = {
    "environment": "set (from environment)",
    "keyring": "set (system keyring)",
    "session": "set (this session only)",
    "none": "not set",
}
PROVIDERS_CHOICE = "(the provider's)"
CHECKING = "checking…"
NO_KEYRING_HELP = (
    "Set ANTHROPIC_API_KEY in the environment before starting Cardsmith, or use a key for this"
    " session only (kept in memory, forgotten when Cardsmith quits)."
)


def open_settings_dialog(settings: Settings, parent: QWidget | None = None) -> SettingsDialog:
    """Show the dialog without a nested event loop; OK saves the settings and emits
    ``settings_saved`` with them (the caller applies them)."""
    dialog = SettingsDialog(settings, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog


# --- the dialog ---------------------------------------------------------------------------------


class SettingsDialog(QDialog):
    """Edit ``settings``; OK saves them (``saved`` is then the new Settings), emits
    ``settings_saved(Settings)`` and closes.

    Attributes for tests: ``key_status`` (the last KeyStatus, None while checking), ``busy``
    (a keyring call is running), ``error`` (the last one-line problem, "" if none).
    """

    settings_saved = Signal(object)

    def __init__(self, settings: Settings, parent: QWidget | None = None, *, check_now: bool = True) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.initial = settings
        self.saved: Settings | None = None
        self.key_status: KeyStatus | None = None
        self.error = ""
        self._tasks: set[asyncio.Task[None]] = set()
        self._finished = False

        self.provider_box = ProviderBox(settings, self)
        self.model_combo = self.provider_box.model_combo
        self._build_general(settings)
        self._build_key_section()
        self.error_label = QLabel(self)
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet(ERROR_STYLE)
        self.error_label.hide()
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.provider_box)
        layout.addWidget(self.general_box)
        layout.addWidget(self.key_box)
        layout.addWidget(self.error_label)
        layout.addWidget(buttons)
        if check_now:
            self.refresh_key_status()

    # -- general settings ------------------------------------------------------------------

    def _build_general(self, s: Settings) -> None:
        self.general_box = QGroupBox("Generation and preview", self)
        self.concurrency_spin = self._optional_spin(CONCURRENCY_RANGE, s.concurrency)
        self.max_tokens_spin = self._optional_spin(MAX_TOKENS_RANGE, s.max_tokens)
        self.max_tokens_spin.setSingleStep(256)

        self.stall_spin = QDoubleSpinBox(self.general_box)
        self.stall_spin.setRange(STALL_TIMEOUT_RANGE[0] - 1, STALL_TIMEOUT_RANGE[1])
        self.stall_spin.setDecimals(0)
        self.stall_spin.setSuffix(" s")
        self.stall_spin.setSpecialValueText(PROVIDERS_CHOICE)
        self.stall_spin.setValue(s.stall_timeout_s if s.stall_timeout_s is not None else self.stall_spin.minimum())
        self.stall_spin.setToolTip("A stream that sends nothing for this long is retried; the"
                                   " provider's: 60 s, a local server 300 s")

        self.attempts_spin = QSpinBox(self.general_box)
        self.attempts_spin.setRange(*MAX_ATTEMPTS_RANGE)
        self.attempts_spin.setValue(s.max_attempts)
        self.attempts_spin.setToolTip("Requests per card, retries included")

        self.column_spin = QSpinBox(self.general_box)
        self.column_spin.setRange(*COLUMN_RANGE)
        self.column_spin.setSingleStep(10)
        self.column_spin.setSuffix(" px")
        self.column_spin.setValue(s.column_px)
        self.budget_label = QLabel(self.general_box)
        self.column_spin.valueChanged.connect(self._update_budget)
        self._update_budget(s.column_px)

        self.theme_combo = QComboBox(self.general_box)
        for value, label in THEME_CHOICES:
            self.theme_combo.addItem(label, value)
        self.theme_combo.setCurrentIndex(max(0, self.theme_combo.findData(s.theme)))

        form = QFormLayout(self.general_box)
        form.addRow("Concurrency", self.concurrency_spin)
        form.addRow("Max tokens", self.max_tokens_spin)
        form.addRow("Stall timeout", self.stall_spin)
        form.addRow("Max attempts", self.attempts_spin)
        form.addRow("Column width", self.column_spin)
        form.addRow("", self.budget_label)
        form.addRow("Theme", self.theme_combo)

    def _optional_spin(self, bounds: tuple[int, int], value: int | None) -> QSpinBox:
        """A spin box whose lowest step means "the plan's value" (None)."""
        spin = QSpinBox(self.general_box)
        spin.setRange(bounds[0] - 1, bounds[1])
        spin.setSpecialValueText(PLANS_CHOICE)
        spin.setValue(value if value is not None else spin.minimum())
        return spin

    @staticmethod
    def _optional_value(spin: QSpinBox) -> int | None:
        return None if spin.value() == spin.minimum() else spin.value()

    def _update_budget(self, column_px: int) -> None:
        self.budget_label.setText(
            f"Code lines up to {width_budget(column_px)} characters: the card contract's width"
            " budget follows the column width."
        )

    def current_settings(self) -> Settings:
        stall = self.stall_spin.value()
        return replace(
            self.initial,
            **self.provider_box.values(),
            concurrency=self._optional_value(self.concurrency_spin),
            max_tokens=self._optional_value(self.max_tokens_spin),
            stall_timeout_s=None if stall == self.stall_spin.minimum() else float(stall),
            max_attempts=self.attempts_spin.value(),
            column_px=self.column_spin.value(),
            theme=self.theme_combo.currentData(),
        )

    def accept(self) -> None:
        # Recent files are not edited here, and the window updates them on disk meanwhile:
        # keep the file's list rather than the one this dialog started with.
        problem = self.provider_box.problem()
        if problem:
            self._show_error(problem)
            return
        settings = replace(self.current_settings(), recent_files=load_settings().recent_files)
        try:
            save_settings(settings)
        except SettingsError as exc:
            self._show_error(exc.message)
            return
        self.saved = settings
        self.settings_saved.emit(settings)
        super().accept()

    def done(self, result: int) -> None:
        self._finished = True
        super().done(result)

    # -- the API key -----------------------------------------------------------------------

    def _build_key_section(self) -> None:
        self.key_box = QGroupBox("API key", self)
        self.status_label = QLabel(f"API key: {CHECKING}", self.key_box)
        self.env_label = QLabel(
            "ANTHROPIC_API_KEY is set in the environment: it wins over the keyring and a session key.",
            self.key_box,
        )
        self.env_label.setWordWrap(True)
        self.env_label.hide()
        self.keyring_label = QLabel(self.key_box)
        self.keyring_label.setWordWrap(True)
        self.keyring_label.hide()
        self.key_edit = QLineEdit(self.key_box)
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.key_edit.setPlaceholderText("Paste a new key")
        self.save_key_button = QPushButton("Save to keyring", self.key_box)
        self.session_key_button = QPushButton("Use for this session only", self.key_box)
        self.remove_key_button = QPushButton("Remove from keyring", self.key_box)
        self.save_key_button.clicked.connect(self.save_key)
        self.session_key_button.clicked.connect(self.use_session_key)
        self.remove_key_button.clicked.connect(self.remove_key)
        self.key_edit.textChanged.connect(self._update_key_buttons)

        buttons = QHBoxLayout()
        for button in (self.save_key_button, self.session_key_button, self.remove_key_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self.key_box)
        layout.addWidget(self.status_label)
        layout.addWidget(self.env_label)
        layout.addWidget(self.keyring_label)
        layout.addWidget(self.key_edit)
        layout.addLayout(buttons)
        self._update_key_buttons()

    @property
    def busy(self) -> bool:
        return bool(self._tasks)

    @property
    def status_words(self) -> str:
        return STATUS_WORDS[self.key_status.source] if self.key_status else CHECKING

    def refresh_key_status(self) -> None:
        self._off_thread(check_key_status, self._show_status)

    def save_key(self) -> None:
        key = self._take_key()
        if key is None:
            return

        def store_and_check() -> KeyStatus:
            apikey.store_key(key, timeout_s=KEYRING_TIMEOUT_S)
            return check_key_status()

        self._off_thread(store_and_check, self._show_status, failed="could not save the key")

    def use_session_key(self) -> None:
        key = self._take_key()
        if key is None:
            return
        apikey.set_session_key(key)  # memory only: no keyring, no file
        self.refresh_key_status()

    def remove_key(self) -> None:
        def delete_and_check() -> KeyStatus:
            apikey.delete_key(timeout_s=KEYRING_TIMEOUT_S)
            return check_key_status()

        self._off_thread(delete_and_check, self._show_status, failed="could not remove the key")

    def _take_key(self) -> str | None:
        key = self.key_edit.text().strip()
        if not key:
            self._show_error("enter a key first")
            return None
        self.key_edit.clear()  # the key leaves the widget as soon as it is handed on
        return key

    def _show_status(self, status: KeyStatus) -> None:
        self.key_status = status
        self.status_label.setText(f"API key: {self.status_words}")
        self.env_label.setVisible(status.source == "environment")
        lines = []
        if status.keyring_problem:
            help_text = "" if status.source == "environment" else f" {NO_KEYRING_HELP}"
            lines.append(status.keyring_problem + help_text)
        elif status.source == "none" and status.note:
            lines.append(f"No key yet: {status.note}.")
        self.keyring_label.setText(" ".join(lines))
        self.keyring_label.setVisible(bool(lines))
        self._update_key_buttons()

    def _update_key_buttons(self, *_args: object) -> None:
        idle = not self.busy
        has_text = bool(self.key_edit.text().strip())
        usable = self.key_status is not None and not self.key_status.keyring_problem
        self.save_key_button.setEnabled(idle and has_text and usable)
        self.session_key_button.setEnabled(idle and has_text)
        self.remove_key_button.setEnabled(idle and usable)

    def _show_error(self, message: str) -> None:
        self.error = message
        self.error_label.setText(message[:1].upper() + message[1:] + ".")
        self.error_label.show()

    # -- running keyring calls off the GUI thread ------------------------------------------

    def _off_thread(
        self, fn: Callable[[], KeyStatus], done: Callable[[KeyStatus], None], *, failed: str = ""
    ) -> None:
        self.error_label.hide()
        self.error = ""
        self.key_status = None
        self.status_label.setText(f"API key: {CHECKING}")
        loop = event_loop()  # the qasync loop, running under app.exec()
        task = loop.create_task(self._call(fn, done, failed or "could not check the key"))
        self._tasks.add(task)
        self._update_key_buttons()

    async def _call(self, fn: Callable[[], KeyStatus], done: Callable[[KeyStatus], None], failed: str) -> None:
        try:
            status = await asyncio.to_thread(fn)
        except Exception as exc:  # noqa: BLE001 - shown as one line, never with its text
            status = None
            problem = f"{failed}: {describe_keyring_error(exc)}"
        finally:
            self._tasks = {t for t in self._tasks if not t.done() and t is not asyncio.current_task()}
        if self._finished or not shiboken6.isValid(self):
            return  # the dialog closed meanwhile
        if status is None:
            self.refresh_key_status()  # what is stored now, after the failed call
            self._show_error(problem)
            return
        done(status)
