"""The plan editor: issue marks and tooltips, lines, keys (Ctrl+Return), highlighting, the issue list."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtGui import QFont, QHelpEvent, QKeySequence, QShortcut, QTextCharFormat, QTextDocument
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow, QSplitter, QToolTip

from app.core.plan import PlanIssue, parse_plan
from app.ui.editor import ERROR_COLOUR, WARNING_COLOUR, IssueList, PlanEditor
from app.ui.highlighter import MarkdownHighlighter

# The offscreen platform cannot raise windows (QToolTip does) or propagate size hints: harmless.
pytestmark = pytest.mark.qt_log_ignore(r"^This plugin does not support (raise|propagateSizeHints)\(\)")

PLAN = """\
---
title: Demo
colour: blue
---
Shared context.

## User Model
Stores users.

## User Model
Again.

## Session Token
Tokens.
"""


@pytest.fixture
def editor(qtbot: Any) -> PlanEditor:
    widget = PlanEditor()
    qtbot.addWidget(widget)
    widget.resize(500, 300)
    widget.setPlainText(PLAN)
    return widget


def _issue_selections(editor: PlanEditor) -> dict[int, QTextCharFormat]:
    """Block number -> format of the wavy-underlined extra selections."""
    found = {}
    for selection in editor.extraSelections():
        fmt = QTextCharFormat(selection.format)  # a copy: the selection's own one dies with it
        if fmt.underlineStyle() == QTextCharFormat.UnderlineStyle.WaveUnderline:
            found[selection.cursor.blockNumber()] = fmt
    return found


def test_issues_from_the_parser_are_underlined_at_their_lines(editor: PlanEditor) -> None:
    plan = parse_plan(editor.toPlainText())
    assert {(i.line, i.severity) for i in plan.issues} == {(3, "warning"), (10, "error")}
    editor.set_issues(plan.issues)

    marks = _issue_selections(editor)
    assert sorted(marks) == [2, 9]  # 0-based blocks of lines 3 and 10
    assert marks[2].underlineColor() == WARNING_COLOUR
    assert marks[9].underlineColor() == ERROR_COLOUR
    selection = next(s for s in editor.extraSelections() if s.cursor.blockNumber() == 9)
    assert selection.cursor.selectedText() == "## User Model"
    assert editor.line_severity(10) == "error" and editor.line_severity(4) is None
    assert [i.line for i in editor.issue_at_line(10)] == [10]
    assert editor.issue_at_line(11) == []


def test_current_line_highlight_is_kept_alongside_issues(editor: PlanEditor) -> None:
    editor.set_issues([PlanIssue(2, "bad", "error")])
    editor.go_to_line(7)
    full_width = [
        s
        for s in editor.extraSelections()
        if s.format.property(QTextCharFormat.Property.FullWidthSelection)
    ]
    assert [s.cursor.blockNumber() for s in full_width] == [6]
    assert sorted(_issue_selections(editor)) == [1]


def test_error_wins_over_warning_and_new_issues_replace_old(editor: PlanEditor) -> None:
    editor.set_issues([PlanIssue(7, "just a warning", "warning"), PlanIssue(7, "an error", "error")])
    assert _issue_selections(editor)[6].underlineColor() == ERROR_COLOUR
    assert editor.tooltip_for_line(7) == "warning: just a warning\nerror: an error"
    editor.set_issues([])
    assert _issue_selections(editor) == {}
    assert editor.tooltip_for_line(7) == ""


def test_issue_past_the_end_goes_on_the_last_line(editor: PlanEditor) -> None:
    editor.set_issues([PlanIssue(999, "far away")])
    assert editor.issue_at_line(editor.blockCount())[0].message == "far away"


def test_hovering_a_marked_line_shows_its_messages(editor: PlanEditor, qtbot: Any) -> None:
    editor.show()
    qtbot.waitExposed(editor)
    editor.set_issues([PlanIssue(10, "duplicate component 'User Model' (first on line 7)")])
    block = editor.document().findBlockByNumber(9)
    rect = editor.blockBoundingGeometry(block).translated(editor.contentOffset())
    pos = QPoint(10, int(rect.center().y()))
    assert editor.line_at_y(pos.y()) == 10
    viewport = editor.viewport()
    QApplication.sendEvent(viewport, QHelpEvent(QEvent.Type.ToolTip, pos, viewport.mapToGlobal(pos)))
    qtbot.waitUntil(QToolTip.isVisible, timeout=2000)
    assert QToolTip.text() == "error: duplicate component 'User Model' (first on line 7)"
    QToolTip.hideText()


def test_go_to_line_and_current_line(editor: PlanEditor) -> None:
    editor.go_to_line(13)
    assert editor.current_line() == 13
    assert editor.textCursor().block().text() == "## Session Token"
    assert editor.textCursor().positionInBlock() == 0
    editor.go_to_line(10_000)
    assert editor.current_line() == editor.blockCount()
    editor.go_to_line(0)
    assert editor.current_line() == 1


def test_ctrl_return_never_inserts_a_newline(editor: PlanEditor, qtbot: Any) -> None:
    editor.go_to_line(8)
    before = editor.toPlainText()
    qtbot.keyClick(editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    keypad_ctrl = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.KeypadModifier
    qtbot.keyClick(editor, Qt.Key.Key_Enter, keypad_ctrl)
    ctrl_shift = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    qtbot.keyClick(editor, Qt.Key.Key_Return, ctrl_shift)
    assert editor.toPlainText() == before
    assert editor.document().toRawText() == before.replace("\n", "\u2029")
    qtbot.keyClick(editor, Qt.Key.Key_Return)  # a plain Return still does
    assert editor.toPlainText() != before
    assert editor.blockCount() == len(before.split("\n")) + 1


def test_window_shortcut_fires_while_the_editor_has_focus(qtbot: Any) -> None:
    window = QMainWindow()
    qtbot.addWidget(window)
    editor = PlanEditor(window)
    window.setCentralWidget(editor)
    editor.setPlainText(PLAN)
    fired: list[str] = []
    for sequence, name in (("Ctrl+Return", "generate"), ("F5", "generate-f5"), ("Esc", "cancel")):
        shortcut = QShortcut(QKeySequence(sequence), window)
        shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
        shortcut.activated.connect(lambda name=name: fired.append(name))
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    editor.setFocus()
    qtbot.waitUntil(editor.hasFocus, timeout=2000)
    before = editor.toPlainText()

    qtbot.keyClick(editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(editor, Qt.Key.Key_F5)
    qtbot.keyClick(editor, Qt.Key.Key_Escape)

    assert fired == ["generate", "generate-f5", "cancel"]
    assert editor.toPlainText() == before


def test_shift_return_makes_a_real_line(editor: PlanEditor, qtbot: Any) -> None:
    count = editor.blockCount()
    editor.go_to_line(5)
    qtbot.keyClick(editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    assert editor.blockCount() == count + 1
    assert "\u2028" not in editor.document().toRawText()


def test_tab_inserts_spaces_and_backtab_removes_them(editor: PlanEditor, qtbot: Any) -> None:
    editor.go_to_line(8)
    qtbot.keyClick(editor, Qt.Key.Key_Tab)
    assert editor.textCursor().block().text() == "    Stores users."
    qtbot.keyClick(editor, Qt.Key.Key_Backtab)
    assert editor.textCursor().block().text() == "Stores users."


def test_undo_and_redo(editor: PlanEditor, qtbot: Any) -> None:
    editor.go_to_line(5)
    before = editor.toPlainText()
    qtbot.keyClicks(editor, "More ")
    typed = editor.toPlainText()
    assert typed != before
    editor.undo()
    assert editor.toPlainText() == before
    editor.redo()
    assert editor.toPlainText() == typed


def test_gutter_is_reserved_beside_the_text(editor: PlanEditor) -> None:
    assert editor.viewportMargins().left() == editor.gutter_width() > 0
    width = editor.gutter_width()
    editor.setPlainText("\n".join(["x"] * 12_000))
    assert editor.gutter_width() > width  # room for five digits


# --- highlighting -------------------------------------------------------------------------------


def _highlighted(qtbot: Any, text: str) -> tuple[QTextDocument, MarkdownHighlighter, PlanEditor]:
    """The editor's document and highlighter; the caller keeps the editor, which owns them (qtbot
    holds it only weakly, and a collected editor takes its document along)."""
    # Through the editor: a QTextDocument without a layout never tells its highlighter of edits.
    editor = PlanEditor()
    qtbot.addWidget(editor)
    editor.setPlainText(text)
    return editor.document(), editor.highlighter, editor


def _formats_of(doc: QTextDocument, number: int) -> list[tuple[int, int, QTextCharFormat]]:
    """(start, length, format) of a line's highlight ranges; formats copied, the ranges are temporaries."""
    layout = doc.findBlockByNumber(number).layout()
    return [(r.start, r.length, QTextCharFormat(r.format)) for r in layout.formats()]


def _is_bold_across(doc: QTextDocument, number: int) -> bool:
    length = len(doc.findBlockByNumber(number).text())
    return any(
        start == 0 and size == length and fmt.fontWeight() == QFont.Weight.Bold
        for start, size, fmt in _formats_of(doc, number)
    )


HIGHLIGHTED = """\
---
title: Demo
---
# Title
## Real Component
```ts
## not a heading
```
~~~~
```
## still code
~~~~
### Sub heading
Some `code` and **bold** and [a link](https://example.com).
"""


def test_headings_inside_fences_are_not_headings(qtbot: Any) -> None:
    doc, highlighter, _editor = _highlighted(qtbot, HIGHLIGHTED)
    lines = HIGHLIGHTED.split("\n")
    component = highlighter.format_for("component")

    assert _is_bold_across(doc, lines.index("## Real Component"))
    real = _formats_of(doc, lines.index("## Real Component"))[0][2]
    assert real.foreground().color() == component.foreground().color()
    title = _formats_of(doc, lines.index("# Title"))[0][2]
    assert title.foreground().color() != component.foreground().color()
    assert _is_bold_across(doc, lines.index("### Sub heading"))
    for inside in (lines.index("## not a heading"), lines.index("## still code")):
        assert not _is_bold_across(doc, inside)
        code = _formats_of(doc, inside)[0][2]
        assert code.foreground().color() == highlighter.format_for("code").foreground().color()
    # The parser agrees: only the real heading is a component.
    assert [c.name for c in parse_plan(HIGHLIGHTED).components] == ["Real Component"]


def test_front_matter_keys_and_inline_markup(qtbot: Any) -> None:
    doc, highlighter, _editor = _highlighted(qtbot, HIGHLIGHTED)
    key_colour = highlighter.format_for("key").foreground().color()
    title_line = _formats_of(doc, 1)
    assert (0, len("title"), key_colour) in [(a, n, f.foreground().color()) for a, n, f in title_line]

    text = HIGHLIGHTED.split("\n")[13]
    ranges = {text[start : start + size]: fmt for start, size, fmt in _formats_of(doc, 13)}
    assert ranges["`code`"].foreground().color() == highlighter.format_for("code").foreground().color()
    assert ranges["**bold**"].fontWeight() == QFont.Weight.Bold
    assert ranges["[a link](https://example.com)"].fontUnderline()


def test_opening_a_fence_rehighlights_the_lines_below(qtbot: Any) -> None:
    doc, _highlighter, _editor = _highlighted(qtbot, "intro\n## A\ntext\n")
    assert _is_bold_across(doc, 1)
    cursor = doc.find("intro")
    cursor.insertText("```")
    assert not _is_bold_across(doc, 1)


# --- the issue list -----------------------------------------------------------------------------


def test_issue_list_rows_and_activation(qtbot: Any) -> None:
    issues = IssueList()
    qtbot.addWidget(issues)
    issues.set_issues([PlanIssue(3, "unknown key", "warning"), PlanIssue(10, "duplicate", "error")])
    assert [issues.item(i).text() for i in range(issues.count())] == [
        "line 3: unknown key",
        "line 10: duplicate",
    ]
    assert not issues.item(0).icon().isNull()
    issues.show()
    qtbot.waitExposed(issues)
    rect = issues.visualItemRect(issues.item(1))
    with qtbot.waitSignal(issues.line_activated, timeout=1000) as blocker:
        qtbot.mouseClick(issues.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert blocker.args == [10]
    with qtbot.waitSignal(issues.line_activated, timeout=1000) as blocker:
        issues.itemActivated.emit(issues.item(0))
    assert blocker.args == [3]


def test_the_issue_list_takes_room_only_when_there_are_issues(qtbot: Any) -> None:
    # As in the window: outline, plan editor and issue list share a vertical splitter.
    split = QSplitter(Qt.Orientation.Vertical)
    qtbot.addWidget(split)
    outline, editor, issues = QLabel("outline"), PlanEditor(), IssueList()
    for widget in (outline, editor, issues):
        split.addWidget(widget)
    split.setSizes([200, 520, 110])
    split.setChildrenCollapsible(False)
    split.resize(400, 850)
    split.show()
    qtbot.waitExposed(split)
    handle = split.handleWidth()
    assert issues.isHidden() and split.sizes()[2] == 0
    assert outline.height() + handle + editor.height() == split.height()
    roomy = editor.height()

    issues.set_issues([PlanIssue(3, "unknown key", "warning")])
    qtbot.waitUntil(lambda: issues.isVisible() and issues.height() > 0, timeout=3000)
    assert editor.height() < roomy
    assert issues.height() >= issues.sizeHintForRow(0)  # its row can be read

    issues.set_issues([])
    qtbot.waitUntil(lambda: editor.height() == roomy, timeout=3000)
    assert issues.isHidden() and issues.count() == 0
