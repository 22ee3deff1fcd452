"""The review engine's seams: the answer tool over the wire (thinking on or off), a runner that takes
cards while it runs, and the progress rows of reviews."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace

import pytest

from app.core.answer_format import AnswerFormat, AnswerVia
from app.core.prompt import CardRequest
from app.core.review import CardReview, ReviewStatus, Verdict
from app.core.review_schema import REVIEW_SCHEMA, TOOL_NAME, parse_review_answer, schema_json
from app.core.states import CardState
from app.engine import events as ev
from app.engine.card_run import Job
from app.engine.pipeline import OpenRunner
from app.engine.progress import RunProgress
from app.engine.provider import (
    FaultKind,
    ProviderError,
    ResponseStarted,
    StopReason,
    StreamEnd,
    TextDelta,
    ThinkingDelta,
)
from app.engine.providers.anthropic import AnthropicProvider
from app.engine.review_events import ReviewEvent, ReviewFailed, ReviewSaved
from app.engine.runner import RunOptions
from tests.fakes.messages_api import FakeMessagesAPI
from tests.fakes.review_api import FORCED_WITH_THINKING
from tests.fakes.scripted_provider import ScriptedProvider
from tests.engine.test_anthropic_provider import api, provider  # noqa: F401  (the same fixtures)


def review_request(model: str, via: AnswerVia, *, force: bool = False, component: str = "User Model") -> CardRequest:
    shape = AnswerFormat(schema_json(), via, TOOL_NAME, "Record the review.", force_tool=force)
    return CardRequest(
        component=component, model=model, system="You are the reviewer.",
        messages=(("user", f"Component: {component}\n\nInstruction:\nx\n\n 1 | # {component}"),),
        max_tokens=1024, answer_format=shape,
    )


async def collect(provider: AnthropicProvider, request: CardRequest) -> tuple[list[object], StreamEnd]:
    chunks = [chunk async for chunk in provider.stream(request)]
    end = chunks[-1]
    assert isinstance(end, StreamEnd)
    return chunks[:-1], end


async def test_a_tool_answer_after_thinking_is_the_calls_input(api: FakeMessagesAPI, provider: AnthropicProvider) -> None:
    # An adaptive model thinks by default: the tool is offered (auto), not forced.
    chunks, end = await collect(provider, review_request("claude-haiku-5-5", AnswerVia.TOOL))
    assert isinstance(chunks[0], ResponseStarted) and isinstance(chunks[1], ThinkingDelta)
    assert end.stop_reason is StopReason.TOOL_USE and end.tool_input is not None
    assert "".join(c.text for c in chunks if isinstance(c, TextDelta)) == end.tool_input
    assert parse_review_answer(end.tool_input).verdict is Verdict.PASS
    (record,) = api.reviews.records()
    assert (record.structured, record.status) == ("tool", 200)


async def test_structured_output_answers_json_text(api: FakeMessagesAPI, provider: AnthropicProvider) -> None:
    api.reviews.revise("User Model")
    chunks, end = await collect(provider, review_request("claude-sonnet-5-5", AnswerVia.FORMAT))
    text = "".join(c.text for c in chunks if isinstance(c, TextDelta))
    assert end.tool_input is None and end.stop_reason is StopReason.END
    answer = parse_review_answer(text)
    assert answer.verdict is Verdict.REVISE and answer.notes[0].line == 1


async def test_forced_tool_use_with_thinking_on_is_a_400_as_the_api_says(
    api: FakeMessagesAPI, provider: AnthropicProvider
) -> None:
    with pytest.raises(ProviderError) as caught:
        await collect(provider, review_request("claude-sonnet-5-5", AnswerVia.TOOL, force=True))
    assert caught.value.kind is FaultKind.BAD_REQUEST and FORCED_WITH_THINKING in caught.value.message
    # Without thinking (a model that thinks only when asked) forcing is allowed.
    _, end = await collect(provider, review_request("claude-sonnet-4", AnswerVia.TOOL, force=True))
    assert end.tool_input is not None
    assert [r.step for r in api.reviews.records()] == ["http_400", "review:pass"]


async def test_the_stand_in_answers_in_the_schema_it_was_sent(api: FakeMessagesAPI, provider: AnthropicProvider) -> None:
    schema = json.loads(schema_json())
    del schema["properties"]["summary"]
    schema["properties"]["confidence"] = {"type": "integer"}
    schema["required"] = ["verdict", "notes", "confidence"]
    request = review_request("claude-sonnet-5-5", AnswerVia.FORMAT)
    request = replace(request, answer_format=replace(request.answer_format, schema_json=json.dumps(schema)))
    chunks, _ = await collect(provider, request)
    answer = json.loads("".join(c.text for c in chunks if isinstance(c, TextDelta)))
    assert set(answer) == {"verdict", "notes", "confidence"}
    # The API refuses a structured-output schema whose objects allow additional properties.
    del schema["additionalProperties"]
    open_request = replace(request, answer_format=replace(request.answer_format, schema_json=json.dumps(schema)))
    with pytest.raises(ProviderError) as caught:
        await collect(provider, open_request)
    assert caught.value.kind is FaultKind.BAD_REQUEST and "additionalProperties" in caught.value.message
    assert REVIEW_SCHEMA["additionalProperties"] is False


def job(name: str) -> Job:
    return Job(name, CardRequest(name, "m", "s", (("user", f"Component: {name}"),), 100))


async def test_an_open_runner_takes_cards_while_it_runs_and_ends_once_closed() -> None:
    events: list[object] = []
    provider = ScriptedProvider()
    runner = OpenRunner(provider, [job("A")], RunOptions(concurrency=2), events.append)
    task = asyncio.create_task(runner.run())
    await asyncio.sleep(0.05)
    assert not task.done()  # open: waits for more
    assert await runner.submit(job("B"))
    await asyncio.sleep(0.05)
    assert not task.done()
    runner.close()
    totals = await asyncio.wait_for(task, 5)
    assert totals.done == 2
    assert not await runner.submit(job("C"))
    done = [e.component for e in events if isinstance(e, ev.Done)]
    assert sorted(done) == ["A", "B"] and isinstance(events[-1], ev.RunFinished)


async def test_cancel_ends_an_open_runner_that_waits_for_more() -> None:
    runner = OpenRunner(ScriptedProvider(), [], RunOptions(), lambda e: None)
    task = asyncio.create_task(runner.run())
    await asyncio.sleep(0.05)
    runner.cancel()
    totals = await asyncio.wait_for(task, 5)
    assert totals.total == 0 and totals.was_cancelled
    assert not await runner.submit(job("late"))


def test_progress_shows_reviewing_then_the_verdict_and_counts_review_cost_by_role() -> None:
    progress = RunProgress()
    progress.apply(ev.Queued("A"))
    progress.apply(ev.Done("A", "text", StopReason.END, 100, 50, "m", 0.01, 1.0, 1, follow_up_cost_usd=0.002))
    card = progress.apply(ReviewEvent(ev.Queued("A")))
    assert card is not None and card.state is CardState.REVIEWING and card.label() == "review queued"
    progress.apply(ReviewEvent(ev.Delta("A", "{", 1, 7)))
    assert progress.cards["A"].label() == "reviewing · 7 tok"
    assert progress.done == 1  # written; its review still going
    review = CardReview("r", Verdict.REVISE, "h", notes=(), cost_usd=0.03, input_tokens=10, output_tokens=5)
    progress.apply(ReviewSaved("A", None, review))  # type: ignore[arg-type]
    assert progress.cards["A"].state is CardState.DONE
    assert progress.cards["A"].label().endswith("· revise")
    progress.apply(ReviewFailed("B", "malformed review: not JSON", 5, 5, 0.001))
    assert progress.cards["B"].label() == "review failed · malformed review: not JSON"
    roles = progress.cost_by_role()
    assert roles["generation"] == pytest.approx(0.008) and roles["repairs"] == pytest.approx(0.002)
    assert roles["review"] == pytest.approx(0.031)
    assert "reviews: 1 revise, 1 failed" in progress.summary()
    assert "review $0.0310" in progress.summary()
    assert ReviewStatus.REVISE in progress.reviews.verdicts


def test_the_review_modules_import_without_qt_or_the_sdk() -> None:
    import subprocess
    import sys

    from tests.test_boundaries import BLOCK_QT

    modules = ["app.core.review", "app.core.review_schema", "app.core.review_prompt",
               "app.core.review_store", "app.core.review_report", "app.core.answer_format",
               "app.engine.review", "app.engine.review_events", "app.engine.review_progress",
               "app.engine.review_pipeline", "app.engine.pipeline", "app.engine.fix", "app.review_terminal"]
    code = BLOCK_QT + f"\nimport {', '.join(modules)}\nprint('anthropic' in sys.modules)\n"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
