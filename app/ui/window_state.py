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
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, SignalInstance
from PySide6.QtWidgets import QSplitter, QWidget

from app.core.fsutil import atomic_write
from app.errors import CardsmithError
from app.paths import data_dir
from app.settings import Settings, load_settings, save_settings

STATE_FILE = "window-state.json"
MAX_RECENT = 10
FORMAT_VERSION = 1


def state_file() -> Path:
    return data_dir() / STATE_FILE


Splitters = Mapping[str, QSplitter]
"""The window's splitters by the name their state is kept under ("main_splitter", ...)."""


def _encode(data: QByteArray) -> str:
    return base64.b64encode(bytes(data.data())).decode("ascii")


def _decode(text: object) -> QByteArray | None:
    if not isinstance(text, str):
        return None
    try:
        return QByteArray(base64.b64decode(text.encode("ascii"), validate=True))
    except (binascii.Error, ValueError):
        return None


def save_window_state(window: QWidget, splitters: Splitters) -> bool:
    """Write the window's geometry and splitter sizes; False when the data folder is not writable."""
    record: dict[str, Any] = {"version": FORMAT_VERSION, "geometry": _encode(window.saveGeometry())}
    for name, splitter in splitters.items():
        record[name] = _encode(splitter.saveState())
    try:
        state_file().parent.mkdir(parents=True, exist_ok=True)
        atomic_write(state_file(), json.dumps(record, indent=1) + "\n")
    except OSError:
        return False
    return True


def restore_window_state(window: QWidget, splitters: Splitters) -> bool:
    """Apply the remembered geometry and splitter sizes (call before ``show()``)."""
    record = _read_json(state_file())
    if not isinstance(record, dict):
        return False
    restored = False
    geometry = _decode(record.get("geometry"))
    if geometry is not None:
        restored = window.restoreGeometry(geometry) or restored
    for name, splitter in splitters.items():
        state = _decode(record.get(name))
        if state is not None:
            restored = splitter.restoreState(state) or restored
    return restored


def remember_window_state(window: QWidget, splitters: Splitters, closing: SignalInstance) -> bool:
    """Restore the remembered state now and save it again on ``closing`` (the app's window;
    windows made by tests or the screenshot keep Qt's defaults unless they ask)."""
    closing.connect(lambda: save_window_state(window, splitters))
    return restore_window_state(window, splitters)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


# -- recent plans -------------------------------------------------------------------------------
# They live in the preferences (app.settings, ``recent_files``), most recent first.


def load_recent() -> list[Path]:
    """Most recent first, at most MAX_RECENT, plans that no longer exist dropped."""
    paths: list[Path] = []
    for entry in load_settings().recent_files:
        path = Path(entry)
        if path.is_file() and path not in paths:
            paths.append(path)
    return paths[:MAX_RECENT]


def save_recent(paths: list[Path], keep: Settings | None = None) -> list[Path]:
    """Store ``paths`` as the recent plans (re-reading the preferences first, so nothing else they
    hold is lost) and keep ``keep`` (the session's copy of the preferences) in step."""
    entries = [str(p) for p in paths[:MAX_RECENT]]
    settings = load_settings()
    settings.recent_files = entries
    try:
        save_settings(settings)
    except CardsmithError:
        pass  # an unwritable config folder only costs the list
    if keep is not None:
        keep.recent_files = list(entries)
    return [Path(e) for e in entries]


def add_recent(path: Path, keep: Settings | None = None) -> list[Path]:
    """Put ``path`` first; returns the new list."""
    entry = Path(os.path.abspath(path))
    return save_recent([entry] + [p for p in load_recent() if p != entry], keep)


def remove_recent(path: Path, keep: Settings | None = None) -> list[Path]:
    entry = Path(os.path.abspath(path))
    return save_recent([p for p in load_recent() if p != entry], keep)


def clear_recent(keep: Settings | None = None) -> None:
    save_recent([], keep)
