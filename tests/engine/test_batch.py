"""The batch run in the engine, against the stand-in over real HTTP: splitting past the limits,
resuming and adopting after a kill or a lost answer, detaching, results for removed components."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from app.core.card import parse_card
from app.core.plan import load_plan
from app.core.states import CardState
from app.engine.batch import BatchGeneration, BatchOptions, PollSchedule
from app.engine.batch_client import BatchRequest
from app.engine.batch_events import BatchResultStale, BatchSubmitFailed, BatchSubmitted
from app.engine.batch_progress import BatchProgress
from app.engine.batch_state import CARDS, BatchState, PendingBatch, PendingItem, load_state, save_state
from app.engine.batch_submit import BatchLimits, utc_now
from app.engine.generate import GenerateOptions
from app.engine.providers.anthropic_batches import AnthropicBatches
from app.core.batch_ids import assign_custom_ids
from app.core.prompt import build_request
from app.core.store import cards_folder
from tests.fakes.messages_api import FakeMessagesAPI
from tests.helpers.plans import component_names, write_plan

KEY = "sk-test-batch-engine"
FAST = PollSchedule(0.02, 1.0, 0.02)


@pytest.fixture
async def api() -> AsyncIterator[FakeMessagesAPI]:
    async with FakeMessagesAPI(batch_seconds=0.0) as server:
        yield server


@pytest.fixture
async def client(api: FakeMessagesAPI) -> AsyncIterator[AnthropicBatches]:
    batches = AnthropicBatches(api_key=KEY, base_url=api.base_url)
    yield batches
    await batches.aclose()


async def run_batch(plan: Path, client: AnthropicBatches, **options: object) -> tuple[BatchGeneration, BatchProgress]:
    progress = BatchProgress()
    generation = BatchGeneration(plan, load_plan(plan), client, GenerateOptions(repairs=0), progress.apply,
                                 batch_options=BatchOptions(poll=FAST, **options))  # type: ignore[arg-type]
    generation.prepare()
    await generation.run()
    return generation, progress


async def submitted(api: FakeMessagesAPI, client: AnthropicBatches, plan: Path) -> Path:
    """The plan's cards sent as a batch that stays in progress until the test finishes it."""
    api.batches.seconds = None
    await run_batch(plan, client, detach=True)
    return plan


def written(plan: Path) -> list[str]:
    return sorted(parse_card(p.read_text(encoding="utf-8"))[0].component for p in cards_folder(plan).glob("*.md"))


async def test_past_the_limits_the_cards_go_as_several_batches(
    api: FakeMessagesAPI, client: AnthropicBatches, tmp_path: Path
) -> None:
    plan = write_plan(tmp_path, 20)
    generation, progress = await run_batch(plan, client, limits=BatchLimits(max_requests=7))
    assert [len(b.custom_ids) for b in api.batches.created] == [7, 7, 6]
    assert generation.outcome.created == 3 and generation.outcome.pending == ()
    assert written(plan) == component_names(20)
    assert len(progress.rows()) == 3 and progress.cards.done == 20
    assert all("ended" in label for label in progress.row_labels())


async def test_the_byte_limit_splits_too(api: FakeMessagesAPI, client: AnthropicBatches, tmp_path: Path) -> None:
    plan = write_plan(tmp_path, 6, context="A long shared context. " * 200)
    await run_batch(plan, client, limits=BatchLimits(max_bytes=3 * 8_000))
    assert len(api.batches.created) >= 2 and sum(len(b.custom_ids) for b in api.batches.created) == 6
    assert written(plan) == component_names(6)


def pending_entry(plan: Path, names: list[str], *, started: bool) -> BatchState:
    parsed = load_plan(plan)
    ids = assign_custom_ids(names)
    items = {ids[n]: PendingItem(n, build_request(parsed, parsed.component(n)).sha256(), None) for n in names}  # type: ignore[arg-type]
    batch = PendingBatch(CARDS, items, create_started_at=utc_now().isoformat() if started else None)
    state = BatchState([batch])
    save_state(plan, state)
    return state


@pytest.mark.parametrize("started", [False, True])
async def test_a_submission_that_never_reached_the_api_is_sent_on_resume(
    api: FakeMessagesAPI, client: AnthropicBatches, tmp_path: Path, started: bool
) -> None:
    plan = write_plan(tmp_path, 3)
    pending_entry(plan, component_names(3), started=started)  # a kill before (or during) the create call
    await run_batch(plan, client)
    assert len(api.batches.created) == 1
    assert written(plan) == component_names(3) and load_state(plan) is None


async def test_a_batch_created_before_a_kill_is_adopted_not_paid_twice(
    api: FakeMessagesAPI, client: AnthropicBatches, tmp_path: Path
) -> None:
    plan = write_plan(tmp_path, 3)
    state = pending_entry(plan, component_names(3), started=True)
    parsed = load_plan(plan)
    # The create call that the killed run made: its batch exists, its id was never written.
    ids = list(state.batches[0].requests)
    orphan = await client.create([BatchRequest(cid, build_request(parsed, parsed.components[n]))
                                  for n, cid in enumerate(ids)])
    await client.create([BatchRequest("other", build_request(parsed, parsed.components[0]))])  # not ours
    _, progress = await run_batch(plan, client)
    assert len(api.batches.created) == 2
    assert progress.batches[orphan.id].how == "adopted"
    assert written(plan) == component_names(3)


async def test_a_create_whose_answer_was_lost_is_found_again_by_the_next_run(
    api: FakeMessagesAPI, client: AnthropicBatches, tmp_path: Path
) -> None:
    plan = write_plan(tmp_path, 3)
    api.batches.drop_next_create = True
    events: list[object] = []
    generation = BatchGeneration(plan, load_plan(plan), client, GenerateOptions(repairs=0), events.append,
                                 batch_options=BatchOptions(poll=FAST))
    generation.prepare()
    await generation.run()
    failed = [e for e in events if isinstance(e, BatchSubmitFailed)]
    assert failed and failed[0].maybe_created
    state = load_state(plan)
    assert state is not None and state.batches[0].id is None and state.batches[0].create_started_at

    _, progress = await run_batch(plan, client)
    assert len(api.batches.created) == 1
    assert [row.how for row in progress.rows()] == ["adopted"]
    assert written(plan) == component_names(3)


async def test_cancel_detaches_and_the_batch_goes_on(api: FakeMessagesAPI, client: AnthropicBatches,
                                                    tmp_path: Path) -> None:
    api.batches.seconds = None
    plan = write_plan(tmp_path, 3)
    progress = BatchProgress()
    generation = BatchGeneration(plan, load_plan(plan), client, GenerateOptions(repairs=0), progress.apply,
                                 batch_options=BatchOptions(poll=FAST))
    generation.prepare()
    task = asyncio.create_task(generation.run())
    while not progress.rows() or progress.rows()[0].polled_at is None:
        await asyncio.sleep(0.01)
    assert progress.in_batch == 3
    generation.cancel()
    outcome = await task
    assert outcome.detached and progress.interrupted
    assert outcome.pending == (api.batches.created[0].id,)
    assert api.batches.created[0].cancel_requested is None and api.batches.created[0].ended is None
    assert load_state(plan) is not None and written(plan) == []


async def test_a_result_for_a_component_removed_meanwhile_becomes_an_orphan_card(
    api: FakeMessagesAPI, client: AnthropicBatches, tmp_path: Path
) -> None:
    plan = await submitted(api, client, write_plan(tmp_path, 3))
    text = plan.read_text(encoding="utf-8")
    plan.write_text(text.split("## Component 03")[0], encoding="utf-8")
    api.batches.finish()
    events: list[object] = []
    generation = BatchGeneration(plan, load_plan(plan), client, GenerateOptions(repairs=0), events.append,
                                 batch_options=BatchOptions(poll=FAST))
    generation.prepare()
    await generation.run()
    assert written(plan) == component_names(3)
    snapshot = generation.store.load(load_plan(plan))
    assert [o.meta.component for o in snapshot.orphans] == ["Component 03"]
    assert [e.component for e in events if isinstance(e, BatchResultStale)] == ["Component 03"]
    assert [e.how for e in events if isinstance(e, BatchSubmitted)] == ["resumed"]


def test_progress_marks_cards_in_batch_until_their_result() -> None:
    from app.engine.batch_client import BatchCounts
    from app.engine.batch_events import BatchPolled
    from app.engine.events import Done, Failed
    from app.engine.provider import FaultKind, StopReason

    clock = iter(range(100)).__next__
    progress = BatchProgress(clock=lambda: float(clock()))
    progress.apply(BatchSubmitted("msgbatch_1", ("A", "B"), "created"))
    assert progress.in_batch == 2 and progress.cards.cards["A"].label() == "in batch"
    progress.apply(BatchPolled("msgbatch_1", "in_progress", BatchCounts(processing=2), 65.0))
    label = progress.row_labels()[0]
    assert "msgbatch_1" in label and "2 processing" in label and "1 min" in label
    progress.apply(Done("A", "# A", StopReason.END, 10, 20, "m", 0.5, 1.0, 1))
    progress.apply(Failed("B", FaultKind.BAD_REQUEST, "batch request errored: no", 1))
    assert progress.cards.cards["A"].state is CardState.DONE and progress.in_batch == 0
    assert progress.summary().startswith("1 done · 1 failed")


async def test_results_stored_before_a_kill_are_not_stored_twice(
    api: FakeMessagesAPI, client: AnthropicBatches, tmp_path: Path
) -> None:
    from app.engine.batch_state import state_path
    from tests.helpers.cli import tree_digest

    plan = await submitted(api, client, write_plan(tmp_path, 4))
    pending = state_path(plan).read_bytes()
    api.batches.finish()
    await run_batch(plan, client)
    stored = tree_digest(cards_folder(plan))
    # A kill after the cards were written but before the state knew: the state says pending again.
    state_path(plan).write_bytes(pending)
    _, progress = await run_batch(plan, client)
    assert tree_digest(cards_folder(plan)) == stored  # no card rewritten, no history version added
    assert progress.cards.done == 4 and not progress.kept and load_state(plan) is None
