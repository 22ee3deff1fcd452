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
def run_task(qloop: asyncio.AbstractEventLoop, qtbot: Any):  # type: ignore[no-untyped-def]
    """``run_task(coro, timeout=10)`` runs a coroutine on the Qt loop and returns its result."""

    def run(coro: Coroutine[Any, Any, T], timeout: float = 10.0) -> T:
        task = qloop.create_task(coro)
        qtbot.waitUntil(task.done, timeout=int(timeout * 1000))
        return task.result()

    return run


STAND_IN_KEY = "sk-ant-window-test-key"


@pytest.fixture
def stand_in(run_task: Callable[..., Any], monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Any]]:
    """``stand_in(api_key=None, **kwargs)``: tests/conftest.py's fixture for the window's tests — a
    started local Messages API stand-in (``FakeMessagesAPI(**kwargs)``) serving on the window's own
    (qasync) loop, stopped after the test. ANTHROPIC_BASE_URL points at it; with ``api_key``,
    ANTHROPIC_API_KEY holds that key (so the root ``api`` fixture works here too)."""
    from tests.fakes.messages_api import FakeMessagesAPI

    started: list[FakeMessagesAPI] = []

    def make(*, api_key: str | None = None, **kwargs: Any) -> FakeMessagesAPI:
        api = FakeMessagesAPI(**kwargs)
        run_task(api.start())
        started.append(api)
        monkeypatch.setenv("ANTHROPIC_BASE_URL", api.base_url)
        if api_key is not None:
            monkeypatch.setenv("ANTHROPIC_API_KEY", api_key)
        return api

    yield make
    for api in started:
        run_task(api.stop())


@pytest.fixture
def chat_api(run_task: Callable[..., Any]) -> Iterator[Any]:
    """The chat-completions stand-in (``FakeChatCompletionsAPI``: a local model server such as
    Ollama) serving on the window's own loop until the test ends; its ``v1_url`` is a base URL."""
    from tests.fakes.chat_completions import FakeChatCompletionsAPI

    api = FakeChatCompletionsAPI()
    run_task(api.start())
    yield api
    run_task(api.stop())


@pytest.fixture
def make_window(qtbot: Any) -> Callable[..., Any]:
    """``make_window(plan, api=None, *, shown=True, remember=False)``: the one way a test opens a
    main window on ``plan`` (None: untitled). Runs go to the stand-in ``api`` when given; unsaved
    edits are discarded without asking when it closes; ``shown`` waits until it is exposed and its
    preview's shell has loaded; ``remember`` restores and keeps the window state as the app does.
    ``_destroy_windows`` deletes it after the test."""
    from app.engine.providers.anthropic import AnthropicProvider
    from app.ui.main_window import MainWindow

    def make(plan: Path | None, api: Any = None, *, shown: bool = True, remember: bool = False) -> MainWindow:
        factory = None
        if api is not None:
            factory = lambda _config: AnthropicProvider(api_key=STAND_IN_KEY, base_url=api.base_url)  # noqa: E731
        window = MainWindow(plan, provider_factory=factory)
        window.ask_unsaved = lambda: "discard"  # type: ignore[method-assign]
        qtbot.addWidget(window)
        if remember:
            window.remember_state()
        if shown:
            window.show()
            qtbot.waitExposed(window)
            qtbot.waitUntil(lambda: window.preview.is_loaded, timeout=20000)
        return window

    return make
