"""What the window remembers between starts: geometry and splitter sizes, and the recent plans.

Window state lives in ``data_dir()/window-state.json`` (Qt's own state blobs, base64), apart from
the preferences; it is written atomically, and a missing or damaged file just means "nothing
remembered". The recent plans are a field of the preferences (``app.settings``).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QByteArray
from PySide6.QtWidgets import QSplitter

from app.core.fsutil import atomic_write
from app.errors import CardsmithError
from app.paths import data_dir

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow

STATE_FILE = "window-state.json"
MAX_RECENT = 10
FORMAT_VERSION = 1


def state_file() -> Path:
    return data_dir() / STATE_FILE


def _splitters(window: "MainWindow") -> dict[str, QSplitter]:
    found = {"main_splitter": window.splitter}
    left = window.splitter.widget(0)
    if isinstance(left, QSplitter):
        found["left_splitter"] = left
    return found


def _encode(data: QByteArray) -> str:
    return base64.b64encode(bytes(data.data())).decode("ascii")


def _decode(text: object) -> QByteArray | None:
    if not isinstance(text, str):
        return None
    try:
        return QByteArray(base64.b64decode(text.encode("ascii"), validate=True))
    except (binascii.Error, ValueError):
        return None


def save_window_state(window: "MainWindow") -> bool:
    """Write the window's geometry and splitter sizes; False when the data folder is not writable."""
    record: dict[str, Any] = {"version": FORMAT_VERSION, "geometry": _encode(window.saveGeometry())}
    for name, splitter in _splitters(window).items():
        record[name] = _encode(splitter.saveState())
    try:
        state_file().parent.mkdir(parents=True, exist_ok=True)
        atomic_write(state_file(), json.dumps(record, indent=1) + "\n")
    except OSError:
        return False
    return True


def restore_window_state(window: "MainWindow") -> bool:
    """Apply the remembered geometry and splitter sizes (call before ``show()``)."""
    record = _read_json(state_file())
    if not isinstance(record, dict):
        return False
    restored = False
    geometry = _decode(record.get("geometry"))
    if geometry is not None:
        restored = window.restoreGeometry(geometry) or restored
    for name, splitter in _splitters(window).items():
        state = _decode(record.get(name))
        if state is not None:
            restored = splitter.restoreState(state) or restored
    return restored


def remember_window_state(window: "MainWindow") -> bool:
    """Restore the remembered state now and save it again when the window closes (the app's window;
    windows made by tests or the screenshot keep Qt's defaults unless they ask)."""
    window.closing.connect(lambda: save_window_state(window))
    return restore_window_state(window)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


# -- recent plans -------------------------------------------------------------------------------
# They live in the preferences (app.settings, ``recent_files``), most recent first.


def load_recent() -> list[Path]:
    """Most recent first, at most MAX_RECENT, plans that no longer exist dropped."""
    from app.settings import load_settings

    paths: list[Path] = []
    for entry in load_settings().recent_files:
        path = Path(entry)
        if path.is_file() and path not in paths:
            paths.append(path)
    return paths[:MAX_RECENT]


def save_recent(paths: list[Path], window: "MainWindow | None" = None) -> list[Path]:
    """Store ``paths`` as the recent plans (re-reading the preferences first, so nothing else they
    hold is lost) and keep the window's copy of the preferences in step."""
    from app.settings import load_settings, save_settings

    entries = [str(p) for p in paths[:MAX_RECENT]]
    settings = load_settings()
    settings.recent_files = entries
    try:
        save_settings(settings)
    except CardsmithError:
        pass  # an unwritable config folder only costs the list
    current = getattr(window, "settings", None)
    if current is not None and hasattr(current, "recent_files"):
        current.recent_files = list(entries)
    return [Path(e) for e in entries]


def add_recent(path: Path, window: "MainWindow | None" = None) -> list[Path]:
    """Put ``path`` first; returns the new list."""
    entry = Path(os.path.abspath(path))
    return save_recent([entry] + [p for p in load_recent() if p != entry], window)


def remove_recent(path: Path, window: "MainWindow | None" = None) -> list[Path]:
    entry = Path(os.path.abspath(path))
    return save_recent([p for p in load_recent() if p != entry], window)


def clear_recent(window: "MainWindow | None" = None) -> None:
    save_recent([], window)
