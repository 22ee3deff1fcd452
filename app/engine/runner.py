"""Runs one streamed request per card, several at once, and reports progress as typed events.

The runner owns the only retry loop (the SDK's retries are off), a stall watchdog per stream and
an adaptive concurrency limit. A failed card never takes the others down; a refused key or an
unreachable API stops the whole run at once; cancel stops every request promptly.

A card may get follow-up requests (repairs) after its answer is complete: the ``follow_up``
callback looks at each answer and returns the next request, or None. Follow-ups go through the
same retry loop and the same concurrency limit, and a card still ends with one terminal event.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import math
import random
import time
from dataclasses import dataclass, field, replace
from typing import AsyncIterator, Awaitable, Callable, Sequence

from app.core.card import Finding
from app.core.prompt import CardRequest
from app.engine.events import (
    Cancelled,
    ConcurrencyChanged,
    Delta,
    Done,
    Event,
    Failed,
    NotRun,
    Queued,
    Repairing,
    Retrying,
    RunFinished,
    RunStopped,
    RunTotals,
    Started,
    TerminalEvent,
)
from app.engine.provider import (
    RUN_STOPPING_FAULTS,
    FaultKind,
    Provider,
    ProviderError,
    StreamChunk,
    StreamEnd,
    TextDelta,
)
from app.engine.retry import AdaptiveLimit, RetryPolicy
from app.errors import UsageError

log = logging.getLogger(__name__)

EventCallback = Callable[[Event], "Awaitable[None] | None"]
CostFn = Callable[[str, int, int], "float | None"]
SleepFn = Callable[[float], Awaitable[object]]

CLOSE_TIMEOUT_S = 5.0
"""How long closing a provider stream may take; a hung close must not hold up cancel."""

MAX_REASON_CHARS = 300


@dataclass(frozen=True)
class Job:
    """One card to generate: the component's name and its provider-neutral request."""

    component: str
    request: CardRequest


@dataclass(frozen=True)
class FollowUp:
    """A further request in the card's conversation (a repair), and the findings that caused it."""

    request: CardRequest
    findings: tuple[Finding, ...] = ()


FollowUpFn = Callable[[Job, CardRequest, str, int], "Awaitable[FollowUp | None] | FollowUp | None"]
"""(job, the request just answered, its answer, follow-ups done so far) -> the next request."""


@dataclass(frozen=True)
class RunOptions:
    """Knobs of one run. ``max_attempts`` wins over ``policy.max_attempts`` (it is the user's
    ``--max-attempts``); the policy supplies the delays."""

    concurrency: int = 4
    max_attempts: int = 4
    stall_timeout_s: float = 60.0
    policy: RetryPolicy | None = None
    seed: int | None = None
    grow_after: int = 3
    """Successes needed to raise a lowered concurrency by one."""

    def __post_init__(self) -> None:
        if self.concurrency < 1:
            raise UsageError(f"concurrency must be at least 1 (got {self.concurrency})")
        if self.max_attempts < 1:
            raise UsageError(f"max attempts must be at least 1 (got {self.max_attempts})")
        if not self.stall_timeout_s > 0:
            raise UsageError(f"stall timeout must be more than 0 s (got {self.stall_timeout_s})")
        if self.grow_after < 1:
            raise UsageError(f"grow_after must be at least 1 (got {self.grow_after})")


def estimate_tokens(chars: int) -> int:
    """The live token estimate shown while streaming: about four characters per token."""
    return math.ceil(chars / 4)


def one_line(text: str, limit: int = MAX_REASON_CHARS) -> str:
    """First non-empty line of ``text``, shortened: reasons are shown on one line."""
    line = next((part.strip() for part in str(text).splitlines() if part.strip()), "")
    return line if len(line) <= limit else line[: limit - 1] + "…"


def describe_exception(exc: BaseException) -> str:
    message = one_line(str(exc))
    name = type(exc).__name__
    return f"{name}: {message}" if message else name


def _attempts_text(n: int) -> str:
    return f"{n} attempt" if n == 1 else f"{n} attempts"


@dataclass(eq=False)
class _Card:
    """The runner's private bookkeeping for one job."""

    job: Job
    attempts: int = 0
    """Attempts of the current request (the first one, or the current follow-up)."""
    earlier_attempts: int = 0
    """Attempts of the requests before the current one."""
    request: CardRequest | None = None
    """The request being sent now; None = the job's own."""
    first_started: float | None = None
    terminal: TerminalEvent | None = None
    finishing: bool = False
    """Set once the terminal event is decided, so that cancel no longer interrupts the card."""
    interrupted: bool = False
    task: asyncio.Task[None] | None = field(default=None, repr=False)

    @property
    def component(self) -> str:
        return self.job.component

    @property
    def current_request(self) -> CardRequest:
        return self.request if self.request is not None else self.job.request


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
        self._cards = [_Card(job) for job in jobs]
        self._options = options
        self._policy = replace(options.policy or RetryPolicy(), max_attempts=options.max_attempts)
        self._rng = random.Random(options.seed)
        self._on_event = on_event
        self._cost_fn = cost_fn
        self._follow_up = follow_up
        self._sleep = sleep
        self._clock = clock
        self._pending_changes: list[ConcurrencyChanged] = []
        self._limit = AdaptiveLimit(
            options.concurrency, options.grow_after, on_change=self._limit_changed
        )
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
        tasks: list[asyncio.Task[None]] = []
        outer_cancel = False
        try:
            for card in self._cards:
                await self._emit(Queued(card.component))
            if not self._halted:
                for card in self._cards:
                    card.task = asyncio.create_task(
                        self._run_card(card), name=f"cardsmith card {card.component}"
                    )
                    tasks.append(card.task)
            if tasks:
                await asyncio.wait(tasks)
        except asyncio.CancelledError:
            # Whoever owns run() cancelled it: behave like cancel(), report, then re-raise.
            outer_cancel = True
            self._cancel_requested = True
            self._interrupt_all()
            if tasks:
                await asyncio.wait(tasks)
        for task in tasks:
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

    # -- one card -------------------------------------------------------------------------------

    async def _run_card(self, card: _Card) -> None:
        try:
            event = await self._attempts_of(card)
            if isinstance(event, Done) and self._follow_up is not None:
                event = await self._follow_ups(card, event)
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is not None:
                task.uncancel()  # we asked for this cancellation and handle it here
            event = self._interrupted_event(card)
        except Exception as exc:  # a bug, or a provider breaking its contract: this card only
            log.warning("card %r failed with an unexpected error", card.component, exc_info=True)
            event = Failed(card.component, FaultKind.OTHER, describe_exception(exc), card.attempts)
        card.finishing = True
        await self._finish(card, event)

    async def _follow_ups(self, card: _Card, first: Done) -> Done:
        """Send follow-ups while the callback asks for them; the card stays done whatever they
        do, since its first answer is complete (a failed or cancelled repair just ends them)."""
        answers: list[Done] = [first]
        while True:
            follow = await self._next_follow_up(card, answers[-1].text, len(answers) - 1)
            if follow is None:
                break
            card.earlier_attempts += card.attempts
            card.attempts, card.request = 0, follow.request
            await self._emit(Repairing(card.component, len(answers), tuple(follow.findings)))
            try:
                event = await self._attempts_of(card)
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    task.uncancel()
                break
            if not isinstance(event, Done):
                log.info("card %r: follow-up %d ended without an answer", card.component, len(answers))
                break
            answers.append(event)
        return self._combined(card, answers)

    async def _next_follow_up(self, card: _Card, answer: str, done_so_far: int) -> FollowUp | None:
        assert self._follow_up is not None
        try:
            result = self._follow_up(card.job, card.current_request, answer, done_so_far)
            if inspect.isawaitable(result):
                result = await result
        except Exception:
            # A bug in the reviewer must not cost the writer a finished card.
            log.exception("the follow-up callback failed for card %r", card.component)
            return None
        return result

    def _combined(self, card: _Card, answers: list[Done]) -> Done:
        """One terminal Done for every answer of the card: tokens and cost are the sums."""
        if len(answers) == 1:
            return answers[0]
        costs = [a.cost_usd for a in answers]
        first = card.first_started if card.first_started is not None else self._clock()
        return Done(
            component=card.component,
            text=answers[-1].text,
            stop_reason=answers[-1].stop_reason,
            input_tokens=sum(a.input_tokens for a in answers),
            output_tokens=sum(a.output_tokens for a in answers),
            model=answers[-1].model,
            cost_usd=None if any(c is None for c in costs) else sum(c for c in costs if c is not None),
            duration_s=max(self._clock() - first, 0.0),
            attempts=card.earlier_attempts + card.attempts,
            answers=tuple(a.text for a in answers),
        )

    async def _attempts_of(self, card: _Card) -> TerminalEvent:
        while True:
            self._check_halt()
            generation = await self._limit.acquire()
            failure: ProviderError | None = None
            try:
                self._check_halt()
                await self._start_attempt(card)
                try:
                    text, end = await self._stream_once(card)
                except ProviderError as error:
                    failure = error
            finally:
                self._limit.release()
            if failure is None:
                self._limit.on_success()
                await self._flush_changes()
                return self._completed(card, text, end)
            terminal = await self._after_fault(card, failure, generation)
            if terminal is not None:
                return terminal

    async def _start_attempt(self, card: _Card) -> None:
        card.attempts += 1
        self._requests_sent += 1
        if card.first_started is None:
            card.first_started = self._clock()
        log.debug("card %r: attempt %d", card.component, card.attempts)
        await self._emit(Started(card.component, card.attempts, self._policy.max_attempts))

    async def _stream_once(self, card: _Card) -> tuple[str, StreamEnd]:
        """One request: Delta per chunk; raises ProviderError (STALLED, INCOMPLETE included)."""
        iterator: AsyncIterator[StreamChunk] = aiter(self._provider.stream(card.current_request))
        parts: list[str] = []
        chars = 0
        end: StreamEnd | None = None
        try:
            while True:
                chunk = await self._next_chunk(iterator)
                if chunk is None:
                    break
                if isinstance(chunk, StreamEnd):
                    end = chunk
                    break
                if not isinstance(chunk, TextDelta):
                    raise TypeError(f"the provider yielded {type(chunk).__name__}")
                if not chunk.text:
                    continue
                parts.append(chunk.text)
                chars += len(chunk.text)
                await self._emit(Delta(card.component, chunk.text, chars, estimate_tokens(chars)))
                # A provider that swallows cancellation must still not outlive a cancel.
                self._check_halt()
        finally:
            await self._close_stream(iterator)
        if end is None:
            raise ProviderError(FaultKind.INCOMPLETE, "the stream ended without message_stop")
        return "".join(parts), end

    async def _next_chunk(self, iterator: AsyncIterator[StreamChunk]) -> StreamChunk | None:
        """The next chunk, None at the end; the stall watchdog covers the wait for each one."""
        stall_s = self._options.stall_timeout_s
        watchdog = asyncio.timeout(stall_s)
        try:
            async with watchdog:
                return await anext(iterator)
        except StopAsyncIteration:
            return None
        except TimeoutError:
            if watchdog.expired():
                raise ProviderError(
                    FaultKind.STALLED, f"no data for {stall_s:g} s (stall timeout)"
                ) from None
            raise

    async def _close_stream(self, iterator: AsyncIterator[StreamChunk]) -> None:
        aclose = getattr(iterator, "aclose", None)
        if aclose is None:
            return
        try:
            async with asyncio.timeout(CLOSE_TIMEOUT_S):
                await aclose()
        except Exception:
            log.debug("closing a provider stream failed", exc_info=True)

    async def _after_fault(
        self, card: _Card, error: ProviderError, generation: int
    ) -> TerminalEvent | None:
        """Decide what a failed attempt means; None = retry (after the wait, outside the slot)."""
        reason = one_line(error.message) or error.kind.value
        log.info("card %r: attempt %d failed: %s", card.component, card.attempts, reason)
        if error.kind in RUN_STOPPING_FAULTS:
            await self._stop_run(error)
            return NotRun(card.component, self._stop.reason if self._stop else reason)
        if error.kind is FaultKind.RATE_LIMITED:
            self._limit.on_rate_limited(generation)
            await self._flush_changes()
        if not self._policy.should_retry(error, card.attempts):
            return Failed(
                card.component,
                error.kind,
                f"{reason} (after {_attempts_text(card.attempts)})",
                card.attempts,
            )
        self._check_halt()
        wait_s = self._policy.delay_for(card.attempts, error, self._rng)
        await self._emit(
            Retrying(
                card.component,
                card.attempts,
                self._policy.max_attempts,
                error.kind,
                reason,
                wait_s,
            )
        )
        await self._sleep(wait_s)
        return None

    def _completed(self, card: _Card, text: str, end: StreamEnd) -> TerminalEvent:
        if end.stop_reason == "max_tokens":
            return Failed(
                card.component,
                FaultKind.TRUNCATED,
                f"answer cut off at max_tokens ({card.current_request.max_tokens}); "
                "raise max_tokens in the plan",
                card.attempts,
            )
        if end.stop_reason == "refusal":
            return Failed(
                card.component,
                FaultKind.REFUSED,
                "the model refused to answer (stop_reason refusal)",
                card.attempts,
            )
        model = end.model or card.current_request.model
        first = card.first_started if card.first_started is not None else self._clock()
        return Done(
            component=card.component,
            text=text,
            stop_reason=end.stop_reason,
            input_tokens=end.input_tokens,
            output_tokens=end.output_tokens,
            model=model,
            cost_usd=self._cost(model, end.input_tokens, end.output_tokens),
            duration_s=max(self._clock() - first, 0.0),
            attempts=card.attempts,
        )

    def _cost(self, model: str, input_tokens: int, output_tokens: int) -> float | None:
        if self._cost_fn is None:
            return None
        try:
            return self._cost_fn(model, input_tokens, output_tokens)
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

    def _interrupted_event(self, card: _Card) -> TerminalEvent:
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

    async def _finish(self, card: _Card, event: TerminalEvent) -> None:
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
        terminals = [card.terminal for card in self._cards]
        done = [event for event in terminals if isinstance(event, Done)]
        known_costs = [event.cost_usd for event in done if event.cost_usd is not None]
        cards_s = sum(event.duration_s for event in done)
        wall_s = max(wall_s, 0.0)
        return RunTotals(
            total=len(self._cards),
            done=len(done),
            failed=sum(isinstance(event, Failed) for event in terminals),
            cancelled=sum(isinstance(event, Cancelled) for event in terminals),
            not_run=sum(isinstance(event, NotRun) for event in terminals),
            input_tokens=sum(event.input_tokens for event in done),
            output_tokens=sum(event.output_tokens for event in done),
            cost_usd=sum(known_costs),
            cost_complete=len(known_costs) == len(done),
            wall_s=wall_s,
            cards_s=cards_s,
            speedup=cards_s / wall_s if wall_s > 0 else 0.0,
            attempts=self._requests_sent,
            stopped=self._stop.reason if self._stop else None,
            was_cancelled=self._cancel_requested,
        )
