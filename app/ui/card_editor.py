"""The Card tab: edit one card's Markdown in place (re-linted as you type), lock it, revert it.

The editor works on one card at a time, described by a ``CardContext`` that the window builds. What
a write does (lint, history, the generated hash kept so the card reads as edited) is the edit
session's rule (app/core/card_edit.py); this widget decides when to write (a pause in typing, focus
leaving, another card shown) and tells everything else (outline, panel, preview, snapshot) through
signals, so it knows nothing of the window.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QHideEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.core.card import Finding, normalize_body
from app.core.card_edit import EditSession, edit_state
from app.core.contract import CardContract
from app.core.lint import error_count, lint_card, warning_count
from app.core.review import review_status
from app.core.states import CardState
from app.core.store import CardStore, StoredCard
from app.errors import CardsmithError
from app.ui.card_text import CardText, FindingsList, ReviewNotesList
from app.ui.preview_markup import PreviewCard

LINT_DELAY_MS = 300
SAVE_DELAY_MS = 800

BUSY_STATES = frozenset(state for state in CardState if state.busy)
"""The states in which a run may be writing the card (``CardState.busy``): the writer waits."""


@dataclass(frozen=True)
class CardContext:
    """What the editor needs to show and write one component's card."""

    key: str
    """Component key (casefolded name)."""
    name: str
    contract: CardContract
    fresh_state: CardState
    """What the card shows while its body is the generated one and it is unlocked: done, or
    stale when its component's request changed since (the window knows which)."""
    card: StoredCard | None
    """None: the component has no card yet."""
    store: CardStore | None
    state: CardState
    """The window's state for this component (may be a run state such as streaming)."""

    @property
    def session(self) -> EditSession | None:
        """What writes this card (None when there is no card folder to write to)."""
        return EditSession(self.store, self.contract) if self.store is not None else None


def lint_body(body: str, contract: CardContract) -> tuple[Finding, ...]:
    """The findings the window shows for a card body: core's one lint, syntax included, so the
    Card tab, F8, generation and ``cardsmith lint`` agree."""
    return tuple(lint_card(body, contract))


class CardEditor(QWidget):
    """One card's Markdown, its findings, Approve (lock) / Unlock, Revert and its state.

    Signals:
        preview_changed(PreviewCard): the text changed (live, before it is written).
        card_written(str, StoredCard): an edit, lock, unlock or revert was written (key, card).
        problem(str): a write failed; one line for the window's banner.
        context_changed(): another card is shown, the card was written, or a run took or gave it
            back (the history view follows it).
    """

    preview_changed = Signal(object)
    card_written = Signal(str, object)
    problem = Signal(str)
    context_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.confirm: Callable[[str, str], bool] = self._confirm
        """Asked before a revert replaces an edit; tests replace it."""
        self._ctx: CardContext | None = None
        self._findings: tuple[Finding, ...] = ()
        self._loading = False
        self._dirty = False
        self._busy = False
        self._revert_available = False

        self.title = QLabel("No component selected")
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.state_label = QLabel("")
        self.state_label.setTextFormat(Qt.TextFormat.PlainText)
        for label in (self.title, self.state_label):  # a long name or state line wraps, never widens the tab
            label.setWordWrap(True)
        self.text = CardText(self)
        self.findings_list = FindingsList(self)
        self.review_list = ReviewNotesList(self)
        self.lock_button = QPushButton("Approve (lock)", self)
        self.lock_button.setToolTip("Approve the card: a locked card is never regenerated")
        self.revert_button = QPushButton("Revert", self)
        self.revert_button.setToolTip("Throw the edits away and go back to the generated card")

        header = QHBoxLayout()
        header.addWidget(self.title, 1)
        header.addWidget(self.lock_button)
        header.addWidget(self.revert_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(header)
        layout.addWidget(self.state_label)
        layout.addWidget(self.text, 1)
        layout.addWidget(QLabel("Findings"))
        layout.addWidget(self.findings_list)
        layout.addWidget(QLabel("Review"))
        layout.addWidget(self.review_list)

        self._lint_timer = QTimer(self, singleShot=True, interval=LINT_DELAY_MS)
        self._lint_timer.timeout.connect(self._relint)
        self._save_timer = QTimer(self, singleShot=True, interval=SAVE_DELAY_MS)
        self._save_timer.timeout.connect(self.flush)
        self.text.textChanged.connect(self._on_text_changed)
        self.text.focus_lost.connect(self.flush)
        self.lock_button.clicked.connect(self.toggle_lock)
        self.revert_button.clicked.connect(self.revert)
        self.findings_list.line_activated.connect(self._go_to_line)
        self.review_list.line_activated.connect(self._go_to_line)
        self._update_controls()

    # -- what is shown ----------------------------------------------------------------------------

    @property
    def key(self) -> str | None:
        return self._ctx.key if self._ctx else None

    @property
    def card(self) -> StoredCard | None:
        return self._ctx.card if self._ctx else None

    @property
    def context(self) -> CardContext | None:
        return self._ctx

    @property
    def busy(self) -> bool:
        """A run may be writing the card shown: nothing else may write it meanwhile."""
        return self._busy

    @property
    def findings(self) -> tuple[Finding, ...]:
        """Findings of the text as it is now (linted at once if the debounce is pending)."""
        if self._lint_timer.isActive():
            self._relint()
        return self._findings

    @property
    def dirty(self) -> bool:
        """The text has changes that are not written yet."""
        return self._dirty

    @property
    def state(self) -> str:
        """The state of what is shown (a ``CardState``; "" when nothing is): missing, done, stale,
        edited, locked, or a run state."""
        ctx = self._ctx
        if ctx is None:
            return ""
        if ctx.card is None or self._busy:
            return CardState(ctx.state)
        return self._state_of(replace(ctx.card, body=self.body()))

    def body(self) -> str:
        return normalize_body(self.text.toPlainText())

    def preview_card(self) -> PreviewCard | None:
        """What the preview should show for the text as it is now (None: nothing is shown)."""
        ctx = self._ctx
        if ctx is None:
            return None
        review = ctx.card.meta.review if ctx.card is not None else None
        return PreviewCard(ctx.key, ctx.name, self.body(), self.state, self._findings, review)

    def show_card(self, ctx: CardContext | None) -> None:
        """Show a component's card; pending edits of the card shown before are written first.

        The same card again (a refresh) keeps the writer's text when it has unwritten edits.
        """
        old = self._ctx
        same = ctx is not None and old is not None and _same_card(ctx, old)
        if not same:
            self.flush()
        keep_text = same and self._dirty
        self._ctx = ctx
        self._busy = ctx is not None and CardState(ctx.state).busy
        if not keep_text:
            shown = ctx.card.body if ctx and ctx.card else ""
            if not same or normalize_body(self.text.toPlainText()) != shown:
                self._set_text(shown)
        if not same or (old is not None and ctx is not None and old.card != ctx.card):
            self._check_revert()  # reads the card's history: only when the card changed
        self._relint()
        self.context_changed.emit()

    def set_busy(self, busy: bool) -> None:
        """A run is (or is no longer) writing this card: the text is read-only meanwhile."""
        if busy and self._dirty:
            self.flush()
        self._busy = busy
        self._update_controls()
        self.context_changed.emit()

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802 - Qt's name
        # Another tab, or the window closing: the writer's text must not wait for a timer.
        self.flush()
        super().hideEvent(event)

    # -- writing ----------------------------------------------------------------------------------

    def flush(self) -> None:
        """Write the pending edit now (no-op when there is none)."""
        self._save_timer.stop()
        ctx = self._ctx
        dirty, self._dirty = self._dirty, False
        if not dirty or ctx is None or ctx.card is None or ctx.session is None:
            return
        try:
            written = ctx.session.save_edit(ctx.card, self.body())
        except CardsmithError as exc:
            self._dirty = True  # still not written: try again on the next change or focus-out
            self.problem.emit(exc.message)
            return
        if written is not None:
            self._wrote(written)

    def toggle_lock(self) -> None:
        """Approve (lock) the card, or unlock it; pending edits are written first."""
        self.flush()
        ctx = self._ctx
        if ctx is None or ctx.card is None or ctx.session is None or self._busy:
            return
        try:
            written = ctx.session.set_locked(ctx.card, not ctx.card.meta.locked)
        except CardsmithError as exc:
            self.problem.emit(exc.message)
            return
        self._wrote(written)

    def revert(self) -> None:
        """Back to the generated body (found in history by the card's ``body_sha256``)."""
        if self._ctx is None or self._ctx.card is None or self._ctx.card.meta.locked:
            return
        self.flush()
        ctx = self._ctx  # the flush may have written the card
        assert ctx is not None
        session = ctx.session
        if ctx.card is None or session is None or session.generated_version(ctx.card) is None:
            self._check_revert()
            return
        if not self.confirm("Revert the card?",
                            f"Your edits of {ctx.name} are replaced by the generated card."):
            return
        try:
            written = session.revert(ctx.card)
        except CardsmithError as exc:
            self.problem.emit(exc.message)
            return
        if written is not None:
            self._set_text(written.body)
            self._wrote(written)

    # -- internals --------------------------------------------------------------------------------

    def _wrote(self, written: StoredCard) -> None:
        assert self._ctx is not None
        self._ctx = replace(self._ctx, card=written, state=self._state_of(written))
        self._check_revert()
        self._update_controls()
        self.context_changed.emit()
        self.card_written.emit(self._ctx.key, written)

    def _state_of(self, card: StoredCard) -> CardState:
        assert self._ctx is not None
        return edit_state(card, CardState(self._ctx.fresh_state))

    def _set_text(self, text: str) -> None:
        self._loading = True
        try:
            self.text.setPlainText(text)
        finally:
            self._loading = False
        self._dirty = False
        self._save_timer.stop()

    def _on_text_changed(self) -> None:
        if self._loading or self._ctx is None or self._ctx.card is None:
            return
        self._dirty = True
        self._lint_timer.start()
        self._save_timer.start()
        self._emit_preview()
        self._update_controls()

    def _relint(self) -> None:
        self._lint_timer.stop()
        ctx = self._ctx
        if ctx is None or ctx.card is None:
            self._findings = ()
        else:
            self._findings = lint_body(self.body(), ctx.contract)
        self.findings_list.set_findings(self._findings)
        review = ctx.card.meta.review if ctx is not None and ctx.card is not None else None
        self.review_list.set_review(review, review_status(review, self.body()))  # stale as you type
        self._update_controls()
        if self._dirty:
            self._emit_preview()

    def _emit_preview(self) -> None:
        card = self.preview_card()
        if card is not None:
            self.preview_changed.emit(card)

    def _go_to_line(self, line: int) -> None:
        self.text.go_to_line(line)
        self.text.setFocus()

    def _check_revert(self) -> None:
        ctx = self._ctx
        session = ctx.session if ctx else None
        self._revert_available = bool(
            ctx is not None and ctx.card is not None and session is not None
            and session.generated_version(ctx.card) is not None
        )

    def _update_controls(self) -> None:
        ctx = self._ctx
        card = ctx.card if ctx else None
        locked = bool(card and card.meta.locked)
        writable = card is not None and ctx is not None and ctx.store is not None and not self._busy
        self.text.setReadOnly(not writable or locked)
        self.text.setEnabled(card is not None)
        self.lock_button.setEnabled(writable)
        self.lock_button.setText("Unlock" if locked else "Approve (lock)")
        self.revert_button.setEnabled(
            writable and not locked and (self._revert_available or self._dirty_revertible())
        )
        self.title.setText(ctx.name if ctx else "No component selected")
        self.text.setPlaceholderText(
            "Select a component to edit its card." if ctx is None
            else f"{ctx.name} has no card yet: generate it first."
        )
        self.state_label.setText(self._state_line())

    def _dirty_revertible(self) -> bool:
        # Typing on an unedited card: Revert is possible once the edit is written, and the
        # generated body is the card itself, so offer it right away.
        return self._dirty and self._ctx is not None and self._ctx.card is not None \
            and not self._ctx.card.edited

    def _state_line(self) -> str:
        ctx = self._ctx
        if ctx is None:
            return ""
        parts = [self.state]
        if ctx.card is not None:
            errors, warnings = error_count(self._findings), warning_count(self._findings)
            parts.append(_count(errors, "error") + ", " + _count(warnings, "warning"))
        if self._dirty:
            parts.append("not saved yet")
        if self._busy:
            parts.append("being generated: read-only")
        return " · ".join(parts)

    def _confirm(self, title: str, text: str) -> bool:
        answer = QMessageBox.question(self, title, text)
        return answer == QMessageBox.StandardButton.Yes


def _same_card(a: CardContext, b: CardContext) -> bool:
    """The same component of the same plan (another plan may have a component of that name)."""
    folder_a = a.store.folder if a.store else None
    folder_b = b.store.folder if b.store else None
    return a.key == b.key and folder_a == folder_b


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
