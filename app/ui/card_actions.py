"""The window's card work: the Card tab (editor and orphan cards), F8 / Shift+F8, re-attaching.

``CardActions`` wires a ``CardEditor`` to the main window: it builds the editor's context from the
window's plan, snapshot and states, keeps the outline, panel, preview and snapshot in step with
what the editor writes, keeps the editor read-only while a run writes its card, and jumps between
cards with findings. The window only constructs it, puts ``page`` in a tab and calls ``refresh``,
``show``, and ``flush`` (before a run starts).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListWidget,
    QMenuBar,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.core.card import Finding
from app.core.plan import Component
from app.core.prompt import build_request
from app.core.store import CardStore, StoredCard
from app.engine.progress import CardProgress
from app.errors import CardsmithError
from app.ui.card_editor import BUSY_STATES, CardContext, CardEditor, lint_body
from app.ui.history_view import HistoryView
from app.ui.preview_markup import PreviewCard

if TYPE_CHECKING:
    from app.ui.main_window import MainWindow

# A run's card that ended without a new card: the editor may write it again.
_ENDED_WITHOUT_CARD = frozenset({"failed", "cancelled", "not run"})


class OrphanPanel(QWidget):
    """Cards whose component left the plan (renamed or removed), with "Re-attach to…".

    Signals:
        reattach_requested(int): the index (in ``set_orphans`` order) of the card to re-attach.
    """

    reattach_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = QListWidget(self)
        self.list.setMaximumHeight(100)
        self.reattach_button = QPushButton("Re-attach to…", self)
        self.reattach_button.setToolTip("Give this card to a component of the plan that has none")
        label = QLabel("Orphan cards: their component was renamed or removed from the plan")
        label.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.list, 1)
        row.addWidget(self.reattach_button, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.addWidget(label)
        layout.addLayout(row)
        self.reattach_button.clicked.connect(self._request)
        self.list.itemActivated.connect(lambda _item: self._request())
        self.list.currentRowChanged.connect(lambda _row: self._update_button())
        self.set_orphans([])

    def set_orphans(self, orphans: list[StoredCard]) -> None:
        self.list.clear()
        for card in orphans:
            self.list.addItem(f"{card.meta.component} — {card.path.name}")
        if orphans:
            self.list.setCurrentRow(0)
        self.setVisible(bool(orphans))
        self._update_button()

    def _update_button(self) -> None:
        self.reattach_button.setEnabled(self.list.currentRow() >= 0)

    def _request(self) -> None:
        if self.list.currentRow() >= 0:
            self.reattach_requested.emit(self.list.currentRow())


class CardActions(QObject):
    """The Card tab and its window-wide actions (F8, Shift+F8, lock, revert)."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.editor = CardEditor()
        self.orphans = OrphanPanel()
        self.history = HistoryView(self.editor)
        self.page = QWidget()
        layout = QVBoxLayout(self.page)
        split = QSplitter(Qt.Orientation.Vertical, self.page)
        split.addWidget(self.editor)
        split.addWidget(self.history)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        layout.addWidget(split, 1)
        layout.addWidget(self.orphans)
        self.choose_component: Callable[[str, list[str]], str | None] = self._choose_component
        """Asked which component an orphan card goes to (its name, the free names); tests replace it."""

        self.act_next = self._action("&Next card with findings", lambda: self.next_finding(1), "F8")
        self.act_prev = self._action(
            "&Previous card with findings", lambda: self.next_finding(-1), "Shift+F8"
        )
        self.act_lock = self._action("&Approve / unlock card", self.editor.toggle_lock)
        self.act_revert = self._action("&Revert card", self.editor.revert)

        self.editor.preview_changed.connect(self._on_preview_changed)
        self.editor.card_written.connect(self._on_written)
        self.editor.problem.connect(lambda text: window.banner.show_message(text))
        self.history.restored.connect(self._on_written)
        self.history.problem.connect(lambda text: window.banner.show_message(text))
        self.orphans.reattach_requested.connect(self.reattach)
        c = window.controller
        c.run_started.connect(self._on_run_started)
        c.card_changed.connect(self._on_card_changed)
        # The window stores the saved card in its snapshot in its own slot, which runs after this
        # one: look at it once that has happened.
        c.card_saved.connect(lambda name, _card: QTimer.singleShot(0, lambda: self._reload(name)))

    def _action(self, text: str, slot: Callable[[], object], *keys: str) -> QAction:
        action = QAction(text, self.window)
        if keys:
            action.setShortcuts([QKeySequence(k) for k in keys])
        # Window-wide, so the keys work whichever pane has focus.
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(lambda _checked=False: slot())
        self.window.addAction(action)
        return action

    def add_menu(self, menus: QMenuBar) -> None:
        menu = menus.addMenu("&Card")
        for action in (self.act_lock, self.act_revert):
            menu.addAction(action)
        menu.addSeparator()
        for action in (self.act_next, self.act_prev):
            menu.addAction(action)

    # -- called by the window ---------------------------------------------------------------------

    def refresh(self) -> None:
        """The plan or the snapshot changed: follow it (orphans, the card shown, its contract)."""
        snapshot = self.window.snapshot
        self.orphans.set_orphans(list(snapshot.orphans) if snapshot else [])
        key = self.editor.key
        if key is None:
            return
        self.editor.show_card(self._context(key))
        card = self.editor.preview_card()
        if self.editor.dirty and card is not None:
            # The window just redrew the preview from the stored card: show the writer's text again.
            self._on_preview_changed(card)

    def show(self, key: str) -> None:
        """Load a component's card into the editor (nothing happens if it is already there)."""
        if key != self.editor.key:
            self.editor.show_card(self._context(key))

    def flush(self) -> None:
        """Write a pending edit now (before a run looks at the card folder)."""
        self.editor.flush()

    # -- F8 ---------------------------------------------------------------------------------------

    def next_finding(self, step: int) -> str | None:
        """Select the next (``step`` 1) or previous (-1) card with findings, in plan order,
        wrapping around; returns its key (None when no card has findings)."""
        keys = [c.key for c in self.window.plan.components]
        if not keys:
            return None
        current = self.editor.key or self.window.outline.selected_key()
        start = keys.index(current) if current in keys else (-1 if step > 0 else len(keys))
        for offset in range(1, len(keys) + 1):
            key = keys[(start + step * offset) % len(keys)]
            if self.findings_of(key):
                self.select(key)
                return key
        self.window.statusBar().showMessage("No card has findings", 4000)
        return None

    def findings_of(self, key: str) -> tuple[Finding, ...]:
        """Lint findings of a component's card as it is now (the editor's text for its card)."""
        if key == self.editor.key and self.editor.card is not None:
            return self.editor.findings
        snapshot = self.window.snapshot
        card = snapshot.cards.get(key) if snapshot else None
        component = self._component(key)
        if card is None or component is None:
            return ()
        return lint_body(card.body, self.window.plan.contract_for(component))

    def select(self, key: str) -> None:
        """Select a component everywhere: plan editor, outline, panel, preview and the Card tab."""
        w = self.window
        w.select_component(key)
        w.outline.select(key)
        self.show(key)
        component = self._component(key)
        if component is not None:
            w.panel.scroll_to(component.name)
        tabs = getattr(w, "middle", None)
        if tabs is not None:
            tabs.setCurrentWidget(self.page)

    # -- orphans ----------------------------------------------------------------------------------

    def reattach(self, index: int) -> None:
        w = self.window
        snapshot = w.snapshot
        if snapshot is None or w.document.path is None or not 0 <= index < len(snapshot.orphans):
            return
        orphan = snapshot.orphans[index]
        free = [c for c in w.plan.components if snapshot.card(c) is None]
        if not free:
            w.banner.show_message(
                f"Every component already has a card: add one to the plan for {orphan.meta.component!r}"
                " first, or rename one."
            )
            return
        name = self.choose_component(orphan.meta.component, [c.name for c in free])
        component = next((c for c in free if c.name == name), None)
        if component is None:
            return
        try:
            CardStore(w.document.path).reattach(snapshot, orphan, component)
        except CardsmithError as exc:
            w.banner.show_message(exc.message)
            return
        w._reload_cards()
        w.statusBar().showMessage(f"{orphan.path.name} now belongs to {component.name}", 6000)

    def _choose_component(self, orphan: str, names: list[str]) -> str | None:
        name, ok = QInputDialog.getItem(
            self.window, "Re-attach card", f"Give the card of “{orphan}” to:", names, 0, False
        )
        return name if ok and name in names else None

    # -- internals --------------------------------------------------------------------------------

    def _component(self, key: str) -> Component | None:
        return next((c for c in self.window.plan.components if c.key == key), None)

    def _context(self, key: str) -> CardContext | None:
        w = self.window
        component = self._component(key)
        if component is None:
            return None
        card = w.snapshot.cards.get(key) if w.snapshot else None
        store = CardStore(w.document.path) if w.document.path is not None else None
        return CardContext(
            key=key,
            name=component.name,
            contract=w.plan.contract_for(component),
            fresh_state=self._fresh_state(component, card),
            card=card,
            store=store,
            state=self._run_state(component.name) or w.states.get(key, "missing"),
        )

    def _fresh_state(self, component: Component, card: StoredCard | None) -> str:
        state = self.window.states.get(component.key, "missing")
        if state in ("done", "stale") or card is None:
            return state
        # Edited or locked: the window's word hides staleness. The plan's own request tells it;
        # the window's exact word (model and limits from the settings included) replaces this
        # guess after the next write.
        request = build_request(self.window.plan, component).sha256()
        return "done" if card.meta.request_sha256 == request else "stale"

    def _run_state(self, name: str) -> str | None:
        """The card's state in the current run while the run may still write it."""
        controller = self.window.controller
        progress = controller.progress.cards.get(name) if controller.running else None
        return progress.state if progress is not None and progress.state in BUSY_STATES else None

    def _on_preview_changed(self, card: PreviewCard) -> None:
        self.window.preview.update_card(card)

    def _on_written(self, key: str, card: StoredCard) -> None:
        w = self.window
        component = self._component(key)
        if w.snapshot is None or component is None or card.path.parent != w.snapshot.folder:
            return  # e.g. the last edit of a plan the window has just left
        w.snapshot.cards[key] = card
        run_states = {k: s for k, s in w.states.items() if s in BUSY_STATES}
        w._compute_states()  # the window's own rules decide the word (done, stale, edited, locked)
        w.states.update(run_states)
        state = w.states.get(key, "missing")
        w.outline.set_state(key, state)
        if not w.controller.running:
            w.panel.set_state(component.name, state)
        w.preview.update_card(PreviewCard(key, component.name, card.body, state, card.meta.findings))
        # Not from inside the editor's own write: give it the exact word once that has returned.
        QTimer.singleShot(0, lambda: self._reload(component.name))

    def _on_run_started(self, names: list[str]) -> None:
        if self.editor.key is not None and self.editor.key in {n.casefold() for n in names}:
            self.editor.set_busy(True)

    def _on_card_changed(self, card: CardProgress) -> None:
        if card.name.casefold() != self.editor.key:
            return
        if card.state in BUSY_STATES:
            self.editor.set_busy(True)
        elif card.state in _ENDED_WITHOUT_CARD:
            self.editor.set_busy(False)
        # "done": the saved card arrives with card_saved, and the editor stays read-only until then.

    def _reload(self, name: str) -> None:
        key = name.casefold()
        if key == self.editor.key:
            self.editor.show_card(self._context(key))
