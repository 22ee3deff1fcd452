"""The Card tab's text box (card Markdown that leaves the window's keys to the window), its findings
list and the reviewer's notes."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QFocusEvent, QFontDatabase, QKeyEvent, QTextCursor
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QPlainTextEdit, QWidget

from app.core.card import Finding
from app.core.review import CardReview, ReviewNote, ReviewStatus
from app.ui.highlighter import MarkdownHighlighter

TAB_SPACES = 2

_CTRL = Qt.KeyboardModifier.ControlModifier
_RETURN_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)
_WINDOW_KEYS = (Qt.Key.Key_F5, Qt.Key.Key_F8, Qt.Key.Key_Escape)


def _is_window_key(event: QKeyEvent) -> bool:
    generate = event.key() in _RETURN_KEYS and bool(event.modifiers() & _CTRL)
    return generate or event.key() in _WINDOW_KEYS


class CardText(QPlainTextEdit):
    """Monospace card Markdown; the window's keys (Ctrl+Return, F5, F8, Esc) pass through.

    Signals:
        focus_lost(): the text lost keyboard focus (the editor writes pending edits then).
    """

    focus_lost = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        # Prose wraps for reading; an overlong code line is reported by lint (line-width) anyway.
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.highlighter = MarkdownHighlighter(self.document(), self.palette())

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent):
            if _is_window_key(event):
                event.ignore()
                return False
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        if _is_window_key(event):
            event.ignore()  # "generate all" and friends belong to the window; never a newline
            return
        if event.key() == Qt.Key.Key_Tab and event.modifiers() == Qt.KeyboardModifier.NoModifier:
            # A tab's width is unknown in the preview's width budget; code is indented with spaces.
            self.insertPlainText(" " * TAB_SPACES)
            return
        super().keyPressEvent(event)

    def focusOutEvent(self, event: QFocusEvent) -> None:  # noqa: N802 - Qt's name
        super().focusOutEvent(event)
        self.focus_lost.emit()

    def go_to_line(self, line: int) -> None:
        block = self.document().findBlockByNumber(min(max(1, line), self.blockCount()) - 1)
        self.setTextCursor(QTextCursor(block))
        self.centerCursor()


def finding_text(finding: Finding) -> str:
    where = f"line {finding.line}: " if finding.line is not None else ""
    return f"{finding.severity}: {where}{finding.message} [{finding.rule}]"


class LineList(QListWidget):
    """Rows of text, some about a line of the card; choosing such a row emits its line.

    Signals:
        line_activated(int): the 1-based body line of the clicked or activated row.
    """

    line_activated = Signal(int)

    _LINE_ROLE = Qt.ItemDataRole.UserRole

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMaximumHeight(120)
        self.itemActivated.connect(self._chosen)
        self.itemClicked.connect(self._chosen)

    def set_rows(self, rows: Sequence[tuple[str, int | None]]) -> None:
        self.clear()
        for text, line in rows:
            item = QListWidgetItem(text)
            item.setData(self._LINE_ROLE, line or 0)
            self.addItem(item)

    def _chosen(self, item: QListWidgetItem) -> None:
        line = int(item.data(self._LINE_ROLE) or 0)
        if line:
            self.line_activated.emit(line)


class FindingsList(LineList):
    """A card's findings, one row each."""

    def set_findings(self, findings: Sequence[Finding]) -> None:
        self.set_rows([(finding_text(f), f.line) for f in findings])


class ReviewNotesList(LineList):
    """The reviewer's notes on the card, one row each (the verdict and summary first).

    A stale review still lists its notes (they may still hold), under a row saying it is stale.
    """

    def set_review(self, review: CardReview | None, status: ReviewStatus) -> None:
        if review is None or status is ReviewStatus.NONE:
            self.set_rows([("not reviewed", None)])
            return
        head = f"{status.label} · {review.model}"
        if status is ReviewStatus.STALE:
            head = f"stale: the card changed since {review.model} said {review.verdict.value}"
        rows: list[tuple[str, int | None]] = [(head, None)]
        if review.summary:
            rows.append((review.summary, None))
        rows += [(note_text(n), n.line) for n in review.notes]
        self.set_rows(rows)


def note_text(note: ReviewNote) -> str:
    where = f"line {note.line}: " if note.line is not None else ""
    return f"{note.severity}: {where}{note.message}"
