"""Repairs in the runner (follow-up requests through the one retry loop) and in the progress model."""

from __future__ import annotations

import asyncio
from pathlib import Path

from app.core.card import CardMeta, Finding
from app.core.prompt import CardRequest, build_repair_request
from app.core.store import StoredCard
from app.engine import events as ev
from app.engine.generate import CardSaved
from app.engine.progress import RunProgress
from app.engine.card_run import Job
from app.engine.follow_ups import FollowUp
from app.engine.provider import FaultKind, ProviderError, StopReason
from app.engine.runner import Runner, RunOptions
from tests.fakes.scripted_provider import ScriptedProvider, stall
from tests.helpers.card_files import MODEL
from tests.helpers.jobs import make_job

FINDING = Finding("code-lines", "error", "18 code lines; at most 15", 5)


def repair_first_answer(job: Job, request: CardRequest, answer: str, done: int) -> FollowUp | None:
    """Repair once, whatever the answer (the runner does not lint; Generation does)."""
    if done >= 1:
        return None
    return FollowUp(build_repair_request(request, answer, [FINDING]), (FINDING,))


async def instant(_: float) -> None:
    await asyncio.sleep(0)


async def run(provider: ScriptedProvider, follow_up=repair_first_answer,  # type: ignore[no-untyped-def]
              on_event=None) -> tuple[list[object], ev.RunTotals]:
    seen: list[object] = []

    async def collect(event: object) -> None:
        seen.append(event)
        if on_event is not None:
            await on_event(event)

    runner = Runner(provider, [make_job("A")], RunOptions(concurrency=2), collect,
                    cost_fn=lambda m, u: (u.input_tokens + u.output_tokens) / 1e6, follow_up=follow_up, sleep=instant)
    totals = await runner.run()
    return seen, totals


def terminals(seen: list[object]) -> list[object]:
    return [e for e in seen if ev.is_terminal(e)]


async def test_a_repair_is_one_more_request_and_the_card_ends_with_one_done_of_both() -> None:
    provider = ScriptedProvider(input_tokens=100).script("A", "first answer", "second answer")
    seen, totals = await run(provider)
    (done,) = terminals(seen)
    assert isinstance(done, ev.Done)
    assert done.text == "second answer" and done.answers == ("first answer", "second answer")
    assert done.input_tokens == 200 and done.attempts == 2
    assert done.cost_usd == (done.input_tokens + done.output_tokens) / 1e6
    kinds = [type(e).__name__ for e in seen if not isinstance(e, ev.Delta)]
    assert kinds == ["Queued", "Started", "Repairing", "Started", "Done", "RunFinished"]
    repairing = next(e for e in seen if isinstance(e, ev.Repairing))
    assert repairing.round == 1 and repairing.findings == (FINDING,)
    assert totals.done == 1 and totals.input_tokens == 200 and totals.attempts == 2
    assert len(provider.calls_for("A")) == 2


async def test_the_repair_request_carries_the_answer_and_the_ids() -> None:
    request = make_job("A").request
    repair = build_repair_request(request, "my card", [FINDING, Finding("why-sentences", "warning", "w", 9)])
    assert repair.messages[:-2] == request.messages
    assert repair.messages[-2] == ("assistant", "my card")
    role, ask = repair.messages[-1]
    assert role == "user" and "[code-lines] line 5: 18 code lines; at most 15" in ask
    assert "why-sentences" not in ask  # warnings never ask for a repair
    assert repair.sha256() != request.sha256() and repair.system == request.system


async def test_a_transient_fault_in_a_repair_is_retried_in_the_same_loop() -> None:
    provider = ScriptedProvider().script(
        "A", "first", ProviderError(FaultKind.OVERLOADED, "Overloaded"), "second")
    seen, _ = await run(provider)
    (done,) = terminals(seen)
    assert isinstance(done, ev.Done) and done.text == "second" and done.attempts == 3
    retry = next(e for e in seen if isinstance(e, ev.Retrying))
    assert retry.attempt == 1  # counted per request: the repair's own first attempt


async def test_a_failed_repair_keeps_the_card_done_with_its_first_answer() -> None:
    provider = ScriptedProvider(input_tokens=100).script(
        "A", "first", ProviderError(FaultKind.BAD_REQUEST, "bad"))
    seen, totals = await run(provider)
    (done,) = terminals(seen)
    assert isinstance(done, ev.Done) and done.text == "first" and done.answers == ()
    assert totals.done == 1 and totals.failed == 0 and done.input_tokens == 100


async def test_cancel_during_a_repair_keeps_the_first_answer() -> None:
    provider = ScriptedProvider().script("A", "first", stall())
    runner_box: list[Runner] = []

    async def cancel_on_repair(event: object) -> None:
        if isinstance(event, ev.Repairing):
            asyncio.get_running_loop().call_later(0.05, runner_box[0].cancel)

    seen: list[object] = []

    async def collect(event: object) -> None:
        seen.append(event)
        await cancel_on_repair(event)

    runner = Runner(provider, [make_job("A")], RunOptions(), collect,
                    follow_up=repair_first_answer, sleep=instant)
    runner_box.append(runner)
    totals = await asyncio.wait_for(runner.run(), 10)
    (done,) = terminals(seen)
    assert isinstance(done, ev.Done) and done.text == "first"
    assert totals.was_cancelled and totals.done == 1


async def test_a_crashing_follow_up_callback_does_not_cost_the_card() -> None:
    def broken(*_: object) -> FollowUp | None:
        raise RuntimeError("bug")

    seen, _ = await run(ScriptedProvider().script("A", "first"), follow_up=broken)
    (done,) = terminals(seen)
    assert isinstance(done, ev.Done) and done.text == "first"


def test_progress_reads_repairing_until_done_and_counts_repaired_cards() -> None:
    p = RunProgress(clock=lambda: 0.0)
    p.apply(ev.Queued("A"))
    p.apply(ev.Started("A", 1, 4))
    assert p.cards["A"].state == "streaming"
    p.apply(ev.Repairing("A", 1, (FINDING,)))
    card = p.cards["A"]
    assert card.state == "repairing" and card.label() == "repairing · 1 lint error"
    p.apply(ev.Started("A", 1, 4))
    p.apply(ev.Delta("A", "x" * 40, 40, 10))
    assert card.state == "repairing" and card.label() == "repairing · 10 tok"
    assert p.tokens == 10
    p.apply(ev.Done("A", "x", StopReason.END, 200, 120, MODEL, 0.001, 1.0, 2, ("a", "x")))
    assert card.state == "done" and "repaired" not in p.summary()
    p.apply(CardSaved("A", StoredCard(Path("a.md"), CardMeta("A"), "x"), (), repaired=True))
    assert p.repaired == 1 and "1 repaired" in p.summary()
    assert card.label().endswith("· repaired")
