"""The window's run commands: Generate all, Cancel, Retry failed, Regenerate selected.

``RunActions`` checks what a run needs before it starts (a plan without errors, saved beside its
cards, not the bundled example, a key), starts it on the ``RunController`` and keeps the generation
panel in step with it; the session follows the run's cards by itself (``Session.state``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QMenuBar

from app.core.states import CardState, should_send
from app.engine.send_plan import GenerateOptions, PlannedCard
from app.engine.provider_config import DEFAULT_KIND, ProviderKind
from app.apikey import ENV_VAR as ANTHROPIC_KEY_VAR
from app.errors import CardsmithError, KeyMissingError
from app.ui.actions import window_action
from app.ui.banner import Banner
from app.ui.generate_gate import GenerateGate
from app.ui.generation_panel import GenerationPanel
from app.ui.reviewers import ProviderFactory, reviews_after_run
from app.ui.run_controller import RunController, warm_up
from app.ui.session import Session


T = TypeVar("T")


class RunActions(QObject):
    """Generate all (Ctrl+Return, Ctrl+Enter, F5), Cancel (Esc), Retry failed, Regenerate selected.

    ``provider_factory(config)`` makes a run's providers; ``flush_edits()`` writes the Card tab's pending edit (a run must see it on disk, so that it
    keeps it); ``go_to_line(n)`` shows a plan error; ``read_only(path)`` refuses the bundled
    example (with its own note); ``confirm(title, text)`` asks before edited cards are replaced;
    one line goes to the ``banner`` (cleared when a run starts), ``status(text, ms)`` in the status bar.
    """

    def __init__(
        self,
        session: Session,
        controller: RunController,
        panel: GenerationPanel,
        *,
        flush_edits: Callable[[], None],
        go_to_line: Callable[[int], None],
        read_only: Callable[[Path], bool],
        confirm: Callable[[str, str], bool],
        banner: Banner,
        status: Callable[[str, int], None],
        provider_factory: ProviderFactory,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._session, self._controller, self._panel = session, controller, panel
        self._provider_factory = provider_factory
        self._flush_edits, self._go_to_line, self._read_only = flush_edits, go_to_line, read_only
        self._confirm, self._banner, self._status = confirm, banner, status
        self.act_generate = window_action(
            self, "&Generate all", self.generate_all, "Ctrl+Return", "Ctrl+Enter", "F5"
        )
        self.act_cancel = window_action(self, "&Cancel run", self.cancel, "Esc")
        self.act_retry = window_action(self, "&Retry failed", self.retry_failed)
        self.act_regenerate = window_action(
            self, "Re&generate selected", lambda: self.regenerate(panel.selected_names())
        )
        self.menu_actions: tuple[QAction, ...] = (
            self.act_generate, self.act_cancel, self.act_retry, self.act_regenerate)
        # Generate all is off while it cannot start; its keys then say why (the gate's own action).
        self.gate = GenerateGate(session, controller, self.act_generate, panel, status=status, parent=self)
        self.actions: tuple[QAction, ...] = (*self.menu_actions, self.gate.blocked_keys)
        """For the window to hold, so that their keys work in all of it."""

        panel.generate_all_requested.connect(self.generate_all)
        panel.cancel_requested.connect(self.cancel)
        panel.retry_failed_requested.connect(self.retry_failed)
        panel.regenerate_requested.connect(self.regenerate)
        # The SDK costs ~1.6 s and ~90 MB: a writer who only edits never pays for it. It loads in
        # a thread on a hint of a run (the pointer on a run button, the Run menu), or else when
        # the run starts (the provider imports it off the event loop).
        panel.run_intended.connect(self.warm_up)
        controller.card_changed.connect(panel.update_card)  # a run's rows show its progress
        controller.overall_changed.connect(panel.update_overall)
        controller.run_started.connect(self._on_started)
        controller.run_finished.connect(self._on_finished)
        controller.run_stopped.connect(lambda reason: banner.show_message(f"Run stopped: {reason}"))
        # The spin box shows the concurrency a run would use, and follows it when that moves (a
        # plan that names a local server: one at a time); the writer's own value stays till then.
        self._default_concurrency: int | None = None
        session.plan_changed.connect(self._follow_concurrency)
        session.settings_changed.connect(self._follow_concurrency)
        self._follow_concurrency()

    def add_menu(self, menus: QMenuBar) -> QMenu:
        menu = menus.addMenu("&Run")
        menu.setToolTipsVisible(True)  # a disabled Generate all says why
        menu.aboutToShow.connect(self.warm_up)
        for action in self.menu_actions:
            menu.addAction(action)
        return menu

    def warm_up(self) -> None:
        warm_up(self._session.plan.settings.language, self._provider_kind())

    def _provider_kind(self) -> ProviderKind:
        try:
            return self._session.provider_config().kind
        except CardsmithError:  # the run will say why
            return DEFAULT_KIND

    def _follow_concurrency(self, *_args: object) -> None:
        default = self._session.default_concurrency()
        if default != self._default_concurrency:
            self._default_concurrency = default
            self._panel.concurrency_spin.setValue(default)

    # -- the commands -----------------------------------------------------------------------------

    def generate_all(self) -> None:
        self.start(GenerateOptions(concurrency=self._panel.concurrency_spin.value()))

    def retry_failed(self) -> None:
        progress = self._controller.progress.cards.values()
        failed = tuple(c.name for c in progress if CardState(c.state) is CardState.FAILED)
        if not failed:
            self._status("No failed cards to retry", 4000)
            return
        self.start(GenerateOptions(only=failed, concurrency=self._panel.concurrency_spin.value()))

    def regenerate(self, names: list[str]) -> None:
        """Send these cards again: edited ones after a yes, locked ones never."""
        self._flush_edits()  # an edit still being typed counts as an edit below
        if not names:
            self._status("Select the cards to regenerate first", 4000)
            return
        states = {name: self._session.state(name.casefold()) for name in names}
        edited = [name for name in names if states[name] is CardState.EDITED]
        if edited and not self._confirm(
            "Overwrite edited cards?",
            f"{', '.join(edited)} {'has' if len(edited) == 1 else 'have'} been edited by hand."
            " Regenerating replaces the edits.",
        ):
            return
        kept = [name for name in names if not should_send(states[name], force=True)]
        if kept:
            self._status(f"Locked cards are kept: {', '.join(kept)}", 6000)
        only = tuple(name for name in names if name not in kept)
        if only:
            self.start(GenerateOptions(only=only, force=True, concurrency=self._panel.concurrency_spin.value()))

    def cancel(self) -> None:
        if self._controller.running:
            self._controller.cancel()
            self._status("Cancelling…", 0)

    def start(self, options: GenerateOptions) -> None:
        """Start a run with ``options`` (the settings fill in the rest), or say in one line why not."""
        path = self.ready()
        if path is None:
            return
        session = self._session

        def start() -> list[PlannedCard]:
            return self._controller.start(path, session.plan, session.generate_options(options),
                                          session.provider_config(),
                                          reviews=reviews_after_run(session, self._provider_factory))

        planned = self.guarded("generate", start)
        if planned is not None and not any(p.send for p in planned):
            self._status("Nothing to generate: every card is up to date", 6000)

    def ready(self) -> Path | None:
        """The plan's file when a run may start now (the Card tab's edit written first); None, with
        the reason in one line, when no run is idle, the plan has errors or it is not saved."""
        if self._controller.running:
            return None
        self._flush_edits()
        plan, path = self._session.plan, self._session.path
        if plan.errors:
            first = plan.errors[0]
            self._banner.show_message(f"Fix the plan first: line {first.line}: {first.message}")
            self._go_to_line(first.line)
            return None
        if path is None or self._session.document.is_new:
            self._banner.show_message("Save the plan first: its cards are stored beside it.")
            return None
        if self._read_only(path):  # a run would write the bundled cards
            return None
        return path

    def guarded(self, verb: str, start: Callable[[], T]) -> T | None:
        """``start()``, or None with one banner line when it raises a user's mistake (no key, a bad
        provider setting, an unknown name)."""
        try:
            return start()
        except KeyMissingError as exc:
            where = (" Set ANTHROPIC_API_KEY before starting Cardsmith, or store a key in the system"
                     " keyring." if ANTHROPIC_KEY_VAR in exc.message else "")
            self._banner.show_message(f"Cannot {verb}: {exc.message}.{where}")
        except CardsmithError as exc:
            self._banner.show_message(exc.message)
        return None

    def _on_started(self, _names: list[str]) -> None:
        self._banner.clear()
        self._panel.set_running(True)
        self._panel.set_components([(c.name, self._session.state(c.key)) for c in self._session.plan.components])

    def _on_finished(self, _totals: object) -> None:
        self._panel.set_running(False)
        self._status(self._controller.progress.summary(), 0)
