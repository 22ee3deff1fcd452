"""Notice when the plan or its cards change on disk (a ``git pull``, another editor) and follow them.

A QFileSystemWatcher watches the plan file, its folder (atomic renames and a cards folder appearing),
the cards folder and each card file; events are debounced, and every path is added again after them
because a rename drops its watch. Whether the plan really changed is decided by comparing the bytes
on disk with the bytes the session last read or wrote (``PlanDocument``), so the app's own Save and
its own card writes during a run never raise the question.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from PySide6.QtCore import QFileSystemWatcher, QObject, QTimer

from app.core.fsutil import is_tmp_leftover
from app.core.store import cards_folder
from app.errors import CardsmithError
from app.ui.banner import Banner
from app.ui.document import PlanDocument
from app.ui.session import Session

DEBOUNCE_MS = 300
CHANGED_TEXT = "The plan changed on disk"
RELOAD_LABEL = "Reload (lose my edits)"
KEEP_LABEL = "Keep mine"


class PlanWatcher(QObject):
    """Reloads a clean plan silently, asks before replacing unsaved edits, refreshes cards.

    ``reopen()`` reads the plan again keeping the writer's place in it (False when it cannot be
    read); ``discard_recovery()`` drops the recovery copy of edits the writer chose to lose;
    ``status(text, ms)`` shows a line in the status bar.
    """

    def __init__(
        self,
        session: Session,
        *,
        banner: Banner,
        status: Callable[[str, int], None],
        reopen: Callable[[], bool],
        discard_recovery: Callable[[], None],
        debounce_ms: int = DEBOUNCE_MS,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._session = session
        self._banner = banner
        self._status = status
        self._reopen = reopen
        self._discard_recovery = discard_recovery
        self.watcher = QFileSystemWatcher(self)
        self._timer = QTimer(self, singleShot=True, interval=debounce_ms)
        self._timer.timeout.connect(self.check_now)
        self.watcher.fileChanged.connect(self._on_path_changed)
        self.watcher.directoryChanged.connect(self._on_path_changed)
        self._plan: Path | None = None
        self._cards: Path | None = None
        self._plan_event = False
        self._cards_event = False
        self._cards_existed = False
        self._acknowledged: bytes | None = None  # disk bytes the writer chose to ignore ("Keep mine")
        self._announced: bytes | None = None  # disk bytes the banner already asks about
        self._gone_announced = False
        session.opened.connect(self._on_document)
        session.saved.connect(self._on_document)
        session.closed.connect(self.stop)

    # -- what is watched -----------------------------------------------------------------------

    def _on_document(self, _path: object) -> None:
        self.watch(self._session.path)

    def watch(self, plan_path: Path | None) -> None:
        self._plan = Path(plan_path).absolute() if plan_path is not None else None
        self._cards = cards_folder(self._plan) if self._plan is not None else None
        self._cards_existed = bool(self._cards and self._cards.is_dir())
        self._acknowledged = self._announced = None
        self._gone_announced = False
        self._plan_event = self._cards_event = False
        self._rewatch()

    def stop(self) -> None:
        self._timer.stop()
        self._plan = self._cards = None
        self._rewatch()

    def watched(self) -> set[str]:
        return set(self.watcher.files()) | set(self.watcher.directories())

    def _wanted(self) -> set[str]:
        if self._plan is None:
            return set()
        paths = [self._plan, self._plan.parent]
        if self._cards is not None and self._cards.is_dir():
            paths.append(self._cards)
            try:
                paths += [p for p in self._cards.iterdir()
                          if p.suffix.lower() == ".md" and not is_tmp_leftover(p) and p.is_file()]
            except OSError:
                pass
        return {str(p) for p in paths if p.exists()}

    def _rewatch(self) -> None:
        wanted, current = self._wanted(), self.watched()
        gone = sorted(current - wanted)
        new = sorted(wanted - current)
        if gone:
            self.watcher.removePaths(gone)
        if new:
            self.watcher.addPaths(new)

    # -- events --------------------------------------------------------------------------------

    def _on_path_changed(self, changed: str) -> None:
        if self._plan is None:
            return
        path = Path(changed)
        if path in (self._plan, self._plan.parent):
            self._plan_event = True
            exists = bool(self._cards and self._cards.is_dir())
            if exists != self._cards_existed:
                self._cards_existed = exists
                self._cards_event = True
        if self._cards is not None and (path == self._cards or path.parent == self._cards):
            self._cards_event = True
        self._timer.start()

    def check_now(self) -> None:
        """Handle the changes seen so far (the debounce timer calls this; tests may too)."""
        self._timer.stop()
        plan_event, cards_event = self._plan_event, self._cards_event
        self._plan_event = self._cards_event = False
        self._rewatch()
        reloaded = self._check_plan() if plan_event else False
        if cards_event and not reloaded and not self._session.running:
            # During a run the cards that change are the run's own; it reloads them when it ends.
            self._session.reload_cards()

    def _check_plan(self) -> bool:
        """Returns True when the plan was reloaded (which reloads its cards too)."""
        document = self._session.document
        if document.path is None or self._plan is None:
            return False
        try:
            fresh = PlanDocument.open(document.path)
        except CardsmithError:
            if not self._gone_announced and not document.is_new:  # a new plan is not on disk yet
                self._gone_announced = True
                self._status(f"{document.name} was removed or renamed on disk: Save writes it again", 15000)
            return False
        self._gone_announced = False
        if fresh.original == document.original or fresh.original == self._acknowledged:
            return False
        if not self._session.modified or fresh.text == self._session.text():
            return self.reload(note=f"Reloaded {document.name}: it changed on disk")
        if fresh.original != self._announced:
            self._announced = fresh.original
            self._banner.show_message(
                f"{CHANGED_TEXT} ({document.name}) and you have unsaved edits.",
                {RELOAD_LABEL: self._reload_losing_edits, KEEP_LABEL: self._keep_mine},
            )
        return False

    # -- answers -------------------------------------------------------------------------------

    def reload(self, note: str = "") -> bool:
        """Read the plan again, keeping the writer's place in it."""
        if self._session.path is None or not self._reopen():
            return False
        if note:
            self._status(note, 6000)
        return True

    def _reload_losing_edits(self) -> None:
        self._discard_recovery()  # the writer chose the file's version over the unsaved edits
        self.reload(note=f"Reloaded {self._session.name} from disk")

    def _keep_mine(self) -> None:
        self._acknowledged = self._announced
        self._status("Kept your edits: Save replaces the version on disk", 6000)
