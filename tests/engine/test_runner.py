"""Tests of the runner against the scripted in-memory provider: retries, stops, cancel, totals."""

from __future__ import annotations

import asyncio
import logging
import math
from collections import Counter
from typing import Any, AsyncIterator, Sequence

import pytest

from app.core.pricing import TokenUsage
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
    Retrying,
    RunFinished,
    RunStopped,
    RunTotals,
    Started,
    Thinking,
    is_terminal,
)
from app.engine.provider import (
    TRANSIENT_FAULTS,
    FaultKind,
    Provider,
    ProviderError,
    StopReason,
    StreamChunk,
)
from app.engine.retry import RetryPolicy
from app.engine.card_run import Job
from app.engine.runner import Runner, RunOptions
from app.errors import UsageError
from tests.fakes.scripted_provider import (
    ScriptedProvider,
    after,
    default_answer,
    end,
    incomplete,
    stall,
    thinking,
)

MODEL = "claude-haiku-4-5"


def make_job(name: str, *, model: str = MODEL, max_tokens: int = 1024) -> Job:
    request = CardRequest(
        component=name,
        model=model,
        system="Code language: typescript",
        messages=(("user", f"Component: {name}\n\nInstruction:\nshow it"),),
        max_tokens=max_tokens,
    )
    return Job(name, request)


class FakeTime:
    """An injected clock and sleep: backoff waits take no real time but are recorded."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


class Recorder:
    """Collects events; lets a test wait for one."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._changed = asyncio.Event()

    def __call__(self, event: Event) -> None:
        self.events.append(event)
        self._changed.set()

    def of(self, kind: type, component: str | None = None) -> list[Any]:
        return [
            e
            for e in self.events
            if isinstance(e, kind) and (component is None or getattr(e, "component") == component)
        ]

    def terminal(self, component: str) -> Event:
        found = [e for e in self.events if is_terminal(e) and e.component == component]
        assert len(found) == 1, f"{component}: {found}"
        return found[0]

    async def wait_for(self, predicate: Any, timeout: float = 5.0) -> None:
        async with asyncio.timeout(timeout):
            while not any(predicate(e) for e in self.events):
                self._changed.clear()
                await self._changed.wait()


def check_invariants(events: Sequence[Event], names: Sequence[str], totals: RunTotals) -> None:
    """What every run guarantees, whatever happened in it."""
    assert [e for e in events[: len(names)]] == [Queued(n) for n in names]
    finished = [e for e in events if isinstance(e, RunFinished)]
    assert len(finished) == 1 and events[-1] is finished[0]
    assert finished[0].totals == totals
    assert len([e for e in events if isinstance(e, RunStopped)]) <= 1
    terminals: dict[str, Event] = {}
    for event in events:
        component = getattr(event, "component", None)
        if component is None:
            continue
        assert component not in terminals, f"{component}: {event} after {terminals[component]}"
        if is_terminal(event):
            terminals[component] = event
    assert set(terminals) == set(names)
    for name in names:
        attempts = [e.attempt for e in events if isinstance(e, Started) and e.component == name]
        assert attempts == list(range(1, len(attempts) + 1))
    kinds = Counter(type(e) for e in terminals.values())
    assert totals.total == len(names)
    assert (totals.done, totals.failed, totals.cancelled, totals.not_run) == (
        kinds[Done],
        kinds[Failed],
        kinds[Cancelled],
        kinds[NotRun],
    )
    assert totals.attempts == len([e for e in events if isinstance(e, Started)])


async def run_jobs(
    provider: Provider,
    names: Sequence[str],
    *,
    fake: FakeTime | None = None,
    recorder: Recorder | None = None,
    jobs: Sequence[Job] | None = None,
    cost_fn: Any = None,
    **options: Any,
) -> tuple[RunTotals, Recorder]:
    fake = fake or FakeTime()
    recorder = recorder or Recorder()
    options.setdefault("seed", 1)
    runner = Runner(
        provider,
        jobs if jobs is not None else [make_job(n) for n in names],
        RunOptions(**options),
        recorder,
        cost_fn=cost_fn,
        sleep=fake.sleep,
        clock=fake.clock,
    )
    async with asyncio.timeout(10):
        totals = await runner.run()
    check_invariants(recorder.events, names, totals)
    return totals, recorder


def names_of(n: int) -> list[str]:
    return [f"Card {i}" for i in range(n)]


# -- the happy path -------------------------------------------------------------------------------


async def test_every_card_done_with_deltas_and_totals() -> None:
    provider = ScriptedProvider(chunk_size=10)
    names = names_of(5)

    def cost(model: str, usage: TokenUsage) -> float:
        assert model == MODEL
        return usage.input_tokens * 1e-6 + usage.output_tokens * 5e-6

    totals, rec = await run_jobs(provider, names, cost_fn=cost)
    for name in names:
        done = rec.terminal(name)
        assert isinstance(done, Done)
        assert done.text == default_answer(name)
        deltas = rec.of(Delta, name)
        assert "".join(d.text for d in deltas) == done.text
        assert [d.chars for d in deltas] == list(
            range(10, len(done.text), 10)
        ) + [len(done.text)]
        assert deltas[-1].output_tokens == math.ceil(len(done.text) / 4)
        assert done.attempts == 1 and done.stop_reason is StopReason.END and done.model == MODEL
        assert done.input_tokens == 100
        assert done.cost_usd == pytest.approx(cost(MODEL, TokenUsage(100, done.output_tokens)))
    dones = rec.of(Done)
    assert totals.done == 5 and totals.attempts == 5
    assert totals.input_tokens == 500
    assert totals.output_tokens == sum(d.output_tokens for d in dones)
    assert totals.cost_usd == pytest.approx(sum(d.cost_usd for d in dones))
    assert totals.cost_complete
    assert totals.stopped is None and not totals.was_cancelled
    assert not rec.of(Retrying) and not rec.of(ConcurrencyChanged)


async def test_unknown_cost_is_not_counted_as_zero() -> None:
    provider = ScriptedProvider()
    jobs = [make_job("Known"), make_job("Mystery", model="local-llama")]
    prices = {MODEL: 0.01}
    totals, rec = await run_jobs(
        provider, ["Known", "Mystery"], jobs=jobs, cost_fn=lambda m, usage: prices.get(m)
    )
    assert rec.terminal("Mystery").cost_usd is None
    assert rec.terminal("Mystery").model == "local-llama"
    assert totals.cost_usd == pytest.approx(0.01)
    assert not totals.cost_complete


async def test_a_failing_cost_function_means_unknown_cost() -> None:
    def broken(model: str, usage: TokenUsage) -> float:
        raise KeyError(model)

    totals, rec = await run_jobs(ScriptedProvider(), ["A"], cost_fn=broken)
    assert rec.terminal("A").cost_usd is None and not totals.cost_complete


async def test_durations_include_retries_and_speedup_is_their_sum_over_wall_time() -> None:
    fake = FakeTime()
    provider = ScriptedProvider()
    provider.script("Slow", ProviderError(FaultKind.SERVER_ERROR, "server error (500)"), "# S")
    policy = RetryPolicy(jitter=0.0)
    # one slot: Slow's wait (fake time) passes before Fast starts, so Fast takes no time
    totals, rec = await run_jobs(
        provider, ["Slow", "Fast"], fake=fake, policy=policy, concurrency=1
    )
    assert fake.sleeps == [0.5]
    assert rec.terminal("Slow").duration_s == pytest.approx(0.5)
    assert rec.terminal("Fast").duration_s == pytest.approx(0.0)
    assert totals.wall_s == pytest.approx(0.5)
    assert totals.cards_s == pytest.approx(0.5)
    assert totals.speedup == pytest.approx(1.0)


async def test_no_jobs_still_finishes_once() -> None:
    rec = Recorder()
    runner = Runner(ScriptedProvider(), [], RunOptions(), rec)
    totals = await runner.run()
    assert rec.events == [RunFinished(totals)]
    assert totals.total == 0 and totals.speedup == 0.0


async def test_async_listener_is_awaited() -> None:
    seen: list[Event] = []

    async def listener(event: Event) -> None:
        await asyncio.sleep(0)
        seen.append(event)

    runner = Runner(ScriptedProvider(), [make_job("A")], RunOptions(), listener)
    totals = await runner.run()
    assert totals.done == 1
    assert isinstance(seen[-1], RunFinished) and any(isinstance(e, Done) for e in seen)


async def test_a_broken_listener_is_logged_and_the_run_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls = Counter[str]()

    def listener(event: Event) -> None:
        calls[type(event).__name__] += 1
        if isinstance(event, Delta):
            raise ValueError("listener bug")

    runner = Runner(ScriptedProvider(), [make_job("A"), make_job("B")], RunOptions(), listener)
    with caplog.at_level(logging.ERROR, logger="app.engine.runner"):
        totals = await runner.run()
    assert totals.done == 2
    assert calls["RunFinished"] == 1
    assert any("listener failed" in r.getMessage() for r in caplog.records)


# -- concurrency ----------------------------------------------------------------------------------


@pytest.mark.parametrize("concurrency", [1, 3, 5])
async def test_concurrency_never_exceeds_the_limit(concurrency: int) -> None:
    provider = ScriptedProvider(chunk_delay_s=0.001)
    names = names_of(12)
    totals, _ = await run_jobs(provider, names, concurrency=concurrency)
    assert totals.done == 12
    assert provider.peak_streams == concurrency
    assert max(call.open_at_start for call in provider.calls) == concurrency


async def test_cards_start_in_plan_order() -> None:
    provider = ScriptedProvider()
    names = names_of(6)
    _, rec = await run_jobs(provider, names, concurrency=2)
    assert [e.component for e in rec.of(Started)] == names


async def test_a_wave_of_429s_halves_once_then_successes_grow_it_back() -> None:
    provider = ScriptedProvider(chunk_delay_s=0.001)
    names = names_of(12)
    for name in names[:4]:
        provider.script(name, after(1, ProviderError(FaultKind.RATE_LIMITED, "rate limited (429)")))
    totals, rec = await run_jobs(provider, names, concurrency=4, grow_after=2)
    changes = rec.of(ConcurrencyChanged)
    assert [(c.limit, c.target) for c in changes] == [(2, 4), (3, 4), (4, 4)]
    assert "429" in changes[0].reason
    assert totals.done == 12
    assert [rec.terminal(n).attempts for n in names[:4]] == [2, 2, 2, 2]
    assert len(rec.of(Retrying)) == 4
    # the halving was announced before any of the four retried
    first_change = rec.events.index(changes[0])
    retry_starts = [
        i for i, e in enumerate(rec.events) if isinstance(e, Started) and e.attempt == 2
    ]
    assert first_change < min(retry_starts)


async def test_retry_waits_happen_outside_the_slot() -> None:
    # With one slot, a card waiting out a long retry-after must not block the next card.
    provider = ScriptedProvider()
    provider.script("A", ProviderError(FaultKind.OVERLOADED, "overloaded (529)", retry_after_s=30))
    gate = asyncio.Event()
    order: list[str] = []

    async def sleep(seconds: float) -> None:
        order.append("sleeping")
        await gate.wait()

    rec = Recorder()

    def listener(event: Event) -> None:
        rec(event)
        if isinstance(event, Done):
            order.append(event.component)
            if event.component == "B":
                gate.set()

    runner = Runner(provider, [make_job("A"), make_job("B")], RunOptions(concurrency=1), listener,
                    sleep=sleep)
    async with asyncio.timeout(5):
        totals = await runner.run()
    assert order == ["sleeping", "B", "A"]
    assert totals.done == 2
    check_invariants(rec.events, ["A", "B"], totals)


# -- retries --------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(TRANSIENT_FAULTS, key=lambda k: k.value))
async def test_each_transient_fault_is_retried_and_succeeds(kind: FaultKind) -> None:
    provider = ScriptedProvider()
    provider.script("A", ProviderError(kind, f"{kind.value} happened"), "# A\n\nfine")
    totals, rec = await run_jobs(provider, ["A", "B"])
    retrying = rec.of(Retrying, "A")
    assert len(retrying) == 1
    assert retrying[0].kind is kind and retrying[0].reason == f"{kind.value} happened"
    assert retrying[0].attempt == 1 and retrying[0].max_attempts == 4
    done = rec.terminal("A")
    assert isinstance(done, Done) and done.attempts == 2 and done.text == "# A\n\nfine"
    assert len(provider.calls_for("A")) == 2
    assert totals.attempts == 3


async def test_a_fault_mid_stream_restarts_the_card() -> None:
    provider = ScriptedProvider(chunk_size=4)
    provider.script(
        "A", after(3, ProviderError(FaultKind.CONNECTION_DROPPED, "connection dropped")), "# A\n"
    )
    _, rec = await run_jobs(provider, ["A"])
    done = rec.terminal("A")
    assert isinstance(done, Done) and done.text == "# A\n"
    # the second attempt's deltas count from zero again
    after_retry = rec.events[rec.events.index(rec.of(Started)[1]) :]
    assert [e.chars for e in after_retry if isinstance(e, Delta)] == [4]


async def test_retry_after_is_honoured() -> None:
    fake = FakeTime()
    provider = ScriptedProvider()
    provider.script("A", ProviderError(FaultKind.RATE_LIMITED, "rate limited", retry_after_s=7.5))
    _, rec = await run_jobs(provider, ["A"], fake=fake)
    assert len(fake.sleeps) == 1
    assert 7.5 <= fake.sleeps[0] <= 7.5 * 1.25
    assert rec.of(Retrying)[0].wait_s == fake.sleeps[0]


async def test_backoff_grows_and_is_capped() -> None:
    fake = FakeTime()
    provider = ScriptedProvider()
    provider.script("A", *[ProviderError(FaultKind.SERVER_ERROR, "500")] * 4, "# A\n")
    policy = RetryPolicy(base_delay_s=0.5, max_delay_s=1.0, jitter=0.0)
    _, rec = await run_jobs(provider, ["A"], fake=fake, policy=policy, max_attempts=5)
    assert fake.sleeps == [0.5, 1.0, 1.0, 1.0]
    assert [r.wait_s for r in rec.of(Retrying)] == fake.sleeps
    assert rec.terminal("A").attempts == 5


async def test_backoff_jitter_is_reproducible_with_a_seed() -> None:
    waits = []
    for _ in range(2):
        fake = FakeTime()
        provider = ScriptedProvider()
        provider.script("A", *[ProviderError(FaultKind.OVERLOADED, "529")] * 3)
        await run_jobs(provider, ["A"], fake=fake, seed=1234)
        waits.append(fake.sleeps)
    assert waits[0] == waits[1] and len(waits[0]) == 3
    assert waits[0] != [0.5, 1.0, 2.0]  # jitter did apply


async def test_max_attempts_counts_every_request() -> None:
    provider = ScriptedProvider()
    provider.script("A", *[ProviderError(FaultKind.OVERLOADED, "overloaded (529)")] * 5)
    totals, rec = await run_jobs(provider, ["A"], max_attempts=3)
    failed = rec.terminal("A")
    assert isinstance(failed, Failed)
    assert failed.kind is FaultKind.OVERLOADED and failed.attempts == 3
    assert "after 3 attempts" in failed.reason and "\n" not in failed.reason
    assert len(provider.calls_for("A")) == 3
    assert [r.attempt for r in rec.of(Retrying)] == [1, 2]
    assert all(s.max_attempts == 3 for s in rec.of(Started))
    assert totals.attempts == 3 and totals.failed == 1


async def test_max_attempts_one_means_no_retry() -> None:
    provider = ScriptedProvider()
    provider.script("A", ProviderError(FaultKind.SERVER_ERROR, "500"))
    _, rec = await run_jobs(provider, ["A"], max_attempts=1)
    assert isinstance(rec.terminal("A"), Failed) and not rec.of(Retrying)


@pytest.mark.parametrize(
    ("kind", "status"),
    [
        (FaultKind.BAD_REQUEST, 400),
        (FaultKind.SPEND_LIMIT, 429),
        (FaultKind.OTHER, None),
    ],
)
async def test_permanent_faults_fail_at_once(kind: FaultKind, status: int | None) -> None:
    provider = ScriptedProvider()
    provider.script("A", ProviderError(kind, f"{kind.value}: no", status=status))
    totals, rec = await run_jobs(provider, ["A", "B"])
    failed = rec.terminal("A")
    assert isinstance(failed, Failed) and failed.kind is kind and failed.attempts == 1
    assert failed.reason.startswith(f"{kind.value}: no")
    assert len(provider.calls_for("A")) == 1
    assert not rec.of(Retrying) and not rec.of(ConcurrencyChanged) and not rec.of(RunStopped)
    assert isinstance(rec.terminal("B"), Done)
    assert (totals.done, totals.failed) == (1, 1)


async def test_truncated_answer_fails_without_retry() -> None:
    provider = ScriptedProvider()
    provider.script("A", end(StopReason.MAX_TOKENS))
    jobs = [make_job("A", max_tokens=512)]
    totals, rec = await run_jobs(provider, ["A"], jobs=jobs)
    failed = rec.terminal("A")
    assert isinstance(failed, Failed) and failed.kind is FaultKind.TRUNCATED
    assert failed.reason == "answer cut off at max_tokens (512); raise max_tokens in the plan"
    assert len(provider.calls) == 1 and totals.done == 0 and totals.output_tokens == 0


async def test_refusal_fails_without_retry() -> None:
    provider = ScriptedProvider()
    provider.script("A", end(StopReason.REFUSAL, "I can't"))
    totals, rec = await run_jobs(provider, ["A"])
    failed = rec.terminal("A")
    assert isinstance(failed, Failed) and failed.kind is FaultKind.REFUSED
    assert failed.reason.startswith("declined by the model's safety classifier")
    assert "not retried" in failed.reason
    assert len(provider.calls) == 1 and totals.done == 0
    assert totals.failed == 1 and totals.refused == 1


async def test_a_tool_use_stop_is_a_complete_answer() -> None:
    provider = ScriptedProvider()
    provider.script("A", end(StopReason.TOOL_USE, "# A\n"))
    _, rec = await run_jobs(provider, ["A"])
    done = rec.terminal("A")
    assert isinstance(done, Done) and done.stop_reason is StopReason.TOOL_USE


async def test_thinking_before_the_answer_is_reported_once_and_is_no_text() -> None:
    provider = ScriptedProvider(chunk_size=10)
    provider.script("A", thinking(4, "# A\nthe card"))
    provider.script("B", "# B\n")
    _, rec = await run_jobs(provider, ["A", "B"])
    kinds = [type(e) for e in rec.events if getattr(e, "component", None) == "A"]
    assert kinds.count(Thinking) == 1
    assert kinds.index(Started) < kinds.index(Thinking) < kinds.index(Delta)
    assert rec.terminal("A").text == "# A\nthe card"
    assert "".join(d.text for d in rec.of(Delta, "A")) == "# A\nthe card"
    assert not rec.of(Thinking, "B")


async def test_a_stream_of_thinking_alone_keeps_the_stall_watchdog_fed() -> None:
    provider = ScriptedProvider(chunk_delay_s=0.05)
    provider.script("A", thinking(6, "# A\n"))  # 0.3 s of thinking, a chunk every 0.05 s
    _, rec = await run_jobs(provider, ["A"], stall_timeout_s=0.2)
    assert not rec.of(Retrying) and rec.terminal("A").text == "# A\n"


async def test_stream_without_message_stop_is_retried_as_incomplete() -> None:
    provider = ScriptedProvider()
    provider.script("A", incomplete("# A\npartial"), "# A\n")
    _, rec = await run_jobs(provider, ["A"])
    assert rec.of(Retrying)[0].kind is FaultKind.INCOMPLETE
    assert rec.terminal("A").text == "# A\n"


# -- the stall watchdog ---------------------------------------------------------------------------


@pytest.mark.parametrize("chunks_before_stall", [0, 3])
async def test_stall_is_detected_closed_and_retried(chunks_before_stall: int) -> None:
    provider = ScriptedProvider()
    provider.script("A", stall(chunks_before_stall), "# A\n")
    totals, rec = await run_jobs(provider, ["A", "B"], stall_timeout_s=0.05)
    retrying = rec.of(Retrying, "A")
    assert len(retrying) == 1 and retrying[0].kind is FaultKind.STALLED
    assert "0.05 s" in retrying[0].reason
    assert rec.terminal("A").text == "# A\n"
    first = provider.calls_for("A")[0]
    assert first.closed and first.chunks_sent == chunks_before_stall
    assert provider.open_streams == 0
    assert totals.done == 2


async def test_stalling_every_time_fails_after_max_attempts() -> None:
    provider = ScriptedProvider()
    provider.script("A", stall(), stall())
    _, rec = await run_jobs(provider, ["A"], stall_timeout_s=0.02, max_attempts=2)
    failed = rec.terminal("A")
    assert isinstance(failed, Failed) and failed.kind is FaultKind.STALLED
    assert all(call.closed for call in provider.calls)


# -- bugs stay local ------------------------------------------------------------------------------


async def test_an_unexpected_exception_fails_only_that_card() -> None:
    provider = ScriptedProvider()
    provider.script("Bad", RuntimeError("boom\nsecond line"))
    names = ["Good 1", "Bad", "Good 2"]
    totals, rec = await run_jobs(provider, names)
    failed = rec.terminal("Bad")
    assert isinstance(failed, Failed) and failed.kind is FaultKind.OTHER
    assert failed.reason == "RuntimeError: boom"
    assert len(provider.calls_for("Bad")) == 1
    assert isinstance(rec.terminal("Good 1"), Done) and isinstance(rec.terminal("Good 2"), Done)
    assert (totals.done, totals.failed) == (2, 1)


async def test_a_provider_yielding_garbage_fails_only_that_card() -> None:
    class Garbage(ScriptedProvider):
        async def _garbage(self) -> AsyncIterator[StreamChunk]:
            yield "not a chunk"  # type: ignore[misc]

        def stream(self, request: CardRequest) -> AsyncIterator[StreamChunk]:
            if request.component == "Bad":
                return self._garbage()
            if request.component == "Worse":
                raise LookupError("no stream for you")
            return super().stream(request)

    totals, rec = await run_jobs(Garbage(), ["Bad", "Worse", "Good"])
    assert rec.terminal("Bad").kind is FaultKind.OTHER
    assert "str" in rec.terminal("Bad").reason
    assert rec.terminal("Worse").reason == "LookupError: no stream for you"
    assert isinstance(rec.terminal("Good"), Done)


# -- stopping the whole run ----------------------------------------------------------------------


async def test_auth_failure_stops_the_run() -> None:
    provider = ScriptedProvider(chunk_size=2)
    message = "the API refused the key (401): invalid x-api-key"
    provider.script("Fast", "# Fast")
    provider.script("A", after(30, ProviderError(FaultKind.AUTH, message, status=401)))
    provider.script("B", stall())
    provider.script("C", stall())
    names = ["Fast", "A", "B", "C", "D", "E"]
    totals, rec = await run_jobs(provider, names, concurrency=3)
    stopped = rec.of(RunStopped)
    assert stopped == [RunStopped(FaultKind.AUTH, message)]
    assert isinstance(rec.terminal("Fast"), Done)
    for name in names[1:]:
        assert rec.terminal(name) == NotRun(name, message)
    assert rec.events.index(stopped[0]) < min(rec.events.index(rec.terminal(n)) for n in names[1:])
    assert not rec.of(Failed) and not rec.of(Retrying)
    assert {c.component for c in provider.calls} == {"Fast", "A", "B", "C"}
    assert provider.open_streams == 0 and all(c.closed for c in provider.calls)
    assert totals.stopped == message and totals.not_run == 5 and totals.done == 1
    assert not totals.was_cancelled


async def test_unreachable_api_stops_the_run_with_one_line() -> None:
    provider = ScriptedProvider()
    message = "cannot reach the API at 127.0.0.1:9: connection refused"
    names = names_of(8)
    for name in names:
        provider.script(name, ProviderError(FaultKind.UNREACHABLE, message))
    totals, rec = await run_jobs(provider, names, concurrency=4)
    assert rec.of(RunStopped) == [RunStopped(FaultKind.UNREACHABLE, message)]
    assert all(isinstance(rec.terminal(n), NotRun) for n in names)
    assert not rec.of(Retrying) and not rec.of(Failed)
    assert len(provider.calls) <= 4
    assert provider.open_streams == 0
    assert totals.not_run == 8 and totals.stopped == message


async def test_unknown_model_stops_the_run_instead_of_failing_every_card() -> None:
    provider = ScriptedProvider()
    message = "model not found: claude-nope (404)"
    names = names_of(6)
    for name in names:
        provider.script(name, ProviderError(FaultKind.NOT_FOUND, message, status=404))
    totals, rec = await run_jobs(provider, names, concurrency=2)
    assert rec.of(RunStopped) == [RunStopped(FaultKind.NOT_FOUND, message)]
    assert all(isinstance(rec.terminal(n), NotRun) for n in names)
    assert not rec.of(Failed) and len(provider.calls) <= 2
    assert totals.stopped == message


async def test_a_stop_during_a_retry_wait_marks_the_waiting_card_not_run() -> None:
    provider = ScriptedProvider(chunk_delay_s=0.001)
    provider.script("A", ProviderError(FaultKind.OVERLOADED, "529"))
    provider.script("B", after(5, ProviderError(FaultKind.AUTH, "key refused (403)")))

    async def slow_sleep(seconds: float) -> None:
        await asyncio.sleep(30)

    rec = Recorder()
    runner = Runner(provider, [make_job("A"), make_job("B")], RunOptions(concurrency=2), rec,
                    sleep=slow_sleep)
    async with asyncio.timeout(5):
        totals = await runner.run()
    check_invariants(rec.events, ["A", "B"], totals)
    assert rec.terminal("A") == NotRun("A", "key refused (403)")
    assert totals.not_run == 2


# -- cancel ---------------------------------------------------------------------------------------


async def test_cancel_mid_run_keeps_done_cards_and_closes_streams() -> None:
    provider = ScriptedProvider()
    provider.script("Slow 1", stall(2))
    provider.script("Slow 2", stall())
    names = ["Fast", "Slow 1", "Slow 2", "Queued 1", "Queued 2"]
    rec = Recorder()
    runner = Runner(
        provider, [make_job(n) for n in names], RunOptions(concurrency=2), rec
    )
    task = asyncio.create_task(runner.run())
    await rec.wait_for(lambda e: isinstance(e, Done))
    await provider.wait_until_open(2)
    runner.cancel()
    async with asyncio.timeout(5):
        totals = await task
    check_invariants(rec.events, names, totals)
    assert isinstance(rec.terminal("Fast"), Done)
    for name in names[1:]:
        assert rec.terminal(name) == Cancelled(name)
    assert provider.open_streams == 0 and all(c.closed for c in provider.calls)
    assert {c.component for c in provider.calls} == {"Fast", "Slow 1", "Slow 2"}
    assert totals.was_cancelled and totals.done == 1 and totals.cancelled == 4
    assert totals.stopped is None


async def test_cancel_interrupts_a_retry_wait() -> None:
    provider = ScriptedProvider()
    provider.script("A", ProviderError(FaultKind.RATE_LIMITED, "429", retry_after_s=30))
    rec = Recorder()
    runner = Runner(provider, [make_job("A")], RunOptions(), rec)  # real asyncio.sleep
    task = asyncio.create_task(runner.run())
    await rec.wait_for(lambda e: isinstance(e, Retrying))
    runner.cancel()
    async with asyncio.timeout(5):
        totals = await task
    check_invariants(rec.events, ["A"], totals)
    assert rec.terminal("A") == Cancelled("A")
    assert len(provider.calls) == 1


async def test_cancel_before_the_run_sends_nothing() -> None:
    provider = ScriptedProvider()
    rec = Recorder()
    names = names_of(3)
    runner = Runner(provider, [make_job(n) for n in names], RunOptions(), rec)
    runner.cancel()
    totals = await runner.run()
    check_invariants(rec.events, names, totals)
    assert provider.calls == []
    assert totals.was_cancelled and totals.cancelled == 3 and totals.attempts == 0
    assert all(rec.terminal(n) == Cancelled(n) for n in names)


async def test_cancel_from_another_thread() -> None:
    provider = ScriptedProvider()
    provider.script("A", stall())
    rec = Recorder()
    runner = Runner(provider, [make_job("A")], RunOptions(), rec)
    task = asyncio.create_task(runner.run())
    await provider.wait_until_open(1)
    await asyncio.to_thread(runner.cancel)
    async with asyncio.timeout(5):
        totals = await task
    assert totals.was_cancelled and rec.terminal("A") == Cancelled("A")
    assert provider.open_streams == 0


async def test_cancelling_the_run_task_still_reports_and_reraises() -> None:
    provider = ScriptedProvider()
    provider.script("A", stall())
    rec = Recorder()
    runner = Runner(provider, [make_job("A"), make_job("B")], RunOptions(concurrency=1), rec)
    task = asyncio.create_task(runner.run())
    await provider.wait_until_open(1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        async with asyncio.timeout(5):
            await task
    finished = rec.of(RunFinished)
    assert len(finished) == 1 and finished[0].totals.was_cancelled
    check_invariants(rec.events, ["A", "B"], finished[0].totals)
    assert provider.open_streams == 0


async def test_a_runner_runs_once() -> None:
    runner = Runner(ScriptedProvider(), [make_job("A")], RunOptions(), Recorder())
    await runner.run()
    with pytest.raises(RuntimeError):
        await runner.run()


@pytest.mark.parametrize(
    "options",
    [{"concurrency": 0}, {"max_attempts": 0}, {"stall_timeout_s": 0}, {"grow_after": 0}],
)
def test_bad_options_are_usage_errors(options: dict[str, Any]) -> None:
    with pytest.raises(UsageError):
        RunOptions(**options)


def test_max_attempts_option_wins_over_the_policy() -> None:
    runner = Runner(
        ScriptedProvider(),
        [],
        RunOptions(max_attempts=7, policy=RetryPolicy(max_attempts=2, base_delay_s=1.5)),
        Recorder(),
    )
    assert runner.policy.max_attempts == 7 and runner.policy.base_delay_s == 1.5
