"""The generation panel: run buttons, an overall bar, and one progress row per component.

The rows are a ``QListView`` over a small list model with a delegate that paints the name, the
state label and the bar: a thousand components cost a model reset, not a thousand widgets, and
``update_card`` repaints one row.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import (
    QAbstractListModel,
    QItemSelection,
    QItemSelectionModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QHBoxLayout,
    QLabel,
    QListView,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from app.core.ranges import CONCURRENCY_RANGE
from app.engine.progress import CardProgress, RunProgress


BAR_MAX = 1000
FULL_WHEN_IDLE = frozenset({"done", "edited", "locked", "up to date"})
"""Idle states whose card exists and is usable: their bar is shown full."""

StateRole = Qt.ItemDataRole.UserRole + 1
LabelRole = Qt.ItemDataRole.UserRole + 2
BarRole = Qt.ItemDataRole.UserRole + 3

_AnyIndex = QModelIndex | QPersistentModelIndex

# Hues of the bar per state; the saturation and brightness follow the palette's highlight.
_HUES = {"done": 130, "failed": 0, "retrying": 35, "edited": 200, "locked": 275}
_GREY_STATES = frozenset({"cancelled", "not run", "stale", "missing", "queued", "waiting"})


@dataclass
class _Row:
    name: str
    state: str
    label: str
    bar: int


class ProgressListModel(QAbstractListModel):
    """One row per component: name (DisplayRole), state word, state label, bar value 0..1000."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows: list[_Row] = []
        self._index: dict[str, int] = {}
        self._states: Counter[str] = Counter()

    # -- Qt model interface -------------------------------------------------------------------

    def rowCount(self, parent: _AnyIndex = QModelIndex()) -> int:  # noqa: B008 (Qt's signature)
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: _AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return row.name
        if role == StateRole:
            return row.state
        if role == LabelRole:
            return row.label
        if role == BarRole:
            return row.bar
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{row.name}: {row.label}"
        return None

    # -- ours ---------------------------------------------------------------------------------

    def set_rows(self, rows: list[_Row]) -> None:
        self.beginResetModel()
        self._rows = rows
        self._index = {row.name: i for i, row in enumerate(rows)}
        self._states = Counter(row.state for row in rows)
        self.endResetModel()

    def update(self, name: str, state: str, label: str, bar: int) -> None:
        """Change one row (O(1)); a name not shown yet gets a new row at the end."""
        i = self._index.get(name)
        if i is None:
            i = len(self._rows)
            self.beginInsertRows(QModelIndex(), i, i)
            self._rows.append(_Row(name, state, label, bar))
            self._index[name] = i
            self._states[state] += 1
            self.endInsertRows()
            return
        row = self._rows[i]
        if (row.state, row.label, row.bar) == (state, label, bar):
            return
        self._states[row.state] -= 1
        self._states[state] += 1
        row.state, row.label, row.bar = state, label, bar
        index = self.index(i)
        self.dataChanged.emit(index, index)

    def row(self, name: str) -> _Row | None:
        i = self._index.get(name)
        return None if i is None else self._rows[i]

    def row_of(self, name: str) -> int | None:
        return self._index.get(name)

    def names(self) -> list[str]:
        return [row.name for row in self._rows]

    def count(self, state: str) -> int:
        return self._states[state]

    def state_counts(self) -> Counter[str]:
        return +self._states


def bar_colour(state: str, palette: QPalette) -> QColor:
    """The bar's fill: green-ish done, red-ish failed, amber retrying, grey for stopped/idle."""
    highlight = palette.color(QPalette.ColorRole.Highlight)
    if state in _GREY_STATES:
        return palette.color(QPalette.ColorRole.Mid)
    hue = _HUES.get(state)
    if hue is None:
        return highlight
    saturation = max(130, highlight.hsvSaturation())
    value = max(150, highlight.value())
    return QColor.fromHsv(hue, saturation, value)


class ProgressRowDelegate(QStyledItemDelegate):
    """Paints a row: the name and the state label on one line, a thin bar under them."""

    PAD_X = 6
    PAD_Y = 4
    GAP = 3
    BAR_HEIGHT = 6

    def sizeHint(self, option: QStyleOptionViewItem, index: _AnyIndex) -> QSize:
        height = option.fontMetrics.height()
        return QSize(200, self.PAD_Y * 2 + height + self.GAP + self.BAR_HEIGHT)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: _AnyIndex) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""  # the text is drawn below, the style only draws the background/selection
        widget = opt.widget
        style = widget.style() if widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)

        name = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
        state = str(index.data(StateRole) or "")
        label = str(index.data(LabelRole) or "")
        bar = int(index.data(BarRole) or 0)
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        palette = opt.palette

        painter.save()
        try:
            rect = opt.rect.adjusted(self.PAD_X, self.PAD_Y, -self.PAD_X, -self.PAD_Y)
            self._paint_texts(painter, opt, rect, name, label, selected)
            text_h = opt.fontMetrics.height()
            bar_rect = QRect(rect.left(), rect.top() + text_h + self.GAP, rect.width(), self.BAR_HEIGHT)
            self._paint_bar(painter, palette, bar_rect, state, bar)
        finally:
            painter.restore()

    def _paint_texts(
        self, painter: QPainter, opt: QStyleOptionViewItem, rect: QRect, name: str, label: str,
        selected: bool,
    ) -> None:
        fm = opt.fontMetrics
        palette = opt.palette
        text_rect = QRect(rect.left(), rect.top(), rect.width(), fm.height())
        gap = fm.horizontalAdvance("  ")
        label_w = fm.horizontalAdvance(label)
        name_w = fm.horizontalAdvance(name)
        # The name keeps at least ~45 % of the line; the label takes what is left.
        name_room = max(int(rect.width() * 0.45), rect.width() - label_w - gap)
        if name_w + gap + label_w <= rect.width():
            # Integer advances round down: measured-exact room would elide the name's last glyph.
            name_room = min(name_room, name_w + fm.averageCharWidth())
        label_room = max(0, rect.width() - name_room - gap)
        text_role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        painter.setPen(palette.color(text_role))
        painter.drawText(
            QRect(text_rect.left(), text_rect.top(), name_room, text_rect.height()),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            fm.elidedText(name, Qt.TextElideMode.ElideRight, name_room),
        )
        if not selected:
            painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
        painter.drawText(
            QRect(text_rect.right() - label_room + 1, text_rect.top(), label_room, text_rect.height()),
            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
            fm.elidedText(label, Qt.TextElideMode.ElideRight, label_room),
        )

    @staticmethod
    def _paint_bar(painter: QPainter, palette: QPalette, rect: QRect, state: str, bar: int) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setPen(Qt.PenStyle.NoPen)
        radius = rect.height() / 2
        painter.setBrush(palette.color(QPalette.ColorRole.Midlight))
        painter.drawRoundedRect(rect, radius, radius)
        filled = round(rect.width() * max(0, min(BAR_MAX, bar)) / BAR_MAX)
        if filled > 0:
            painter.setBrush(bar_colour(state, palette))
            fill = QRect(rect.left(), rect.top(), filled, rect.height())
            painter.drawRoundedRect(fill, radius, radius)


class RowsView(QListView):
    """A list whose rows never change size, so a changed row repaints only itself.

    QListView repaints its whole viewport for any dataChanged, even of one row: with eight cards
    streaming that was every visible row 16 times a second (15 % of the event loop's time).
    """

    def dataChanged(  # noqa: N802 - Qt name
        self, top_left: _AnyIndex, bottom_right: _AnyIndex, roles: Sequence[int] = ()
    ) -> None:
        if top_left == bottom_right:
            # The item view's own handling (repaint that row, editors, accessibility), without
            # the list's relayout that rows of one fixed height never need.
            QAbstractItemView.dataChanged(self, top_left, bottom_right, list(roles))
        else:
            super().dataChanged(top_left, bottom_right, list(roles))


class GenerationPanel(QWidget):
    """Buttons (Generate all, Cancel, Retry failed, Regenerate selected, Concurrency), the overall
    bar and line, and one progress row per component.

    Signals:
        generate_all_requested(), cancel_requested(), retry_failed_requested()
        regenerate_requested(list): the selected components' names.
        current_changed(str): the row under the cursor changed (e.g. to scroll the preview).
        run_intended(): the pointer or the focus reached a button that starts a run — a hint to
            get ready for one (e.g. load the SDK) before the click.
    """

    generate_all_requested = Signal()
    cancel_requested = Signal()
    retry_failed_requested = Signal()
    regenerate_requested = Signal(list)
    current_changed = Signal(str)
    run_intended = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._running = False

        self.generate_button = QPushButton("Generate all", self)
        self.generate_button.setToolTip("Generate missing, failed and stale cards (Ctrl+Return, F5)")
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setToolTip("Stop the run; finished cards are kept (Esc)")
        self.retry_button = QPushButton("Retry failed", self)
        self.regenerate_button = QPushButton("Regenerate selected", self)
        self.concurrency_spin = QSpinBox(self)
        self.concurrency_spin.setRange(*CONCURRENCY_RANGE)
        self.concurrency_spin.setValue(4)
        self.concurrency_spin.setToolTip("Parallel requests for the next run")
        concurrency_label = QLabel("Concurrency", self)
        concurrency_label.setBuddy(self.concurrency_spin)

        self.overall_bar = QProgressBar(self)
        self.overall_bar.setRange(0, 1)
        self.overall_bar.setValue(0)  # a QProgressBar starts at -1 and shows nothing
        self.overall_bar.setFormat("%v/%m")
        self.overall_label = QLabel("No components", self)
        self.overall_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.model = ProgressListModel(self)
        self.list_view = RowsView(self)
        self.list_view.setModel(self.model)
        self.list_view.setItemDelegate(ProgressRowDelegate(self.list_view))
        self.list_view.setUniformItemSizes(True)
        self.list_view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.list_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.list_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.list_view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.list_view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

        buttons = QHBoxLayout()
        for button in (self.generate_button, self.cancel_button, self.retry_button,
                       self.regenerate_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(concurrency_label)
        buttons.addWidget(self.concurrency_spin)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.overall_bar)
        layout.addWidget(self.overall_label)
        layout.addWidget(self.list_view, 1)

        self.generate_button.clicked.connect(self.generate_all_requested)
        self.cancel_button.clicked.connect(self.cancel_requested)
        self.retry_button.clicked.connect(self.retry_failed_requested)
        self.regenerate_button.clicked.connect(self._regenerate_clicked)
        selection = self.list_view.selectionModel()
        selection.selectionChanged.connect(self._selection_changed)
        selection.currentChanged.connect(self._current_changed)
        for button in (self.generate_button, self.retry_button, self.regenerate_button):
            button.installEventFilter(self)
        self._update_buttons()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt name
        if event.type() in (QEvent.Type.Enter, QEvent.Type.FocusIn):
            self.run_intended.emit()
        return super().eventFilter(watched, event)

    # -- public ---------------------------------------------------------------------------------

    def set_components(self, names_and_states: list[tuple[str, str]]) -> None:
        """One row per component, in this order, showing its idle state (replaces every row)."""
        rows = [_Row(name, state, state, BAR_MAX if state in FULL_WHEN_IDLE else 0)
                for name, state in names_and_states]
        self.model.set_rows(rows)
        self._show_idle_overall()
        self._update_buttons()

    def set_state(self, name: str, state: str) -> None:
        """Show one component's idle state (e.g. after the writer locked or edited its card)."""
        self.model.update(name, state, state, BAR_MAX if state in FULL_WHEN_IDLE else 0)
        self._update_buttons()

    def update_card(self, card: CardProgress) -> None:
        """Show one card's live progress; O(1)."""
        bar = round(max(0.0, min(1.0, card.fraction)) * BAR_MAX)
        if card.state == "failed":
            bar = BAR_MAX  # a full red bar reads "failed" at a glance, however far it had got
        failed_before = self.model.count("failed")
        self.model.update(card.name, card.state, card.label(), bar)
        if (self.model.count("failed") > 0) != (failed_before > 0):
            self._update_buttons()

    def update_overall(self, progress: RunProgress) -> None:
        """Overall bar (done/total) and line: done, tokens, cost, elapsed time, speed-up."""
        total = progress.total
        self.overall_bar.setRange(0, max(1, total))
        self.overall_bar.setValue(min(progress.done, max(1, total)))
        text = progress.summary()
        if progress.stopped:
            text += f" · stopped: {progress.stopped}"
        self.overall_label.setText(text)

    def set_running(self, running: bool) -> None:
        """While running: Cancel on; Generate, Retry and Regenerate off."""
        self._running = running
        self._update_buttons()

    @property
    def running(self) -> bool:
        return self._running

    def selected_names(self) -> list[str]:
        """Names of the selected rows, in row order."""
        rows = sorted(index.row() for index in self.list_view.selectionModel().selectedRows())
        names = self.model.names()
        return [names[r] for r in rows]

    def select_names(self, names: list[str]) -> None:
        """Select exactly these rows (unknown names are ignored)."""
        selection = QItemSelection()
        for name in names:
            row = self.model.row_of(name)
            if row is not None:
                index = self.model.index(row)
                selection.select(index, index)
        self.list_view.selectionModel().select(
            selection, QItemSelectionModel.SelectionFlag.ClearAndSelect
        )

    def names(self) -> list[str]:
        return self.model.names()

    def state_of(self, name: str) -> str | None:
        row = self.model.row(name)
        return None if row is None else row.state

    def label_of(self, name: str) -> str | None:
        row = self.model.row(name)
        return None if row is None else row.label

    def bar_value(self, name: str) -> int | None:
        """The row's bar, 0..1000 (None for an unknown name)."""
        row = self.model.row(name)
        return None if row is None else row.bar

    def scroll_to(self, name: str) -> None:
        row = self.model.row_of(name)
        if row is not None:
            self.list_view.scrollTo(self.model.index(row))

    # -- internals --------------------------------------------------------------------------------

    def _show_idle_overall(self) -> None:
        counts = self.model.state_counts()
        total = sum(counts.values())
        usable = sum(n for state, n in counts.items() if state in FULL_WHEN_IDLE)
        self.overall_bar.setRange(0, max(1, total))
        self.overall_bar.setValue(min(usable, max(1, total)))
        if not total:
            self.overall_label.setText("No components")
            return
        noun = "component" if total == 1 else "components"
        parts = [f"{total} {noun}"] + [f"{n} {state}" for state, n in sorted(counts.items())]
        self.overall_label.setText(" · ".join(parts))

    def _update_buttons(self) -> None:
        idle = not self._running
        self.generate_button.setEnabled(idle)
        self.cancel_button.setEnabled(self._running)
        self.retry_button.setEnabled(idle and self.model.count("failed") > 0)
        has_selection = self.list_view.selectionModel().hasSelection()
        self.regenerate_button.setEnabled(idle and has_selection)

    def _regenerate_clicked(self) -> None:
        names = self.selected_names()
        if names:
            self.regenerate_requested.emit(names)

    def _selection_changed(self, *_: object) -> None:
        self._update_buttons()

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            self.current_changed.emit(str(current.data(Qt.ItemDataRole.DisplayRole)))
