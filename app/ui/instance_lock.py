"""A per-plan lock file so that a second Cardsmith window on the same plan warns about conflicting edits.

``data_dir()/locks/<sha256 of the plan's absolute path>.lock`` lists the PIDs of the processes that
have the plan open, one a line. A PID that no longer runs is stale and silently dropped. It is a
warning, not a mutual exclusion: the writer may still open the plan twice.
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections import Counter
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QObject

from app.core.fsutil import atomic_write
from app.paths import data_dir
from app.ui.banner import Banner
from app.ui.session import Session

LOCKS_DIR = "locks"

# Windows of this process per lock file: the PID leaves the file when the last of them closes.
_held: Counter[Path] = Counter()


def lock_file(plan_path: Path) -> Path:
    absolute = Path(os.path.abspath(plan_path))
    try:
        absolute = absolute.resolve()
    except OSError:
        pass
    digest = hashlib.sha256(str(absolute).encode("utf-8")).hexdigest()
    return data_dir() / LOCKS_DIR / f"{digest}.lock"


def pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    if sys.platform == "win32":
        return _windows_pid_alive(pid)
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, under another user
    except OSError:
        return False
    return True


def _windows_pid_alive(pid: int) -> bool:
    # os.kill(pid, 0) would send CTRL_C_EVENT on Windows.
    import ctypes

    kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
    handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
    if not handle:
        return False
    try:
        code = ctypes.c_ulong()
        if not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)):
            return False
        return code.value == 259  # STILL_ACTIVE
    finally:
        kernel32.CloseHandle(handle)


def read_pids(path: Path) -> list[int]:
    try:
        lines = path.read_text(encoding="ascii", errors="replace").split()
    except OSError:
        return []
    return [int(line) for line in lines if line.isdigit()]


def _write_pids(path: Path, pids: list[int]) -> None:
    if pids:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, "".join(f"{pid}\n" for pid in pids))
    else:
        try:
            path.unlink()
        except FileNotFoundError:
            pass


def acquire(plan_path: Path) -> list[int]:
    """Add this process to the plan's lock; returns the other live processes that hold it."""
    path = lock_file(plan_path)
    me = os.getpid()
    others = [pid for pid in dict.fromkeys(read_pids(path)) if pid != me and pid_alive(pid)]
    try:
        _write_pids(path, others + [me])
    except OSError:
        return others  # a read-only data folder only costs the warning in the other window
    _held[path] += 1
    return others


def release(plan_path: Path) -> None:
    path = lock_file(plan_path)
    if _held[path] > 0:
        _held[path] -= 1
    if _held[path] > 0:
        return
    del _held[path]
    me = os.getpid()
    remaining = [pid for pid in read_pids(path) if pid != me and pid_alive(pid)]
    try:
        _write_pids(path, remaining)
    except OSError:
        pass


class InstanceLock(QObject):
    """Holds the lock of the session's plan, and warns in the ``banner`` when another window has it
    too (in the status bar, ``status(text, ms)``, while the banner asks something else)."""

    def __init__(self, session: Session, *, banner: Banner, status: Callable[[str, int], None],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._session = session
        self._banner = banner
        self._status = status
        self.path: Path | None = None
        self.others: list[int] = []
        self._deferred = ""
        session.opened.connect(self._on_document)
        session.saved.connect(self._on_document)
        session.closed.connect(self.release)
        banner.dismissed.connect(self._show_deferred)

    def _on_document(self, _path: object) -> None:
        self.hold(self._session.path)

    def hold(self, plan_path: Path | None) -> list[int]:
        if plan_path is not None and self.path is not None and lock_file(plan_path) == lock_file(self.path):
            return self.others
        self.release()
        if plan_path is None:
            return []
        self.path = Path(plan_path)
        self.others = acquire(self.path)
        if self.others:
            self._warn(self.others)
        return self.others

    def release(self) -> None:
        if self.path is not None:
            release(self.path)
            self.path = None
            self.others = []

    def warning_text(self, pids: list[int]) -> str:
        listed = ", ".join(str(p) for p in pids)
        return (f"This plan is open in another Cardsmith window (pid {listed}):"
                " edits may conflict.")

    def _warn(self, pids: list[int]) -> None:
        text = self.warning_text(pids)
        if not self._banner.isHidden():  # isVisible() is False until the window is shown
            # Do not push away a question (the recovery offer): show it once that is answered.
            self._deferred = text
            self._status(text, 10000)
        else:
            self._banner.show_message(text)

    def _show_deferred(self) -> None:
        text, self._deferred = self._deferred, ""
        if text and self.path is not None:
            # Banner.clear() hides before it emits ``dismissed``, so this message stays up.
            self._banner.show_message(text)
