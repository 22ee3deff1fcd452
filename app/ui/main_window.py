"""The main window: plan editor and outline, the generation panel, the 400 px preview.

It is a second client of the core and engine, never a second implementation: parsing, states,
what a run sends, lint and export all come from ``app.core`` / ``app.engine``; this class only
wires widgets to them.
"""

from __future__ import annotations

import bisect
from pathlib import Path
from typing import Callable, Literal

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.core.plan import Plan
from app.core.store import CardStore, StoredCard, StoreSnapshot
from app.engine.generate import GenerateOptions, plan_generation
from app.engine.progress import CardProgress
from app.errors import CardsmithError, KeyMissingError
from app.settings import Settings, load_settings
from app.ui.banner import Banner
from app.ui.card_actions import CardActions
from app.ui.document import PlanDocument
from app.ui.editor import IssueList, PlanEditor
from app.ui.export_dialog import ExportDialog, open_export_dialog
from app.ui.file_watch import PlanWatcher
from app.ui.generation_panel import GenerationPanel
from app.ui.highlighter import MarkdownHighlighter
from app.ui.instance_lock import InstanceLock
from app.ui.outline import OutlineRow, OutlineView
from app.ui.plan_files import PlanFiles
from app.ui.preview import PreviewCard, PreviewView
from app.ui.providers import default_provider_factory
from app.ui.recovery import Autosaver
from app.ui.run_controller import RunController, warm_up
from app.ui.settings_dialog import apply_settings, generate_options, open_settings_dialog

Answer = Literal["save", "discard", "cancel"]
REPARSE_DELAY_MS = 250
RUN_STATES = ("queued", "waiting", "streaming", "retrying", "failed", "cancelled", "not run")


class MainWindow(QMainWindow):
    plan_opened = Signal(object)  # Path: a plan was read into the editor (open, reload)
    plan_saved = Signal(object)  # Path: the writer's Save / Save As wrote it
    closing = Signal()  # the close was accepted (edits saved or discarded)

    def __init__(
        self,
        plan_path: Path | None = None,
        *,
        provider_factory: Callable[[], object] | None = None,
    ) -> None:
        super().__init__()
        self.document = PlanDocument()
        self.plan: Plan = self.document.parse("")
        self.snapshot: StoreSnapshot | None = None
        self.states: dict[str, str] = {}
        self._line_starts: list[int] = []
        self._closing = False
        self.ask_unsaved: Callable[[], Answer] = self._ask_unsaved
        self.settings: Settings = load_settings()

        self.banner = Banner()
        self.editor = PlanEditor()
        self.highlighter = MarkdownHighlighter(self.editor.document())
        self.issue_list = IssueList()
        self.outline = OutlineView()
        self.panel = GenerationPanel()
        self.preview = PreviewView()
        self.controller = RunController(provider_factory or default_provider_factory, self)
        self.cards = CardActions(self)  # the Card tab, F8 / Shift+F8, orphan cards
        self._reparse = QTimer(self, singleShot=True, interval=REPARSE_DELAY_MS)
        self._reparse.timeout.connect(self.refresh)
        self._build_layout()
        self._build_actions()
        self._connect()
        apply_settings(self, self.settings)
        self.resize(1400, 860)
        # The writer's work is safe: autosave/recovery, files changed on disk, a second window,
        # recent plans, drag and drop, a new plan from the example (they hear plan_opened).
        self.recovery = Autosaver(self)
        self.file_watch = PlanWatcher(self)
        self.instance_lock = InstanceLock(self)
        self.plan_files = PlanFiles(self)
        if plan_path is not None:
            self.open_plan(Path(plan_path))
        else:
            self._update_title()
        # The SDK costs ~1.6 s and ~90 MB: a writer who only edits never pays for it. It loads in
        # a thread on a hint of a run (the pointer on a run button, the Run menu), or else when
        # the run starts (the provider imports it off the event loop).
        self.panel.run_intended.connect(self._warm_up)

    # -- construction -------------------------------------------------------------------------

    def _build_layout(self) -> None:
        left = QSplitter(Qt.Orientation.Vertical)
        left.addWidget(self.outline)
        left.addWidget(self.editor)
        left.addWidget(self.issue_list)
        left.setSizes([200, 520, 110])
        left.setChildrenCollapsible(False)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(left)
        self.middle = QTabWidget()
        self.middle.addTab(self.panel, "Run")
        self.middle.addTab(self.cards.page, "Card")
        self.splitter.addWidget(self.middle)
        self.splitter.addWidget(self.preview)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setStretchFactor(2, 0)
        self.splitter.setChildrenCollapsible(False)

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.banner)
        layout.addWidget(self.splitter, 1)
        self.setCentralWidget(central)
        self.statusBar().showMessage("Ready")

    def _action(self, text: str, slot: Callable[[], object], *keys: QKeySequence | str) -> QAction:
        action = QAction(text, self)
        if keys:
            action.setShortcuts([QKeySequence(k) for k in keys])
        # Window-wide, so shortcuts work whichever pane has focus.
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(lambda _checked=False: slot())
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        std = QKeySequence.StandardKey
        self.act_open = self._action("&Open…", self.open_dialog, std.Open)
        self.act_save = self._action("&Save", self.save, std.Save)
        self.act_save_as = self._action("Save &As…", self.save_as, std.SaveAs)
        self.act_export = self._action("&Export…", self.export_dialog, "Ctrl+E")
        self.act_quit = self._action("&Quit", self.close, std.Quit)
        self.act_undo = self._action("&Undo", self.editor.undo, std.Undo)
        self.act_redo = self._action("&Redo", self.editor.redo, "Ctrl+Shift+Z", "Ctrl+Y")
        self.act_generate = self._action(
            "&Generate all", self.generate_all, "Ctrl+Return", "Ctrl+Enter", "F5"
        )
        self.act_cancel = self._action("&Cancel run", self.cancel_run, "Esc")
        self.act_retry = self._action("&Retry failed", self.retry_failed)
        self.act_regenerate = self._action(
            "Re&generate selected", lambda: self.regenerate(self.panel.selected_names())
        )
        menus = self.menuBar()
        file_menu = menus.addMenu("&File")
        for a in (self.act_open, self.act_save, self.act_save_as, self.act_export):
            file_menu.addAction(a)
        file_menu.addSeparator()
        file_menu.addAction(self.act_quit)
        edit_menu = menus.addMenu("&Edit")
        edit_menu.addAction(self.act_undo)
        edit_menu.addAction(self.act_redo)
        self.act_settings = self._action("Se&ttings…", lambda: open_settings_dialog(self), std.Preferences)
        edit_menu.addAction(self.act_settings)
        run_menu = menus.addMenu("&Run")
        run_menu.aboutToShow.connect(self._warm_up)
        for a in (self.act_generate, self.act_cancel, self.act_retry, self.act_regenerate):
            run_menu.addAction(a)
        self.cards.add_menu(menus)

    def _connect(self) -> None:
        self.editor.textChanged.connect(self._reparse.start)
        self.editor.document().modificationChanged.connect(self._update_title)
        self.editor.cursorPositionChanged.connect(self._follow_cursor)
        self.issue_list.line_activated.connect(self.editor.go_to_line)
        self.outline.component_selected.connect(self.select_component)

        self.panel.generate_all_requested.connect(self.generate_all)
        self.panel.cancel_requested.connect(self.cancel_run)
        self.panel.retry_failed_requested.connect(self.retry_failed)
        self.panel.regenerate_requested.connect(self.regenerate)
        self.panel.current_changed.connect(lambda name: self.select_component(name.casefold()))

        c = self.controller
        c.card_changed.connect(self._on_card_changed)
        c.card_text.connect(self._on_card_text)
        c.card_saved.connect(self._on_card_saved)
        c.overall_changed.connect(self.panel.update_overall)
        c.run_finished.connect(self._on_run_finished)
        c.run_stopped.connect(lambda reason: self.banner.show_message(f"Run stopped: {reason}"))

    # -- the plan -----------------------------------------------------------------------------

    def open_plan(self, path: Path) -> bool:
        try:
            document = PlanDocument.open(path)
        except CardsmithError as exc:
            self.banner.show_message(exc.message)
            return False
        self.document = document
        self.editor.setPlainText(document.text)
        self.editor.document().setModified(False)
        self.snapshot = None
        self.refresh()
        self._update_title()
        self.statusBar().showMessage(f"Opened {path}", 4000)
        self.plan_opened.emit(document.path)
        return True

    def plan_text(self) -> str:
        return self.editor.toPlainText()

    def refresh(self) -> None:
        """Re-parse the editor's text and redraw every view of the plan (debounced while typing)."""
        self.plan = self.document.parse(self.plan_text())
        self.editor.set_issues(self.plan.issues)
        self.issue_list.set_issues(self.plan.issues)
        self._line_starts = [c.line for c in self.plan.components]
        self._compute_states()
        rows = [OutlineRow(c.key, c.name, c.line, self.states[c.key]) for c in self.plan.components]
        self.outline.set_components(rows)
        if not self.controller.running:
            self._refresh_panel()
        self.preview.set_cards([self._preview_card(c.key) for c in self.plan.components])
        self.cards.refresh()

    def _refresh_panel(self) -> None:
        """Idle rows show the card's state; a card the last run finished keeps its run details
        (tokens, time, failure reason) for as long as that is still what it is."""
        names = [c.name for c in self.plan.components]
        if self.panel.names() != names:
            self.panel.set_components([(c.name, self.states[c.key]) for c in self.plan.components])
            return
        for component in self.plan.components:
            state = self.states[component.key]
            last_run = self.controller.progress.cards.get(component.name)
            if last_run is not None and last_run.state == state:
                self.panel.update_card(last_run)
            elif self.panel.state_of(component.name) != state:
                self.panel.set_state(component.name, state)

    def _compute_states(self) -> None:
        if self.document.path is None:
            self.states = {c.key: "missing" for c in self.plan.components}
            return
        if self.snapshot is None:
            self.snapshot = CardStore(self.document.path).load(self.plan)
        planned = plan_generation(self.plan, self.snapshot, generate_options(self.settings, GenerateOptions()))
        self.states = {p.component.key: p.state.value for p in planned}
        for name, card in self.controller.progress.cards.items():
            key = name.casefold()
            if key in self.states and card.state in RUN_STATES and self.states[key] == "missing":
                self.states[key] = card.state

    def _preview_card(self, key: str, *, body: str | None = None, state: str | None = None) -> PreviewCard:
        component = next((c for c in self.plan.components if c.key == key), None)
        name = component.name if component else key
        stored = self.snapshot.cards.get(key) if self.snapshot else None
        if body is None:
            body = stored.body if stored else ""
        findings = stored.meta.findings if stored and body == stored.body else ()
        return PreviewCard(key, name, body, state or self.states.get(key, "missing"), findings)

    def _reload_cards(self) -> None:
        self.snapshot = None
        self.refresh()

    # -- selection ----------------------------------------------------------------------------

    def select_component(self, key: str) -> None:
        component = next((c for c in self.plan.components if c.key == key), None)
        if component is None:
            return
        self.editor.go_to_line(component.line)
        self.preview.scroll_to(key)
        self.cards.show(key)

    def _follow_cursor(self) -> None:
        if not self._line_starts:
            return
        index = bisect.bisect_right(self._line_starts, self.editor.current_line()) - 1
        if 0 <= index < len(self.plan.components):
            self.outline.select(self.plan.components[index].key)
            self.cards.show(self.plan.components[index].key)

    # -- running ------------------------------------------------------------------------------

    def _warm_up(self) -> None:
        warm_up(self.plan.settings.language)

    def generate_all(self) -> None:
        self._start(GenerateOptions(concurrency=self.panel.concurrency_spin.value()))

    def retry_failed(self) -> None:
        failed = [c.name for c in self.controller.progress.cards.values() if c.state == "failed"]
        if not failed:
            self.statusBar().showMessage("No failed cards to retry", 4000)
            return
        self._start(GenerateOptions(only=tuple(failed), concurrency=self.panel.concurrency_spin.value()))

    def regenerate(self, names: list[str]) -> None:
        self.cards.flush()  # an edit still being typed counts as an edit below
        if not names:
            self.statusBar().showMessage("Select the cards to regenerate first", 4000)
            return
        keys = {n.casefold() for n in names}
        edited = [n for n in names if self.states.get(n.casefold()) == "edited"]
        if edited and not self._confirm(
            "Overwrite edited cards?",
            f"{', '.join(edited)} {'has' if len(edited) == 1 else 'have'} been edited by hand."
            " Regenerating replaces the edits.",
        ):
            return
        locked = [n for n in names if self.states.get(n.casefold()) == "locked"]
        if locked:
            self.statusBar().showMessage(f"Locked cards are kept: {', '.join(locked)}", 6000)
        only = tuple(n for n in names if n.casefold() in keys and n not in locked)
        if only:
            self._start(GenerateOptions(only=only, force=True,
                                        concurrency=self.panel.concurrency_spin.value()))

    def _start(self, options: GenerateOptions) -> None:
        if self.controller.running:
            return
        self.cards.flush()  # the run must see the writer's edit on disk, so it keeps it
        if self.plan.errors:
            first = self.plan.errors[0]
            self.banner.show_message(f"Fix the plan first: line {first.line}: {first.message}")
            self.editor.go_to_line(first.line)
            return
        if self.document.path is None:
            self.banner.show_message("Save the plan first: its cards are stored beside it.")
            return
        if self.plan_files.read_only(self.document.path):  # a run would write the bundled cards
            return
        try:
            planned = self.controller.start(self.document.path, self.plan, generate_options(self.settings, options))
        except KeyMissingError as exc:
            self.banner.show_message(
                f"Cannot generate: {exc.message}. Set ANTHROPIC_API_KEY before starting"
                " Cardsmith, or store a key in the system keyring."
            )
            return
        except CardsmithError as exc:
            self.banner.show_message(exc.message)
            return
        sending = [p for p in planned if p.send]
        if not sending:
            self.statusBar().showMessage("Nothing to generate: every card is up to date", 6000)
            return
        self.banner.clear()
        self.panel.set_running(True)
        for p in sending:
            self.states[p.component.key] = "queued"
            self.outline.set_state(p.component.key, "queued")
        self.panel.set_components([(c.name, self.states[c.key]) for c in self.plan.components])

    def cancel_run(self) -> None:
        if self.controller.running:
            self.controller.cancel()
            self.statusBar().showMessage("Cancelling…")

    def _on_card_changed(self, card: CardProgress) -> None:
        key = card.name.casefold()
        self.panel.update_card(card)
        self.states[key] = card.state
        self.outline.set_state(key, card.state)
        if card.state in ("failed", "cancelled", "not run"):
            self.preview.update_card(self._preview_card(key, state=card.state))

    def _on_card_text(self, name: str, text: str) -> None:
        key = name.casefold()
        card = self.controller.progress.cards.get(name)
        state = card.state if card is not None else "streaming"
        if state in ("done", "failed", "cancelled", "not run"):
            return  # the saved card (or the failure) is shown by its own signal
        self.preview.update_card(self._preview_card(key, body=text, state=state))

    def _on_card_saved(self, name: str, card: StoredCard) -> None:
        key = name.casefold()
        if self.snapshot is not None:
            self.snapshot.cards[key] = card
        self.states[key] = "done"
        self.preview.update_card(self._preview_card(key, state="done"))

    def _on_run_finished(self, totals: object) -> None:
        self.panel.set_running(False)
        self.statusBar().showMessage(self.controller.progress.summary())
        self._reload_cards()
        if self._closing:
            self.close()

    # -- files --------------------------------------------------------------------------------

    def open_dialog(self) -> None:
        if not self._may_discard():
            return
        path, _ = QFileDialog.getOpenFileName(self, "Open plan", "", "Plans (*.md);;All files (*)")
        if path:
            self.open_plan(Path(path))

    def save(self) -> bool:
        if self.document.path is None or self.plan_files.read_only(self.document.path):
            return self.save_as()
        return self._save_to(self.document.path)

    def save_as(self) -> bool:
        path, _ = QFileDialog.getSaveFileName(self, "Save plan as", self.document.name, "Plans (*.md)")
        return bool(path) and self._save_to(Path(path))

    def _save_to(self, path: Path) -> bool:
        if self.plan_files.read_only(path):  # the bundled example is never written in place
            return False
        try:
            self.document.save(self.plan_text(), path)
        except CardsmithError as exc:
            self.banner.show_message(exc.message)
            return False
        self.editor.document().setModified(False)
        self._update_title()
        self._reload_cards()
        self.statusBar().showMessage(f"Saved {path}", 4000)
        self.plan_saved.emit(self.document.path)
        return True

    def export_dialog(self) -> ExportDialog | None:
        if self.document.path is None or self.snapshot is None or not self.snapshot.cards:
            self.banner.show_message("Nothing to export yet: generate some cards first.")
            return None
        return open_export_dialog(self, self.plan, self.snapshot, self.document.path)

    # -- window -------------------------------------------------------------------------------

    def _update_title(self, *_args: object) -> None:
        self.setWindowTitle(f"Cardsmith — {self.document.name}[*]")
        self.setWindowModified(self.editor.document().isModified())

    def _confirm(self, title: str, text: str) -> bool:
        answer = QMessageBox.question(self, title, text)
        return answer == QMessageBox.StandardButton.Yes

    def _ask_unsaved(self) -> Answer:
        box = QMessageBox(QMessageBox.Icon.Warning, "Unsaved changes",
                          f"Save the changes to {self.document.name}?", parent=self)
        box.setStandardButtons(QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                               | QMessageBox.StandardButton.Cancel)
        choice = box.exec()
        return {QMessageBox.StandardButton.Save: "save",
                QMessageBox.StandardButton.Discard: "discard"}.get(
            QMessageBox.StandardButton(choice), "cancel")  # type: ignore[return-value]

    def _may_discard(self) -> bool:
        if not self.editor.document().isModified():
            return True
        answer = self.ask_unsaved()
        if answer == "save":
            return self.save()
        return answer == "discard"

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        if not self._closing and not self._may_discard():
            event.ignore()
            return
        if self.controller.running:
            # Closing mid-run cancels the run and waits for it; run_finished closes again.
            self._closing = True
            self.controller.cancel()
            event.ignore()
            return
        self._closing = True
        self.closing.emit()
        event.accept()
