"""The Qt-free progress model that the terminal and the window both draw."""

from __future__ import annotations

from app.engine import events as ev
from app.engine.progress import RunProgress
from app.engine.provider import FaultKind


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
    progress.apply(ev.Done("A", "# A", "end_turn", 300, 120, "m", 0.0009, 3.0, 2))
    assert progress.cards["A"].fraction == 1.0 and progress.done == 1
    assert progress.speedup == 3.0 / 4.0


def test_summary_counts_failures_and_unknown_cost() -> None:
    progress = RunProgress(clock=Clock())
    for name in "ABC":
        progress.apply(ev.Queued(name))
    progress.apply(ev.Done("A", "# A", "end_turn", 10, 10, "local", None, 1.0, 1))
    progress.apply(ev.Failed("B", FaultKind.BAD_REQUEST, "bad request (400)", 1))
    progress.apply(ev.NotRun("C", "key refused"))
    summary = progress.summary()
    assert summary.startswith("1/3 done · 1 failed · 1 not run · 20 tokens · unknown")
    assert progress.cards["B"].label() == "failed · bad request (400)"


def test_run_stopped_is_remembered_with_its_kind() -> None:
    progress = RunProgress(clock=Clock())
    progress.apply(ev.RunStopped(FaultKind.AUTH, "API key refused (401)"))
    assert progress.stopped == "API key refused (401)" and progress.stopped_kind is FaultKind.AUTH
