"""The generation panel: run buttons, an overall bar, and one progress row per component.

The rows (model, delegate, view) are in app/ui/progress_rows.py; ``update_card`` repaints one row.
"""

from __future__ import annotations

from PySide6.QtCore import (
    QEvent, QItemSelection, QItemSelectionModel, QModelIndex, QObject, QSize, Qt, Signal,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from app.core.ranges import CONCURRENCY_RANGE
from app.core.states import CardState
from app.engine.progress import CardProgress, RunProgress
from app.ui.progress_rows import (
    BAR_MAX, ProgressListModel, ProgressRowDelegate, Row, RowsView, rows_width,
)

__all__ = ["BAR_MAX", "GENERATE_TIP", "GenerationPanel", "ProgressRowDelegate"]

GENERATE_TIP = "Generate missing, failed and stale cards (Ctrl+Return, F5)"


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
        self._blocked: str | None = None

        self.generate_button = QPushButton("Generate all", self)
        self.generate_button.setToolTip(GENERATE_TIP)
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
        self._show_bar(0, 0)  # Qt starts a bar at -1, which draws nothing even once there is work
        self.overall_label = QLabel(self)
        self.overall_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.overall_label.setWordWrap(True)  # a long run summary wraps rather than widen the panel
        self.overall_text = ""
        """The overall line: done/total, tokens, cost, time, speed-up (idle: the states' counts)."""
        self._show_line("No components")
        self.batch_label = QLabel(self)
        """One line per pending Message Batch: id, cards, status, counts, elapsed time."""
        self.batch_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.batch_label.setWordWrap(True)
        self.batch_label.hide()

        self._rows_width = 0  # what the rows' text needs: see minimumSizeHint
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

        # Two rows of buttons: the panel is as wide as its progress rows need, not one long row.
        runs, repeats = QHBoxLayout(), QHBoxLayout()
        for row, widgets in ((runs, (self.generate_button, self.cancel_button)),
                             (repeats, (self.retry_button, self.regenerate_button))):
            for widget in widgets:
                row.addWidget(widget)
            row.addStretch(1)
        runs.addWidget(concurrency_label)
        runs.addWidget(self.concurrency_spin)
        layout = QVBoxLayout(self)
        layout.addLayout(runs)
        layout.addLayout(repeats)
        layout.addWidget(self.overall_bar)
        layout.addWidget(self.overall_label)
        layout.addWidget(self.batch_label)
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
        self._fit_rows()

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt name
        """As wide as the longest row needs: names and state words are never elided."""
        hint = super().minimumSizeHint()
        view = self.list_view
        margins = self.layout().contentsMargins()
        chrome = (margins.left() + margins.right() + 2 * view.frameWidth() + 2 * ProgressRowDelegate.PAD_X
                  + view.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent, None, view))
        return QSize(max(hint.width(), chrome + self._rows_width), hint.height())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt name
        if event.type() in (QEvent.Type.Enter, QEvent.Type.FocusIn):
            self.run_intended.emit()
        return super().eventFilter(watched, event)

    # -- public ---------------------------------------------------------------------------------

    def set_components(self, names_and_states: list[tuple[str, CardState]]) -> None:
        """One row per component, in this order, showing its idle state (replaces every row)."""
        self.model.set_rows([Row.idle(name, CardState(state)) for name, state in names_and_states])
        self._show_idle_overall()
        self._fit_rows()
        self._update_buttons()

    def set_state(self, name: str, state: CardState) -> None:
        """Show one component's idle state (e.g. after the writer locked or edited its card)."""
        row = Row.idle(name, CardState(state))
        self.model.update(name, row.state, row.label, row.bar)
        self._update_buttons()

    def update_card(self, card: CardProgress) -> None:
        """Show one card's live progress; O(1)."""
        state = CardState(card.state)
        bar = round(max(0.0, min(1.0, card.fraction)) * BAR_MAX)
        if state is CardState.FAILED:
            bar = BAR_MAX  # a full red bar reads "failed" at a glance, however far it had got
        failed_before, rows = self.model.count(CardState.FAILED), self.model.rowCount()
        verdict = card.review.status if card.review is not None else None
        self.model.update(card.name, state, card.label(), bar, verdict)
        if self.model.rowCount() != rows:
            self._fit_rows()
        if (self.model.count(CardState.FAILED) > 0) != (failed_before > 0):
            self._update_buttons()

    def update_overall(self, progress: RunProgress) -> None:
        """Overall bar (done/total) and line: done, tokens, cost, elapsed time, speed-up."""
        self._show_bar(progress.done, progress.total)
        text = progress.summary()
        if progress.stopped:
            text += f" · stopped: {progress.stopped}"
        self._show_line(text)

    def set_batch_rows(self, labels: list[str]) -> None:
        """Show the batches' rows (``BatchProgress.row_labels()``); none: the line is hidden."""
        text = "\n".join(labels)
        if text != self.batch_label.text():
            self.batch_label.setText(text)
        self.batch_label.setVisible(bool(labels))

    def set_running(self, running: bool) -> None:
        """While running: Cancel on; Generate, Retry and Regenerate off."""
        self._running = running
        self._update_buttons()

    def set_generate_blocked(self, reason: str | None) -> None:
        """Generate all is off, its tooltip saying ``reason``, until this is called with None."""
        self._blocked = reason
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

    def state_of(self, name: str) -> CardState | None:
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
        usable = sum(n for state, n in counts.items() if state.usable)
        self._show_bar(usable, total)
        if not total:
            self._show_line("No components")
            return
        noun = "component" if total == 1 else "components"
        parts = [f"{total} {noun}"] + [f"{n} {state}" for state, n in sorted(counts.items())]
        self._show_line(" · ".join(parts))

    def _fit_rows(self) -> None:
        width = rows_width(self.list_view.fontMetrics(), self.model.names())
        if width != self._rows_width:
            self._rows_width = width
            self.updateGeometry()  # the window's splitter gives the panel its new minimum

    def _show_line(self, text: str) -> None:
        """Show the overall line wrapping between its parts only, never inside one ("speed-up")."""
        self.overall_text = text
        unbroken = (part.replace(" ", "\u00a0").replace("-", "\u2011") for part in text.split(" · "))
        self.overall_label.setText(" · ".join(unbroken))

    def _show_bar(self, done: int, total: int) -> None:
        """``done``/``total``; nothing at all (no number, a greyed empty bar) when there is nothing to do."""
        self.overall_bar.setRange(0, max(1, total))
        self.overall_bar.setValue(min(done, max(1, total)))
        self.overall_bar.setFormat("%v/%m" if total else "")
        self.overall_bar.setEnabled(total > 0)

    def _update_buttons(self) -> None:
        idle = not self._running
        self.generate_button.setEnabled(idle and self._blocked is None)
        self.generate_button.setToolTip(self._blocked or GENERATE_TIP)
        self.cancel_button.setEnabled(self._running)
        self.retry_button.setEnabled(idle and self.model.count(CardState.FAILED) > 0)
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
