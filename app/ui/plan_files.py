"""Ways to open a plan besides File → Open: recent plans, drag and drop, a new plan from the example.

Also keeps the bundled example read-only: it may be opened and read, but Save goes to Save As and a
run (which writes cards beside the plan) is refused until the writer has a copy of their own.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Callable

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtGui import QAction, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QAbstractScrollArea, QFileDialog, QMenu, QWidget

from app.core.fsutil import atomic_write, is_tmp_leftover
from app.core.store import cards_folder
from app.errors import UsageError
from app.paths import example_plan
from app.ui import window_state
from app.ui.session import Session

if TYPE_CHECKING:
    from app.ui.preview import PreviewView

PLAN_SUFFIX = ".md"
READ_ONLY_NOTE = (
    "The bundled example is read-only: save your changes as a new plan"
    " (or use File → New plan from example… to get a copy with its cards)."
)


def is_bundled_example(path: Path | None) -> bool:
    """The example shipped with Cardsmith, or a file in its cards folder."""
    if path is None:
        return False
    try:
        target = Path(path).resolve()
        example = example_plan().resolve()
    except OSError:
        return False
    return target == example or cards_folder(example) in target.parents


def copy_example(folder: Path) -> Path:
    """Copy the bundled example plan and its cards into ``folder``; never replaces a file there.

    Files are copied by content only (no permission bits), so that a copy of a read-only install is
    writable. Raises UsageError, naming the first file in the way, before anything is written.
    """
    source = example_plan()
    source_cards = cards_folder(source)
    folder = Path(folder)
    plan = folder / source.name
    cards = folder / source_cards.name
    files = [p for p in sorted(source_cards.rglob("*")) if p.is_file() and not is_tmp_leftover(p)] \
        if source_cards.is_dir() else []
    targets = [plan] + [cards / p.relative_to(source_cards) for p in files]
    for target in [plan, cards] + targets[1:]:
        if target.exists():
            raise UsageError(
                f"'{target.name}' already exists in '{target.parent}': pick an empty folder"
                " (nothing was copied)")
    try:
        for src, dst in zip([source] + files, targets):
            dst.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(dst, src.read_bytes())
    except OSError as exc:
        raise UsageError(f"cannot copy the example into '{folder}': {exc.strerror or exc}") from exc
    return plan


def dropped_plan(event: QDropEvent | QDragEnterEvent) -> Path | None:
    """The first local ``.md`` file among a drag's URLs."""
    mime = event.mimeData()
    if mime is None or not mime.hasUrls():
        return None
    for url in mime.urls():
        if url.isLocalFile():
            path = Path(url.toLocalFile())
            if path.suffix.lower() == PLAN_SUFFIX:
                return path
    return None


class PlanFiles(QObject):
    """Open Recent, drag and drop of a plan, New plan from example.

    The window puts ``act_new_from_example`` and ``recent_menu`` in its File menu and passes the
    widgets that take drops to ``catch_drops``. ``may_discard()`` asks about unsaved edits (False:
    keep them, open nothing); ``open_plan(path)`` opens a plan; ``problem`` puts one line in the
    banner, ``status(text, ms)`` in the status bar; ``parent`` is the dialogs' parent too.
    """

    def __init__(
        self,
        session: Session,
        *,
        may_discard: Callable[[], bool],
        open_plan: Callable[[Path], bool],
        problem: Callable[[str], None],
        status: Callable[[str, int], None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._session = session
        self._may_discard = may_discard
        self._open_plan = open_plan
        self._problem = problem
        self._status = status
        self._parent = parent
        # Injectable: tests answer it without a modal dialog.
        self.ask_folder: Callable[[], Path | None] = self._ask_folder
        self.recent_menu = QMenu("Open &Recent", parent)
        self.recent_menu.aboutToShow.connect(self.rebuild_recent_menu)
        self.act_new_from_example = QAction("New plan from &example…", self)
        self.act_new_from_example.triggered.connect(lambda _checked=False: self.new_from_example())
        self.rebuild_recent_menu()
        session.opened.connect(self._remember)
        session.saved.connect(self._remember)

    def catch_drops(self, *targets: QObject) -> None:
        """Open a plan dropped on these (the editor and the web view take drops themselves: text,
        navigation; a plan is caught before they see it)."""
        for target in targets:
            target.installEventFilter(self)

    def catch_drops_from_first_frame(self, editor: QAbstractScrollArea, preview: PreviewView) -> None:
        """Also catch plans dropped on the editor's viewport and the preview's page widget, once the
        first frame is shown (no drop comes before it). Both are made by Qt, and the first time
        PySide wraps such an object it resolves its type: ~5-10 ms the first frame need not wait."""

        def catch() -> None:
            proxy = preview.focusProxy()
            self.catch_drops(editor.viewport(), *([proxy] if proxy else []))

        if preview.first_frame_shown:
            catch()
        else:
            preview.first_shown.connect(catch)

    # -- recent plans --------------------------------------------------------------------------

    def _remember(self, _path: object) -> None:
        path = self._session.path
        if path is not None and not self._session.document.is_new and not is_bundled_example(path):
            window_state.add_recent(path, self._session.settings)
            self.rebuild_recent_menu()

    def recent_paths(self) -> list[Path]:
        return window_state.load_recent()

    def rebuild_recent_menu(self) -> None:
        menu = self.recent_menu
        menu.clear()
        paths = self.recent_paths()
        for number, path in enumerate(paths, start=1):
            mnemonic = f"&{number}" if number < 10 else "1&0"
            action = menu.addAction(f"{mnemonic}  {path.name}  —  {path.parent}")
            action.setData(str(path))
            action.setToolTip(str(path))
            action.triggered.connect(lambda _checked=False, p=path: self.open_recent(p))
        if paths:
            menu.addSeparator()
            menu.addAction("Clear the list", self._clear_recent)
        else:
            menu.addAction("No recent plans").setEnabled(False)

    def recent_actions(self) -> list[QAction]:
        return [a for a in self.recent_menu.actions() if a.data()]

    def _clear_recent(self) -> None:
        window_state.clear_recent(self._session.settings)
        self.rebuild_recent_menu()

    def open_recent(self, path: Path) -> bool:
        if not Path(path).is_file():
            self._problem(f"'{path}' no longer exists: removed from the recent plans.")
            window_state.remove_recent(Path(path), self._session.settings)
            self.rebuild_recent_menu()
            return False
        return self.open_asking(Path(path))

    def open_asking(self, path: Path) -> bool:
        """Open ``path`` after the usual question about unsaved edits."""
        if not self._may_discard():
            return False
        return self._open_plan(path)

    # -- drag and drop -------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        kind = event.type()
        if kind in (QEvent.Type.DragEnter, QEvent.Type.DragMove):
            if dropped_plan(event) is not None:  # type: ignore[arg-type]
                event.acceptProposedAction()  # type: ignore[attr-defined]
                return True
        elif kind == QEvent.Type.Drop:
            path = dropped_plan(event)  # type: ignore[arg-type]
            if path is not None:
                event.acceptProposedAction()  # type: ignore[attr-defined]
                # The question about unsaved edits is modal: ask it once the drop has finished.
                QTimer.singleShot(0, self, lambda: self.open_asking(path))
                return True
        return super().eventFilter(watched, event)

    # -- new plan from the example -------------------------------------------------------------

    def _ask_folder(self) -> Path | None:
        folder = QFileDialog.getExistingDirectory(self._parent, "New plan from example: pick a folder")
        return Path(folder) if folder else None

    def new_from_example(self) -> Path | None:
        folder = self.ask_folder()
        if folder is None:
            return None
        try:
            plan = copy_example(folder)
        except UsageError as exc:
            self._problem(exc.message)
            return None
        if not self.open_asking(plan):
            self._status(f"Copied the example to {plan}", 8000)
        return plan

    # -- the bundled example stays read-only ---------------------------------------------------

    def read_only(self, path: Path | None) -> bool:
        """True (with a banner note) when ``path`` is the bundled example, which is never written."""
        if not is_bundled_example(path):
            return False
        self._problem(READ_ONLY_NOTE)
        return True
