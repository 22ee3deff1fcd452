"""Work on a worker thread while this thread's Qt event loop runs (the window's start-up).

QtWebEngine's browser side lives on the GUI thread's event loop: it starts the preview's renderer
process and loads its page only while that loop turns. Importing the rest of the window (~0.1 s of
Python) on the GUI thread would hold all of that up; on a worker thread the two overlap, and the
page has loaded by the time the window is built (docs/architecture.md#start-up).
"""

from __future__ import annotations

import threading
from typing import Callable, TypeVar

from PySide6.QtCore import QEventLoop, QTimer

T = TypeVar("T")

POLL_MS = 2
"""How often the loop looks whether the work is done."""


def run_while_looping(work: Callable[[], T]) -> T:
    """``work()`` on a worker thread, running Qt's event loop meanwhile; returns its result, or
    raises its exception here. ``work`` must not touch widgets (imports and pure Python only)."""
    result: dict[str, object] = {}

    def target() -> None:
        try:
            result["value"] = work()
        except BaseException as exc:  # re-raised on the GUI thread below
            result["error"] = exc

    thread = threading.Thread(target=target, name="cardsmith-start-up")
    loop = QEventLoop()
    poll = QTimer(loop)
    poll.setInterval(POLL_MS)
    poll.timeout.connect(lambda: thread.is_alive() or loop.quit())
    thread.start()
    poll.start()
    loop.exec()
    poll.stop()
    thread.join()
    if "error" in result:
        raise result["error"]  # type: ignore[misc]
    return result["value"]  # type: ignore[return-value]
