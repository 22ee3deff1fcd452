"""Runs one streamed request per card, several at once, and reports progress as typed events.

The runner owns the only retry loop (the SDK's retries are off), a stall watchdog per stream and
an adaptive concurrency limit. A failed card never takes the others down; a refused key or an
unreachable API stops the whole run at once; cancel stops every request promptly.

The runner knows nothing of roles: it sends whatever requests its jobs carry (a card to execute,
a card to review, a plan to draft) through whatever provider it is given. A card may get
follow-up requests (repairs, ``app.engine.follow_ups``) after its answer is complete; a card
still ends with one terminal event.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import random
import time
from dataclasses import replace
from typing import Awaitable, Callable, Sequence

from app.core.pricing import TokenUsage
from app.engine.card_run import CardRun, Job, completed
from app.engine.events import (
    Cancelled,
    ConcurrencyChanged,
    Delta,
    Done,
    Event,
    Failed,
    NotRun,
    Queued,
    Retrying,
    RunFinished,
    RunStopped,
    RunTotals,
    Started,
    TerminalEvent,
    Thinking,
)
from app.engine.first_response import FirstResponseGate
from app.engine.follow_ups import FollowUpFn, FollowUps
from app.engine.provider import (
    CAPACITY_FAULTS,
    RUN_STOPPING_FAULTS,
    FaultKind,
    Provider,
    ProviderError,
    StreamEnd,
)
from app.engine.reasons import attempts_text, describe_exception, one_line
from app.engine.retry import AdaptiveLimit, RetryPolicy
from app.engine.run_options import RunOptions
from app.engine.stream_reader import estimate_tokens, read_stream
from app.engine.totals import run_totals

log = logging.getLogger(__name__)

EventCallback = Callable[[Event], "Awaitable[None] | None"]
CostFn = Callable[[str, TokenUsage], "float | None"]
SleepFn = Callable[[float], Awaitable[object]]


class Runner:
    """Generates the cards of ``jobs`` through ``provider``; call ``run()`` once."""

    def __init__(
        self,
        provider: Provider,
        jobs: Sequence[Job],
        options: RunOptions,
        on_event: EventCallback,
        *,
        cost_fn: CostFn | None = None,
        follow_up: FollowUpFn | None = None,
        sleep: SleepFn = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._provider = provider
        self._cards = [CardRun(job) for job in jobs]
        self._options = options
        self._policy = replace(options.policy or RetryPolicy(), max_attempts=options.max_attempts)
        self._rng = random.Random(options.seed)
        self._on_event = on_event
        self._cost_fn = cost_fn
        self._follow_ups = (
            FollowUps(follow_up, self._attempts_of, self._emit, clock) if follow_up is not None else None
        )
        self._sleep = sleep
        self._clock = clock
        self._pending_changes: list[ConcurrencyChanged] = []
        self._limit = AdaptiveLimit(
            options.concurrency,
            options.grow_after,
            start=options.start_concurrency,
            on_change=self._limit_changed,
        )
        leader = self._cards[0] if options.first_alone and len(self._cards) > 1 else None
        self._gate = FirstResponseGate(leader)
        self._stop: RunStopped | None = None
        self._cancel_requested = False
        self._started = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._requests_sent = 0

    # -- public -------------------------------------------------------------------------------

    @property
    def policy(self) -> RetryPolicy:
        return self._policy

    @property
    def limit(self) -> AdaptiveLimit:
        return self._limit

    @property
    def cancelled(self) -> bool:
        return self._cancel_requested

    @property
    def stopped(self) -> RunStopped | None:
        return self._stop

    def cancel(self) -> None:
        """Stop every request promptly; finished cards stay done. Safe to call at any time,
        from the loop's thread (a Qt slot under qasync) or from another thread."""
        self._cancel_requested = True
        loop = self._loop
        if loop is None or loop.is_closed():
            return  # run() has not started: it will see the flag and send nothing
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._interrupt_all()
        else:
            loop.call_soon_threadsafe(self._interrupt_all)

    async def run(self) -> RunTotals:
        """Run every job; returns the totals (also sent as the last event, ``RunFinished``)."""
        if self._started:
            raise RuntimeError("a Runner runs only once; make a new one")
        self._started = True
        self._loop = asyncio.get_running_loop()
        started_at = self._clock()
        outer_cancel = False
        try:
            for card in self._cards:
                await self._emit(Queued(card.component))
            if self._limit.limit < self._limit.target:
                reason = self._options.start_reason or f"starting at {self._limit.limit} parallel requests"
                await self._emit(ConcurrencyChanged(self._limit.limit, self._limit.target, reason))
            if not self._halted:
                for card in self._cards:
                    self._start_card(card)
            await self._wait_for_cards()
        except asyncio.CancelledError:
            # Whoever owns run() cancelled it: behave like cancel(), report, then re-raise.
            outer_cancel = True
            self._cancel_requested = True
            self._interrupt_all()
            await self._settle_tasks()
        for task in self._tasks():
            if not task.cancelled() and task.exception() is not None:
                log.error("a card task crashed", exc_info=task.exception())
        # Tasks cancelled before their first step never ran their handlers: settle them here.
        for card in self._cards:
            if card.terminal is None:
                await self._finish(card, self._interrupted_event(card))
        totals = self._totals(self._clock() - started_at)
        await self._emit(RunFinished(totals))
        if outer_cancel:
            raise asyncio.CancelledError()
        return totals

    def _start_card(self, card: CardRun) -> None:
        card.task = asyncio.create_task(self._run_card(card), name=f"cardsmith card {card.component}")

    def _tasks(self) -> list[asyncio.Task[None]]:
        return [card.task for card in self._cards if card.task is not None]

    async def _settle_tasks(self) -> None:
        """Wait until every card task started so far has ended."""
        tasks = self._tasks()
        if tasks:
            await asyncio.wait(tasks)

    async def _wait_for_cards(self) -> None:
        """Until every card has ended; a run that takes cards while it runs
        (``app.engine.pipeline``) also waits until it is told that no more will come."""
        await self._settle_tasks()

    # -- one card -------------------------------------------------------------------------------

    async def _run_card(self, card: CardRun) -> None:
        try:
            event = await self._attempts_of(card)
            if isinstance(event, Done) and self._follow_ups is not None:
                event = await self._follow_ups.run(card, event)
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is not None:
                task.uncancel()  # we asked for this cancellation and handle it here
            event = self._interrupted_event(card)
        except Exception as exc:  # a bug, or a provider breaking its contract: this card only
            log.warning("card %r failed with an unexpected error", card.component, exc_info=True)
            event = Failed(card.component, FaultKind.OTHER, describe_exception(exc), card.attempts)
        self._gate.open()  # whatever became of it, a card that has ended holds no one up
        card.finishing = True
        await self._finish(card, event)

    async def _attempts_of(self, card: CardRun) -> TerminalEvent:
        while True:
            self._check_halt()
            await self._gate.wait_turn(card)
            generation = await self._limit.acquire()
            failure: ProviderError | None = None
            try:
                self._check_halt()
                await self._start_attempt(card)
                try:
                    text, end = await self._read(card)
                except ProviderError as error:
                    failure = error
            finally:
                self._limit.release()
                self._gate.open()  # the first attempt has ended: nothing left to wait for
            if failure is None:
                self._limit.on_success()
                # Let the card that took the freed slot send its request before this one is
                # linted and saved: on one event loop that work would otherwise delay it.
                await asyncio.sleep(0)
                await self._flush_changes()
                return self._completed(card, text, end)
            terminal = await self._after_fault(card, failure, generation)
            if terminal is not None:
                return terminal

    async def _start_attempt(self, card: CardRun) -> None:
        card.attempts += 1
        self._requests_sent += 1
        if card.first_started is None:
            card.first_started = self._clock()
        log.debug("card %r: attempt %d", card.component, card.attempts)
        await self._emit(Started(card.component, card.attempts, self._policy.max_attempts))

    async def _read(self, card: CardRun) -> tuple[str, StreamEnd]:
        """One request: a Delta per text chunk, Thinking if the model thinks before its text."""

        async def on_text(text: str, chars: int) -> None:
            await self._emit(Delta(card.component, text, chars, estimate_tokens(chars)))

        async def on_thinking() -> None:
            await self._emit(Thinking(card.component))

        return await read_stream(
            self._provider,
            card.current_request,
            stall_timeout_s=self._options.stall_timeout_s,
            on_text=on_text,
            on_thinking=on_thinking,
            check_halt=self._check_halt,
            on_response=self._gate.open,
        )

    async def _after_fault(
        self, card: CardRun, error: ProviderError, generation: int
    ) -> TerminalEvent | None:
        """Decide what a failed attempt means; None = retry (after the wait, outside the slot)."""
        reason = one_line(error.message) or error.kind.value
        log.info("card %r: attempt %d failed: %s", card.component, card.attempts, reason)
        if error.kind in RUN_STOPPING_FAULTS:
            await self._stop_run(error)
            return NotRun(card.component, self._stop.reason if self._stop else reason)
        cause = CAPACITY_FAULTS.get(error.kind)
        if cause is not None:
            self._limit.on_rate_limited(generation, cause)
            await self._flush_changes()
        if not self._policy.should_retry(error, card.attempts):
            return Failed(
                card.component,
                error.kind,
                f"{reason} (after {attempts_text(card.attempts)})",
                card.attempts,
            )
        self._check_halt()
        wait_s = self._policy.delay_for(card.attempts, error, self._rng)
        max_attempts = self._policy.max_attempts
        await self._emit(Retrying(card.component, card.attempts, max_attempts, error.kind, reason, wait_s))
        await self._sleep(wait_s)
        return None

    def _completed(self, card: CardRun, text: str, end: StreamEnd) -> TerminalEvent:
        model = end.model or card.current_request.model
        usage = TokenUsage(
            end.input_tokens,
            end.output_tokens,
            cache_read_tokens=end.cache_read_tokens,
            cache_write_5m_tokens=end.cache_write_tokens,
        )
        return completed(card, text, end, cost_usd=self._cost(model, usage), now=self._clock())

    def _cost(self, model: str, usage: TokenUsage) -> float | None:
        if self._cost_fn is None:
            return None
        try:
            return self._cost_fn(model, usage)
        except Exception:
            log.warning("pricing failed for model %r; cost unknown", model, exc_info=True)
            return None

    # -- run-wide state ---------------------------------------------------------------------------

    @property
    def _halted(self) -> bool:
        return self._cancel_requested or self._stop is not None

    def _check_halt(self) -> None:
        if self._halted:
            raise asyncio.CancelledError()

    def _interrupted_event(self, card: CardRun) -> TerminalEvent:
        if self._stop is not None:
            return NotRun(card.component, self._stop.reason)
        return Cancelled(card.component)

    async def _stop_run(self, error: ProviderError) -> None:
        if self._stop is not None:
            return
        self._stop = RunStopped(error.kind, one_line(error.message) or error.kind.value)
        log.warning("run stopped: %s", self._stop.reason)
        await self._emit(self._stop)
        self._interrupt_all()

    def _interrupt_all(self) -> None:
        """Cancel every card still in progress except the caller's own (it finishes itself)."""
        current = asyncio.current_task()
        for card in self._cards:
            task = card.task
            if task is None or task is current or task.done():
                continue
            if card.finishing or card.interrupted:
                continue
            card.interrupted = True
            task.cancel()

    def _limit_changed(self, limit: int, target: int, reason: str) -> None:
        # AdaptiveLimit calls back synchronously; the events go out from the card's coroutine.
        self._pending_changes.append(ConcurrencyChanged(limit, target, reason))

    async def _flush_changes(self) -> None:
        while self._pending_changes:
            await self._emit(self._pending_changes.pop(0))

    async def _finish(self, card: CardRun, event: TerminalEvent) -> None:
        if card.terminal is not None:
            return
        card.terminal = event
        await self._emit(event)

    async def _emit(self, event: Event) -> None:
        try:
            result = self._on_event(event)
            if inspect.isawaitable(result):
                await result
        except Exception:
            # A listener bug must not take the run down; it is logged and the run goes on.
            log.exception("the event listener failed on %s", type(event).__name__)

    def _totals(self, wall_s: float) -> RunTotals:
        return run_totals(
            [card.terminal for card in self._cards],
            wall_s=wall_s,
            attempts=self._requests_sent,
            stopped=self._stop.reason if self._stop else None,
            cancelled=self._cancel_requested,
        )
