"""The stand-in's newer models over real HTTP: what they reject, how they think, the prompt cache
with its concurrency rule and minimum, and the rate-limit headers."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from tests.fakes import cards
from tests.fakes.messages_api import FakeMessagesAPI
from tests.fakes.model_rules import THINKING_TOKENS, count_tokens
from tests.fakes.rate_limit_headers import Limits
from tests.fakes.test_messages_api import KEY, post, sse_events

NEW, OLD = "claude-haiku-5-5", "claude-haiku-4-5"
SHARED = "Code language: typescript\n\n" + "Shared context of the whole plan. " * 120  # ~1,300 tokens


def body(component: str = "A", *, model: str = NEW, system: Any = "Code language: typescript",
         max_tokens: int = 4096, **extra: Any) -> dict[str, Any]:
    return {
        "model": model,
        "max_tokens": max_tokens,
        "stream": True,
        "system": system,
        "messages": [{"role": "user", "content": f"Component: {component}\n\nInstruction:\nDo it."}],
        **extra,
    }


def marked(text: str = SHARED) -> list[dict[str, Any]]:
    return [{"type": "text", "text": text, "cache_control": {"type": "ephemeral"}}]


@pytest.fixture
async def api() -> AsyncIterator[FakeMessagesAPI]:
    async with FakeMessagesAPI(valid_keys={KEY}, rate_limits=Limits(requests=5, input_tokens=9000, output_tokens=20000)) as server:
        yield server


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def stream(http: aiohttp.ClientSession, api: FakeMessagesAPI, payload: dict[str, Any]) -> tuple[int, Any, list]:
    status, headers, raw = await post(http, api, payload)
    return status, headers, (sse_events(raw) if status == 200 else json.loads(raw))


def usage_of(events: list) -> tuple[dict[str, Any], dict[str, Any]]:
    """(message_start's usage, the final message_delta's)."""
    start = events[0][1]["message"]["usage"]
    final = [data for name, data in events if name == "message_delta"][-1]
    return start, final


# -- what the API rejects ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "extra", "status", "words"),
    [
        ("claude-nope-9", {}, 404, "model: claude-nope-9"),
        ("claude-haiku-5-5-20261007", {}, 404, "model: claude-haiku-5-5-20261007"),  # 5.x: no dated ids
        (NEW, {"temperature": 0.2}, 400, "temperature: sampling parameters are not supported"),
        (NEW, {"top_p": 0.9}, 400, "top_p: sampling parameters"),
        (NEW, {"top_k": 5}, 400, "top_k: sampling parameters"),
        (NEW, {"thinking": {"type": "enabled", "budget_tokens": 2048}}, 400, "'enabled' is not supported"),
        (OLD, {"thinking": {"type": "adaptive"}}, 400, "'adaptive' is not supported on claude-haiku-4-5"),
        (OLD, {"output_config": {"effort": "low"}}, 400, "effort is not supported on claude-haiku-4-5"),
    ],
)
async def test_rejections(
    api: FakeMessagesAPI, http: aiohttp.ClientSession, model: str, extra: dict, status: int, words: str
) -> None:
    got, _, data = await stream(http, api, body(model=model, **extra))
    assert got == status and words in data["error"]["message"]
    assert api.records[-1].step == "rejected" and api.records[-1].status == status


async def test_prefill_is_a_400_on_5x_and_fine_on_4_5(api: FakeMessagesAPI, http: aiohttp.ClientSession) -> None:
    messages = [{"role": "user", "content": "Component: A\n\nx"}, {"role": "assistant", "content": "# A"}]
    got, _, data = await stream(http, api, {**body(), "messages": messages})
    assert got == 400 and "prefilling the assistant's answer is not supported" in data["error"]["message"]
    got, _, _ = await stream(http, api, {**body(model=OLD), "messages": messages})
    assert got == 200
    old_ok, _, _ = await stream(http, api, body(model=OLD, temperature=0.5))
    dated_ok, _, _ = await stream(http, api, body(model="claude-haiku-4-5-20251001"))
    assert old_ok == dated_ok == 200


# -- thinking --------------------------------------------------------------------------------------


async def test_a_5x_model_thinks_by_effort_and_its_thinking_counts_as_output(
    api: FakeMessagesAPI, http: aiohttp.ClientSession
) -> None:
    for effort in ("low", "high"):
        _, _, events = await stream(http, api, body(output_config={"effort": effort}))
        starts = [data["content_block"]["type"] for name, data in events if name == "content_block_start"]
        assert starts == ["thinking", "text"]
        text = "".join(d["delta"].get("text", "") for n, d in events if n == "content_block_delta")
        assert text == cards.good_card("A", "typescript")
        _, final = usage_of(events)
        assert final["usage"]["output_tokens"] == THINKING_TOKENS[effort] + count_tokens(NEW, text)
        assert api.records[-1].effort == effort and api.records[-1].thinking_tokens == THINKING_TOKENS[effort]
    _, _, events = await stream(http, api, body(thinking={"type": "disabled"}))
    assert [d["content_block"]["type"] for n, d in events if n == "content_block_start"] == ["text"]
    _, _, events = await stream(http, api, body(model=OLD))
    assert [d["content_block"]["type"] for n, d in events if n == "content_block_start"] == ["text"]


async def test_thinking_that_fills_max_tokens_cuts_the_card(api: FakeMessagesAPI, http: aiohttp.ClientSession) -> None:
    assert THINKING_TOKENS["high"] > 1024  # high alone is more than a 1,024-token card budget
    _, _, events = await stream(http, api, body(max_tokens=1024, output_config={"effort": "high"}))
    _, final = usage_of(events)
    assert final["delta"]["stop_reason"] == "max_tokens" and final["usage"]["output_tokens"] <= 1025
    text = "".join(d["delta"].get("text", "") for n, d in events if n == "content_block_delta")
    assert text == ""
    room = 1024 + 8000
    _, _, events = await stream(http, api, body(max_tokens=room, output_config={"effort": "high"}))
    assert usage_of(events)[1]["delta"]["stop_reason"] == "end_turn"


# -- the prompt cache ----------------------------------------------------------------------------


async def test_one_write_then_reads_and_the_usage_splits_the_prompt(
    api: FakeMessagesAPI, http: aiohttp.ClientSession
) -> None:
    uses = []
    for name in ("A", "B", "C"):
        _, _, events = await stream(http, api, body(name, system=marked()))
        uses.append(usage_of(events)[0])
    prefix = count_tokens(NEW, SHARED)
    assert [u["cache_creation_input_tokens"] for u in uses] == [prefix, 0, 0]
    assert [u["cache_read_input_tokens"] for u in uses] == [0, prefix, prefix]
    assert all(0 < u["input_tokens"] < 30 for u in uses)  # only the component's message
    assert [(r.cache_write, r.cache_read) for r in api.records] == [(prefix, 0), (0, prefix), (0, prefix)]


async def test_requests_sent_together_each_write_until_one_response_has_begun(http: aiohttp.ClientSession) -> None:
    async with FakeMessagesAPI(valid_keys={KEY}, ttfb_s=0.3) as api:
        together = await asyncio.gather(*(stream(http, api, body(n, system=marked())) for n in "ABC"))
        assert all(usage_of(events)[0]["cache_creation_input_tokens"] > 0 for _, _, events in together)
        _, _, later = await stream(http, api, body("D", system=marked()))
        assert usage_of(later)[0]["cache_read_input_tokens"] == count_tokens(NEW, SHARED)


async def test_nothing_is_cached_below_the_minimum_or_unmarked(api: FakeMessagesAPI, http: aiohttp.ClientSession) -> None:
    short = marked("Code language: typescript\n\nA short context.")
    for payload in (body("A", system=short), body("B", system=short), body("C", system=SHARED), body("D", system=SHARED)):
        _, _, events = await stream(http, api, payload)
        start = usage_of(events)[0]
        assert start["cache_creation_input_tokens"] == start["cache_read_input_tokens"] == 0
    # Haiku 4.5's minimum is 4,096 tokens: the same ~1,000-token prefix is not cached there.
    for name in ("E", "F"):
        _, _, events = await stream(http, api, body(name, model=OLD, system=marked()))
        assert usage_of(events)[0]["cache_read_input_tokens"] == 0


# -- rate-limit headers -----------------------------------------------------------------------------


async def test_every_answer_carries_the_accounts_limits_and_what_is_left(
    api: FakeMessagesAPI, http: aiohttp.ClientSession
) -> None:
    seen = []
    for name in ("A", "B"):
        _, headers, events = await stream(http, api, body(name, max_tokens=3000))
        seen.append(headers)
    assert seen[0]["anthropic-ratelimit-requests-limit"] == "5"
    assert seen[0]["anthropic-ratelimit-input-tokens-limit"] == "9000"
    assert seen[0]["anthropic-ratelimit-output-tokens-limit"] == "20000"
    assert [h["anthropic-ratelimit-requests-remaining"] for h in seen] == ["4", "3"]
    # Output is reserved from max_tokens when a request starts.
    assert [h["anthropic-ratelimit-output-tokens-remaining"] for h in seen] == ["17000", "14000"]
    assert seen[1]["anthropic-ratelimit-requests-reset"].endswith("Z")


async def test_the_5x_tokenizer_counts_about_30_percent_more(api: FakeMessagesAPI, http: aiohttp.ClientSession) -> None:
    text = "x" * 4000
    assert (count_tokens(OLD, text), count_tokens(NEW, text)) == (1000, 1300)
    counted = {}
    for model in (OLD, NEW):
        payload = {k: v for k, v in body(model=model, system=text).items() if k not in ("stream", "max_tokens")}
        async with http.post(api.base_url + "/v1/messages/count_tokens", json=payload, headers={"x-api-key": KEY}) as r:
            counted[model] = (await r.json())["input_tokens"]
    assert counted[NEW] == pytest.approx(counted[OLD] * 1.3, abs=2)
