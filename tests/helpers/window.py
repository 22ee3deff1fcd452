"""Driving a main window in tests: typing into the plan, the banner's buttons, the Card tab, the preview."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QPushButton

from app.ui.card_editor import CardEditor
from app.ui.main_window import MainWindow
from tests.fakes.messages_api import FakeMessagesAPI
from tests.helpers.card_files import card_file, read_card  # noqa: F401 - re-exported for window tests
from tests.helpers.webpage import run_js

MakeWindow = Callable[..., MainWindow]
"""tests/ui/conftest.py's ``make_window(plan, api=None, *, shown=True, remember=False)``."""
StandIn = Callable[..., FakeMessagesAPI]
"""tests/ui/conftest.py's ``stand_in(**kwargs)``."""
EXAMPLE_CARDS = "auth-service.cards"
"""The cards folder of the example plan (``tests.helpers.cli.copy_example``)."""


def type_at_end(window: MainWindow, text: str) -> None:
    """Type ``text`` at the end of the plan (as typed: keyClicks has no newline key)."""
    cursor = window.editor.textCursor()
    cursor.movePosition(QTextCursor.MoveOperation.End)
    window.editor.setTextCursor(cursor)
    window.editor.insertPlainText(text)


def click_banner(window: MainWindow, label: str) -> None:
    buttons = [b for b in window.banner.findChildren(QPushButton) if b.text() == label and b.isVisible()]
    assert buttons, f"no '{label}' button in the banner ({window.banner.text!r})"
    buttons[-1].click()


def open_card(window: MainWindow, key: str) -> CardEditor:
    """Select a component as a click in the outline does; returns the Card tab's editor."""
    window.outline.component_selected.emit(key)
    editor = window.cards.editor
    assert editor.key == key
    return editor


def type_at_end_of_line(qtbot: Any, editor: CardEditor, line: int, text: str) -> None:
    editor.text.go_to_line(line)
    cursor = editor.text.textCursor()
    cursor.movePosition(QTextCursor.MoveOperation.EndOfBlock)
    editor.text.setTextCursor(cursor)
    qtbot.keyClicks(editor.text, text)


def read_dom(window: MainWindow, qtbot: Any, js: str) -> Any:
    """Evaluate ``js`` in the window's preview page (pending changes sent first)."""
    window.preview.flush()
    return run_js(qtbot, window.preview.page(), js)


ARTICLE_HEADINGS = (
    "Array.from(document.querySelectorAll('article.card')).map("
    "a => { const h = a.querySelector('h1'); return h ? h.textContent : ''; })"
)


def preview_headings(window: MainWindow, qtbot: Any) -> list[str]:
    return read_dom(window, qtbot, ARTICLE_HEADINGS)


def article_text(window: MainWindow, qtbot: Any, key: str) -> str:
    selector = json.dumps(f'article.card[data-key="{key}"]')
    return read_dom(window, qtbot, f"(document.querySelector({selector}) || {{}}).textContent || ''")
