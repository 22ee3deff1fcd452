"""The window's card work: the Card tab (editor and orphan cards), F8 / Shift+F8, re-attaching.

``CardActions`` wires a ``CardEditor`` to the session: it builds the editor's context from the
session's plan, snapshot and states, hands what the editor writes to the session (which tells the
outline, panel and preview), keeps the editor read-only while a run may write its card, and jumps
between cards with findings. The window constructs it, puts ``page`` in a tab, holds ``actions``,
and calls ``refresh`` (the cards changed), ``follow`` (one card's state changed), ``show`` and
``flush`` (before a run starts).

The tab's editor and history are not part of the window's first frame: they are built by
``build()`` (the window calls it after its first paint, or when the tab is first shown) or when
something asks for ``editor``; until then the tab only remembers which card it will show.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListWidget,
    QMenu,
    QMenuBar,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.core.card import Finding
from app.core.states import CardState
from app.core.store import CardStore, StoredCard
from app.errors import CardsmithError
from app.ui.actions import window_action
from app.ui.preview_markup import PreviewCard
from app.ui.session import Session

if TYPE_CHECKING:
    from app.ui.card_editor import CardContext, CardEditor
    from app.ui.history_view import HistoryView

Status = Callable[[str, int], None]
"""Shows a line in the status bar for so many milliseconds."""


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
    """The Card tab and its window-wide actions (F8, Shift+F8, lock, revert).

    ``reveal(key)`` selects a component everywhere and brings the Card tab forward; ``preview``
    shows the editor's text in the preview as it is typed; ``problem`` puts one line in the
    banner; ``status`` one in the status bar.
    """

    def __init__(
        self,
        session: Session,
        *,
        reveal: Callable[[str], None],
        preview: Callable[[PreviewCard], None],
        problem: Callable[[str], None],
        status: Status,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._session = session
        self._reveal = reveal
        self._preview = preview
        self._problem = problem
        self._status = status
        self._editor: CardEditor | None = None
        self._history: HistoryView | None = None
        self._key: str | None = None
        """The card the tab shows, or will show once built."""
        self.orphans = OrphanPanel()
        self.page = QWidget()
        self._layout = QVBoxLayout(self.page)
        self._layout.addWidget(self.orphans)
        self.choose_component: Callable[[str, list[str]], str | None] = self._choose_component
        """Asked which component an orphan card goes to (its name, the free names); tests replace it."""

        self.act_next = window_action(self, "&Next card with findings", lambda: self.next_finding(1), "F8")
        self.act_prev = window_action(
            self, "&Previous card with findings", lambda: self.next_finding(-1), "Shift+F8"
        )
        self.act_lock = window_action(self, "&Approve / unlock card", lambda: self.editor.toggle_lock())
        self.act_revert = window_action(self, "&Revert card", lambda: self.editor.revert())
        self.actions: tuple[QAction, ...] = (self.act_lock, self.act_revert, self.act_next, self.act_prev)
        """For the window to hold, so that their keys work in all of it."""
        self.orphans.reattach_requested.connect(self.reattach)

    @property
    def editor(self) -> CardEditor:
        """The Card tab's editor (built now if it was not yet)."""
        return self.build()

    @property
    def history(self) -> HistoryView:
        self.build()
        assert self._history is not None
        return self._history

    @property
    def key(self) -> str | None:
        """The component whose card the tab shows (or will show once built)."""
        return self._editor.key if self._editor is not None else self._key

    def build(self) -> CardEditor:
        """Build the tab's editor and history (once) and show the card it was asked to show."""
        if self._editor is not None:
            return self._editor
        from app.ui.card_editor import CardEditor
        from app.ui.history_view import HistoryView

        editor = self._editor = CardEditor()
        self._history = HistoryView(editor)
        split = QSplitter(Qt.Orientation.Vertical, self.page)
        split.addWidget(editor)
        split.addWidget(self._history)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        self._layout.insertWidget(0, split, 1)
        editor.preview_changed.connect(self._preview)
        editor.card_written.connect(self._session.store_card)
        editor.problem.connect(self._problem)
        self._history.restored.connect(self._session.store_card)
        self._history.problem.connect(self._problem)
        if self._key is not None:
            self._show(self._context(self._key))
        return editor

    def add_menu(self, menus: QMenuBar) -> QMenu:
        menu = menus.addMenu("&Card")
        for action in (self.act_lock, self.act_revert):
            menu.addAction(action)
        menu.addSeparator()
        for action in (self.act_next, self.act_prev):
            menu.addAction(action)
        return menu

    # -- called by the window ---------------------------------------------------------------------

    def refresh(self) -> None:
        """The cards changed: follow them (orphans, the card shown, its contract, its state)."""
        snapshot = self._session.snapshot
        self.orphans.set_orphans(list(snapshot.orphans) if snapshot else [])
        if self._editor is None:
            return
        key = self.editor.key
        if key is None:
            return
        self._show(self._context(key))
        card = self.editor.preview_card()
        if self.editor.dirty and card is not None:
            # The window just redrew the preview from the stored card: show the writer's text again.
            self._preview(card)

    def follow(self, key: str) -> None:
        """One card's state or stored card changed (the session has it already)."""
        if self._editor is None:
            return
        shown = self.editor.context
        if shown is None or key != shown.key:
            return
        if self._session.state(key) == shown.state and self._session.stored_card(key) is shown.card:
            return  # e.g. the editor's own write, which it shows already
        self._show(self._context(key))

    def show(self, key: str) -> None:
        """Load a component's card into the editor (nothing happens if it is already there)."""
        if self._editor is None:
            self._key = key
        elif key != self.editor.key:
            self._show(self._context(key))

    def flush(self) -> None:
        """Write a pending edit now (before a run looks at the card folder)."""
        if self._editor is not None:
            self._editor.flush()

    # -- F8 ---------------------------------------------------------------------------------------

    def next_finding(self, step: int) -> str | None:
        """Select the next (``step`` 1) or previous (-1) card with findings, in plan order,
        wrapping around; returns its key (None when no card has findings)."""
        keys = [c.key for c in self._session.plan.components]
        if not keys:
            return None
        current = self.key
        start = keys.index(current) if current in keys else (-1 if step > 0 else len(keys))
        for offset in range(1, len(keys) + 1):
            key = keys[(start + step * offset) % len(keys)]
            if self.findings_of(key):
                self.select(key)
                return key
        self._status("No card has findings", 4000)
        return None

    def findings_of(self, key: str) -> tuple[Finding, ...]:
        """Lint findings of a component's card as it is now (the editor's text for its card)."""
        from app.ui.card_editor import lint_body

        if self._editor is not None and key == self._editor.key and self._editor.card is not None:
            return self._editor.findings
        card, component = self._session.stored_card(key), self._session.component(key)
        if card is None or component is None:
            return ()
        return lint_body(card.body, self._session.plan.contract_for(component))

    def select(self, key: str) -> None:
        """Select a component everywhere: plan editor, outline, panel, preview and the Card tab."""
        self._reveal(key)
        self.show(key)

    # -- orphans ----------------------------------------------------------------------------------

    def reattach(self, index: int) -> None:
        session = self._session
        snapshot = session.snapshot
        if snapshot is None or session.path is None or not 0 <= index < len(snapshot.orphans):
            return
        orphan = snapshot.orphans[index]
        free = [c for c in session.plan.components if snapshot.card(c) is None]
        if not free:
            self._problem(
                f"Every component already has a card: add one to the plan for {orphan.meta.component!r}"
                " first, or rename one."
            )
            return
        name = self.choose_component(orphan.meta.component, [c.name for c in free])
        component = next((c for c in free if c.name == name), None)
        if component is None:
            return
        try:
            CardStore(session.path).reattach(snapshot, orphan, component)
        except CardsmithError as exc:
            self._problem(exc.message)
            return
        session.reload_cards()
        self._status(f"{orphan.path.name} now belongs to {component.name}", 6000)

    def _choose_component(self, orphan: str, names: list[str]) -> str | None:
        name, ok = QInputDialog.getItem(
            self.page, "Re-attach card", f"Give the card of “{orphan}” to:", names, 0, False
        )
        return name if ok and name in names else None

    # -- internals --------------------------------------------------------------------------------

    def _context(self, key: str) -> CardContext | None:
        from app.ui.card_editor import CardContext

        session = self._session
        component = session.component(key)
        if component is None:
            return None
        return CardContext(
            key=key,
            name=component.name,
            contract=session.plan.contract_for(component),
            fresh_state=session.fresh_state(key),
            card=session.stored_card(key),
            store=CardStore(session.path) if session.path is not None else None,
            state=session.state(key),
        )

    def _show(self, ctx: CardContext | None) -> None:
        self.editor.show_card(ctx)
        # Read-only while a run may still write the card (queued, thinking, streaming, retrying,
        # repairing, reviewing); pending edits are written first.
        if ctx is not None and CardState(ctx.state).busy:
            self.editor.set_busy(True)
