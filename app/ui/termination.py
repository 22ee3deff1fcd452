"""SIGTERM, SIGINT and SIGHUP end the app cleanly (unsaved edits kept, lock released) instead of killing it."""

from __future__ import annotations

import os
import signal
from typing import Any, Callable

from PySide6.QtCore import QSocketNotifier


class TerminationHandler:
    """A termination signal calls ``before_exit`` (the window keeps the writer's work), then ends
    the Qt loop; no question is asked.

    Python runs signal handlers only between bytecodes, never while Qt's C++ loop waits; the C-level
    handler writes to a wakeup descriptor that a QSocketNotifier watches, which brings Python back.
    Installed before the window is built, so that no signal can arrive after the window took the
    plan's lock but before the handler exists; ``before_exit`` is set once the window does.
    """

    def __init__(self, app: Any) -> None:
        self.app = app
        self.before_exit: Callable[[], None] | None = None
        self.requested = False
        """A signal came before the application's loop ran (during start-up): the launcher ends
        the app instead of running it (``app.exit`` only ends a loop that is running)."""
        self._wakeup = _Wakeup()
        signal.set_wakeup_fd(self._wakeup.write_fd, warn_on_full_buffer=False)
        for name in ("SIGTERM", "SIGINT", "SIGHUP"):
            number = getattr(signal, name, None)
            if number is not None:
                signal.signal(number, lambda *_args: None)
        self._notifier = QSocketNotifier(self._wakeup.read_fd, QSocketNotifier.Type.Read)
        self._notifier.activated.connect(self._woken)

    def _woken(self) -> None:
        try:
            self._wakeup.drain()
        except OSError:
            pass
        self.requested = True
        if self.before_exit is not None:
            self.before_exit()
        self.app.exit(0)


class _Wakeup:
    """Non-blocking descriptors for ``signal.set_wakeup_fd``: a pipe on POSIX (the socket module
    is ~3 ms of start-up), a socket pair elsewhere (Windows takes sockets only)."""

    def __init__(self) -> None:
        self._sockets: tuple[Any, Any] | None = None
        if os.name == "posix":
            self.read_fd, self.write_fd = os.pipe()
            os.set_blocking(self.read_fd, False)
            os.set_blocking(self.write_fd, False)
            return
        import socket

        reader, writer = socket.socketpair()
        reader.setblocking(False)
        writer.setblocking(False)
        self._sockets = (reader, writer)  # their descriptors live as long as they do
        self.read_fd, self.write_fd = reader.fileno(), writer.fileno()

    def drain(self) -> None:
        if self._sockets is not None:
            self._sockets[0].recv(64)
        else:
            os.read(self.read_fd, 64)


def install_termination_handler(app: Any) -> TerminationHandler | None:
    """Keep the returned handler alive for as long as the app runs; None where signals cannot be
    watched this way (not the main thread, no pipe or socket pair)."""
    try:
        return TerminationHandler(app)
    except (OSError, ValueError):
        return None
