"""Owns the asyncio task of one generation run and turns its engine events into throttled Qt signals.

Widgets never touch the engine or the task: they call ``start``/``cancel`` and listen to signals.
Per-token work is O(1) (fold the event into the progress model, append the text, mark the card
dirty); signals go out from throttles a few times a second, so eight fast streams never stall the
Qt event loop that the engine itself runs on (qasync).
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Awaitable, Callable, Protocol, Sequence

from PySide6.QtCore import QObject, QTimer, Signal

from app.core.plan import Plan
from app.core.states import CardState
from app.engine import events as ev
from app.engine.events import CardSaved
from app.engine.progress import CardProgress, RunProgress
from app.engine.review_events import FixSkipped, ReviewEvent, ReviewFailed, ReviewSaved, Sink
from app.engine.send_plan import GenerateOptions, PlannedCard
from app.ui.qtapp import event_loop
from app.ui.throttle import Throttle
from app.ui.warm_up import warm_up

if TYPE_CHECKING:  # the run machinery is imported when a run starts, not before the first frame
    import asyncio

    from app.engine.batch_progress import BatchProgress
    from app.engine.provider import Provider
    from app.engine.provider_config import ProviderConfig
    from app.engine.review_pipeline import ReviewPipeline

__all__ = ["INTERNAL_ERROR_REASON", "Closable", "RunController", "warm_up"]

log = logging.getLogger(__name__)

CARD_INTERVAL_MS = 60
"""Per-card bars and live text: ~16 Hz is smooth enough and costs little."""
OVERALL_INTERVAL_MS = 100
HEARTBEAT_MS = 500
"""While a run is on, the overall line is refreshed this often so its elapsed time keeps moving
even when no card reports anything (e.g. all waiting before a retry)."""
INTERNAL_ERROR_REASON = "internal error (see the log)"

# Rare events worth showing at once: a card's (or its review's) end, and a retry (its wait may be shorter than
# one throttle interval, and the writer should see that it happened).
_PROMPT_EVENTS: tuple[type, ...] = (*ev.TERMINAL_EVENTS, ev.Retrying, ReviewSaved, ReviewFailed)

class Closable(Protocol):
    """What a run uses and the controller closes when it ends: a provider, a batch client."""

    async def aclose(self) -> None: ...


class RunController(QObject):
    """One run at a time: ``start()`` it, ``cancel()`` it, listen to its signals.

    Signals:
        card_changed(CardProgress): a snapshot of one card; coalesced per card (~16 Hz), retries
            and terminal states (done, failed, cancelled, not run) at once.
        card_text(str, str): component name, the answer's full text so far (coalesced the same
            way; "" when a new attempt starts).
        card_saved(str, StoredCard): component name, the card just written (its path, front
            matter and body: no need to read the file back).
        overall_changed(RunProgress): the live progress model (~10 Hz).
        run_started(list): names of the components that will be sent.
        run_finished(RunTotals): exactly once per started run, after every other signal of it.
        run_stopped(str): the whole run stopped (key refused, model unknown, API unreachable).
        fix_skipped(str, str): component name, why "Fix with notes" left its card as it was.
    """

    card_changed = Signal(object)
    card_text = Signal(str, str)
    card_saved = Signal(str, object)
    overall_changed = Signal(object)
    run_started = Signal(list)
    run_finished = Signal(object)
    run_stopped = Signal(str)
    fix_skipped = Signal(str, str)

    warm_up = staticmethod(warm_up)

    def __init__(
        self, provider_factory: Callable[[ProviderConfig], Provider], parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._provider_factory = provider_factory
        self.progress = RunProgress()
        self.batch_progress: BatchProgress | None = None
        """The current (or last) run's batches over ``progress``, when it is a batch run."""
        self._cancel: Callable[[], None] | None = None
        self._task: asyncio.Task[None] | None = None
        self._active = False
        self._cancelled = False
        self._totals: ev.RunTotals | None = None
        # Insertion-ordered "sets" so that flushes go out in the order cards changed.
        self._dirty_cards: dict[str, None] = {}
        self._dirty_texts: dict[str, None] = {}
        self._texts: dict[str, list[str]] = {}
        self._card_throttle = Throttle(self._flush_cards, CARD_INTERVAL_MS, self)
        self._overall_throttle = Throttle(self._emit_overall, OVERALL_INTERVAL_MS, self)
        self._heartbeat = QTimer(self)
        self._heartbeat.setInterval(HEARTBEAT_MS)
        self._heartbeat.timeout.connect(self._tick)

    # -- public ---------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._active

    def start(
        self, plan_path: Path, plan: Plan, options: GenerateOptions, config: ProviderConfig | None = None,
        *, reviews: Callable[[Sink], ReviewPipeline] | None = None,
    ) -> list[PlannedCard]:
        """Decide what to send and start the run as a task on the current (qasync) loop, on the
        provider ``config`` describes (None: the plan's front matter, then the environment).
        ``reviews(sink)``: a pipeline that reviews each card as soon as it is written (its
        reviewer's provider made only when something is sent).

        Returns every planned card. Raises ``UsageError`` (e.g. an unknown ``only`` name) and
        whatever the provider factory raises (``KeyMissingError``) before anything is sent.
        When no card needs sending, nothing starts: no signals, ``running`` stays False and the
        provider factory is not called (like ``cardsmith generate``: "nothing to generate").
        """
        if self._active:
            raise RuntimeError("a run is already in progress")
        from app.engine.batch_state import held_in_batch, load_state
        from app.engine.generate import Generation
        from app.engine.provider import is_local
        from app.engine.provider_config import resolve_provider_config

        pipeline: ReviewPipeline | None = None

        def forward(event: object) -> Awaitable[None] | None:
            return pipeline.on_writer_event(event) if pipeline is not None else self.on_event(event)

        generation = Generation(plan_path, plan, None, options, forward)
        # The cards of a pending batch are paid for and on their way: not sent again.
        planned = generation.planned = held_in_batch(generation.prepare(), load_state(plan_path))
        names = [p.component.name for p in planned if p.send]
        if not names:
            return planned
        config = config or resolve_provider_config(plan=plan.settings)
        provider = self._provider_factory(config)
        warm_up(plan.settings.language, config.kind)
        generation.provider = provider
        providers = [provider]
        if reviews is not None:
            try:
                pipeline = reviews(self.on_event)
            except BaseException:
                event_loop().create_task(provider.aclose())
                raise
            providers.append(pipeline.reviewer.provider)
        runner = pipeline or generation
        work = (lambda: pipeline.run(generation)) if pipeline is not None else generation.run
        self.launch(names, work, runner.cancel, providers, local=is_local(provider))
        return planned

    def launch(
        self, names: list[str], work: Callable[[], Awaitable[object]], cancel: Callable[[], None],
        providers: Sequence[Closable], *, local: bool = False, batch: bool = False,
    ) -> None:
        """Start any run that reports through ``on_event`` (a review, a fix, a batch) as a task on
        the current (qasync) loop: ``work()`` is the run, ``cancel()`` stops it, ``providers`` (and
        batch clients) are closed when it ends, ``names`` are the cards it works on, ``local``: it
        costs nothing, ``batch``: its batches get rows of their own (``batch_progress``)."""
        if self._active:
            raise RuntimeError("a run is already in progress")
        self._reset(cancel)
        self.progress.local = local  # the bar reads "local, no cost"
        if batch:
            from app.engine.batch_progress import BatchProgress

            self.batch_progress = BatchProgress(self.progress)
        else:
            self.batch_progress = None
        self.run_started.emit(list(names))
        loop = event_loop()  # the qasync loop, running under app.exec()
        self._task = loop.create_task(self._run(work, providers), name="cardsmith run")
        self._heartbeat.start()

    def cancel(self) -> None:
        """Stop every request promptly; finished cards are kept. Harmless when idle."""
        if self._active and self._cancel is not None:
            self._cancelled = True
            self._cancel()

    async def wait(self) -> None:
        """Return when the current run's task has finished (e.g. before closing the window)."""
        import asyncio  # loaded with the event loop, after the first frame

        task = self._task
        if task is not None and not task.done():
            await asyncio.wait([task])

    def text_of(self, name: str) -> str:
        """The text streamed so far for ``name`` in the current run ("" if none)."""
        parts = self._texts.get(name)
        return "".join(parts) if parts else ""

    # -- the run ----------------------------------------------------------------------------------

    def _reset(self, cancel: Callable[[], None]) -> None:
        self.progress = RunProgress()
        self._cancel: Callable[[], None] | None = cancel
        self._active = True
        self._cancelled = False
        self._totals = None
        self._dirty_cards.clear()
        self._dirty_texts.clear()
        self._texts.clear()
        self._card_throttle.cancel()
        self._overall_throttle.cancel()

    async def _run(self, work: Callable[[], Awaitable[object]], providers: Sequence[Closable]) -> None:
        import asyncio  # loaded with the event loop, after the first frame

        ended = False
        try:
            result = await work()
            ended = True
            if isinstance(result, ev.RunTotals):  # a batch run returns its outcome instead
                self._totals = self._totals or result
        except asyncio.CancelledError:
            # The task itself was cancelled (not the run's Cancel): report, then let it end.
            log.info("the run task was cancelled")
            raise
        except Exception:
            log.exception("the run failed unexpectedly")
        finally:
            for provider in providers:
                try:
                    await provider.aclose()
                except Exception:
                    log.warning("closing the provider failed", exc_info=True)
            self._finish(ended)

    def _finish(self, ended: bool = True) -> None:
        if not ended:
            self._settle_unfinished()
        self._heartbeat.stop()
        self._card_throttle.flush()
        self._overall_throttle.cancel()
        if self.progress.finished_at is None:
            self.progress.finished_at = self.progress.clock()
        self.overall_changed.emit(self.progress)
        totals = self._totals or self._totals_from_progress()
        # Cleared before the signal, so that a handler may start the next run right away.
        self._active = False
        self._cancel = None
        self.run_finished.emit(totals)

    def _settle_unfinished(self) -> None:
        """After an unexpected error no terminal event will come: end the cards here."""
        for card in self.progress.cards.values():
            if not card.finished:
                card.state, card.reason = CardState.FAILED, INTERNAL_ERROR_REASON
                self._emit_card_now(card.name)

    def _totals_from_progress(self) -> ev.RunTotals:
        p = self.progress
        wall_s = p.elapsed_s
        return ev.RunTotals(
            total=p.total,
            done=p.done,
            failed=p.count(CardState.FAILED),
            cancelled=p.count(CardState.CANCELLED),
            not_run=p.count(CardState.NOT_RUN),
            input_tokens=p.input_tokens,
            output_tokens=p.output_tokens,
            cost_usd=p.cost_usd,
            cost_complete=p.cost_complete,
            wall_s=wall_s,
            cards_s=p.cards_s,
            speedup=p.cards_s / wall_s if wall_s > 0 else 0.0,
            attempts=sum(c.attempt for c in p.cards.values()),
            stopped=p.stopped,
            was_cancelled=self._cancelled,
        )

    # -- events (hot path: keep it O(1), no widget work) ----------------------------------------

    def on_event(self, event: object) -> None:
        """The sink of the current run's events (engine, review and batch events alike)."""
        if isinstance(event, CardSaved):
            self.progress.apply(event)  # counts repaired cards for the summary
            self.card_saved.emit(event.component, event.card)
            return
        if self.batch_progress is None:
            card = self.progress.apply(event)
        else:
            from app.engine.batch_events import BatchSubmitted
            from app.engine.batch_progress import BatchRow

            card = self.batch_progress.apply(event)
            if isinstance(card, BatchRow):  # a batch's own row: the panel polls it
                card = None
                if isinstance(event, BatchSubmitted) and not event.repairs:
                    for name in event.components:  # each now "in batch"
                        self._emit_card_now(name)
        if isinstance(event, ReviewSaved):  # the card as written, its review in its front matter
            self.card_saved.emit(event.component, event.card)
        elif isinstance(event, FixSkipped):
            self.fix_skipped.emit(event.component, event.reason)
        elif isinstance(event, ReviewEvent) and isinstance(event.event, ev.RunStopped):
            self.run_stopped.emit(f"review: {event.event.reason}")
        elif isinstance(event, ev.Delta):
            self._texts.setdefault(event.component, []).append(event.text)
            self._dirty_texts[event.component] = None
        elif isinstance(event, ev.Started):
            self._texts[event.component] = []
            self._dirty_texts[event.component] = None
        elif isinstance(event, ev.RunStopped):
            self.run_stopped.emit(event.reason)
        elif isinstance(event, ev.RunFinished):
            self._totals = event.totals
        if card is not None:
            if isinstance(event, _PROMPT_EVENTS):
                self._emit_card_now(card.name)
            else:
                self._dirty_cards[card.name] = None
                self._card_throttle()
        self._overall_throttle()

    def _emit_card_now(self, name: str) -> None:
        self._dirty_cards.pop(name, None)
        if name in self._dirty_texts:
            del self._dirty_texts[name]
            self._emit_text(name)
        self.card_changed.emit(self._snapshot(name))

    def _flush_cards(self) -> None:
        texts, self._dirty_texts = self._dirty_texts, {}
        cards, self._dirty_cards = self._dirty_cards, {}
        for name in texts:
            self._emit_text(name)
        for name in cards:
            self.card_changed.emit(self._snapshot(name))

    def _emit_text(self, name: str) -> None:
        parts = self._texts.get(name)
        if parts is None:
            return
        text = "".join(parts)
        # Keep one joined piece, so each flush joins only what arrived since the last one.
        parts[:] = [text] if text else []
        self.card_text.emit(name, text)

    def _snapshot(self, name: str) -> CardProgress:
        # A copy: listeners may keep it while the live model moves on.
        return dataclasses.replace(self.progress.cards[name])

    def _tick(self) -> None:
        self._overall_throttle()
        # A thinking card's label counts the seconds ("thinking… 3.2 s"): redraw it.
        thinking = [c.name for c in self.progress.cards.values() if c.state is CardState.THINKING]
        for name in thinking:
            self._dirty_cards[name] = None
        if thinking:
            self._card_throttle()

    def _emit_overall(self) -> None:
        self.overall_changed.emit(self.progress)
