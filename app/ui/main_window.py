"""The main window: plan editor and outline, the generation panel, the 400 px preview.

Layout and wiring only. The plan, its cards and their states belong to the ``Session``
(``app.ui.session``); the window shows what the session says in its views, turns the writer's
commands into session and run-controller calls, and gives the helpers (card actions, autosave,
file watching, the instance lock, plan files) the session and the few callables they need.
"""

from __future__ import annotations

import bisect
from pathlib import Path
from typing import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QTextCursor
from PySide6.QtWidgets import QFileDialog, QMainWindow, QSplitter, QVBoxLayout, QWidget

from app.core.new_plan import new_plan_text
from app.core.states import CardState
from app.engine.provider import Provider
from app.engine.provider_config import ProviderConfig
from app.errors import CardsmithError
from app.settings import Settings, load_settings
from app.ui.actions import window_action
from app.ui.banner import Banner
from app.ui.card_actions import CardActions
from app.ui.columns import SnugTabs, columns
from app.ui.editor import IssueList, PlanEditor
from app.ui.export_dialog import ExportDialog, open_export_dialog
from app.ui.file_watch import PlanWatcher
from app.ui.generation_panel import GenerationPanel
from app.ui.highlighter import MarkdownHighlighter
from app.ui.instance_lock import InstanceLock
from app.ui.outline import OutlineRow, OutlineView
from app.ui.plan_files import PlanFiles
from app.ui.preview import PreviewView
from app.ui.providers import default_provider_factory
from app.ui.questions import Answer, ask_unsaved, ask_yes_no
from app.ui.recovery import Autosaver
from app.ui.run_actions import RunActions
from app.ui.run_controller import RunController
from app.ui.session import Session
from app.ui.settings_dialog import SettingsDialog, open_settings_dialog
from app.ui.window_state import Splitters, remember_window_state, save_window_state


class MainWindow(QMainWindow):
    """The writer's window on one session.

    Narrow callables tests (and embedders) replace: ``ask_unsaved()`` -> "save" / "discard" /
    "cancel"; ``confirm(title, text)`` -> bool.
    """

    def __init__(
        self,
        plan_path: Path | None = None,
        *,
        provider_factory: Callable[[ProviderConfig], Provider] | None = None,
    ) -> None:
        super().__init__()
        self._line_starts: list[int] = []
        self._closing = False
        self.ask_unsaved: Callable[[], Answer] = lambda: ask_unsaved(self, self.session.name)
        self.confirm: Callable[[str, str], bool] = lambda title, text: ask_yes_no(self, title, text)

        self.banner = Banner()
        self.editor = PlanEditor()
        self.highlighter = MarkdownHighlighter(self.editor.document())
        self.issue_list = IssueList()
        self.outline = OutlineView()
        self.panel = GenerationPanel()
        self.preview = PreviewView()
        self.controller = RunController(provider_factory or default_provider_factory, self)
        self.session = Session(self.editor.document(), self.controller, load_settings(), self)
        self.cards = CardActions(  # the Card tab, F8 / Shift+F8, orphan cards
            self.session, reveal=self.reveal_card, preview=self.preview.update_card,
            problem=self.banner.show_message, status=self.show_status, parent=self)
        # Recent plans, drag and drop, a new plan from the example; the bundled example read-only.
        self.plan_files = PlanFiles(
            self.session, may_discard=self.may_discard, open_plan=self.open_plan,
            problem=self.banner.show_message, status=self.show_status, parent=self)
        self.runs = RunActions(  # Generate all, Cancel, Retry failed, Regenerate selected
            self.session, self.controller, self.panel, flush_edits=self.cards.flush,
            go_to_line=self.editor.go_to_line, read_only=self.plan_files.read_only,
            confirm=lambda title, text: self.confirm(title, text), banner=self.banner,
            status=self.show_status, parent=self)
        self._build_layout()
        self._build_actions()
        self._connect()
        self._apply_settings(self.session.settings)
        self.resize(1400, 860)
        # The writer's work is safe: autosave/recovery, files changed on disk, a second window
        # (each hears the session open, save and close a plan).
        self.recovery = Autosaver(self.session, banner=self.banner, status=self.show_status, parent=self)
        self.file_watch = PlanWatcher(
            self.session, banner=self.banner, status=self.show_status, reopen=self.reopen_plan,
            discard_recovery=self.recovery.discard, parent=self)
        self.instance_lock = InstanceLock(self.session, banner=self.banner, status=self.show_status,
                                          parent=self)
        if plan_path is not None:
            self.open_plan(Path(plan_path))
        else:
            self._update_title()

    # -- construction -------------------------------------------------------------------------

    def _build_layout(self) -> None:
        self.left_splitter = QSplitter(Qt.Orientation.Vertical)
        for widget in (self.outline, self.editor, self.issue_list):
            self.left_splitter.addWidget(widget)
        self.left_splitter.setSizes([200, 520, 110])
        self.left_splitter.setChildrenCollapsible(False)

        self.middle = SnugTabs()
        self.middle.addTab(self.panel, "Run")
        self.middle.addTab(self.cards.page, "Card")
        self.splitter = columns(self.left_splitter, self.middle, self.preview)  # the plan gets the room

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.banner)
        layout.addWidget(self.splitter, 1)
        self.setCentralWidget(central)
        self.statusBar().showMessage("Ready")
        # Plans dropped on the window, the editor or the preview open (not pasted, not navigated to).
        self.setAcceptDrops(True)
        proxy = self.preview.focusProxy()
        self.plan_files.catch_drops(self, self.editor.viewport(), self.preview, *([proxy] if proxy else []))

    def _action(self, text: str, slot: Callable[[], object], *keys: QKeySequence | str) -> QAction:
        action = window_action(self, text, slot, *keys)
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
        self.act_settings = self._action("Se&ttings…", self.open_settings, std.Preferences)
        self.addActions([*self.runs.actions, *self.cards.actions])
        menus = self.menuBar()
        file_menu = menus.addMenu("&File")
        file_menu.addAction(self.plan_files.act_new_from_example)
        file_menu.addAction(self.act_open)
        file_menu.addMenu(self.plan_files.recent_menu)
        for a in (self.act_save, self.act_save_as, self.act_export):
            file_menu.addAction(a)
        file_menu.addSeparator()
        file_menu.addAction(self.act_quit)
        edit_menu = menus.addMenu("&Edit")
        for a in (self.act_undo, self.act_redo, self.act_settings):
            edit_menu.addAction(a)
        self.runs.add_menu(menus)
        self.cards.add_menu(menus)

    def _connect(self) -> None:
        s = self.session
        s.plan_changed.connect(self._show_plan)
        s.cards_changed.connect(self._show_cards)
        s.card_changed.connect(self._show_card)
        s.opened.connect(self._on_opened)
        s.saved.connect(self._update_title)
        s.settings_changed.connect(self._apply_settings)
        self.editor.document().modificationChanged.connect(self._update_title)
        self.editor.cursorPositionChanged.connect(self._follow_cursor)
        self.issue_list.line_activated.connect(self.editor.go_to_line)
        self.outline.component_selected.connect(self.select_component)
        self.panel.current_changed.connect(lambda name: self.select_component(name.casefold()))
        self.controller.card_text.connect(self._on_card_text)
        # Closing mid-run cancels the run and waits for it; its end closes the window again.
        self.controller.run_finished.connect(lambda _totals: self._closing and self.close())

    # -- what the session says ----------------------------------------------------------------

    def _show_plan(self) -> None:
        plan = self.session.plan
        self.editor.set_issues(plan.issues)
        self.issue_list.set_issues(plan.issues)
        self._line_starts = [c.line for c in plan.components]

    def _show_cards(self) -> None:
        components, states = self.session.plan.components, self.session.states
        self.outline.set_components([OutlineRow(c.key, c.name, c.line, states[c.key]) for c in components])
        if not self.controller.running:
            self._refresh_panel(states)
        self.preview.set_cards([self.session.preview_card(c.key) for c in components])
        self.cards.refresh()  # after the preview: a pending edit is shown over the stored card

    def _refresh_panel(self, states: dict[str, CardState]) -> None:
        """Idle rows show the card's state; a card the last run finished keeps its run details
        (tokens, time, failure reason) for as long as that is still what it is."""
        components = self.session.plan.components
        if self.panel.names() != [c.name for c in components]:
            self.panel.set_components([(c.name, states[c.key]) for c in components])
            return
        for component in components:
            state = states[component.key]
            last_run = self.controller.progress.cards.get(component.name)
            if last_run is not None and last_run.state == state:
                self.panel.update_card(last_run)
            elif self.panel.state_of(component.name) != state:
                self.panel.set_state(component.name, state)

    def _show_card(self, key: str) -> None:
        state = self.session.state(key)
        self.outline.set_state(key, state)
        component = self.session.component(key)
        if component is not None and not self.controller.running:
            self.panel.set_state(component.name, state)
        if not state.busy:  # a busy card's live text comes with card_text
            self.preview.update_card(self.session.preview_card(key))
        self.cards.follow(key)

    def _on_card_text(self, name: str, text: str) -> None:
        key = name.casefold()
        if self.session.state(key).busy:  # else the saved card (or the failure) is shown already
            self.preview.update_card(self.session.preview_card(key, body=text))

    def _apply_settings(self, settings: Settings) -> None:
        """Theme and column take effect now (the run panel follows the concurrency); the rest is
        read by the next run."""
        self.preview.set_theme(settings.theme)
        self.preview.setFixedWidth(settings.column_px)

    # -- selection ----------------------------------------------------------------------------

    def select_component(self, key: str) -> None:
        component = self.session.component(key)
        if component is None:
            return
        self.editor.go_to_line(component.line)
        self.preview.scroll_to(key)
        self.cards.show(key)

    def reveal_card(self, key: str) -> None:
        """Select a component everywhere (plan, outline, panel, preview) and show the Card tab."""
        self.select_component(key)
        self.outline.select(key)
        component = self.session.component(key)
        if component is not None:
            self.panel.scroll_to(component.name)
        self.middle.setCurrentWidget(self.cards.page)

    def _follow_cursor(self) -> None:
        if not self._line_starts:
            return
        index = bisect.bisect_right(self._line_starts, self.editor.current_line()) - 1
        components = self.session.plan.components
        if 0 <= index < len(components):
            self.outline.select(components[index].key)
            self.cards.show(components[index].key)

    # -- running (RunActions does the work) ----------------------------------------------------

    def generate_all(self) -> None:
        self.runs.generate_all()

    def retry_failed(self) -> None:
        self.runs.retry_failed()

    def regenerate(self, names: list[str]) -> None:
        self.runs.regenerate(names)

    # -- files --------------------------------------------------------------------------------

    def open_plan(self, path: Path) -> bool:
        self._line_starts = []  # the cursor jumps while the text is replaced: that is no selection
        try:
            self.session.open(path)
        except CardsmithError as exc:
            self._show_plan()
            self.banner.show_message(exc.message)
            return False
        return True

    def new_plan(self, path: Path) -> None:
        """Start a new plan from the template; Save writes it to ``path`` (launch checks the path)."""
        self.session.start_new(path, new_plan_text(path))

    def _on_opened(self, path: Path) -> None:
        self.editor.moveCursor(QTextCursor.MoveOperation.Start)
        self._update_title()
        if self.session.document.is_new:
            self.show_status(f"New plan: Save (Ctrl+S) writes {path}", 8000)
        else:
            self.show_status(f"Opened {path}", 4000)

    def reopen_plan(self) -> bool:
        """Read the plan again from disk, keeping the cursor and scroll position where they were."""
        path = self.session.path
        position = self.editor.textCursor().position()
        scroll = self.editor.verticalScrollBar().value()
        if path is None or not self.open_plan(path):
            return False
        cursor = self.editor.textCursor()
        cursor.setPosition(min(position, len(self.session.text())))
        self.editor.setTextCursor(cursor)
        self.editor.verticalScrollBar().setValue(scroll)
        return True

    def plan_text(self) -> str:
        return self.session.text()

    def open_dialog(self) -> None:
        if not self.may_discard():
            return
        path, _ = QFileDialog.getOpenFileName(self, "Open plan", "", "Plans (*.md);;All files (*)")
        if path:
            self.open_plan(Path(path))

    def save(self) -> bool:
        path = self.session.path
        if path is None or self.plan_files.read_only(path):
            return self.save_as()
        return self.save_to(path)

    def save_as(self) -> bool:
        path, _ = QFileDialog.getSaveFileName(self, "Save plan as", self.session.name, "Plans (*.md)")
        return bool(path) and self.save_to(Path(path))

    def save_to(self, path: Path) -> bool:
        """Save the plan as ``path`` (refused for the bundled example; a failure is one banner line)."""
        if self.plan_files.read_only(path):  # the bundled example is never written in place
            return False
        try:
            self.session.save(path)
        except CardsmithError as exc:
            self.banner.show_message(exc.message)
            return False
        self.show_status(f"Saved {path}", 4000)
        return True

    def export_dialog(self) -> ExportDialog | None:
        snapshot, path = self.session.snapshot, self.session.path
        if path is None or snapshot is None or not snapshot.cards:
            self.banner.show_message("Nothing to export yet: generate some cards first.")
            return None
        return open_export_dialog(self, self.session.plan, snapshot, path)

    def open_settings(self) -> SettingsDialog:
        dialog = open_settings_dialog(self.session.settings, self)
        dialog.settings_saved.connect(self.session.apply_settings)
        return dialog

    # -- window -------------------------------------------------------------------------------

    def show_status(self, text: str, ms: int = 0) -> None:
        self.statusBar().showMessage(text, ms)

    def _update_title(self, *_args: object) -> None:
        self.setWindowTitle(f"Cardsmith — {self.session.name}[*]")
        self.setWindowModified(self.session.modified)

    def splitters(self) -> Splitters:
        return {"main_splitter": self.splitter, "left_splitter": self.left_splitter}

    def remember_state(self) -> bool:
        """Restore the geometry and splitters of the last start; save them when the window closes."""
        return remember_window_state(self, self.splitters(), self.session.closed)

    def keep_work(self) -> None:
        """Before leaving at once (a logout, ``kill``): unsaved edits stay in the recovery copy, the
        plan's lock is released, the window state is kept and a run is cancelled; nothing is asked."""
        self.recovery.flush()
        self.instance_lock.release()
        save_window_state(self, self.splitters())
        self.controller.cancel()

    def may_discard(self) -> bool:
        """True when the text may be replaced: no unsaved edits, or the writer saved or dropped them."""
        if not self.session.modified:
            return True
        answer = self.ask_unsaved()
        if answer == "save":
            return self.save()
        return answer == "discard"

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        if not self._closing and not self.may_discard():
            event.ignore()
            return
        if self.controller.running:
            # Closing mid-run cancels the run and waits for it; run_finished closes again.
            self._closing = True
            self.controller.cancel()
            event.ignore()
            return
        self._closing = True
        self.session.close()
        event.accept()
