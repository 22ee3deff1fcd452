"""Work on a worker thread while this thread's Qt event loop runs (the window's start-up).

QtWebEngine's browser side lives on the GUI thread's event loop: it starts the preview's renderer
process and loads its page only while that loop turns. Importing the rest of the window (~0.1 s of
Python) on the GUI thread would hold all of that up; on a worker thread the two overlap, and the
page has loaded by the time the window is built (docs/architecture.md#start-up).
"""

from __future__ import annotations

import threading
from typing import Callable, TypeVar

from PySide6.QtCore import QEventLoop, QObject, Qt, Signal

T = TypeVar("T")


class _Finished(QObject):
    """Says from the worker thread that the work is done; the loop quits in C++, so that this
    thread never waits for the worker's hold on the interpreter until then."""

    done = Signal()


def run_while_looping(work: Callable[[], T]) -> T:
    """``work()`` on a worker thread, running Qt's event loop meanwhile; returns its result, or
    raises its exception here. ``work`` must not touch widgets (imports and pure Python only)."""
    result: dict[str, object] = {}
    loop = QEventLoop()
    finished = _Finished()
    finished.done.connect(loop.quit, Qt.ConnectionType.QueuedConnection)

    def target() -> None:
        try:
            result["value"] = work()
        except BaseException as exc:  # re-raised on the GUI thread below
            result["error"] = exc
        finally:
            finished.done.emit()

    thread = threading.Thread(target=target, name="cardsmith-start-up")
    thread.start()
    loop.exec()  # a quit posted before it starts is handled as soon as it does
    thread.join()
    if "error" in result:
        raise result["error"]  # type: ignore[misc]
    return result["value"]  # type: ignore[return-value]
