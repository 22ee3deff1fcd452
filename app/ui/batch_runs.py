"""The window's Message Batches (docs/architecture.md#message-batches): Run → "Send as batch (half
price)", the batch rows in the run panel, resuming a plan's pending batch when it opens, and
"Cancel batch".

A batch run is a ``BatchGeneration`` on the one ``RunController``, like a live run: its cards read
"in batch" until their results are stored. Closing the window (or Cancel) only stops watching: the
batch goes on, and opening the plan again resumes it. Only "Cancel batch" cancels it at the API.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QAction

from app.core.plan import Plan
from app.engine.batch_state import load_state
from app.engine.provider import ProviderError
from app.engine.provider_config import ProviderKind
from app.errors import CardsmithError, UsageError
from app.ui.actions import window_action
from app.ui.banner import Banner
from app.ui.generation_panel import GenerationPanel
from app.ui.qtapp import event_loop
from app.ui.reviewers import ProviderFactory
from app.ui.run_actions import RunActions
from app.ui.run_controller import RunController
from app.ui.session import Session

# The batch machinery loads on first use, not before the window's first frame.
if TYPE_CHECKING:
    import asyncio

    from app.engine.batch import BatchGeneration
    from app.engine.batch_client import BatchClient

log = logging.getLogger(__name__)

ROWS_INTERVAL_MS = 1000
"""The batch rows are redrawn this often: their elapsed time moves between polls."""


class BatchActions(QObject):
    """Send as batch, Cancel batch, the batch rows, and the resume of a pending batch on open."""

    def __init__(self, session: Session, controller: RunController, runs: RunActions, panel: GenerationPanel, *,
                 provider_factory: ProviderFactory, banner: Banner, status: Callable[[str, int], None],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._session, self._controller, self._runs, self._panel = session, controller, runs, panel
        self._provider_factory, self._banner, self._status = provider_factory, banner, status
        self._generation: BatchGeneration | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.act_send = window_action(self, "Send as &batch (half price)", self.send)
        self.act_send.setToolTip("Send the cards Generate all would send as Message Batches: half the"
                                 " price, answers within hours")
        self.act_cancel = window_action(self, "Cancel b&atch", self.cancel_batch)
        self.act_cancel.setToolTip("Cancel the plan's pending batches at the API (what finished is kept)")
        self.actions: tuple[QAction, ...] = (self.act_send, self.act_cancel)
        self._rows = QTimer(self, interval=ROWS_INTERVAL_MS)
        self._rows.timeout.connect(self._show_rows)
        controller.run_started.connect(self._on_started)
        controller.run_finished.connect(self._on_finished)
        session.opened.connect(self._on_opened)

    # -- the commands -----------------------------------------------------------------------------

    def send(self) -> bool:
        """Send what Generate all would send, as batches (and watch any batch already pending)."""
        path = self._runs.ready()
        return path is not None and bool(self._runs.guarded("send a batch", lambda: self._start(path)))

    def resume(self) -> bool:
        """Watch the plan's pending batches again and store their results; nothing new is sent."""
        path = self._session.path
        if self._controller.running or path is None or self._session.pending_batch is None:
            return False
        return bool(self._runs.guarded("resume the batch", lambda: self._start(path, watch_only=True)))

    def cancel_batch(self) -> bool:
        """Cancel the plan's pending batches at the API; the results that finished are still stored."""
        path = self._session.path
        try:
            pending = load_state(path) if path is not None else None
        except CardsmithError as exc:  # a damaged state file
            self._banner.show_message(exc.message)
            return False
        if path is None or pending is None:
            self._status("No batch is pending for this plan", 4000)
            return False
        from app.engine.batch_client import make_batch_client

        client = self._runs.guarded("cancel the batch", lambda: make_batch_client(self._session.provider_config()))
        if client is None:
            return False
        self._status("Cancelling the batch…", 0)
        task = event_loop().create_task(self._cancel(client, path), name="cardsmith cancel batch")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return True

    # -- the run ----------------------------------------------------------------------------------

    def _start(self, path: Path, *, watch_only: bool = False) -> bool:
        from app.engine.batch import BatchGeneration
        from app.engine.batch_client import make_batch_client

        session, controller = self._session, self._controller
        config = session.provider_config()
        if config.kind is not ProviderKind.ANTHROPIC:
            raise UsageError(f"Message Batches are Anthropic's; {config.kind} has no batches: use Generate all")
        options = session.generate_options()
        state = load_state(path)  # a damaged file is one line, before anything is sent
        client = make_batch_client(config)
        provider = self._provider_factory(config) if options.repairs > 0 else None  # repairs go live
        generation = BatchGeneration(path, session.plan, client, options, controller.on_event,
                                     provider=provider, reload_plan=lambda: self._plan_of(path))
        planned = generation.prepare()
        if watch_only:
            planned = generation.planned = [replace(p, send=False) for p in planned]
        pending = [item.component for batch in state.batches for item in batch.requests.values()] if state else []
        names = list(dict.fromkeys([p.component.name for p in planned if p.send] + pending))
        closables = [c for c in (client, provider) if c is not None]
        if not names:
            for closable in closables:
                event_loop().create_task(closable.aclose())
            self._status("Nothing to send: every card is up to date", 6000)
            return False
        self._generation = generation
        controller.launch(names, generation.run, generation.cancel, closables, batch=True)
        return True

    def _plan_of(self, path: Path) -> Plan | None:
        """The plan as the writer has it now, for results that come back after it changed; None
        (the run keeps its own) while it has errors or another plan is open."""
        plan = self._session.plan
        return plan if self._session.path == path and not plan.errors else None

    def _on_started(self, _names: list[str]) -> None:
        self._show_rows()  # a live run: the last batch run's lines go
        if self._controller.batch_progress is not None:
            self._rows.start()

    def _show_rows(self) -> None:
        batches = self._controller.batch_progress
        self._panel.set_batch_rows(batches.row_labels() if batches is not None else [])

    def _on_finished(self, _totals: object) -> None:
        batches, generation = self._controller.batch_progress, self._generation
        self._rows.stop()
        if batches is None or generation is None:
            return
        self._generation = None
        outcome = generation.outcome
        lines = batches.row_labels() if outcome.detached else []
        self._panel.set_batch_rows([*lines, f"batch run: {batches.summary()}"])
        if batches.submit_failed:
            self._banner.show_message(f"Batch not created: {batches.submit_failed}")
        elif outcome.stopped:
            self._banner.show_message(f"Batch stopped: {outcome.stopped}")
        elif outcome.detached:
            self._status("Stopped watching: the batch goes on. Opening the plan again resumes it;"
                         " Cancel batch stops it.", 0)

    def _on_opened(self, _path: object) -> None:
        if not self._controller.running:
            self._panel.set_batch_rows([])  # the last plan's
        # A pending batch of the plan just opened is watched again at once (after the window has
        # shown the plan): its results are paid for.
        if self._session.pending_batch is not None and not self._controller.running:
            QTimer.singleShot(0, self._resume_on_open)

    def _resume_on_open(self) -> None:
        if self._session.plan.errors:
            self._status("A batch is pending: fix the plan, then Send as batch resumes it", 0)
        elif self.resume():
            self._status("Resuming the plan's pending batch…", 6000)

    async def _cancel(self, client: BatchClient, path: Path) -> None:
        from app.engine.batch_control import check_pending

        try:
            rows = await check_pending(client, path, cancel=True)
        except (ProviderError, CardsmithError) as exc:
            self._banner.show_message(f"Cancel batch: {exc.message}")
            return
        finally:
            await client.aclose()
        cancelled = sum(1 for row in rows if row.cancel is not None)
        self._status(f"Cancelled {cancelled} batch{'' if cancelled == 1 else 'es'}: what finished is stored,"
                     " the rest reads cancelled", 8000)
        if not self._controller.running:  # collect what finished before the cancel
            self._session.reload_cards()
            self.resume()
