"""The outline: the plan's components with each one's status and review verdict, filterable by
either."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QIcon, QMouseEvent, QPainter, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHeaderView,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core.review import ReviewStatus
from app.core.states import CardState


@dataclass(frozen=True)
class OutlineRow:
    key: str
    """Component key (casefolded name)."""
    name: str
    line: int
    """1-based line of the component's heading."""
    state: CardState
    """What the card folder says (missing, done, stale, ...) or what a run is doing with it."""
    review: ReviewStatus = ReviewStatus.NONE
    """The card's review as it holds now (``app.core.review.review_status``)."""


def _one_of(*states: CardState) -> Callable[[CardState], bool]:
    return lambda state: state in states


# (label, which states it shows); None shows every row.
FILTERS: tuple[tuple[str, Callable[[CardState], bool] | None], ...] = (
    ("All", None),
    ("Missing", _one_of(CardState.MISSING)),
    ("Queued/Running", lambda state: state.busy),
    ("Done", _one_of(CardState.DONE)),
    ("Stale", _one_of(CardState.STALE)),
    ("Edited", _one_of(CardState.EDITED)),
    ("Locked", _one_of(CardState.LOCKED)),
    ("Failed", _one_of(CardState.FAILED)),
    ("Cancelled/Not run", _one_of(CardState.CANCELLED, CardState.NOT_RUN)),
    ("In batch", _one_of(CardState.IN_BATCH)),
)
REVIEW_FILTERS: tuple[tuple[str, ReviewStatus], ...] = tuple(
    (f"Review: {status.label}", status)
    for status in (ReviewStatus.PASS, ReviewStatus.REVISE, ReviewStatus.FAIL, ReviewStatus.NONE,
                   ReviewStatus.STALE)
)
"""After the state filters in the list: the cards whose review says this."""

_GREY = "#8b949e"
_AMBER = "#d29922"
_STATE_COLOURS: dict[CardState, str] = {
    CardState.MISSING: _GREY,
    CardState.QUEUED: _GREY,
    CardState.THINKING: "#54aeff",
    CardState.STREAMING: "#2f81f7",
    CardState.RETRYING: _AMBER,
    CardState.REPAIRING: _AMBER,
    CardState.REVIEWING: "#0969da",
    CardState.DONE: "#2da44e",
    CardState.STALE: _AMBER,
    CardState.EDITED: "#a371f7",
    CardState.LOCKED: "#1b7c83",
    CardState.FAILED: "#e5484d",
    CardState.CANCELLED: "#b08800",
    CardState.NOT_RUN: "#b08800",
    CardState.IN_BATCH: "#768390",
}

_REVIEW_COLOURS: dict[ReviewStatus, str] = {
    ReviewStatus.PASS: "#2da44e",
    ReviewStatus.REVISE: _AMBER,
    ReviewStatus.FAIL: "#e5484d",
    ReviewStatus.NONE: _GREY,
    ReviewStatus.STALE: "#8c6d1f",
}

NAME_COLUMN = 0
STATE_COLUMN = 1
REVIEW_COLUMN = 2
_KEY_ROLE = Qt.ItemDataRole.UserRole


def state_colour(state: CardState) -> QColor:
    return QColor(_STATE_COLOURS[CardState(state)])


def review_colour(status: ReviewStatus) -> QColor:
    return QColor(_REVIEW_COLOURS[ReviewStatus(status)])


class _Tree(QTreeWidget):
    """Remembers whether a mouse press is under way, so one click emits one selection."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.in_mouse_press = False

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        self.in_mouse_press = True
        try:
            super().mousePressEvent(event)
        finally:
            self.in_mouse_press = False


class OutlineView(QWidget):
    """A status filter over the list of components.

    Signals:
        component_selected(str): the user chose a component (its key); never emitted by ``select``
            or ``set_components``.
    """

    component_selected = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.filter_combo = QComboBox(self)
        for label in [label for label, _shows in FILTERS] + [label for label, _ in REVIEW_FILTERS]:
            self.filter_combo.addItem(label)
        self.tree = _Tree(self)
        self.tree.setColumnCount(3)
        self.tree.setHeaderLabels(["Component", "Status", "Review"])
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)  # cheap layout for long plans
        # Names take the room; the status column stays as wide as its words.
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.filter_combo)
        layout.addWidget(self.tree)
        self._items: dict[str, QTreeWidgetItem] = {}
        self._states: dict[str, CardState] = {}
        self._reviews: dict[str, ReviewStatus] = {}
        self._icons: dict[str, QIcon] = {}
        self._quiet = False  # set while the program (not the user) changes the selection
        self.filter_combo.currentIndexChanged.connect(self._apply_filter)
        self.tree.currentItemChanged.connect(self._on_current_changed)
        self.tree.itemClicked.connect(self._on_clicked)

    # --- content ----------------------------------------------------------------------------

    def set_components(self, rows: list[OutlineRow]) -> None:
        """Replace the rows (plan order); the selection is kept when its key still exists."""
        selected = self.selected_key()
        self._quiet = True
        try:
            self.tree.clear()
            self._items.clear()
            self._states.clear()
            self._reviews.clear()
            items = []
            for row in rows:
                state = CardState(row.state)
                item = QTreeWidgetItem([row.name, "", ""])
                item.setData(NAME_COLUMN, _KEY_ROLE, row.key)
                item.setToolTip(NAME_COLUMN, f"{row.name} — line {row.line}")
                self._decorate(item, state)
                self._badge(item, ReviewStatus(row.review))
                self._items[row.key] = item
                self._states[row.key] = state
                self._reviews[row.key] = ReviewStatus(row.review)
                items.append(item)
            self.tree.addTopLevelItems(items)
            self._apply_filter()
            if selected is not None and selected in self._items:
                self.tree.setCurrentItem(self._items[selected])
        finally:
            self._quiet = False

    def set_state(self, key: str, state: CardState) -> None:
        """Change one row's state in place (cheap: called for every progress update)."""
        state = CardState(state)
        item = self._items.get(key)
        if item is None or self._states.get(key) == state:
            return
        self._states[key] = state
        self._decorate(item, state)
        item.setHidden(not self._shows(key))

    def set_review(self, key: str, status: ReviewStatus) -> None:
        """Change one row's review badge in place (a review stored, a card edited)."""
        status = ReviewStatus(status)
        item = self._items.get(key)
        if item is None or self._reviews.get(key) == status:
            return
        self._reviews[key] = status
        self._badge(item, status)
        item.setHidden(not self._shows(key))

    def state_of(self, key: str) -> CardState | None:
        return self._states.get(key)

    def review_of(self, key: str) -> ReviewStatus | None:
        return self._reviews.get(key)

    # --- selection --------------------------------------------------------------------------

    def select(self, key: str) -> None:
        """Select a component's row without emitting ``component_selected``."""
        self._quiet = True
        try:
            item = self._items.get(key)
            if item is None:
                self.tree.setCurrentItem(None)
                self.tree.clearSelection()
                return
            self.tree.setCurrentItem(item)
            if not item.isHidden():
                self.tree.scrollToItem(item)
        finally:
            self._quiet = False

    def selected_key(self) -> str | None:
        item = self.tree.currentItem()
        if item is None or not item.isSelected():
            return None
        return str(item.data(NAME_COLUMN, _KEY_ROLE))

    def visible_keys(self) -> list[str]:
        return [key for key, item in self._items.items() if not item.isHidden()]

    # --- filter -----------------------------------------------------------------------------

    def set_filter(self, label: str) -> None:
        index = self.filter_combo.findText(label)
        if index < 0:
            raise ValueError(f"unknown outline filter {label!r}")
        self.filter_combo.setCurrentIndex(index)

    def _shows(self, key: str) -> bool:
        index = max(0, self.filter_combo.currentIndex())
        if index >= len(FILTERS):
            return self._reviews.get(key) is REVIEW_FILTERS[index - len(FILTERS)][1]
        shows = FILTERS[index][1]
        return shows is None or shows(self._states[key])

    def _apply_filter(self, _index: int = 0) -> None:
        for key, item in self._items.items():
            item.setHidden(not self._shows(key))

    # --- internals --------------------------------------------------------------------------

    def _decorate(self, item: QTreeWidgetItem, state: CardState) -> None:
        item.setText(STATE_COLUMN, state.value)
        item.setIcon(STATE_COLUMN, self._dot(state))

    def _badge(self, item: QTreeWidgetItem, status: ReviewStatus) -> None:
        # "not reviewed" stays quiet (most cards of a fresh plan); a verdict or stale shows.
        item.setText(REVIEW_COLUMN, "" if status is ReviewStatus.NONE else status.label)
        item.setIcon(REVIEW_COLUMN, self._dot(review_colour(status)))
        item.setToolTip(REVIEW_COLUMN, f"review: {status.label}")

    def _dot(self, state_or_colour: CardState | QColor) -> QIcon:
        colour = state_or_colour if isinstance(state_or_colour, QColor) else state_colour(state_or_colour)
        name = colour.name()
        icon = self._icons.get(name)
        if icon is None:
            size = 12
            pixmap = QPixmap(size, size)
            pixmap.fill(Qt.GlobalColor.transparent)
            painter = QPainter(pixmap)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(colour)
            painter.drawEllipse(2, 2, size - 4, size - 4)
            painter.end()
            icon = self._icons[name] = QIcon(pixmap)
        return icon

    def _on_current_changed(self, current: QTreeWidgetItem | None, _previous: object) -> None:
        # A mouse press is reported by itemClicked on release (which also covers clicking the
        # row that is already current); keyboard moves are reported here.
        if self._quiet or self.tree.in_mouse_press or current is None:
            return
        self.component_selected.emit(str(current.data(NAME_COLUMN, _KEY_ROLE)))

    def _on_clicked(self, item: QTreeWidgetItem, _column: int) -> None:
        if not self._quiet:
            self.component_selected.emit(str(item.data(NAME_COLUMN, _KEY_ROLE)))
