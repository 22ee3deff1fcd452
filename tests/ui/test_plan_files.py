"""Opening plans other ways: drag and drop, a new plan from the example; the bundled example stays read-only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from app.core.store import cards_folder
from app.paths import example_plan
from app.ui.plan_files import READ_ONLY_NOTE, copy_example, is_bundled_example
from tests.helpers.plans import write_plan
from tests.helpers.window import MakeWindow


def file_mime(*paths: Path) -> QMimeData:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    return mime


def drag_enter(widget: Any, mime: QMimeData) -> bool:
    event = QDragEnterEvent(QPointF(20, 20).toPoint(), Qt.DropAction.CopyAction, mime,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, event)
    return event.isAccepted()


def drop(widget: Any, mime: QMimeData) -> bool:
    """Enter, then drop: Qt delivers a drop only to the widget that accepted the drag's entry."""
    if not drag_enter(widget, mime):
        return False
    event = QDropEvent(QPointF(20, 20), Qt.DropAction.CopyAction, mime,
                       Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, event)
    return event.isAccepted()


def test_dropping_a_plan_opens_it_after_asking_about_unsaved_edits(
    qtbot: Any, tmp_path: Path, make_window: MakeWindow
) -> None:
    first = write_plan(tmp_path / "a", 1)
    second = write_plan(tmp_path / "b", 3)
    window = make_window(first)
    assert drag_enter(window, file_mime(second))
    assert not drag_enter(window, file_mime(tmp_path / "notes.txt"))

    window.editor.insertPlainText("unsaved")
    asked: list[bool] = []
    window.ask_unsaved = lambda: asked.append(True) or "cancel"  # type: ignore[assignment]
    assert drop(window, file_mime(tmp_path / "notes.txt", second))
    qtbot.waitUntil(lambda: bool(asked), timeout=3000)
    assert window.session.path == first and window.plan_text().startswith("unsaved")

    window.ask_unsaved = lambda: "discard"  # type: ignore[assignment]
    # Dropped on the editor (from the first frame on), a plan opens too instead of its path being
    # pasted as text.
    qtbot.waitUntil(lambda: window.preview.first_frame_shown, timeout=10000)
    assert drop(window.editor.viewport(), file_mime(second))
    qtbot.waitUntil(lambda: window.session.path == second, timeout=3000)
    assert window.plan_text() == second.read_text(encoding="utf-8")
    assert len(window.session.plan.components) == 3


def test_new_plan_from_example_copies_it_with_its_cards_and_opens_the_copy(
    qtbot: Any, tmp_path: Path, make_window: MakeWindow
) -> None:
    window = make_window(None)
    folder = tmp_path / "mine"
    window.plan_files.ask_folder = lambda: folder
    plan = window.plan_files.new_from_example()
    assert plan == folder / example_plan().name
    assert window.session.path == plan
    assert plan.read_bytes() == example_plan().read_bytes()
    source_cards = sorted(p.name for p in cards_folder(example_plan()).glob("*.md"))
    assert source_cards and sorted(p.name for p in cards_folder(plan).glob("*.md")) == source_cards
    assert all(state == "done" for state in window.session.states.values())

    # A copy never replaces files: one clear line, nothing written.
    plan.write_text("## Mine\nMy own plan.\n", encoding="utf-8")
    other = make_window(None)
    other.plan_files.ask_folder = lambda: folder
    assert other.plan_files.new_from_example() is None
    assert "already exists" in other.banner.text and "\n" not in other.banner.text
    assert plan.read_text(encoding="utf-8") == "## Mine\nMy own plan.\n"
    assert other.session.path is None


def test_copy_example_refuses_a_folder_holding_its_cards(tmp_path: Path) -> None:
    cards = tmp_path / cards_folder(example_plan()).name
    cards.mkdir()
    try:
        copy_example(tmp_path)
    except Exception as exc:  # noqa: BLE001 - the message is what is checked
        assert "already exists" in str(exc)
    else:
        raise AssertionError("copy_example replaced an existing cards folder")
    assert not (tmp_path / example_plan().name).exists()


def test_the_bundled_example_is_never_written(
    qtbot: Any, tmp_path: Path, make_window: MakeWindow
) -> None:
    example = example_plan()
    before = example.read_bytes(), example.stat().st_mtime_ns
    window = make_window(example)
    assert is_bundled_example(window.session.path)
    window.editor.insertPlainText("## Edited\nin place?\n")
    redirected: list[bool] = []
    window.save_as = lambda: redirected.append(True) or False  # type: ignore[method-assign]
    assert not window.save()
    assert redirected and window.banner.text == READ_ONLY_NOTE
    assert not window.save_to(example)  # Save As onto it is refused as well
    window.generate_all()  # a run would write cards into the bundled folder
    assert window.banner.text == READ_ONLY_NOTE and not window.controller.running
    assert (example.read_bytes(), example.stat().st_mtime_ns) == before
    assert window.save_to(tmp_path / "mine.md")  # a copy of its own is fine
    assert not is_bundled_example(window.session.path)
