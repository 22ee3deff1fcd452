"""GUI test setup: one QApplication with QtWebEngine, one qasync loop for the whole session.

NOTES: a second QApplication.exit() after WebEngine was used segfaults, so the loop is created once
with ``already_running=True`` and never run with run_until_complete; coroutines are started as tasks
and awaited with ``qtbot.waitUntil(task.done)`` (see ``run_task``).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Callable, Coroutine, Iterator, TypeVar

import pytest

# QtWebEngine must be imported, and GL contexts shared, before the QApplication exists.
from PySide6 import QtWebEngineWidgets  # noqa: F401
from PySide6.QtCore import QCoreApplication, Qt

QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)

T = TypeVar("T")


@pytest.fixture(scope="session")
def qloop(qapp: Any) -> asyncio.AbstractEventLoop:
    from app.ui.qtapp import install_event_loop

    return install_event_loop(qapp)


@pytest.fixture(autouse=True)
def _current_loop(qloop: asyncio.AbstractEventLoop) -> None:
    # pytest-asyncio's async tests replace the current loop; GUI tests always get the Qt one back.
    asyncio.set_event_loop(qloop)


@pytest.fixture(scope="session", autouse=True)
def _sdk_imported() -> None:
    # The window imports the SDK in a thread on a hint of a run or when one starts; an import still
    # running while a test tears its window down has crashed the interpreter. Importing it once up
    # front avoids that (tests/ui/test_sdk_loading.py checks the window's own loading in a process
    # of its own).
    import anthropic  # noqa: F401


@pytest.fixture(autouse=True)
def _destroy_windows(qapp: Any) -> Iterator[None]:
    """Each test's top-level widgets are destroyed after it, not at interpreter exit, where
    wrappers die in any order and WebEngine segfaults (exit 139 after all tests passed)."""
    yield
    import shiboken6
    from PySide6.QtWidgets import QApplication

    from app.ui.main_window import MainWindow

    # Only windows: module-scoped fixtures (one preview for a whole file) must outlive a test.
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, MainWindow) and shiboken6.isValid(widget):
            widget.ask_unsaved = lambda: "discard"  # type: ignore[method-assign]
            shiboken6.delete(widget)
    qapp.processEvents()


@pytest.fixture
def new_window() -> Callable[[Path], Any]:
    """``new_window(plan)``: an unshown main window; ``_destroy_windows`` deletes it afterwards."""
    from app.ui.main_window import MainWindow

    def make(plan: Path) -> MainWindow:
        window = MainWindow(plan)
        window.ask_unsaved = lambda: "discard"  # type: ignore[method-assign]
        return window

    return make


@pytest.fixture
def run_task(qloop: asyncio.AbstractEventLoop, qtbot: Any):  # type: ignore[no-untyped-def]
    """``run_task(coro, timeout=10)`` runs a coroutine on the Qt loop and returns its result."""

    def run(coro: Coroutine[Any, Any, T], timeout: float = 10.0) -> T:
        task = qloop.create_task(coro)
        qtbot.waitUntil(task.done, timeout=int(timeout * 1000))
        return task.result()

    return run


@pytest.fixture
def api(run_task: Any) -> Iterator[Any]:
    """The local stand-in for the Messages API, answering good cards (``tests/fakes``)."""
    from tests.fakes.messages_api import FakeMessagesAPI

    fake = FakeMessagesAPI(mode="good")
    run_task(fake.start())
    yield fake
    run_task(fake.stop())
