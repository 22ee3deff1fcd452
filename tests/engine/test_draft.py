"""A draft through the engine with a scripted provider: the follow-up, a cut answer, cancel, usage."""

from __future__ import annotations

import asyncio
import json

from app.core.draft_prompt import DRAFT_JOB
from app.core.plan import parse_plan
from app.engine import events as ev
from app.engine.draft import DraftSpec, Drafting, progress_text
from app.engine.progress import RunProgress
from app.engine.provider import FaultKind, StopReason
from tests.fakes.scripted_provider import ScriptedProvider, end, stall

PLAN = {"title": "Guide", "language": "go", "context": "Decided: Go 1.23.",
        "components": [{"name": "A", "instruction": "Show A."}, {"name": "B", "instruction": "Show B."}]}
SPEC = DraftSpec("A brief.", model="claude-opus-5-5")  # structured output: JSON answers


async def test_a_good_answer_is_one_request_with_its_usage_priced() -> None:
    provider = ScriptedProvider(input_tokens=1000).script(DRAFT_JOB, json.dumps(PLAN))
    events: list[object] = []
    result = await Drafting(SPEC, provider, events.append).run()
    assert result.usable and not result.fixed and result.answers == 1
    assert [c.name for c in parse_plan(result.text).components] == ["A", "B"]
    assert result.input_tokens == 1000 and result.cost_usd is not None and result.cost_usd > 0.004
    assert isinstance(events[-1], ev.RunFinished) and len(provider.calls) == 1


async def test_a_broken_answer_gets_one_follow_up_then_the_fix_is_used() -> None:
    provider = ScriptedProvider().script(DRAFT_JOB, "{not json", json.dumps(PLAN))
    progress = RunProgress()
    texts: list[str] = []

    def listen(event: object) -> None:
        card = progress.apply(event)
        if card is not None:
            texts.append(progress_text(card))

    result = await Drafting(SPEC, provider, listen).run()
    assert result.usable and result.fixed and result.answers == 2 and len(provider.calls) == 2
    assert "asking for a fix of its errors" in texts


async def test_without_follow_ups_a_broken_answer_is_rejected_with_its_raw_text() -> None:
    provider = ScriptedProvider().script(DRAFT_JOB, "{not json")
    result = await Drafting(SPEC, provider, fixes=0).run()
    assert not result.usable and result.raw == "{not json" and result.errors[0].line == 1
    assert len(provider.calls) == 1


async def test_an_answer_cut_at_max_tokens_fails_and_keeps_what_arrived() -> None:
    provider = ScriptedProvider().script(DRAFT_JOB, end(StopReason.MAX_TOKENS, '{"title": "Gui'))
    result = await Drafting(SPEC, provider).run()
    assert result.failure_kind is FaultKind.TRUNCATED and "max_tokens" in result.failure
    assert result.raw == '{"title": "Gui' and result.text == "" and not result.usable


async def test_cancel_ends_the_draft_with_nothing_to_write() -> None:
    provider = ScriptedProvider().script(DRAFT_JOB, stall(2))
    drafting = Drafting(SPEC, provider)
    task = asyncio.create_task(drafting.run())
    await provider.wait_until_open(1)
    drafting.cancel()
    result = await asyncio.wait_for(task, 5)
    assert result.cancelled and not result.usable and result.text == ""
