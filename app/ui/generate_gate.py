"""Whether Generate all can start now, and why not: the panel's button, the Run menu and the keys agree.

Generate is disabled, with a tooltip saying why, while the plan has no components or has errors and
while a run is on. Its keys (Ctrl+Return, Ctrl+Enter, F5) then do nothing but say why in the status
bar: a disabled action's keys do not fire, so a second action holding the same keys is enabled
exactly while Generate is not (never both, or Qt would find the keys ambiguous and fire neither).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction

from app.core.plan import Plan
from app.ui.actions import window_action
from app.ui.generation_panel import GENERATE_TIP, GenerationPanel
from app.ui.run_controller import RunController
from app.ui.session import Session

RUNNING = "A run is in progress: Esc cancels it"
NO_COMPONENTS = "Nothing to generate: the plan has no components yet (a “## Name” heading starts one)"


def why_not_generate(plan: Plan, *, running: bool) -> str | None:
    """One line saying why Generate all cannot start, or None when it can."""
    if running:
        return RUNNING
    if not plan.components:
        return NO_COMPONENTS
    if plan.errors:
        first = plan.errors[0]
        return f"Fix the plan first: line {first.line}: {first.message}"
    return None


class GenerateGate(QObject):
    """Keeps ``action`` (Generate all, with its keys) and the panel's button enabled only when a run
    can start; ``blocked_keys`` is the action the window holds for the keys meanwhile, which puts
    the reason in the status bar through ``status(text, ms)``."""

    def __init__(self, session: Session, controller: RunController, action: QAction,
                 panel: GenerationPanel, *, status: Callable[[str, int], None],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._session, self._action, self._panel, self._status = session, action, panel, status
        self.reason: str | None = None
        """Why Generate all cannot start now (None: it can)."""
        self.blocked_keys = window_action(self, "Why Generate all cannot start", self.explain,
                                          *action.shortcuts())
        session.plan_changed.connect(self.update)
        controller.run_started.connect(lambda _names: self.update())
        controller.run_finished.connect(lambda _totals: self.update())
        self.update()

    def update(self) -> None:
        self.reason = why_not_generate(self._session.plan, running=self._session.running)
        tip = self.reason or GENERATE_TIP
        self._action.setEnabled(self.reason is None)
        self._action.setToolTip(tip)
        self._action.setStatusTip(tip)
        self.blocked_keys.setEnabled(self.reason is not None)
        self._panel.set_generate_blocked(self.reason)

    def explain(self) -> None:
        if self.reason is not None:
            self._status(self.reason, 6000)
