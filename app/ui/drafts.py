"""File → "New plan from a brief…": the draft dialog (``app.ui.draft_dialog``), and the new unsaved
plan its draft streams into (docs/architecture.md#a-draft-end-to-end).

The dialog writes no file and is not modal: the editor behind it shows the plan growing. Nothing
replaces the writer's unsaved edits without asking first; the draft's plan stays unsaved, and
untitled, until the writer saves it where they like.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QWidget

from app.engine.provider import Provider
from app.engine.provider_config import ProviderConfig
from app.engine.roles import ROLE_DEFAULTS, Role
from app.errors import CardsmithError
from app.ui.actions import window_action
from app.ui.providers import provider_config, settings_choice
from app.ui.session import Session

# The drafting dialog and engine load on first use, not before the window's first frame.
if TYPE_CHECKING:
    from app.engine.draft import DraftResult
    from app.ui.draft_dialog import DraftDialog


class PlanDrafts(QObject):
    """Opens the draft dialog and puts its draft in a new untitled buffer of the session.

    ``may_discard()`` settles unsaved edits (save, discard, or keep them and draft nothing);
    ``provider_factory(config)`` makes the drafting provider; ``status(text, ms)`` says how it went.

    Signals:
        finished(DraftResult): a draft ended (done, cancelled, failed or rejected), after the
            buffer holds what arrived.
    """

    finished = Signal(object)

    def __init__(self, session: Session, *, window: QWidget, may_discard: Callable[[], bool],
                 provider_factory: Callable[[ProviderConfig], Provider],
                 status: Callable[[str, int], None]) -> None:
        super().__init__(window)
        self._session, self._window = session, window
        self._may_discard, self._provider_factory, self._status = may_discard, provider_factory, status
        self.dialog: DraftDialog | None = None
        self._drafting = False
        """Between the dialog's draft_started and draft_finished."""
        self._filling = False
        """The buffer is this draft's: its text follows the dialog's."""
        self.act_new = window_action(window, "New plan from a &brief…", self.open_dialog, "Ctrl+Shift+B")

    @property
    def running(self) -> bool:
        """A draft is under way (False from its ``finished`` on, though its task is ending)."""
        return self._drafting

    def open_dialog(self) -> DraftDialog | None:
        """Show the dialog (the open one, if any); None when the writer kept unsaved edits."""
        dialog = self._live_dialog()
        if dialog is None:
            if not self._may_discard():
                return None
            from app.ui.draft_dialog import DraftDialog

            dialog = self.dialog = DraftDialog(
                self._window, default_model=self._default_model(), provider_factory=self._provider_factory,
                choice=settings_choice(self._session.settings))
            dialog.draft_started.connect(self._on_started)
            dialog.draft_text.connect(self._on_text)
            dialog.draft_finished.connect(self._on_finished)
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()
        return dialog

    def cancel(self) -> None:
        """Stop a draft; what arrived stays in the buffer."""
        dialog = self._live_dialog()
        if dialog is not None and self._drafting:
            dialog.cancel()

    def _live_dialog(self) -> DraftDialog | None:
        return self.dialog if self.dialog is not None and shiboken6.isValid(self.dialog) else None

    def _default_model(self) -> str:
        """The Settings' drafting model, else the drafting role's (for the Settings' provider: a
        new plan owes nothing to the one open now)."""
        try:
            return provider_config(None, self._session.settings, Role.DRAFT).model
        except CardsmithError:  # a bad CARDSMITH_PROVIDER: the dialog says so when it sends
            return ROLE_DEFAULTS[Role.DRAFT].model

    def _on_started(self) -> None:
        self._drafting = True
        # The writer may have typed in the plan since the dialog opened, or an earlier draft waits
        # unsaved: ask before replacing it. Keeping it stops the draft as soon as it is under way.
        if self._session.modified and not self._may_discard():
            QTimer.singleShot(0, self.cancel)
            self._status("Draft stopped: the plan's unsaved edits are kept", 6000)
            return
        self._filling = True
        self._session.start_untitled()
        self._status("Drafting a new plan from the brief…", 0)

    def _on_text(self, text: str) -> None:
        if self._filling:
            self._session.stream_text(text)

    def _on_finished(self, result: DraftResult) -> None:
        filled, self._filling, self._drafting = self._filling, False, False
        if filled and result.usable:
            count = len(result.draft.components) if result.draft is not None else 0
            self._status(f"Drafted {count} components: read it, then Save (Ctrl+S) to keep it", 0)
        elif filled:
            self._status("The draft did not finish: what arrived is in the editor, unsaved", 8000)
        self.finished.emit(result)
