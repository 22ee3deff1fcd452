"""The plan editor: line numbers, Markdown highlighting, issues marked at their line, and the issue list."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFontDatabase,
    QHelpEvent,
    QKeyEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QResizeEvent,
    QTextCharFormat,
    QTextCursor,
    QTextFormat,
)
from PySide6.QtWidgets import (
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QStyle,
    QTextEdit,
    QToolTip,
    QWidget,
)

from app.core.plan import PlanIssue
from app.ui.highlighter import MarkdownHighlighter

TAB_WIDTH = 4
ERROR_COLOUR = QColor("#e5484d")
WARNING_COLOUR = QColor("#e5a000")

_CTRL = Qt.KeyboardModifier.ControlModifier
_RETURN_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)
# Keys the window binds (generate, cancel, next/previous finding): the editor must not claim them
# in ShortcutOverride, so the window's shortcuts fire whichever pane has focus.
_WINDOW_KEYS = (Qt.Key.Key_F5, Qt.Key.Key_F8, Qt.Key.Key_Escape)


def severity_colour(severity: str) -> QColor:
    return QColor(ERROR_COLOUR if severity == "error" else WARNING_COLOUR)


def _is_generate_key(event: QKeyEvent) -> bool:
    """Ctrl+Return or Ctrl+Enter (keypad), with or without other modifiers."""
    return event.key() in _RETURN_KEYS and bool(event.modifiers() & _CTRL)


def _is_window_key(event: QKeyEvent) -> bool:
    return _is_generate_key(event) or event.key() in _WINDOW_KEYS


class _Gutter(QWidget):
    """Line numbers and issue markers, painted by the editor (the classic LineNumberArea)."""

    def __init__(self, editor: PlanEditor) -> None:
        super().__init__(editor)
        self._editor = editor

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(self._editor.gutter_width(), 0)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        self._editor.paint_gutter(self, event)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            self._editor.show_issue_tooltip(event, self, line=self._editor.line_at_y(event.pos().y()))
            return True
        return super().event(event)


class PlanEditor(QPlainTextEdit):
    """The plan's Markdown source, with line numbers and the parser's issues marked in place.

    Ctrl+Return never inserts a newline: it belongs to the window's "generate all" shortcut.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.setTabStopDistance(TAB_WIDTH * self.fontMetrics().horizontalAdvance(" "))
        self._issues: dict[int, list[PlanIssue]] = {}
        self._issue_selections: list[QTextEdit.ExtraSelection] = []
        self._gutter = _Gutter(self)
        self.highlighter = MarkdownHighlighter(self.document(), self.palette())
        self.blockCountChanged.connect(self._update_gutter_width)
        self.updateRequest.connect(self._update_gutter)
        self.cursorPositionChanged.connect(self._refresh_selections)
        self._update_gutter_width()
        self._refresh_selections()

    # --- issues -----------------------------------------------------------------------------

    def set_issues(self, issues: Sequence[PlanIssue]) -> None:
        """Mark each issue's line: wavy underline (red error, amber warning) and a gutter dot.

        Marks are by line number: call again after re-parsing edited text.
        """
        by_line: dict[int, list[PlanIssue]] = {}
        last = self.blockCount()
        for issue in issues:
            # An issue past the end (e.g. "no components" on a trailing empty line) goes on the last line.
            line = min(max(1, issue.line), last)
            by_line.setdefault(line, []).append(issue)
        self._issues = by_line
        self._issue_selections = [self._issue_selection(line, found) for line, found in by_line.items()]
        self._refresh_selections()
        self._gutter.update()

    def issues(self) -> list[PlanIssue]:
        return [issue for line in sorted(self._issues) for issue in self._issues[line]]

    def issue_at_line(self, line: int) -> list[PlanIssue]:
        return list(self._issues.get(line, ()))

    def line_severity(self, line: int) -> str | None:
        """``error`` or ``warning`` for a marked line (an error wins), else None."""
        found = self._issues.get(line)
        if not found:
            return None
        return "error" if any(i.severity == "error" for i in found) else "warning"

    def tooltip_for_line(self, line: int) -> str:
        return "\n".join(f"{issue.severity}: {issue.message}" for issue in self._issues.get(line, ()))

    def _issue_selection(self, line: int, found: list[PlanIssue]) -> QTextEdit.ExtraSelection:
        severity = "error" if any(i.severity == "error" for i in found) else "warning"
        colour = severity_colour(severity)
        block = self.document().findBlockByNumber(line - 1)
        text = block.text()
        start = len(text) - len(text.lstrip())
        end = len(text.rstrip())
        fmt = QTextCharFormat()
        cursor = QTextCursor(block)
        if end > start:
            cursor.setPosition(block.position() + start)
            cursor.setPosition(block.position() + end, QTextCursor.MoveMode.KeepAnchor)
            fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
            fmt.setUnderlineColor(colour)
        else:
            # Nothing to underline on a blank line: tint the whole line instead.
            tint = QColor(colour)
            tint.setAlpha(40)
            fmt.setBackground(tint)
            fmt.setProperty(QTextFormat.Property.FullWidthSelection, True)
        selection = QTextEdit.ExtraSelection()
        selection.cursor = cursor
        selection.format = fmt
        return selection

    def _refresh_selections(self) -> None:
        self.setExtraSelections([self._current_line_selection(), *self._issue_selections])

    def _current_line_selection(self) -> QTextEdit.ExtraSelection:
        colour = QColor(self.palette().color(QPalette.ColorRole.Highlight))
        colour.setAlpha(28)
        fmt = QTextCharFormat()
        fmt.setBackground(colour)
        fmt.setProperty(QTextFormat.Property.FullWidthSelection, True)
        cursor = self.textCursor()
        cursor.clearSelection()
        selection = QTextEdit.ExtraSelection()
        selection.cursor = cursor
        selection.format = fmt
        return selection

    # --- lines ------------------------------------------------------------------------------

    def go_to_line(self, line: int) -> None:
        """Put the cursor at the start of a 1-based line (clamped) and center it."""
        block = self.document().findBlockByNumber(min(max(1, line), self.blockCount()) - 1)
        cursor = QTextCursor(block)
        self.setTextCursor(cursor)
        self.centerCursor()

    def current_line(self) -> int:
        return self.textCursor().blockNumber() + 1

    def line_at_y(self, y: int) -> int | None:
        """The 1-based line drawn at viewport height ``y``, or None below the last line."""
        block = self.cursorForPosition(QPoint(0, y)).block()
        if not block.isValid():
            return None
        geometry = self.blockBoundingGeometry(block).translated(self.contentOffset())
        if not geometry.top() <= y < geometry.bottom():
            return None
        return block.blockNumber() + 1

    # --- tooltips ---------------------------------------------------------------------------

    def viewportEvent(self, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        # Hover help arrives at the viewport (the widget under the mouse), not at the editor.
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            self.show_issue_tooltip(event, self.viewport(), line=self.line_at_y(event.pos().y()))
            return True
        return super().viewportEvent(event)

    def show_issue_tooltip(self, event: QHelpEvent, widget: QWidget, *, line: int | None) -> None:
        text = self.tooltip_for_line(line) if line is not None else ""
        if text:
            QToolTip.showText(event.globalPos(), text, widget)
        else:
            QToolTip.hideText()
            event.ignore()

    # --- keys -------------------------------------------------------------------------------

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent):
            if _is_window_key(event):
                event.ignore()  # not ours: let the window's shortcut have it
                return False
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        if _is_generate_key(event):
            event.ignore()  # "generate all" belongs to the window; never a newline
            return
        key, modifiers = event.key(), event.modifiers()
        plain = modifiers & ~Qt.KeyboardModifier.KeypadModifier
        if key == Qt.Key.Key_Tab and plain == Qt.KeyboardModifier.NoModifier:
            self._insert_tab()
            return
        if key == Qt.Key.Key_Backtab:
            self._dedent()
            return
        if key in _RETURN_KEYS and plain == Qt.KeyboardModifier.ShiftModifier:
            # Qt would insert U+2028 (a line break inside one block): the plan's line numbers
            # would then disagree with the editor's, so make it a real new line.
            cursor = self.textCursor()
            cursor.insertBlock()
            self.setTextCursor(cursor)
            self.ensureCursorVisible()
            return
        super().keyPressEvent(event)

    def _insert_tab(self) -> None:
        cursor = self.textCursor()
        start = cursor.selectionStart()
        column = start - self.document().findBlock(start).position()
        cursor.insertText(" " * (TAB_WIDTH - column % TAB_WIDTH))
        self.setTextCursor(cursor)

    def _dedent(self) -> None:
        """Shift+Tab: remove up to one indent from each selected line, as one undo step."""
        cursor = self.textCursor()
        doc = self.document()
        first = doc.findBlock(cursor.selectionStart())
        last = doc.findBlock(cursor.selectionEnd())
        cursor.beginEditBlock()
        block = first
        while block.isValid():
            text = block.text()
            remove = len(text[:TAB_WIDTH]) - len(text[:TAB_WIDTH].lstrip(" "))
            if remove:
                edit = QTextCursor(block)
                edit.movePosition(QTextCursor.MoveOperation.Right, QTextCursor.MoveMode.KeepAnchor, remove)
                edit.removeSelectedText()
            if block == last:
                break
            block = block.next()
        cursor.endEditBlock()

    # --- gutter -----------------------------------------------------------------------------

    def gutter_width(self) -> int:
        digits = len(str(max(1, self.blockCount())))
        metrics = self.fontMetrics()
        return metrics.height() + digits * metrics.horizontalAdvance("9") + 8

    def _update_gutter_width(self, _count: int = 0) -> None:
        self.setViewportMargins(self.gutter_width(), 0, 0, 0)

    def _update_gutter(self, rect: QRect, dy: int) -> None:
        if dy:
            self._gutter.scroll(0, dy)
        else:
            self._gutter.update(0, rect.y(), self._gutter.width(), rect.height())

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        area = self.contentsRect()
        self._gutter.setGeometry(QRect(area.left(), area.top(), self.gutter_width(), area.height()))

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self.highlighter.set_palette(self.palette())
            self._refresh_selections()
        elif event.type() == QEvent.Type.FontChange:
            self.setTabStopDistance(TAB_WIDTH * self.fontMetrics().horizontalAdvance(" "))
            self._update_gutter_width()

    def paint_gutter(self, gutter: QWidget, event: QPaintEvent) -> None:
        painter = QPainter(gutter)
        palette = self.palette()
        painter.fillRect(event.rect(), palette.color(QPalette.ColorRole.Window))
        metrics = self.fontMetrics()
        line_height = metrics.height()
        marker = max(4, line_height // 2)
        current = self.textCursor().blockNumber()
        block = self.firstVisibleBlock()
        number = block.blockNumber()
        top = round(self.blockBoundingGeometry(block).translated(self.contentOffset()).top())
        bottom = top + round(self.blockBoundingRect(block).height())
        bottom_limit = event.rect().bottom()
        while block.isValid() and top <= bottom_limit:
            if block.isVisible() and bottom >= event.rect().top():
                self._paint_line_number(painter, gutter, number, top, line_height, current == number)
                severity = self.line_severity(number + 1)
                if severity is not None:
                    painter.setPen(Qt.PenStyle.NoPen)
                    painter.setBrush(severity_colour(severity))
                    offset = (line_height - marker) // 2
                    painter.drawEllipse(4, top + offset, marker, marker)
            block = block.next()
            top = bottom
            bottom = top + round(self.blockBoundingRect(block).height())
            number += 1
        painter.end()

    def _paint_line_number(
        self, painter: QPainter, gutter: QWidget, number: int, top: int, height: int, current: bool
    ) -> None:
        role = QPalette.ColorRole.Text if current else QPalette.ColorRole.PlaceholderText
        painter.setPen(self.palette().color(role))
        painter.drawText(
            0, top, gutter.width() - 4, height, Qt.AlignmentFlag.AlignRight, str(number + 1)
        )


class IssueList(QListWidget):
    """The plan's issues as "line N: message" rows; choosing one emits its line. Hidden while there
    are none, so that the plan editor above it (in a splitter) gets the room.

    Signals:
        line_activated(int): the 1-based line of the clicked or activated issue.
    """

    line_activated = Signal(int)

    _LINE_ROLE = Qt.ItemDataRole.UserRole

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.itemClicked.connect(self._on_clicked)
        self.itemActivated.connect(self._on_activated)
        self.hide()

    def set_issues(self, issues: Sequence[PlanIssue]) -> None:
        self.setVisible(bool(issues))
        self.clear()
        style = self.style()
        icons = {
            "error": style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxCritical),
            "warning": style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning),
        }
        for issue in issues:
            item = QListWidgetItem(icons.get(issue.severity, icons["warning"]), str(issue))
            item.setData(self._LINE_ROLE, issue.line)
            item.setToolTip(f"{issue.severity}: {issue.message}")
            self.addItem(item)

    def line_of_row(self, row: int) -> int:
        item = self.item(row)
        return int(item.data(self._LINE_ROLE)) if item is not None else 0

    def _activates_on_click(self) -> bool:
        return bool(
            self.style().styleHint(QStyle.StyleHint.SH_ItemView_ActivateItemOnSingleClick, None, self)
        )

    def _on_clicked(self, item: QListWidgetItem) -> None:
        if not self._activates_on_click():  # else itemActivated follows and emits once
            self.line_activated.emit(int(item.data(self._LINE_ROLE)))

    def _on_activated(self, item: QListWidgetItem) -> None:
        self.line_activated.emit(int(item.data(self._LINE_ROLE)))
