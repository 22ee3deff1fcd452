"""SIGTERM, SIGINT and SIGHUP end the app cleanly (unsaved edits kept, lock released) instead of killing it."""

from __future__ import annotations

import signal
import socket
from typing import Any, Callable

from PySide6.QtCore import QSocketNotifier


class TerminationHandler:
    """A termination signal calls ``before_exit`` (the window keeps the writer's work), then ends
    the Qt loop; no question is asked.

    Python runs signal handlers only between bytecodes, never while Qt's C++ loop waits; the C-level
    handler writes to a wakeup socket that a QSocketNotifier watches, which brings Python back.
    Installed before the window is built, so that no signal can arrive after the window took the
    plan's lock but before the handler exists; ``before_exit`` is set once the window does.
    """

    def __init__(self, app: Any) -> None:
        self.app = app
        self.before_exit: Callable[[], None] | None = None
        self.requested = False
        """A signal came before the application's loop ran (during start-up): the launcher ends
        the app instead of running it (``app.exit`` only ends a loop that is running)."""
        self._reader, self._writer = socket.socketpair()
        self._reader.setblocking(False)
        self._writer.setblocking(False)
        signal.set_wakeup_fd(self._writer.fileno(), warn_on_full_buffer=False)
        for name in ("SIGTERM", "SIGINT", "SIGHUP"):
            number = getattr(signal, name, None)
            if number is not None:
                signal.signal(number, lambda *_args: None)
        self._notifier = QSocketNotifier(self._reader.fileno(), QSocketNotifier.Type.Read)
        self._notifier.activated.connect(self._woken)

    def _woken(self) -> None:
        try:
            self._reader.recv(64)
        except OSError:
            pass
        self.requested = True
        if self.before_exit is not None:
            self.before_exit()
        self.app.exit(0)


def install_termination_handler(app: Any) -> TerminationHandler | None:
    """Keep the returned handler alive for as long as the app runs; None where signals cannot be
    watched this way (not the main thread, no socketpair)."""
    try:
        return TerminationHandler(app)
    except (OSError, ValueError):
        return None
