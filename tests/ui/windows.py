"""A real main window or preview in a test: opened (shown, exposed, the preview shell loaded), a
page read, a card opened in the Card tab."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PySide6.QtWebEngineCore import QWebEnginePage, QWebEngineScript

from app.engine.providers.anthropic import AnthropicProvider
from app.ui.card_editor import CardEditor
from app.ui.main_window import MainWindow
from tests.fakes.messages_api import FakeMessagesAPI

KEY = "sk-ant-window-test-key"
APP_WORLD = QWebEngineScript.ScriptWorldId.ApplicationWorld.value


def make_window(qtbot: Any, plan: Path | None, api: FakeMessagesAPI | None = None) -> MainWindow:
    """A window on ``plan`` (runs go to the stand-in ``api`` when given); unsaved edits are
    discarded without asking when it closes. The conftest destroys it after the test."""
    factory = None
    if api is not None:
        factory = lambda: AnthropicProvider(api_key=KEY, base_url=api.base_url)  # noqa: E731
    window = MainWindow(plan, provider_factory=factory)
    window.ask_unsaved = lambda: "discard"  # type: ignore[method-assign]
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: window.preview.is_loaded, timeout=20000)
    return window


def shown_preview(qtbot: Any, opened: list[Any]) -> "PreviewView":
    """A shown preview whose shell has loaded; clicked links are appended to ``opened``."""
    from app.ui.preview import PreviewView

    view = PreviewView(open_url=opened.append)
    qtbot.addWidget(view)
    view.resize(PreviewView.COLUMN_PX, 600)
    view.show()
    with qtbot.waitSignal(view.loaded, timeout=20000):
        pass
    return view


def run_js(qtbot: Any, page: QWebEnginePage, expr: str, world: int = APP_WORLD) -> Any:
    """Evaluate the JavaScript expression ``expr`` in the page (the application world by default)
    and return its value. The value travels as JSON: PySide turns a returned array into ``''``."""
    box: list[Any] = []
    page.runJavaScript(f"JSON.stringify([(\n{expr}\n)])", world, box.append)
    qtbot.waitUntil(lambda: bool(box), timeout=5000)
    assert isinstance(box[0], str), f"the script failed: {expr[:200]}"
    return json.loads(box[0])[0]


def read_dom(window: MainWindow, qtbot: Any, js: str) -> Any:
    """Evaluate ``js`` in the window's preview page and return its value."""
    return run_js(qtbot, window.preview.page(), js)


def open_card(window: MainWindow, key: str) -> CardEditor:
    """Show a component's card in the Card tab, as a click in the outline does."""
    window.outline.component_selected.emit(key)
    editor = window.cards.editor
    assert editor.key == key
    return editor
