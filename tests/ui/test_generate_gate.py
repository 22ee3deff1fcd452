"""Generate all when there is nothing it can do: an honest overall bar, and Generate disabled saying
why in the panel, the Run menu and the status bar (its keys)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMenu

from app.ui.generate_gate import NO_COMPONENTS, RUNNING
from app.ui.generation_panel import GENERATE_TIP
from app.ui.main_window import MainWindow
from tests.helpers.plans import write_plan
from tests.helpers.window import MakeWindow, StandIn, type_at_end


def run_menu(window: MainWindow) -> QMenu:
    menus = [a.menu() for a in window.menuBar().actions() if a.text() == "&Run"]
    assert menus and isinstance(menus[0], QMenu)
    return menus[0]


def generate_says(window: MainWindow, reason: str) -> None:
    """The panel's button and the Run menu's action are off and say ``reason``."""
    button, action = window.panel.generate_button, window.runs.act_generate
    assert not button.isEnabled() and button.toolTip() == reason
    assert not action.isEnabled() and action.toolTip() == reason
    assert run_menu(window).toolTipsVisible()


def press_generate_keys(qtbot: Any, window: MainWindow) -> list[str]:
    """Ctrl+Return, then F5, in the plan editor: what the status bar says after each."""
    said = []
    for key, modifier in ((Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier),
                          (Qt.Key.Key_F5, Qt.KeyboardModifier.NoModifier)):
        window.statusBar().clearMessage()
        qtbot.keyClick(window.editor, key, modifier)
        said.append(window.statusBar().currentMessage())
    return said


def test_a_plan_without_components_has_nothing_to_do_and_says_so(
    qtbot: Any, tmp_path: Path, make_window: MakeWindow
) -> None:
    plan = tmp_path / "empty.md"
    plan.write_text("---\nconcurrency: 99\n---\nOnly some context.\n", encoding="utf-8")
    window = make_window(plan)
    window.activateWindow()
    window.editor.setFocus()
    text = window.plan_text()

    panel = window.panel
    assert panel.names() == [] and panel.overall_text == "No components"
    assert panel.overall_bar.text() == "" and not panel.overall_bar.isEnabled()  # not "0/1"
    generate_says(window, NO_COMPONENTS)
    assert press_generate_keys(qtbot, window) == [NO_COMPONENTS, NO_COMPONENTS]
    assert not window.controller.running and window.plan_text() == text

    type_at_end(window, "\n## First One\nExplain it.\n")
    # Still an error (concurrency 99): the first one, on its line.
    qtbot.waitUntil(lambda: window.panel.names() == ["First One"], timeout=3000)
    reason = window.panel.generate_button.toolTip()
    assert reason.startswith("Fix the plan first: line 2: ") and "concurrency" in reason
    generate_says(window, reason)
    assert panel.overall_bar.text() == "0/1" and panel.overall_bar.isEnabled()

    window.editor.go_to_line(2)
    cursor = window.editor.textCursor()
    cursor.select(cursor.SelectionType.LineUnderCursor)
    cursor.insertText("concurrency: 2")
    qtbot.waitUntil(lambda: window.runs.act_generate.isEnabled(), timeout=3000)
    assert window.panel.generate_button.isEnabled()
    assert window.panel.generate_button.toolTip() == window.runs.act_generate.toolTip() == GENERATE_TIP
    assert not window.runs.gate.blocked_keys.isEnabled()


def test_generate_is_off_while_a_run_is_on_and_its_keys_say_so(
    qtbot: Any, tmp_path: Path, make_window: MakeWindow, stand_in: StandIn
) -> None:
    api = stand_in(tokens_per_s=60.0)
    window = make_window(write_plan(tmp_path, 3), api)
    window.activateWindow()
    window.editor.setFocus()
    assert window.runs.act_generate.isEnabled() and not window.runs.gate.blocked_keys.isEnabled()

    qtbot.keyClick(window.editor, Qt.Key.Key_F5)
    qtbot.waitUntil(lambda: window.controller.running, timeout=5000)
    generate_says(window, RUNNING)
    assert press_generate_keys(qtbot, window) == [RUNNING, RUNNING]

    qtbot.waitUntil(lambda: not window.controller.running, timeout=30000)
    assert len(api.records) == 3  # one run, each card once
    assert window.panel.generate_button.isEnabled() and window.runs.act_generate.isEnabled()
    assert window.panel.overall_bar.text() == "3/3"
