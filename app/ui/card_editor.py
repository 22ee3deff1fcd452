"""The Card tab: edit one card's Markdown in place (re-linted as you type), lock it, revert it.

The editor works on one card at a time, described by a ``CardContext`` that the window builds. It
writes through ``CardStore`` (edits keep the generated ``body_sha256``, so the card reads as edited)
and records versions in the card history; everything else (outline, panel, preview, snapshot) is
told through signals, so this widget knows nothing of the window.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QFocusEvent, QFontDatabase, QHideEvent, QKeyEvent, QTextCursor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.core.card import Finding, normalize_body
from app.core.contract import CardContract
from app.core.history import find_by_body_hash, record_version
from app.core.lint import error_count, lint_card, warning_count
from app.core.store import CardStore, StoredCard
from app.errors import CardsmithError
from app.ui.highlighter import MarkdownHighlighter
from app.ui.preview_markup import PreviewCard

LINT_DELAY_MS = 300
SAVE_DELAY_MS = 800
TAB_SPACES = 2

# States in which the engine may be writing this card: the writer waits for it.
BUSY_STATES = frozenset({"queued", "waiting", "streaming", "retrying"})

_CTRL = Qt.KeyboardModifier.ControlModifier
_RETURN_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)
_WINDOW_KEYS = (Qt.Key.Key_F5, Qt.Key.Key_F8, Qt.Key.Key_Escape)


@dataclass(frozen=True)
class CardContext:
    """What the editor needs to show and write one component's card."""

    key: str
    """Component key (casefolded name)."""
    name: str
    contract: CardContract
    fresh_state: str
    """What the card shows while its body is the generated one and it is unlocked: "done", or
    "stale" when its component's request changed since (the window knows which)."""
    card: StoredCard | None
    """None: the component has no card yet."""
    store: CardStore | None
    state: str
    """The window's state word for this component (may be a run state such as "streaming")."""


def _is_window_key(event: QKeyEvent) -> bool:
    generate = event.key() in _RETURN_KEYS and bool(event.modifiers() & _CTRL)
    return generate or event.key() in _WINDOW_KEYS


class CardText(QPlainTextEdit):
    """Monospace card Markdown; the window's keys (Ctrl+Return, F5, F8, Esc) pass through.

    Signals:
        focus_lost(): the text lost keyboard focus (the editor writes pending edits then).
    """

    focus_lost = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        # Prose wraps for reading; an overlong code line is reported by lint (line-width) anyway.
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.highlighter = MarkdownHighlighter(self.document(), self.palette())

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent):
            if _is_window_key(event):
                event.ignore()
                return False
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        if _is_window_key(event):
            event.ignore()  # "generate all" and friends belong to the window; never a newline
            return
        if event.key() == Qt.Key.Key_Tab and event.modifiers() == Qt.KeyboardModifier.NoModifier:
            # A tab's width is unknown in the preview's width budget; code is indented with spaces.
            self.insertPlainText(" " * TAB_SPACES)
            return
        super().keyPressEvent(event)

    def focusOutEvent(self, event: QFocusEvent) -> None:  # noqa: N802 - Qt's name
        super().focusOutEvent(event)
        self.focus_lost.emit()

    def go_to_line(self, line: int) -> None:
        block = self.document().findBlockByNumber(min(max(1, line), self.blockCount()) - 1)
        self.setTextCursor(QTextCursor(block))
        self.centerCursor()


def lint_body(body: str, contract: CardContract) -> tuple[Finding, ...]:
    """The findings the window shows for a card body: core's one lint, syntax included, so the
    Card tab, F8, generation and ``cardsmith lint`` agree."""
    return tuple(lint_card(body, contract))


def finding_text(finding: Finding) -> str:
    where = f"line {finding.line}: " if finding.line is not None else ""
    return f"{finding.severity}: {where}{finding.message} [{finding.rule}]"


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
        self.text = CardText(self)
        self.findings_list = QListWidget(self)
        self.findings_list.setMaximumHeight(120)
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

        self._lint_timer = QTimer(self, singleShot=True, interval=LINT_DELAY_MS)
        self._lint_timer.timeout.connect(self._relint)
        self._save_timer = QTimer(self, singleShot=True, interval=SAVE_DELAY_MS)
        self._save_timer.timeout.connect(self.flush)
        self.text.textChanged.connect(self._on_text_changed)
        self.text.focus_lost.connect(self.flush)
        self.lock_button.clicked.connect(self.toggle_lock)
        self.revert_button.clicked.connect(self.revert)
        self.findings_list.itemActivated.connect(self._go_to_finding)
        self.findings_list.itemClicked.connect(self._go_to_finding)
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
        """State word of what is shown: missing, done, stale, edited, locked (or a run state)."""
        ctx = self._ctx
        if ctx is None:
            return ""
        if ctx.card is None or self._busy:
            return ctx.state
        return self._state_of(self._as_card(self.body()))

    def body(self) -> str:
        return normalize_body(self.text.toPlainText())

    def preview_card(self) -> PreviewCard | None:
        """What the preview should show for the text as it is now (None: nothing is shown)."""
        ctx = self._ctx
        if ctx is None:
            return None
        return PreviewCard(ctx.key, ctx.name, self.body(), self.state, self._findings)

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
        self._busy = ctx is not None and ctx.state in BUSY_STATES
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
        if not self._dirty or ctx is None or ctx.card is None or ctx.store is None:
            self._dirty = False
            return
        self._dirty = False
        body = self.body()
        if body == ctx.card.body:
            return
        findings = lint_body(body, ctx.contract)
        card = ctx.card
        try:
            self._keep_generated(ctx, card)
            written = ctx.store.save_body(_with_findings(card, findings), body)
            record_version(ctx.store.folder, written.path.stem, written.meta, written.body, "edited")
        except CardsmithError as exc:
            self._dirty = True  # still not written: try again on the next change or focus-out
            self.problem.emit(exc.message)
            return
        self._wrote(written)

    def toggle_lock(self) -> None:
        """Approve (lock) the card, or unlock it; pending edits are written first."""
        self.flush()
        ctx = self._ctx
        if ctx is None or ctx.card is None or ctx.store is None or self._busy:
            return
        try:
            written = ctx.store.set_locked(ctx.card, not ctx.card.meta.locked)
        except CardsmithError as exc:
            self.problem.emit(exc.message)
            return
        self._wrote(written)

    def revert(self) -> None:
        """Back to the generated body (found in history by the card's ``body_sha256``)."""
        ctx = self._ctx
        if ctx is None or ctx.card is None or ctx.store is None or ctx.card.meta.locked:
            return
        self.flush()
        card = ctx.card
        version = find_by_body_hash(ctx.store.folder, card.path.stem, card.meta.body_sha256)
        if version is None or not card.edited:
            self._check_revert()
            return
        if not self.confirm("Revert the card?",
                            f"Your edits of {ctx.name} are replaced by the generated card."):
            return
        findings = lint_body(version.body, ctx.contract)
        try:
            written = ctx.store.save_body(_with_findings(card, findings), version.body)
            record_version(ctx.store.folder, written.path.stem, written.meta, written.body, "restored")
        except CardsmithError as exc:
            self.problem.emit(exc.message)
            return
        self._set_text(written.body)
        self._wrote(written)

    # -- internals --------------------------------------------------------------------------------

    def _keep_generated(self, ctx: CardContext, card: StoredCard) -> None:
        """Before the first edit of a card that history does not know yet (e.g. generated by an
        older version, or copied in), keep its generated body, so that Revert can find it."""
        assert ctx.store is not None
        if card.edited:
            return
        if find_by_body_hash(ctx.store.folder, card.path.stem, card.meta.body_sha256) is None:
            record_version(ctx.store.folder, card.path.stem, card.meta, card.body, "generated")

    def _wrote(self, written: StoredCard) -> None:
        assert self._ctx is not None
        self._ctx = replace(self._ctx, card=written, state=self._state_of(written))
        self._check_revert()
        self._update_controls()
        self.context_changed.emit()
        self.card_written.emit(self._ctx.key, written)

    def _state_of(self, card: StoredCard) -> str:
        assert self._ctx is not None
        if card.meta.locked:
            return "locked"
        return "edited" if card.edited else self._ctx.fresh_state

    def _as_card(self, body: str) -> StoredCard:
        assert self._ctx is not None and self._ctx.card is not None
        return replace(self._ctx.card, body=body)

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
        self._show_findings(self._findings)
        self._update_controls()
        if self._dirty:
            self._emit_preview()

    def _emit_preview(self) -> None:
        card = self.preview_card()
        if card is not None:
            self.preview_changed.emit(card)

    def _show_findings(self, findings: Sequence[Finding]) -> None:
        self.findings_list.clear()
        for finding in findings:
            item = QListWidgetItem(finding_text(finding))
            item.setData(Qt.ItemDataRole.UserRole, finding.line or 0)
            self.findings_list.addItem(item)

    def _go_to_finding(self, item: QListWidgetItem) -> None:
        line = int(item.data(Qt.ItemDataRole.UserRole) or 0)
        if line:
            self.text.go_to_line(line)
            self.text.setFocus()

    def _check_revert(self) -> None:
        ctx = self._ctx
        card = ctx.card if ctx else None
        self._revert_available = bool(
            ctx is not None and card is not None and ctx.store is not None and card.edited
            and find_by_body_hash(ctx.store.folder, card.path.stem, card.meta.body_sha256)
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


def _with_findings(card: StoredCard, findings: tuple[Finding, ...]) -> StoredCard:
    # The front matter's findings describe the body it is stored with, edits included.
    return replace(card, meta=replace(card.meta, findings=findings))


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
