"""The main window: plan editor and outline, the generation panel, the 400 px preview.

Layout and wiring only. The plan, its cards and their states belong to the ``Session``
(``app.ui.session``); the window shows what the session says in its views, turns the writer's
commands into session and run-controller calls, and gives the helpers (card actions, autosave,
file watching, the instance lock, plan files) the session and the few callables they need.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QTextCursor
from PySide6.QtWidgets import QFileDialog, QMainWindow, QSplitter, QVBoxLayout, QWidget

from app.core.new_plan import new_plan_text
from app.engine.provider import Provider
from app.engine.provider_config import ProviderConfig
from app.errors import CardsmithError
from app.settings import Settings, load_settings
from app.ui.actions import window_action
from app.ui.banner import Banner
from app.ui.batch_runs import BatchActions
from app.ui.card_actions import CardActions
from app.ui.columns import SnugTabs, columns
from app.ui.drafts import PlanDrafts
from app.ui.editor import IssueList, PlanEditor
from app.ui.file_watch import PlanWatcher
from app.ui.generation_panel import GenerationPanel
from app.ui.highlighter import MarkdownHighlighter
from app.ui.instance_lock import InstanceLock
from app.ui.outline import OutlineView
from app.ui.plan_files import PlanFiles
from app.ui.preload import preload_after_first_frame
from app.ui.preview_cache import PreviewCacheKeeper
from app.ui.preview import PreviewView
from app.ui.providers import default_provider_factory
from app.ui.questions import Answer, ask_unsaved, ask_yes_no
from app.ui.recovery import Autosaver
from app.ui.review_runs import ReviewActions
from app.ui.run_actions import RunActions
from app.ui.run_controller import RunController
from app.ui.session import Session
from app.ui.session_views import SessionViews
from app.ui.window_state import Splitters, remember_window_state, save_window_state

if TYPE_CHECKING:  # dialogs are imported when first opened, not before the first frame
    from app.ui.export_dialog import ExportDialog
    from app.ui.settings_dialog import SettingsDialog


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
        preview: PreviewView | None = None,
        settings: Settings | None = None,
        cached_for: Path | None = None,
    ) -> None:
        """``preview``, ``cached_for``: the launcher makes the preview first, with the render cache
        of that plan (docs/architecture.md#start-up)."""
        super().__init__()
        self._closing = False
        self.ask_unsaved: Callable[[], Answer] = lambda: ask_unsaved(self, self.session.name)
        self.confirm: Callable[[str, str], bool] = lambda title, text: ask_yes_no(self, title, text)

        self.banner = Banner()
        self.editor = PlanEditor()
        self.highlighter = MarkdownHighlighter(self.editor.document())
        self.issue_list = IssueList()
        self.outline = OutlineView()
        self.panel = GenerationPanel()
        self.preview = preview or PreviewView()  # the launcher makes it first (docs/architecture.md#start-up)
        provider_factory = provider_factory or default_provider_factory
        self.controller = RunController(provider_factory, self)
        self.session = Session(self.editor.document(), self.controller, settings or load_settings(), self)
        self.cards = CardActions(  # the Card tab, F8 / Shift+F8, orphan cards
            self.session, reveal=self.reveal_card, preview=self.preview.update_card,
            problem=self.banner.show_message, status=self.show_status, parent=self)
        # Recent plans, drag and drop, a new plan from the example; the bundled example read-only.
        self.plan_files = PlanFiles(
            self.session, may_discard=self.may_discard, open_plan=self.open_plan,
            problem=self.banner.show_message, status=self.show_status, parent=self)
        self.drafts = PlanDrafts(  # File → New plan from a brief…, into a new unsaved buffer
            self.session, window=self, may_discard=self.may_discard, provider_factory=provider_factory,
            status=self.show_status)
        self.runs = RunActions(  # Generate all, Cancel, Retry failed, Regenerate selected
            self.session, self.controller, self.panel, flush_edits=self.cards.flush,
            go_to_line=self.editor.go_to_line, read_only=self.plan_files.read_only,
            confirm=lambda title, text: self.confirm(title, text), banner=self.banner,
            status=self.show_status, provider_factory=provider_factory, parent=self)
        self.reviews = ReviewActions(  # Review all, Fix with notes
            self.session, self.controller, self.runs, provider_factory=provider_factory,
            selected=self.selected_names, banner=self.banner, status=self.show_status, parent=self)
        self.batches = BatchActions(  # Send as batch, Cancel batch, a pending batch resumed on open
            self.session, self.controller, self.runs, self.panel, provider_factory=provider_factory,
            banner=self.banner, status=self.show_status, parent=self)
        self.views = SessionViews(self.session, self.controller, editor=self.editor, issue_list=self.issue_list,
                                  outline=self.outline, panel=self.panel, preview=self.preview, cards=self.cards,
                                  parent=self)
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
        self.preview_cache = PreviewCacheKeeper(self.preview, self.session, cached_for=cached_for, parent=self)
        if plan_path is not None:
            self.open_plan(Path(plan_path))
        else:
            self._update_title()
        # What the first frame does not need is made ready after it, a piece per turn of the loop.
        self.preview.first_shown.connect(lambda: preload_after_first_frame(
            self.preview_cache.check, self.preview_cache.prime, self.cards.build))

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
        self.middle.currentChanged.connect(self._on_tab_changed)
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
        self.plan_files.catch_drops(self, self.preview)
        self.plan_files.catch_drops_from_first_frame(self.editor, self.preview)

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
        self.addActions([*self.runs.actions, *self.cards.actions, *self.reviews.actions, *self.batches.actions,
                         self.drafts.act_new])
        menus = self.menuBar()
        file_menu = menus.addMenu("&File")
        file_menu.addAction(self.plan_files.act_new_from_example)
        file_menu.addAction(self.drafts.act_new)
        file_menu.addAction(self.act_open)
        file_menu.addMenu(self.plan_files.recent_menu)
        for a in (self.act_save, self.act_save_as, self.act_export):
            file_menu.addAction(a)
        file_menu.addSeparator()
        file_menu.addAction(self.act_quit)
        edit_menu = menus.addMenu("&Edit")
        for a in (self.act_undo, self.act_redo, self.act_settings):
            edit_menu.addAction(a)
        run_menu = self.runs.add_menu(menus)
        run_menu.addAction(self.reviews.act_review)
        run_menu.addSeparator()
        run_menu.addActions(list(self.batches.actions))
        card_menu = self.cards.add_menu(menus)
        card_menu.addSeparator()
        card_menu.addAction(self.reviews.act_fix)

    def _connect(self) -> None:
        s = self.session
        s.opened.connect(self._on_opened)
        s.saved.connect(self._update_title)
        s.settings_changed.connect(self._apply_settings)
        self.editor.document().modificationChanged.connect(self._update_title)
        self.issue_list.line_activated.connect(self.editor.go_to_line)
        self.outline.component_selected.connect(self.select_component)
        self.panel.current_changed.connect(lambda name: self.select_component(name.casefold()))
        # Closing mid-run or mid-draft cancels it and waits for it; its end closes the window again.
        self.controller.run_finished.connect(lambda _totals: self._closing and self.close())
        self.drafts.finished.connect(lambda _result: self._closing and self.close())

    def _apply_settings(self, settings: Settings) -> None:
        """Theme and column take effect now (the run panel follows the concurrency); the rest is
        read by the next run."""
        self.preview.set_theme(settings.theme)
        self.preview.setFixedWidth(settings.column_px)

    def _on_tab_changed(self, _index: int) -> None:
        """The Card tab is built when first shown; leaving it writes a pending edit."""
        if self.middle.currentWidget() is self.cards.page:
            self.cards.build()
        else:
            self.cards.flush()

    # -- selection ----------------------------------------------------------------------------

    def select_component(self, key: str) -> None:
        component = self.session.component(key)
        if component is None:
            return
        self.editor.go_to_line(component.line)
        self.preview.scroll_to(key)
        self.cards.show(key)

    def selected_names(self) -> list[str]:
        """The cards the writer chose: the panel's selected rows, else the card the Card tab shows."""
        component = self.session.component(self.cards.key or "")
        return self.panel.selected_names() or ([component.name] if component is not None else [])

    def reveal_card(self, key: str) -> None:
        """Select a component everywhere (plan, outline, panel, preview) and show the Card tab."""
        self.select_component(key)
        self.outline.select(key)
        component = self.session.component(key)
        if component is not None:
            self.panel.scroll_to(component.name)
        self.middle.setCurrentWidget(self.cards.page)

    # -- running (RunActions does the work) ----------------------------------------------------

    def generate_all(self) -> None:
        self.runs.generate_all()

    def retry_failed(self) -> None:
        self.runs.retry_failed()

    def regenerate(self, names: list[str]) -> None:
        self.runs.regenerate(names)

    # -- files --------------------------------------------------------------------------------

    def open_plan(self, path: Path) -> bool:
        self.views.forget_lines()
        try:
            self.session.open(path)
        except CardsmithError as exc:
            self.views.show_plan()
            self.banner.show_message(exc.message)
            return False
        return True

    def new_plan(self, path: Path) -> None:
        """Start a new plan from the template; Save writes it to ``path`` (launch checks the path)."""
        self.session.start_new(path, new_plan_text(path))

    def _on_opened(self, path: Path | None) -> None:
        self.editor.moveCursor(QTextCursor.MoveOperation.Start)
        self._update_title()
        if self.session.document.is_new:
            self.show_status(f"New plan: Save (Ctrl+S) writes {path}", 8000)
        elif path is not None:  # None: a new untitled plan (a draft), which says so itself
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
        from app.ui.export_dialog import open_export_dialog

        return open_export_dialog(self, self.session.plan, snapshot, path)

    def open_settings(self) -> SettingsDialog:
        from app.ui.settings_dialog import open_settings_dialog

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
        if self.controller.running or self.drafts.running:
            # Closing mid-run or mid-draft cancels it and waits: its end closes the window again.
            self._closing = True
            self.controller.cancel()
            self.drafts.cancel()
            event.ignore()
            return
        self._closing = True
        self.cards.flush()  # the Card tab's pending edit is written, whether or not it has focus
        self.session.close()
        event.accept()
