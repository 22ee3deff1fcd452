"""Autosave of unsaved plan edits to a recovery copy, and the offer to restore it after a crash.

A recovery copy is ``data_dir()/recovery/<key>.json`` holding the plan's path, the editor's text and
the time; ``key`` is the sha256 of the plan's absolute path ("untitled" for a plan never saved). It
is written atomically (a kill leaves the previous copy or the new one, never a partial file) and only
from an editor the writer modified, so a failed load can never replace a copy with an empty one.
The plan file itself is written only by the writer's Save.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QObject, QTimer

from app.core.fsutil import atomic_write
from app.paths import data_dir
from app.ui.banner import Banner
from app.ui.session import Session

RECOVERY_DIR = "recovery"
UNTITLED_KEY = "untitled"
FORMAT_VERSION = 1
IDLE_MS = 3000  # write this long after the last change...
MAX_WAIT_MS = 10000  # ...and at least this often while the writer keeps typing
RESTORE_LABEL = "Restore unsaved edits"
DISCARD_LABEL = "Discard"


@dataclass(frozen=True)
class RecoveryCopy:
    plan_path: Path | None
    text: str
    saved_at: float  # seconds since the epoch
    file: Path


def recovery_key(plan_path: Path | None) -> str:
    if plan_path is None:
        return UNTITLED_KEY
    return hashlib.sha256(str(_absolute(plan_path)).encode("utf-8")).hexdigest()


def recovery_file(plan_path: Path | None) -> Path:
    return data_dir() / RECOVERY_DIR / f"{recovery_key(plan_path)}.json"


def write_recovery(plan_path: Path | None, text: str) -> Path:
    """Atomically replace the plan's recovery copy with ``text``."""
    target = recovery_file(plan_path)
    target.parent.mkdir(parents=True, exist_ok=True)
    record = {
        "version": FORMAT_VERSION,
        "plan": str(_absolute(plan_path)) if plan_path is not None else None,
        "text": text,
        "saved_at": time.time(),
    }
    atomic_write(target, json.dumps(record, ensure_ascii=False, indent=1) + "\n")
    return target


def read_recovery(plan_path: Path | None) -> RecoveryCopy | None:
    """The plan's recovery copy, or None when there is none or it cannot be read."""
    source = recovery_file(plan_path)
    try:
        record = json.loads(source.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or not isinstance(record.get("text"), str):
        return None
    plan = record.get("plan")
    saved_at = record.get("saved_at")
    return RecoveryCopy(
        Path(plan) if isinstance(plan, str) else None,
        record["text"],
        float(saved_at) if isinstance(saved_at, (int, float)) else 0.0,
        source,
    )


def remove_recovery(plan_path: Path | None) -> bool:
    try:
        recovery_file(plan_path).unlink()
    except OSError:  # already gone, or a read-only data folder
        return False
    return True


def _absolute(path: Path) -> Path:
    try:
        return Path(path).resolve()
    except OSError:
        return Path(os.path.abspath(path))


class Autosaver(QObject):
    """Copies the session's unsaved plan text to its recovery file and offers it back on open.

    Listens to the text's changes and the session's ``opened`` / ``saved`` / ``closed``; the offer
    goes to the ``banner``, notes to ``status(text, ms)``; ``flush()`` writes at once (tests, a
    termination signal).
    """

    def __init__(self, session: Session, *, banner: Banner, status: Callable[[str, int], None],
                 idle_ms: int = IDLE_MS, max_wait_ms: int = MAX_WAIT_MS,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._session = session
        self._banner = banner
        self._status = status
        self._path: Path | None = session.path  # the plan the copy belongs to
        self._last_written: str | None = None
        self._closed = False
        self.pending: RecoveryCopy | None = None  # an offer not answered yet
        self._offer_text = ""
        self._idle = QTimer(self, singleShot=True, interval=idle_ms)
        self._max_wait = QTimer(self, singleShot=True, interval=max_wait_ms)
        self._idle.timeout.connect(self._due)
        self._max_wait.timeout.connect(self._due)
        session.buffer.contentsChanged.connect(self._schedule)
        session.opened.connect(self._on_opened)
        session.saved.connect(self._on_saved)
        session.closed.connect(self._on_closing)

    # -- autosave ------------------------------------------------------------------------------

    def set_intervals(self, idle_ms: int, max_wait_ms: int) -> None:
        self._idle.setInterval(idle_ms)
        self._max_wait.setInterval(max_wait_ms)

    def _modified(self) -> bool:
        return self._session.modified

    def _schedule(self) -> None:
        if self._closed:
            return
        self._idle.start()
        if not self._max_wait.isActive():
            self._max_wait.start()

    def _due(self) -> None:
        self._idle.stop()
        self._max_wait.stop()
        if self.pending is not None:
            # The old session's edits are not overwritten before the writer has answered the offer;
            # if something else took the banner, ask again.
            if self._modified() and self._banner.text != self._offer_text:
                self._show_offer()
            return
        if self._modified():
            self.flush()
        elif self._last_written is not None:
            # Undone back to the saved text: nothing left to recover.
            self.discard()

    def flush(self) -> Path | None:
        """Write the recovery copy now if the editor holds unsaved edits; returns its path."""
        self._idle.stop()
        self._max_wait.stop()
        if self.pending is not None or not self._modified():
            return None
        text = self._session.text()
        target = recovery_file(self._path)
        if text == self._last_written and target.exists():
            return target
        try:
            written = write_recovery(self._path, text)
        except OSError as exc:
            self._status(f"Could not write the recovery copy: {exc.strerror or exc}", 8000)
            return None
        self._last_written = text
        return written

    def discard(self) -> None:
        """Remove the current plan's recovery copy (its edits were saved or thrown away)."""
        self._idle.stop()
        self._max_wait.stop()
        remove_recovery(self._path)
        self._last_written = None
        self.pending = None

    def _release(self) -> None:
        """Drop the copy this window wrote; a copy it never offered (another plan's crash) stays."""
        if self.pending is None and self._last_written is not None:
            self.discard()

    # -- the offer -----------------------------------------------------------------------------

    def offer(self) -> RecoveryCopy | None:
        """Offer the current plan's recovery copy when its text differs from the editor's."""
        copy = read_recovery(self._path)
        if copy is None:
            return None
        if copy.text == self._session.text():
            remove_recovery(self._path)  # nothing in it that the file does not already hold
            return None
        self.pending = copy
        self._show_offer()
        return copy

    def _show_offer(self) -> None:
        copy = self.pending
        if copy is None:
            return
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(copy.saved_at))
        self._offer_text = (
            f"{self._session.name} has unsaved edits from {when} that were never saved"
            " (Cardsmith did not close normally)."
        )
        self._banner.show_message(
            self._offer_text, {RESTORE_LABEL: self.restore, DISCARD_LABEL: self.decline}
        )

    def restore(self) -> None:
        """Put the recovered text into the editor as unsaved edits (one undo step back to the file)."""
        copy, self.pending = self.pending, None
        if copy is None:
            return
        self._session.replace_text(copy.text)
        self._last_written = None  # the next autosave writes it under the current plan's key
        self.flush()
        self._status("Restored the unsaved edits: Save keeps them", 6000)

    def decline(self) -> None:
        copy, self.pending = self.pending, None
        if copy is not None:
            try:
                copy.file.unlink()
            except OSError:
                pass
        self._status("Discarded the recovered edits", 4000)

    # -- the session's life --------------------------------------------------------------------

    def _on_opened(self, _path: object) -> None:
        # The previous plan's edits were saved or discarded before another plan could open.
        self._release()
        self.pending = None
        self._path = self._session.path
        self._last_written = None
        self.offer()

    def _on_saved(self, _path: object) -> None:
        if self.pending is None:
            remove_recovery(self._path)  # "untitled" after a first Save As
        self._path = self._session.path
        self._idle.stop()
        self._max_wait.stop()
        if self.pending is None:
            remove_recovery(self._path)
        self._last_written = None

    def _on_closing(self) -> None:
        # The close was accepted: the edits were saved or the writer chose to discard them. An offer
        # that was never answered stays on disk for the next start.
        self._release()
        self._closed = True
        self._idle.stop()
        self._max_wait.stop()
