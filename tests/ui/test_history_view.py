"""The Card tab's history: versions listed, a diff between two, and "Restore this version"."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtGui import QColor

from app.core.card import body_sha256
from app.core.history import list_versions
from app.ui.history_view import HistoryView, unified_diff
from tests.helpers.card_files import read_card
from tests.helpers.cli import copy_example
from tests.helpers.window import MakeWindow, open_card, read_card

OLD_LINE_END = "."
NOTE = " It stays small."


def kinds(view: HistoryView) -> list[str]:
    return [row.version.kind for row in view.rows]


def line_colour(view: HistoryView, prefix: str) -> QColor:
    """Foreground the highlighter gave the first diff line starting with ``prefix``."""
    block = view.diff.document().begin()
    while block.isValid():
        if block.text().startswith(prefix) and not block.text().startswith(prefix * 3):
            ranges = block.layout().formats()
            assert ranges, f"line {block.text()!r} is not coloured"
            return ranges[0].format.foreground().color()
        block = block.next()
    raise AssertionError(f"no line starting with {prefix!r}")


def edit_line(editor: Any, line: int, text: str) -> str:
    """Append ``text`` to body line ``line`` and write the edit; returns the new line."""
    lines = editor.body().split("\n")
    lines[line - 1] += text
    editor.text.setPlainText("\n".join(lines))
    editor.flush()
    return lines[line - 1]


def test_versions_are_listed_diffed_and_restored(
    qtbot: Any, tmp_path: Path, make_window: MakeWindow
) -> None:
    plan = copy_example(tmp_path)
    window = make_window(plan)
    view = window.cards.history
    editor = open_card(window, "user model")
    assert view.rows == () and "no versions recorded" in view.title.text()
    _meta, generated = read_card(plan, "user-model")
    old_line = generated.split("\n")[2]

    new_line = edit_line(editor, 3, NOTE)
    assert kinds(view) == ["generated", "edited"]
    assert [row.current for row in view.rows] == [False, True]
    assert view.list.count() == 2 and view.list.item(1).text().endswith("← current")
    assert "edited" in view.list.item(1).text() and "generated" in view.list.item(0).text()

    view.select(1, 2)
    diff = view.diff.toPlainText()
    assert f"-{old_line}\n+{new_line}" in diff
    changed = [line for line in diff.splitlines()[2:] if line[:1] in "+-"]
    assert changed == [f"-{old_line}", f"+{new_line}"]  # only the edited line
    assert view.diff.isReadOnly()
    assert line_colour(view, "+") != line_colour(view, "-")
    assert not view.restore_button.isEnabled()  # two selected: which one?

    view.select(1)
    assert view.restore_button.isEnabled()
    assert f"-{old_line}\n+{new_line}" in view.diff.toPlainText()  # against the card as it is now
    view.restore_button.click()

    meta, body = read_card(plan, "user-model")
    assert body == generated and meta.body_sha256 == body_sha256(generated)
    assert editor.body() == generated and not editor.dirty
    assert kinds(view) == ["generated", "edited", "restored"]
    assert [row.current for row in view.rows] == [False, False, True]
    assert [v.kind for v in list_versions(plan.parent / "auth-service.cards", "user-model")] == \
        kinds(view)
    # The window follows: the snapshot holds the restored card, and it reads as generated again.
    assert window.session.snapshot is not None
    assert window.session.snapshot.cards["user model"].body == generated
    qtbot.waitUntil(lambda: editor.state == "done" and window.session.state("user model") == "done",
                    timeout=3000)
    assert not view.restore_button.isEnabled()  # version 1 is the card's text now


def test_the_list_follows_the_selected_card_and_a_locked_card_is_not_restored(
    qtbot: Any, tmp_path: Path, make_window: MakeWindow
) -> None:
    plan = copy_example(tmp_path)
    window = make_window(plan)
    view = window.cards.history
    editor = open_card(window, "user model")
    edit_line(editor, 3, NOTE)
    assert len(view.rows) == 2

    open_card(window, "session token")
    assert view.rows == () and "Session Token" in view.title.text()
    open_card(window, "user model")
    assert len(view.rows) == 2

    editor.toggle_lock()
    view.select(1)
    assert not view.restore_button.isEnabled()
    assert view.restore_selected() is None
    assert len(view.rows) == 2


def test_unified_diff_of_equal_texts_is_empty() -> None:
    assert unified_diff("a\nb", "a\nb", "x", "y") == ""
    assert unified_diff("a\nb", "a\nc", "x", "y").splitlines()[-2:] == ["-b", "+c"]
