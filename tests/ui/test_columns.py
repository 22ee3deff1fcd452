"""The window's columns: the plan editor gets the room, the generation panel what its rows need (no
name or state word elided), the preview exactly its 400 px."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app.core.states import CardState
from app.engine.progress import CardProgress
from app.ui.main_window import MainWindow
from app.ui.progress_rows import ProgressRowDelegate, text_rooms
from tests.helpers.plans import write_plan
from tests.helpers.window import MakeWindow

SHORT = ["User Model", "Session Token", "Rate Limiter"]
LONG = ["User Model", "Refresh Token Rotation With Reuse Detection", "Rate Limiter"]


def elided_rows(window: MainWindow) -> list[str]:
    """The panel's rows whose name or state word would not be painted in full."""
    view = window.panel.list_view
    fm = view.fontMetrics()
    width = view.viewport().width() - 2 * ProgressRowDelegate.PAD_X
    elided = []
    for name in window.panel.names():
        label = window.panel.label_of(name) or ""
        word = label.split(" · ", 1)[0]
        name_room, label_room = text_rooms(fm, width, name, label)
        if fm.horizontalAdvance(name) > name_room or fm.horizontalAdvance(word) > label_room:
            elided.append(name)
    return elided


def resize(qtbot: Any, window: MainWindow, width: int, height: int) -> None:
    window.resize(width, height)
    qtbot.waitUntil(lambda: window.width() == width and window.splitter.width() > width - 20, timeout=3000)


def show_at(qtbot: Any, window: MainWindow, size: tuple[int, int]) -> None:
    """Show the window at ``size`` from the start, as the app does (its size is set before show)."""
    window.resize(*size)
    window.show()
    qtbot.waitExposed(window)
    resize(qtbot, window, *size)


@pytest.mark.parametrize("size", [(1280, 800), (1920, 1080)])
def test_the_plan_editor_gets_the_room_the_panel_what_its_rows_need(
    qtbot: Any, tmp_path: Path, make_window: MakeWindow, size: tuple[int, int]
) -> None:
    window = make_window(write_plan(tmp_path, SHORT), shown=False)
    show_at(qtbot, window, size)
    middle = window.middle

    assert window.preview.width() == 400
    assert middle.width() == middle.minimumSizeHint().width()  # as wide as it needs, no wider
    assert window.editor.width() > middle.width() + 150
    assert window.editor.width() >= window.splitter.width() - middle.width() - 400 - 20
    assert elided_rows(window) == []

    # A wider window widens only the editor; a narrower one narrows only the editor.
    editor, panel = window.editor.width(), middle.width()
    resize(qtbot, window, size[0] - 200, size[1])
    assert middle.width() == panel and window.preview.width() == 400
    assert window.editor.width() == editor - 200


def test_a_plan_with_a_long_name_widens_the_panel_so_that_nothing_is_elided(
    qtbot: Any, tmp_path: Path, make_window: MakeWindow
) -> None:
    window = make_window(write_plan(tmp_path / "short", SHORT), shown=False)
    show_at(qtbot, window, (1280, 800))
    before = window.middle.width()
    assert window.open_plan(write_plan(tmp_path / "long", LONG))
    qtbot.waitUntil(lambda: window.middle.width() > before, timeout=3000)
    assert window.panel.names() == LONG and elided_rows(window) == []
    assert window.editor.width() > window.middle.width() and window.preview.width() == 400

    # During a run a row's label grows: it never pushes the name or the state word out.
    window.panel.update_card(CardProgress(LONG[1], state=CardState.STREAMING, attempt=2, max_attempts=4,
                                          tokens=412))
    assert window.panel.label_of(LONG[1]) == "streaming · 412 tok, attempt 2/4"
    assert elided_rows(window) == []
