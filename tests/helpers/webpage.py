"""The preview's web page in tests: evaluate JavaScript in it, and a shown preview whose shell loaded."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtWebEngineCore import QWebEnginePage, QWebEngineScript

from app.ui.preview import PreviewView

APP_WORLD = QWebEngineScript.ScriptWorldId.ApplicationWorld.value


def run_js(qtbot: Any, page: QWebEnginePage, expr: str, world: int = APP_WORLD) -> Any:
    """Evaluate the JavaScript expression ``expr`` in the page (the application world by default)
    and return its value, which travels as JSON (PySide 6.12 turns a returned array into '')."""
    box: list[Any] = []
    page.runJavaScript(f"JSON.stringify([(\n{expr}\n)])", world, box.append)
    qtbot.waitUntil(lambda: bool(box), timeout=5000)
    assert isinstance(box[0], str), f"the script failed: {expr[:200]}"
    return json.loads(box[0])[0]


def shown_preview(qtbot: Any, opened: list[Any]) -> PreviewView:
    """A shown preview whose shell has loaded; clicked links are appended to ``opened``."""
    view = PreviewView(open_url=opened.append)
    qtbot.addWidget(view)
    view.resize(PreviewView.COLUMN_PX, 600)
    view.show()
    with qtbot.waitSignal(view.loaded, timeout=20000):
        pass
    return view
