"""The stand-in's Message Batches endpoints, through the official SDK over real HTTP: custom_id
checks, results in any order, errored / expired / canceled results, in_progress -> ended, list,
cancel."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import anthropic
import pytest

from tests.fakes.messages_api import FakeMessagesAPI

KEY = "sk-test-batches"
MODEL = "claude-haiku-4-5"


def params(component: str) -> dict[str, Any]:
    return {
        "model": MODEL,
        "max_tokens": 512,
        "system": "You write cards.\n\nCode language: python\n",
        "messages": [{"role": "user", "content": f"Component: {component}\n\nInstruction:\nDo it."}],
    }


def req(custom_id: str, component: str) -> dict[str, Any]:
    return {"custom_id": custom_id, "params": params(component)}


@pytest.fixture
async def api() -> AsyncIterator[FakeMessagesAPI]:
    async with FakeMessagesAPI(valid_keys={KEY}, batch_seconds=None) as server:
        yield server


@pytest.fixture
async def client(api: FakeMessagesAPI) -> AsyncIterator[anthropic.AsyncAnthropic]:
    sdk = anthropic.AsyncAnthropic(api_key=KEY, base_url=api.base_url, max_retries=0)
    yield sdk
    await sdk.close()


@pytest.mark.parametrize(
    ("ids", "fragment"),
    [
        (["has space"], "custom_id"),
        (["a/b"], "custom_id"),
        (["x" * 65], "custom_id"),
        ([""], "custom_id"),
        (["Ünïcode"], "custom_id"),
        (["same", "same"], "not unique"),
    ],
)
async def test_custom_ids_are_checked_like_the_api(
    api: FakeMessagesAPI, client: anthropic.AsyncAnthropic, ids: list[str], fragment: str
) -> None:
    with pytest.raises(anthropic.BadRequestError) as info:
        await client.messages.batches.create(requests=[req(i, f"C{n}") for n, i in enumerate(ids)])
    assert fragment in str(info.value)
    assert api.batches.created == []


async def test_a_streaming_request_in_a_batch_is_refused(client: anthropic.AsyncAnthropic) -> None:
    with pytest.raises(anthropic.BadRequestError, match="stream"):
        await client.messages.batches.create(
            requests=[{"custom_id": "a", "params": {**params("A"), "stream": True}}]
        )


async def test_a_batch_stays_in_progress_until_finished_then_gives_every_kind_of_result(
    api: FakeMessagesAPI, client: anthropic.AsyncAnthropic
) -> None:
    api.script("Bad", "http_400")
    api.script("Late", "expired")
    api.script("Busy", "http_529")
    names = [f"Card {n}" for n in range(12)] + ["Bad", "Late", "Busy"]
    batch = await client.messages.batches.create(requests=[req(f"id-{n}", name) for n, name in enumerate(names)])
    assert batch.processing_status == "in_progress" and batch.results_url is None
    again = await client.messages.batches.retrieve(batch.id)
    assert again.processing_status == "in_progress"
    assert again.request_counts.processing == len(names) and again.request_counts.succeeded == 0

    api.batches.finish(batch.id)
    ended = await client.messages.batches.retrieve(batch.id)
    assert ended.processing_status == "ended" and ended.results_url
    counts = ended.request_counts
    assert (counts.processing, counts.succeeded, counts.errored, counts.expired) == (0, 12, 2, 1)

    lines = [line async for line in await client.messages.batches.results(batch.id)]
    by_id = {line.custom_id: line.result for line in lines}
    assert sorted(by_id) == sorted(f"id-{n}" for n in range(len(names)))
    assert [line.custom_id for line in lines] != [f"id-{n}" for n in range(len(names))]  # any order
    assert by_id["id-12"].type == "errored" and by_id["id-12"].error.error.type == "invalid_request_error"
    assert by_id["id-13"].type == "expired"
    assert by_id["id-14"].type == "errored" and by_id["id-14"].error.error.type == "overloaded_error"
    good = by_id["id-0"]
    assert good.type == "succeeded" and good.message.content[0].text.startswith("# Card 0\n")
    assert good.message.usage.output_tokens > 0
    assert {r.path for r in api.records} == {"/v1/messages/batches"}


async def test_time_ends_a_batch(client: anthropic.AsyncAnthropic, api: FakeMessagesAPI) -> None:
    api.batches.seconds = 0.3
    batch = await client.messages.batches.create(requests=[req("a", "A")])
    assert (await client.messages.batches.retrieve(batch.id)).processing_status == "in_progress"
    for _ in range(100):
        await asyncio.sleep(0.05)
        if (await client.messages.batches.retrieve(batch.id)).processing_status == "ended":
            break
    assert (await client.messages.batches.retrieve(batch.id)).request_counts.succeeded == 1


async def test_cancel_goes_through_canceling_to_canceled_results(
    client: anthropic.AsyncAnthropic,
) -> None:
    batch = await client.messages.batches.create(requests=[req("a", "A"), req("b", "B")])
    canceling = await client.messages.batches.cancel(batch.id)
    assert canceling.processing_status == "canceling" and canceling.cancel_initiated_at is not None
    ended = await client.messages.batches.retrieve(batch.id)
    assert ended.processing_status == "ended" and ended.request_counts.canceled == 2
    kinds = [line.result.type async for line in await client.messages.batches.results(batch.id)]
    assert kinds == ["canceled", "canceled"]


async def test_the_list_endpoint_pages_newest_first(client: anthropic.AsyncAnthropic) -> None:
    made = [(await client.messages.batches.create(requests=[req("a", f"C{n}")])).id for n in range(5)]
    listed = [b.id async for b in client.messages.batches.list(limit=2)]
    assert listed == list(reversed(made))
    page = await client.messages.batches.list(limit=2)
    assert [b.id for b in page.data] == [made[4], made[3]] and page.has_more
    assert all(b.created_at <= dt.datetime.now(dt.timezone.utc) for b in page.data)


async def test_batch_endpoints_need_a_key(api: FakeMessagesAPI) -> None:
    sdk = anthropic.AsyncAnthropic(api_key="wrong", base_url=api.base_url, max_retries=0)
    try:
        with pytest.raises(anthropic.AuthenticationError):
            await sdk.messages.batches.create(requests=[req("a", "A")])
        with pytest.raises(anthropic.AuthenticationError):
            await sdk.messages.batches.list()
    finally:
        await sdk.close()
