"""The generation panel: run buttons, an overall bar, and one progress row per component.

The rows (model, delegate, view) are in app/ui/progress_rows.py; ``update_card`` repaints one row.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QItemSelection, QItemSelectionModel, QModelIndex, QObject, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.core.ranges import CONCURRENCY_RANGE
from app.core.states import CardState
from app.engine.progress import CardProgress, RunProgress
from app.ui.progress_rows import BAR_MAX, ProgressListModel, ProgressRowDelegate, Row, RowsView

__all__ = ["BAR_MAX", "GenerationPanel", "ProgressRowDelegate"]


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

    def set_components(self, names_and_states: list[tuple[str, CardState]]) -> None:
        """One row per component, in this order, showing its idle state (replaces every row)."""
        self.model.set_rows([Row.idle(name, CardState(state)) for name, state in names_and_states])
        self._show_idle_overall()
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
        failed_before = self.model.count(CardState.FAILED)
        verdict = card.review.status if card.review is not None else None
        self.model.update(card.name, state, card.label(), bar, verdict)
        if (self.model.count(CardState.FAILED) > 0) != (failed_before > 0):
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
