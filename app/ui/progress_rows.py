"""The generation panel's rows: a small list model, the delegate that paints a row, and the view.

A thousand components cost a model reset, not a thousand widgets; a changed row repaints only
itself.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
)
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from app.core.review import ReviewStatus
from app.core.states import CardState

BAR_MAX = 1000

StateRole = Qt.ItemDataRole.UserRole + 1
LabelRole = Qt.ItemDataRole.UserRole + 2
BarRole = Qt.ItemDataRole.UserRole + 3
ReviewRole = Qt.ItemDataRole.UserRole + 4

_AnyIndex = QModelIndex | QPersistentModelIndex

# Hues of the bar per state; the saturation and brightness follow the palette's highlight, which
# the states that are moving (thinking, streaming, repairing, reviewing) show as it is.
_HUES = {
    CardState.DONE: 130, CardState.FAILED: 0, CardState.RETRYING: 35, CardState.EDITED: 200,
    CardState.LOCKED: 275,
}
# A reviewed card's bar takes its verdict's hue (the label says the verdict in words).
_REVIEW_HUES = {ReviewStatus.PASS: 130, ReviewStatus.REVISE: 35, ReviewStatus.FAIL: 0}
# Nothing is happening, nothing usable: a grey bar.
_GREY_STATES = frozenset({
    CardState.CANCELLED, CardState.NOT_RUN, CardState.STALE, CardState.MISSING, CardState.QUEUED,
    CardState.IN_BATCH,
})


@dataclass
class Row:
    name: str
    state: CardState
    label: str
    bar: int
    review: ReviewStatus | None = None
    """The verdict of the card's review in this run, once stored."""

    @classmethod
    def idle(cls, name: str, state: CardState) -> Row:
        """A component no run is working on: its state word; a full bar if its card is usable."""
        return cls(name, state, state.value, BAR_MAX if state.usable else 0)


class ProgressListModel(QAbstractListModel):
    """One row per component: name (DisplayRole), state word, state label, bar value 0..1000."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows: list[Row] = []
        self._index: dict[str, int] = {}
        self._states: Counter[CardState] = Counter()

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
        if role == ReviewRole:
            return row.review
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{row.name}: {row.label}"
        return None

    # -- ours ---------------------------------------------------------------------------------

    def set_rows(self, rows: list[Row]) -> None:
        self.beginResetModel()
        self._rows = rows
        self._index = {row.name: i for i, row in enumerate(rows)}
        self._states = Counter(row.state for row in rows)
        self.endResetModel()

    def update(
        self, name: str, state: CardState, label: str, bar: int, review: ReviewStatus | None = None
    ) -> None:
        """Change one row (O(1)); a name not shown yet gets a new row at the end."""
        i = self._index.get(name)
        if i is None:
            i = len(self._rows)
            self.beginInsertRows(QModelIndex(), i, i)
            self._rows.append(Row(name, state, label, bar, review))
            self._index[name] = i
            self._states[state] += 1
            self.endInsertRows()
            return
        row = self._rows[i]
        if (row.state, row.label, row.bar, row.review) == (state, label, bar, review):
            return
        self._states[row.state] -= 1
        self._states[state] += 1
        row.state, row.label, row.bar, row.review = state, label, bar, review
        index = self.index(i)
        self.dataChanged.emit(index, index)

    def row(self, name: str) -> Row | None:
        i = self._index.get(name)
        return None if i is None else self._rows[i]

    def row_of(self, name: str) -> int | None:
        return self._index.get(name)

    def names(self) -> list[str]:
        return [row.name for row in self._rows]

    def count(self, state: CardState) -> int:
        return self._states[state]

    def state_counts(self) -> Counter[CardState]:
        return +self._states


def bar_colour(state: CardState, palette: QPalette, review: ReviewStatus | None = None) -> QColor:
    """The bar's fill: green-ish done, red-ish failed, amber retrying, grey for stopped/idle; a
    done card's review verdict: green pass, amber revise, red fail."""
    highlight = palette.color(QPalette.ColorRole.Highlight)
    if state in _GREY_STATES:
        return palette.color(QPalette.ColorRole.Mid)
    hue = _REVIEW_HUES.get(review) if state is CardState.DONE and review is not None else None
    hue = _HUES.get(state) if hue is None else hue
    if hue is None:
        return highlight
    saturation = max(130, highlight.hsvSaturation())
    value = max(150, highlight.value())
    return QColor.fromHsv(hue, saturation, value)


NAME_MAX_CHARS = 48
"""Names up to about this many characters are never elided; longer ones would starve the editor."""


def text_rooms(fm: QFontMetrics, width: int, name: str, label: str) -> tuple[int, int]:
    """How ``width`` is shared between a row's name (left) and its label (right), as (name, label).

    Both in full when they fit. Else the name first: the label keeps at least its state word (its
    start, up to the first " · "), the name gets the rest, the label what the name leaves."""
    gap = fm.horizontalAdvance("  ")
    # Integer advances round down: measured-exact room would elide the name's last glyph.
    name_need = fm.horizontalAdvance(name) + fm.averageCharWidth()
    label_w = fm.horizontalAdvance(label)
    word_w = min(label_w, fm.horizontalAdvance(label.split(" · ", 1)[0]), _widest_word(fm))
    name_room = max(0, min(name_need, width - gap - word_w))
    return name_room, max(0, width - name_room - gap)


def rows_width(fm: QFontMetrics, names: Iterable[str]) -> int:
    """The width a row's text needs (between the paddings) to show the longest of ``names`` and any
    state word in full; a label's details (tokens, time, a reason) get what is left, and a row's
    tooltip has all of it."""
    widest = max((fm.horizontalAdvance(name) for name in names), default=0)
    name_w = min(widest, fm.averageCharWidth() * NAME_MAX_CHARS) + fm.averageCharWidth()
    return name_w + fm.horizontalAdvance("  ") + _widest_word(fm)


def _widest_word(fm: QFontMetrics) -> int:
    return max(fm.horizontalAdvance(state.value) for state in CardState)


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
        state = CardState(index.data(StateRole))
        label = str(index.data(LabelRole) or "")
        bar = int(index.data(BarRole) or 0)
        review = index.data(ReviewRole)
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        palette = opt.palette

        painter.save()
        try:
            rect = opt.rect.adjusted(self.PAD_X, self.PAD_Y, -self.PAD_X, -self.PAD_Y)
            self._paint_texts(painter, opt, rect, name, label, selected)
            text_h = opt.fontMetrics.height()
            bar_rect = QRect(rect.left(), rect.top() + text_h + self.GAP, rect.width(), self.BAR_HEIGHT)
            self._paint_bar(painter, palette, bar_rect, state, bar, review)
        finally:
            painter.restore()

    def _paint_texts(
        self, painter: QPainter, opt: QStyleOptionViewItem, rect: QRect, name: str, label: str,
        selected: bool,
    ) -> None:
        fm = opt.fontMetrics
        palette = opt.palette
        text_rect = QRect(rect.left(), rect.top(), rect.width(), fm.height())
        name_room, label_room = text_rooms(fm, rect.width(), name, label)
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
    def _paint_bar(
        painter: QPainter, palette: QPalette, rect: QRect, state: CardState, bar: int,
        review: ReviewStatus | None = None,
    ) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setPen(Qt.PenStyle.NoPen)
        radius = rect.height() / 2
        painter.setBrush(palette.color(QPalette.ColorRole.Midlight))
        painter.drawRoundedRect(rect, radius, radius)
        filled = round(rect.width() * max(0, min(BAR_MAX, bar)) / BAR_MAX)
        if filled > 0:
            painter.setBrush(bar_colour(state, palette, review))
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


