"""The outline: the plan's components with each one's status, filterable by status."""

from __future__ import annotations

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


@dataclass(frozen=True)
class OutlineRow:
    key: str
    """Component key (casefolded name)."""
    name: str
    line: int
    """1-based line of the component's heading."""
    state: str
    """A state word of ``CardProgress.state`` or ``CardState`` (missing, done, stale, ...)."""


# (label, states shown); None shows every row. State words come from app/engine/progress.py
# (CardProgress.state) and app/core/store.py (CardState).
FILTERS: tuple[tuple[str, frozenset[str] | None], ...] = (
    ("All", None),
    ("Missing", frozenset({"missing"})),
    ("Queued/Running", frozenset({"queued", "waiting", "streaming", "retrying"})),
    ("Done", frozenset({"done", "up to date"})),
    ("Stale", frozenset({"stale"})),
    ("Edited", frozenset({"edited"})),
    ("Locked", frozenset({"locked"})),
    ("Failed", frozenset({"failed"})),
    ("Cancelled/Not run", frozenset({"cancelled", "not run"})),
)

_STATE_COLOURS: dict[str, str] = {
    "missing": "#8b949e",
    "queued": "#8b949e",
    "waiting": "#8b949e",
    "streaming": "#2f81f7",
    "retrying": "#d29922",
    "done": "#2da44e",
    "up to date": "#2da44e",
    "stale": "#d29922",
    "edited": "#a371f7",
    "locked": "#1b7c83",
    "failed": "#e5484d",
    "cancelled": "#b08800",
    "not run": "#b08800",
}
_UNKNOWN_COLOUR = "#8b949e"

NAME_COLUMN = 0
STATE_COLUMN = 1
_KEY_ROLE = Qt.ItemDataRole.UserRole


def state_colour(state: str) -> QColor:
    return QColor(_STATE_COLOURS.get(state, _UNKNOWN_COLOUR))


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
        for label, _states in FILTERS:
            self.filter_combo.addItem(label)
        self.tree = _Tree(self)
        self.tree.setColumnCount(2)
        self.tree.setHeaderLabels(["Component", "Status"])
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)  # cheap layout for long plans
        # Names take the room; the status column stays as wide as its words.
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.filter_combo)
        layout.addWidget(self.tree)
        self._items: dict[str, QTreeWidgetItem] = {}
        self._states: dict[str, str] = {}
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
            items = []
            for row in rows:
                item = QTreeWidgetItem([row.name, row.state])
                item.setData(NAME_COLUMN, _KEY_ROLE, row.key)
                item.setToolTip(NAME_COLUMN, f"{row.name} — line {row.line}")
                self._decorate(item, row.state)
                self._items[row.key] = item
                self._states[row.key] = row.state
                items.append(item)
            self.tree.addTopLevelItems(items)
            self._apply_filter()
            if selected is not None and selected in self._items:
                self.tree.setCurrentItem(self._items[selected])
        finally:
            self._quiet = False

    def set_state(self, key: str, state: str) -> None:
        """Change one row's state in place (cheap: called for every progress update)."""
        item = self._items.get(key)
        if item is None or self._states.get(key) == state:
            return
        self._states[key] = state
        self._decorate(item, state)
        item.setHidden(not self._shows(state))

    def state_of(self, key: str) -> str | None:
        return self._states.get(key)

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

    def _shows(self, state: str) -> bool:
        states = FILTERS[max(0, self.filter_combo.currentIndex())][1]
        return states is None or state in states

    def _apply_filter(self, _index: int = 0) -> None:
        for key, item in self._items.items():
            item.setHidden(not self._shows(self._states[key]))

    # --- internals --------------------------------------------------------------------------

    def _decorate(self, item: QTreeWidgetItem, state: str) -> None:
        item.setText(STATE_COLUMN, state)
        item.setIcon(STATE_COLUMN, self._dot(state))

    def _dot(self, state: str) -> QIcon:
        colour = state_colour(state)
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
