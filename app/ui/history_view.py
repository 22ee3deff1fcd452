"""The Card tab's history: the shown card's versions, a diff between two, and "Restore this version".

``HistoryView`` follows a ``CardEditor``: whenever the editor shows another card, writes it, or a
run takes it, the list is read again from ``<cards folder>/.history/<slug>/``. A restore is the
edit session's (app/core/card_edit.py: it reads as an edit unless it is the generated body, and is
kept as a "restored" version); the view puts the text in the editor and emits ``restored`` for the
window.
"""

from __future__ import annotations

import difflib
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFontDatabase,
    QPalette,
    QSyntaxHighlighter,
    QTextCharFormat,
    QTextDocument,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.core.history import Version, list_versions
from app.core.history_report import CURRENT_MARK, HistoryRow, history_rows
from app.core.store import StoredCard
from app.errors import CardsmithError
from app.ui.card_editor import CardEditor

# Row text: the columns a writer compares (the hashes stay in the tooltip).
_LIST_COLUMNS = slice(0, 6)
_LIGHT = {"+": "#1b7f3b", "-": "#b3261e", "@": "#5a5fa8"}
_DARK = {"+": "#7fd18b", "-": "#ff8a80", "@": "#9fa8ff"}


def unified_diff(old: str, new: str, old_label: str, new_label: str) -> str:
    """``difflib``'s unified diff of two card bodies, line by line, without trailing newlines."""
    lines = difflib.unified_diff(
        old.splitlines(), new.splitlines(), fromfile=old_label, tofile=new_label, lineterm=""
    )
    return "\n".join(lines)


class DiffHighlighter(QSyntaxHighlighter):
    """Added lines green, removed lines red, hunk headers blue; the file header stays plain."""

    def __init__(self, document: QTextDocument, palette: QPalette) -> None:
        super().__init__(document)
        dark = palette.color(QPalette.ColorRole.Base).lightness() < 128
        self.formats: dict[str, QTextCharFormat] = {}
        for mark, colour in (_DARK if dark else _LIGHT).items():
            fmt = QTextCharFormat()
            fmt.setForeground(QColor(colour))
            self.formats[mark] = fmt

    def highlightBlock(self, text: str) -> None:  # noqa: N802 - Qt's name
        if text.startswith(("+++", "---")) or not text:
            return
        fmt = self.formats.get(text[0])
        if fmt is not None:
            self.setFormat(0, len(text), fmt)


class HistoryView(QWidget):
    """Versions of the card shown in ``editor``, oldest first.

    Signals:
        restored(str, StoredCard): a version was written as the card (component key, card).
        problem(str): a write failed; one line for the window's banner.
    """

    restored = Signal(str, object)
    problem = Signal(str)

    def __init__(self, editor: CardEditor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editor = editor
        self._rows: tuple[HistoryRow, ...] = ()
        self._shown: tuple[Path, str, StoredCard | None] | None = None

        self.title = QLabel("History")
        self.list = QListWidget(self)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.list.setToolTip("Select one version to compare it with the card, or two to compare them")
        self.diff = QPlainTextEdit(self)
        self.diff.setReadOnly(True)
        self.diff.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.diff.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.diff.setPlaceholderText("Select two versions to see what changed between them.")
        self.highlighter = DiffHighlighter(self.diff.document(), self.diff.palette())
        self.restore_button = QPushButton("Restore this version", self)
        self.restore_button.setToolTip("Make the selected version the card's text (kept as a new version)")

        header = QHBoxLayout()
        header.addWidget(self.title, 1)
        header.addWidget(self.restore_button)
        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.addWidget(self.list)
        split.addWidget(self.diff)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(header)
        layout.addWidget(split, 1)

        self.list.itemSelectionChanged.connect(self._on_selection)
        self.restore_button.clicked.connect(self.restore_selected)
        editor.context_changed.connect(self.refresh)
        self.refresh()

    # -- what is shown ----------------------------------------------------------------------------

    @property
    def rows(self) -> tuple[HistoryRow, ...]:
        return self._rows

    def versions(self) -> list[Version]:
        return [row.version for row in self._rows]

    def selected_rows(self) -> list[HistoryRow]:
        """Selected versions, oldest first."""
        picked = sorted(self.list.row(item) for item in self.list.selectedItems())
        return [self._rows[i] for i in picked if 0 <= i < len(self._rows)]

    def select(self, *numbers: int) -> None:
        """Select versions by their number (1 = oldest), as clicks in the list do."""
        self.list.clearSelection()
        for number in numbers:
            item = self.list.item(number - 1)
            if item is not None:
                item.setSelected(True)

    def refresh(self, *, force: bool = False) -> None:
        """Read the list again if the editor shows another card (or the card was written)."""
        ctx = self.editor.context
        shown = None
        if ctx is not None and ctx.store is not None:
            slug = ctx.card.path.stem if ctx.card else None
            shown = (ctx.store.folder, slug or "", ctx.card)
        if force or shown != self._shown:
            self._shown = shown
            self._load()
        self._update_controls()

    # -- restoring --------------------------------------------------------------------------------

    def restore_selected(self) -> StoredCard | None:
        """Write the one selected version as the card; returns the card written (None if not)."""
        rows = self.selected_rows()
        if len(rows) != 1 or not self._can_write():
            return None
        self.editor.flush()  # a pending edit is written (and kept in history) before it is replaced
        ctx = self.editor.context
        if ctx is None or ctx.card is None or ctx.session is None:
            return None
        try:
            written = ctx.session.restore(ctx.card, rows[0].version.body)
        except CardsmithError as exc:
            self.problem.emit(exc.message)
            return None
        if written is None:
            return None
        # The editor shows the restored text at once; the window's slot gives it the exact state.
        self.editor.show_card(replace(ctx, card=written))
        self.refresh(force=True)
        self.restored.emit(ctx.key, written)
        return written

    # -- internals --------------------------------------------------------------------------------

    def _load(self) -> None:
        ctx = self.editor.context
        versions: list[Version] = []
        if ctx is not None and ctx.card is not None and ctx.store is not None:
            versions = list_versions(ctx.store.folder, ctx.card.path.stem)
        self._rows = history_rows(versions, ctx.card.body if ctx and ctx.card else None)
        self.list.blockSignals(True)
        try:
            self.list.clear()
            for row in self._rows:
                self.list.addItem(self._item(row))
        finally:
            self.list.blockSignals(False)
        count = len(self._rows)
        name = ctx.name if ctx else ""
        self.title.setText(
            "History" if ctx is None
            else f"History of {name}: {count} version{'' if count == 1 else 's'}" if count
            else f"History of {name}: no versions recorded"
        )
        self._show_diff()

    def _item(self, row: HistoryRow) -> QListWidgetItem:
        cells = row.columns()
        text = "  ".join(cells[_LIST_COLUMNS])
        item = QListWidgetItem(f"{text}  {CURRENT_MARK}" if row.current else text)
        item.setToolTip("  ".join(cells[6:]) + f"\n{row.version.path.name}")
        return item

    def _on_selection(self) -> None:
        self._show_diff()
        self._update_controls()

    def _show_diff(self) -> None:
        rows = self.selected_rows()
        ctx = self.editor.context
        if len(rows) == 2:
            old, new = rows
            text = unified_diff(old.version.body, new.version.body,
                                _label(old), _label(new)) or "The two versions have the same text."
        elif len(rows) == 1 and ctx is not None and ctx.card is not None:
            row = rows[0]
            text = unified_diff(row.version.body, ctx.card.body, _label(row), "the card now") \
                or f"Version {row.number} is the card's text now."
        elif len(rows) > 2:
            text = "Select two versions to compare them."
        else:
            text = ""
        self.diff.setPlainText(text)

    def _can_write(self) -> bool:
        ctx = self.editor.context
        return bool(
            ctx is not None and ctx.card is not None and ctx.store is not None
            and not ctx.card.meta.locked and not self.editor.busy
        )

    def _update_controls(self) -> None:
        rows = self.selected_rows()
        ctx = self.editor.context
        differs = len(rows) == 1 and ctx is not None and ctx.card is not None \
            and rows[0].version.body != ctx.card.body
        self.restore_button.setEnabled(self._can_write() and differs)


def _label(row: HistoryRow) -> str:
    cells = row.columns()
    return f"version {row.number} ({cells[2]}, {cells[1]})"
