"""The Qt-free progress model that the terminal and the window both draw."""

from __future__ import annotations

import pytest

from app.core.states import CardState
from app.engine import events as ev
from app.engine.progress import RunProgress
from app.engine.provider import FaultKind, StopReason


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_card_goes_from_queued_to_done_with_words_and_bar() -> None:
    clock = Clock()
    progress = RunProgress(clock=clock)
    card = progress.apply(ev.Queued("A"))
    assert card is not None and card.label() == "queued" and card.fraction == 0
    progress.apply(ev.Started("A", 1, 4))
    card = progress.apply(ev.Delta("A", "xxxx", 400, 100))
    assert card is not None and card.label() == "streaming · 100 tok"
    assert 0 < card.fraction < 1
    card = progress.apply(ev.Retrying("A", 1, 4, FaultKind.OVERLOADED, "overloaded (529)", 1.25))
    assert card is not None and card.label() == "retrying 2/4 · overloaded (529) · waiting 1.2 s"
    progress.apply(ev.Started("A", 2, 4))
    assert progress.cards["A"].label() == "waiting for the first token (attempt 2/4)"
    clock.now = 104.0
    progress.apply(ev.Done("A", "# A", StopReason.END, 300, 120, "m", 0.0009, 3.0, 2))
    assert progress.cards["A"].fraction == 1.0 and progress.done == 1
    assert progress.speedup == 3.0 / 4.0


def test_summary_counts_failures_and_unknown_cost() -> None:
    progress = RunProgress(clock=Clock())
    for name in "ABC":
        progress.apply(ev.Queued(name))
    progress.apply(ev.Done("A", "# A", StopReason.END, 10, 10, "local", None, 1.0, 1))
    progress.apply(ev.Failed("B", FaultKind.BAD_REQUEST, "bad request (400)", 1))
    progress.apply(ev.NotRun("C", "key refused"))
    summary = progress.summary()
    assert summary.startswith("1/3 done · 1 failed · 1 not run · 20 tokens · unknown")
    assert progress.cards["B"].label() == "failed · bad request (400)"


def test_run_stopped_is_remembered_with_its_kind() -> None:
    progress = RunProgress(clock=Clock())
    progress.apply(ev.RunStopped(FaultKind.AUTH, "API key refused (401)"))
    assert progress.stopped == "API key refused (401)" and progress.stopped_kind is FaultKind.AUTH


def test_thinking_before_the_first_text_reads_thinking_with_its_time_then_streaming() -> None:
    clock = Clock()
    progress = RunProgress(clock=clock)
    progress.apply(ev.Queued("A"))
    progress.apply(ev.Started("A", 1, 4))
    card = progress.apply(ev.Thinking("A"))
    assert card is not None and card.state is CardState.THINKING
    assert card.label() == "thinking… 0.0 s" and card.fraction == 0 and card.state.busy
    clock.now += 3.24
    assert card.label() == "thinking… 3.2 s"  # the label reads the clock: a redraw shows the time
    progress.apply(ev.Delta("A", "x" * 40, 40, 10))
    assert card.state is CardState.STREAMING and card.label() == "streaming · 10 tok"
    assert card.thinking_s == 0.0
    progress.apply(ev.Retrying("A", 1, 4, FaultKind.OVERLOADED, "overloaded (529)", 1.0))
    progress.apply(ev.Started("A", 2, 4))
    progress.apply(ev.Thinking("A"))
    clock.now += 1.0
    assert card.label() == "thinking… 1.0 s (attempt 2/4)"


def test_a_refusal_is_counted_apart_from_other_failures() -> None:
    progress = RunProgress(clock=Clock())
    for name in "ABC":
        progress.apply(ev.Queued(name))
    progress.apply(ev.Done("A", "# A", StopReason.END, 10, 10, "claude-haiku-5-5", 0.0, 1.0, 1))
    progress.apply(ev.Failed("B", FaultKind.REFUSED, "declined by the model's safety classifier", 1))
    progress.apply(ev.Failed("C", FaultKind.BAD_REQUEST, "bad request (400)", 1))
    assert progress.refused == 1 and progress.count(CardState.FAILED) == 2
    assert progress.summary().startswith("1/3 done · 1 failed · 1 refused · ")
    assert progress.cards["B"].label() == "failed · declined by the model's safety classifier"


def test_the_summary_says_what_the_cache_saved() -> None:
    progress = RunProgress(clock=Clock())
    model = "claude-haiku-5-5"  # input $0.10/MTok; cache writes 1.25x, reads 0.1x
    for name in "ABC":
        progress.apply(ev.Queued(name))
    progress.apply(ev.Done("A", "# A", StopReason.END, 100, 50, model, 0.0, 1.0, 1, cache_write_tokens=10_000))
    for name in "BC":
        progress.apply(ev.Done(name, "# x", StopReason.END, 100, 50, model, 0.0, 1.0, 1, cache_read_tokens=10_000))
    # Uncached, each card would pay 10,000 x $0.10/M = $0.001: the write paid $0.00025 more,
    # each read $0.0009 less.
    assert progress.cache_saved_usd == pytest.approx(2 * 0.0009 - 0.00025)
    assert (progress.cache_writes, progress.cache_reads) == (1, 2)
    assert "cache: 1 write, 2 reads, saved $0.0015" in progress.summary()


def test_a_repair_that_thinks_still_reads_repairing() -> None:
    progress = RunProgress(clock=Clock())
    progress.apply(ev.Queued("A"))
    progress.apply(ev.Started("A", 1, 4))
    progress.apply(ev.Repairing("A", 1, ()))
    progress.apply(ev.Started("A", 1, 4))
    card = progress.apply(ev.Thinking("A"))
    assert card is not None and card.state is CardState.REPAIRING


def test_states_are_card_states_and_counted_by_them() -> None:
    progress = RunProgress(clock=Clock())
    for name in "AB":
        progress.apply(ev.Queued(name))
    progress.apply(ev.Failed("A", FaultKind.REFUSED, "refused", 1))
    assert all(isinstance(c.state, CardState) for c in progress.cards.values())
    assert progress.count(CardState.FAILED) == 1 and progress.count(CardState.QUEUED) == 1
    assert progress.cards["A"].finished and not progress.cards["B"].finished
