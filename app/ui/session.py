"""The plan being edited, its cards and their states: one object that every view of the window reads.

The session owns the plan document (its file and the bytes read from it), the plan's text (the
editor's ``QTextDocument``: the text, its undo stack and its modified flag), the parsed plan, the
card snapshot, the settings, and the card states. It says what changed through signals; the window
wires them to the outline, the generation panel, the preview and the Card tab, and the helpers
(autosave, file watching, the instance lock, plan files) listen to it instead of to the window.

A card's state is decided in one place, ``Session.state``: what the card folder says (the send
rule's planning, ``app.engine.generate.plan_generation``, with the settings' model and limits),
overlaid with what the current run is doing (the run controller's progress; ``overlay_state``).

It is a QObject in ``app.ui`` rather than a Qt-free model in ``app.core`` with an adapter because
both of its inputs are Qt objects already (the editor's text document, the run controller's
signals) and what it gives is signals; everything it decides with is Qt-free and lives in the core
and the engine (``PlanDocument``, ``parse_plan``, ``CardStore``, ``plan_generation``,
``CardState``), so a Qt-free copy of this class would only add a second event mechanism.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QTextCursor, QTextDocument

from app.core.plan import Component, Plan
from app.core.review import ReviewStatus, review_status
from app.core.states import CardState
from app.core.store import CardStore, StoredCard, StoreSnapshot
from app.engine.batch_state import BatchState, held_in_batch, load_state
from app.engine.send_plan import GenerateOptions, PlannedCard, plan_generation
from app.engine.progress import CardProgress
from app.engine.provider_config import ProviderConfig
from app.engine.roles import Role
from app.errors import CardsmithError
from app.settings import Settings, generate_options
from app.ui.document import PlanDocument
from app.ui.preview_markup import PreviewCard
from app.ui.providers import provider_config, run_options
from app.ui.run_controller import RunController

REPARSE_DELAY_MS = 250
"""Typing re-parses the plan this long after the last key."""


def overlay_state(stored: CardState, run: CardState | None, *, running: bool) -> CardState:
    """A card's state from what the card folder says (``stored``) and what a run says (``run``,
    None when the card is not part of the current or last run).

    While a run is on, its word wins (queued, thinking, streaming, repairing, failed, ...). A card
    the run has finished is what the card folder says once it is written (done, or edited and
    locked when the writer has had it since). After the run, a card it could not make (failed,
    cancelled, not run) keeps that word while the folder has none (missing)."""
    if run is None or run is CardState.DONE:
        return stored
    if running:
        return run
    return run if run.terminal and stored is CardState.MISSING else stored


class Session(QObject):
    """One plan and its cards.

    Signals:
        plan_changed(): the plan was parsed again (typing, open, save): its issues and components.
        cards_changed(): the card snapshot was read again and every state may have changed (follows
            every ``plan_changed``, a run's end, new settings, ``reload_cards``).
        card_changed(str): one card's state or stored card may have changed (component key): a run
            started, moved on or saved it, or the writer wrote it. The session holds the new card
            and state before it says so.
        opened(object): the plan at this Path was read into the text (open, reload), or a new plan
            that Save writes there was started (``document.is_new``).
        saved(object): the writer's Save / Save As wrote the plan (Path).
        settings_changed(object): new Settings apply (theme, column, concurrency, model, limits).
        closed(): the window's close was accepted (edits saved or discarded).
    """

    plan_changed = Signal()
    cards_changed = Signal()
    card_changed = Signal(str)
    opened = Signal(object)
    saved = Signal(object)
    settings_changed = Signal(object)
    closed = Signal()

    def __init__(self, buffer: QTextDocument, controller: RunController, settings: Settings,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.buffer = buffer
        """The plan's text as the editor edits it (the editor shows this document)."""
        self._controller = controller
        self._settings = settings
        self._document = PlanDocument()
        self._plan: Plan = self._document.parse("")
        self._components: dict[str, Component] = {}
        self._snapshot: StoreSnapshot | None = None
        self._batch: BatchState | None = None
        """The plan's pending batches, read with the card folder."""
        self._stored: dict[str, CardState] = {}
        self._run_names: dict[str, str] = {}
        """Component key -> name of every card the current (or last) run sends."""
        self._reparse = QTimer(self, singleShot=True, interval=REPARSE_DELAY_MS)
        self._reparse.timeout.connect(self.refresh)
        buffer.contentsChanged.connect(self._reparse.start)
        controller.run_started.connect(self._on_run_started)
        controller.card_changed.connect(self._on_progress)
        controller.card_saved.connect(lambda name, card: self.store_card(name.casefold(), card))
        controller.run_finished.connect(lambda _totals: self.reload_cards())

    # -- what there is --------------------------------------------------------------------------

    @property
    def document(self) -> PlanDocument:
        return self._document

    @property
    def path(self) -> Path | None:
        return self._document.path

    @property
    def name(self) -> str:
        return self._document.name

    @property
    def plan(self) -> Plan:
        return self._plan

    @property
    def snapshot(self) -> StoreSnapshot | None:
        """The card folder as last read (None for a plan never saved), with every card written since."""
        return self._snapshot

    @property
    def pending_batch(self) -> BatchState | None:
        """The plan's batches whose results are not stored yet (as of the last read of the cards)."""
        return self._batch

    @property
    def settings(self) -> Settings:
        return self._settings

    @property
    def running(self) -> bool:
        return self._controller.running

    @property
    def modified(self) -> bool:
        """The text has edits that are not saved."""
        return self.buffer.isModified()

    def text(self) -> str:
        return self.buffer.toPlainText()

    def component(self, key: str) -> Component | None:
        return self._components.get(key)

    def stored_card(self, key: str) -> StoredCard | None:
        return self._snapshot.cards.get(key) if self._snapshot is not None else None

    def state(self, key: str) -> CardState:
        """THE state of a component's card: the card folder's word overlaid with the run's."""
        stored = self._stored.get(key, CardState.MISSING)
        name = self._run_names.get(key)
        if name is None:
            return stored
        progress = self._controller.progress.cards.get(name)
        if progress is not None:
            run: CardState | None = CardState(progress.state)
        else:  # sent by the run, no event yet
            run = CardState.QUEUED if self.running else None
        return overlay_state(stored, run, running=self.running)

    @property
    def states(self) -> dict[str, CardState]:
        """Component key -> state, for every component of the plan."""
        return {c.key: self.state(c.key) for c in self._plan.components}

    def fresh_state(self, key: str) -> CardState:
        """What the card reads as while its body is the generated one and it is unlocked: done, or
        stale when its component's request (with the settings' model and limits) changed since."""
        card, component = self.stored_card(key), self._components.get(key)
        if card is None or component is None or self._snapshot is None:
            return self._stored.get(key, CardState.MISSING)
        planned = self._planned((component.name,))[0]
        return CardState.DONE if card.meta.request_sha256 == planned.request.sha256() else CardState.STALE

    def preview_card(self, key: str, body: str | None = None) -> PreviewCard:
        """What the preview shows for a component: its stored card, or ``body`` (a run's live text);
        the stored findings only while the body is the stored one."""
        component = self._components.get(key)
        stored = self.stored_card(key)
        if body is None:
            body = stored.body if stored else ""
        findings = stored.meta.findings if stored is not None and body == stored.body else ()
        review = stored.meta.review if stored is not None else None
        return PreviewCard(key, component.name if component else key, body, self.state(key), findings, review)

    def review_status(self, key: str) -> ReviewStatus:
        """The stored card's review as it holds for the card's body now (none without one)."""
        stored = self.stored_card(key)
        return review_status(stored.meta.review, stored.body) if stored is not None else ReviewStatus.NONE

    def provider_config(self, role: Role = Role.EXECUTE) -> ProviderConfig:
        """The API ``role``'s requests go to: the plan's front matter, then the Settings, then the
        environment (raises UsageError for a bad ``CARDSMITH_PROVIDER``)."""
        return provider_config(self._plan.settings, self._settings, role)

    def generate_options(self, options: GenerateOptions | None = None) -> GenerateOptions:
        """A run's options with the settings and the provider's defaults filled in where the caller
        left the plan's value (the resolved model, a local server's concurrency and stall timeout)."""
        options = options or GenerateOptions()
        try:
            config = self.provider_config()
        except CardsmithError:  # a run says why it cannot start; the states read the plan alone
            return generate_options(self._settings, options)
        return run_options(self._settings, config, options)

    def default_concurrency(self) -> int:
        """Parallel requests of a run the writer does not tune: the Settings', else the plan's
        front matter, else the provider's (a local server: one), else the plan's default."""
        concurrency = self.generate_options().concurrency
        return concurrency if concurrency is not None else self._plan.settings.concurrency

    # -- changing it ------------------------------------------------------------------------------

    def open(self, path: Path) -> None:
        """Read a plan into the text (raises ``CardsmithError`` with one line; nothing changes then)."""
        self._load_document(PlanDocument.open(path), modified=False)

    def start_new(self, path: Path, text: str) -> None:
        """A new plan that Save writes to ``path`` (not on disk yet): ``text`` is its unsaved text."""
        self._load_document(PlanDocument(Path(path), text), modified=True)

    def start_untitled(self, text: str = "") -> None:
        """A new plan with no file yet (Save asks where): ``text`` is its unsaved text."""
        self._load_document(PlanDocument(None, text), modified=True)

    def stream_text(self, text: str) -> None:
        """Replace the whole text with ``text`` as it arrives (a draft growing): unsaved, parsed at
        once, without an undo step per update."""
        self.buffer.setPlainText(text)
        self.buffer.setModified(True)
        self.refresh()

    def _load_document(self, document: PlanDocument, *, modified: bool) -> None:
        self._document = document
        self.buffer.setPlainText(document.text)
        self.buffer.setModified(modified)
        self._snapshot = None
        self._run_names = {}  # another plan: a run's words were about the last one
        self.refresh()
        self.opened.emit(document.path)

    def save(self, path: Path) -> None:
        """Write the text to ``path`` atomically (raises ``CardsmithError``); the plan is that file
        from now on, and its cards are read from beside it."""
        self._document.save(self.text(), path)
        self.buffer.setModified(False)
        self._snapshot = None
        self.refresh()
        self.saved.emit(self._document.path)

    def replace_text(self, text: str) -> None:
        """Replace the whole text as one undo step, as unsaved edits (a recovered copy)."""
        cursor = QTextCursor(self.buffer)
        cursor.beginEditBlock()
        cursor.select(QTextCursor.SelectionType.Document)
        cursor.insertText(text)
        cursor.endEditBlock()
        self.buffer.setModified(True)

    def refresh(self) -> None:
        """Parse the text now (typing schedules this) and recompute every state."""
        self._reparse.stop()
        self._plan = self._document.parse(self.text())
        self._components = {}
        for component in self._plan.components:
            self._components.setdefault(component.key, component)  # a duplicate is an issue
        self.plan_changed.emit()
        self._replan()

    def reload_cards(self) -> None:
        """Read the card folder again (a run ended, files changed on disk, a card was re-attached)."""
        self._snapshot = None
        self._replan()

    def store_card(self, key: str, card: StoredCard) -> None:
        """A card was written (by a run, or by the writer in the Card tab): keep it, say its state."""
        snapshot, component = self._snapshot, self._components.get(key)
        if snapshot is None or component is None or card.path.parent != snapshot.folder:
            return  # e.g. the last edit of a plan that was just left
        snapshot.cards[key] = card
        self._stored.update((p.component.key, p.state) for p in self._planned((component.name,)))
        self.card_changed.emit(key)

    def apply_settings(self, settings: Settings) -> None:
        """New settings: the views follow, and a new model or limit can make cards stale."""
        self._settings = settings
        self.settings_changed.emit(settings)
        self._replan()

    def close(self) -> None:
        self.closed.emit()

    # -- internals --------------------------------------------------------------------------------

    def _planned(self, only: tuple[str, ...] = ()) -> list[PlannedCard]:
        assert self._snapshot is not None
        planned = plan_generation(self._plan, self._snapshot, self.generate_options(GenerateOptions(only=only)))
        return held_in_batch(planned, self._batch)  # "in batch" until its result is stored

    def _replan(self) -> None:
        if self.path is None:
            self._batch = None
            self._stored = {c.key: CardState.MISSING for c in self._plan.components}
        else:
            if self._snapshot is None:
                self._snapshot = CardStore(self.path).load(self._plan)
                self._batch = self._read_batch_state(self.path)
            self._stored = {p.component.key: p.state for p in self._planned()}
        self.cards_changed.emit()

    @staticmethod
    def _read_batch_state(path: Path) -> BatchState | None:
        try:
            return load_state(path)
        except CardsmithError:  # a damaged file: a batch run or `cardsmith batch` says so
            return None

    def _on_run_started(self, names: list[str]) -> None:
        self._run_names = {name.casefold(): name for name in names}
        for key in self._run_names:
            self.card_changed.emit(key)

    def _on_progress(self, card: CardProgress) -> None:
        key = card.name.casefold()
        # A finished card speaks through the card folder: its saved card follows at once.
        if key in self._run_names and CardState(card.state) is not CardState.DONE:
            self.card_changed.emit(key)
