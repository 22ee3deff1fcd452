"""The window as a writer uses it: open, edit, generate with Ctrl+Return, cancel, retry, close."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from app.ui.generation_panel import BAR_MAX
from tests.helpers.cli import copy_example
from tests.helpers.plans import component_names, write_plan
from tests.helpers.window import MakeWindow, StandIn, preview_headings


def test_open_the_example_shows_title_outline_and_every_card(
    qtbot: Any, tmp_path: Path, make_window: MakeWindow
) -> None:
    plan = copy_example(tmp_path)
    window = make_window(plan)
    assert window.windowTitle().startswith("Cardsmith — auth-service.md")
    assert window.preview.width() == 400
    names = [c.name for c in window.session.plan.components]
    assert len(window.outline.visible_keys()) == 6
    qtbot.waitUntil(lambda: preview_headings(window, qtbot) == names, timeout=10000)


def test_editing_marks_errors_at_their_line_and_updates_the_outline(
    qtbot: Any, tmp_path: Path, make_window: MakeWindow
) -> None:
    plan = write_plan(tmp_path, 3)
    window = make_window(plan)
    assert window.outline.visible_keys() == [n.casefold() for n in component_names(3)]
    cursor = window.editor.textCursor()
    cursor.movePosition(cursor.MoveOperation.End)
    window.editor.setTextCursor(cursor)
    window.editor.insertPlainText("\n## component 01\nagain\n")
    duplicate_line = window.editor.document().blockCount() - 2
    qtbot.waitUntil(lambda: bool(window.editor.issue_at_line(duplicate_line)), timeout=3000)
    assert "duplicate" in window.editor.issue_at_line(duplicate_line)[0].message
    assert window.isWindowModified() and "*" not in window.windowTitle().replace("[*]", "")

    window.editor.insertPlainText("## Component 04\nA fourth one.\n")
    qtbot.waitUntil(lambda: len(window.outline.visible_keys()) == 4, timeout=3000)


def test_ctrl_return_generates_every_card_without_a_newline(
    qtbot: Any, tmp_path: Path, make_window: MakeWindow, stand_in: StandIn
) -> None:
    api = stand_in()
    plan = write_plan(tmp_path, 6)
    window = make_window(plan, api)
    window.editor.setFocus()
    text_before = window.plan_text()
    qtbot.keyClick(window.editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert window.plan_text() == text_before
    qtbot.waitUntil(lambda: window.controller.running, timeout=5000)
    qtbot.waitUntil(lambda: not window.controller.running, timeout=30000)
    names = component_names(6)
    assert sorted(r.component for r in api.records) == names
    assert all(window.panel.bar_value(n) == BAR_MAX for n in names)
    assert len(list((tmp_path / "guide.cards").glob("*.md"))) == 6
    qtbot.waitUntil(lambda: preview_headings(window, qtbot) == names, timeout=10000)
    assert all(window.session.states[n.casefold()] == "done" for n in names)


def test_cancel_mid_run_keeps_finished_cards(
    qtbot: Any, tmp_path: Path, make_window: MakeWindow, stand_in: StandIn
) -> None:
    api = stand_in(tokens_per_s=120.0)
    plan = write_plan(tmp_path, 6, concurrency=2)
    window = make_window(plan, api)
    window.panel.concurrency_spin.setValue(2)
    window.generate_all()
    folder = tmp_path / "guide.cards"
    qtbot.waitUntil(lambda: folder.is_dir() and any(folder.glob("*.md")), timeout=30000)
    qtbot.keyClick(window.editor, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not window.controller.running, timeout=10000)
    kept = list(folder.glob("*.md"))
    assert 1 <= len(kept) < 6
    states = [window.session.states[n.casefold()] for n in component_names(6)]
    assert states.count("done") == len(kept)
    assert all(s in ("done", "cancelled") for s in states)


def test_retry_failed_resends_only_the_failed_cards(
    qtbot: Any, tmp_path: Path, make_window: MakeWindow, stand_in: StandIn
) -> None:
    api = stand_in()
    api.script("Component 03", "http_400")
    plan = write_plan(tmp_path, 4)
    window = make_window(plan, api)
    window.generate_all()
    qtbot.waitUntil(lambda: window.controller.running, timeout=5000)
    qtbot.waitUntil(lambda: not window.controller.running, timeout=30000)
    assert window.session.states["component 03"] == "failed"
    api.records.clear()
    window.retry_failed()
    qtbot.waitUntil(lambda: not window.controller.running and bool(api.records), timeout=30000)
    assert [r.component for r in api.records] == ["Component 03"]
    assert window.session.states["component 03"] == "done"


def test_closing_mid_run_cancels_and_waits(
    qtbot: Any, tmp_path: Path, make_window: MakeWindow, stand_in: StandIn
) -> None:
    api = stand_in(tokens_per_s=80.0)
    plan = write_plan(tmp_path, 4)
    window = make_window(plan, api)
    window.generate_all()
    qtbot.waitUntil(lambda: api.open_streams > 0, timeout=10000)
    window.close()
    assert window.isVisible()  # still waiting for the run to wind down
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=10000)
    assert not window.controller.running
    qtbot.waitUntil(lambda: api.open_streams == 0, timeout=5000)


def test_closing_with_unsaved_changes_asks_first(
    qtbot: Any, tmp_path: Path, make_window: MakeWindow
) -> None:
    plan = write_plan(tmp_path, 2)
    window = make_window(plan)
    qtbot.keyClicks(window.editor, "x")
    asked: list[bool] = []

    def cancel() -> str:
        asked.append(True)
        return "cancel"

    window.ask_unsaved = cancel  # type: ignore[assignment]
    window.close()
    assert asked and window.isVisible()
    window.ask_unsaved = lambda: "discard"
    window.close()
    assert not window.isVisible()
    assert plan.read_text(encoding="utf-8").startswith("---")  # discarding never writes


def test_save_keeps_crlf_and_bom(qtbot: Any, tmp_path: Path, make_window: MakeWindow) -> None:
    plan = tmp_path / "crlf.md"
    plan.write_bytes(b"\xef\xbb\xbf## One\r\nfirst\r\n")
    window = make_window(plan)
    cursor = window.editor.textCursor()
    cursor.movePosition(cursor.MoveOperation.End)
    window.editor.setTextCursor(cursor)
    qtbot.keyClicks(window.editor, "more")
    assert window.save()
    assert plan.read_bytes() == b"\xef\xbb\xbf## One\r\nfirst\r\nmore"
    assert not window.isWindowModified()
