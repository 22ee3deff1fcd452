"""The GUI test bed itself: a real QtWebEngine page loads offscreen and the qasync loop runs tasks."""

from __future__ import annotations

import asyncio

from PySide6.QtWebEngineWidgets import QWebEngineView


def test_webengine_loads_a_page_and_asyncio_runs(qtbot, run_task) -> None:  # type: ignore[no-untyped-def]
    view = QWebEngineView()
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.loadFinished, timeout=20000) as blocker:
        view.setHtml("<html><body><p id='x'>hello</p></body></html>")
    assert blocker.args == [True]

    async def later() -> int:
        await asyncio.sleep(0.01)
        return 42

    assert run_task(later()) == 42
    results: list[str] = []
    view.page().runJavaScript("document.getElementById('x').textContent", 0, results.append)
    qtbot.waitUntil(lambda: bool(results), timeout=5000)
    assert results == ["hello"]
