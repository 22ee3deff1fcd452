"""Tests of the Messages API stand-in itself: wire shape, auth, scripts, records, pacing controls."""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import re
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

import aiohttp
import anthropic
import pytest

from app.core.contract import WHY_HEADING, language_matches, width_budget
from app.core.prompt import fence_tag
from tests.fakes import cards
from tests.fakes.messages_api import (
    CONCURRENCY_MESSAGE,
    SPEND_LIMIT_CODE,
    THINKING_SIGNATURE,
    THINKING_TEXT,
    FakeMessagesAPI,
    Step,
    unreachable_base_url,
)
from tests.helpers.server_thread import StandIn
from tests.helpers.waits import wait_until_async

KEY = "sk-test-fake"
MODEL = "claude-haiku-4-5"
REPO = Path(__file__).resolve().parents[2]


def body(
    component: str, *, language: str = "typescript", stream: bool = True, model: str = MODEL
) -> dict[str, Any]:
    return {
        "model": model,
        "max_tokens": 512,
        "stream": stream,
        "system": f"You write cards.\n\nCode language: {language}\n\nRules...",
        "messages": [{"role": "user", "content": f"Component: {component}\n\nInstruction:\nDo it."}],
    }


@pytest.fixture
def api(stand_in: StandIn) -> FakeMessagesAPI:
    return stand_in(valid_keys={KEY})


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def sdk(api: FakeMessagesAPI) -> AsyncIterator[anthropic.AsyncAnthropic]:
    client = anthropic.AsyncAnthropic(api_key=KEY, base_url=api.base_url, max_retries=0)
    yield client
    await client.close()


def sse_events(raw: str) -> list[tuple[str, dict[str, Any]]]:
    """(event, data) pairs of a server-sent-events body."""
    events = []
    for block in raw.split("\n\n"):
        if not block.strip():
            continue
        fields = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((fields["event"], json.loads(fields["data"])))
    return events


async def post(
    http: aiohttp.ClientSession, api: FakeMessagesAPI, payload: Any, **headers: str
) -> tuple[int, Mapping[str, str], str]:
    """Status, headers (case-insensitive) and body text of a /v1/messages request."""
    hdrs = {"x-api-key": KEY, **headers}
    async with http.post(api.base_url + "/v1/messages", json=payload, headers=hdrs) as resp:
        return resp.status, resp.headers.copy(), await resp.text()


async def stream_with_sdk(
    client: anthropic.AsyncAnthropic, component: str, language: str = "typescript"
) -> Any:
    async with client.messages.stream(
        model=MODEL,
        max_tokens=512,
        system=f"Code language: {language}",
        messages=[{"role": "user", "content": f"Component: {component}\n\nInstruction:\nx"}],
    ) as stream:
        types = [event.type async for event in stream]
        return types, stream.current_message_snapshot


# -- wire shape -------------------------------------------------------------------------------


async def test_good_stream_has_anthropic_event_sequence(
    api: FakeMessagesAPI, http: aiohttp.ClientSession
) -> None:
    status, headers, raw = await post(http, api, body("User Model"))
    assert status == 200
    assert headers["Content-Type"].startswith("text/event-stream")
    events = sse_events(raw)
    names = [name for name, _ in events]
    assert names[:3] == ["message_start", "content_block_start", "ping"]
    assert names[-3:] == ["content_block_stop", "message_delta", "message_stop"]
    deltas = [data for name, data in events if name == "content_block_delta"]
    assert len(deltas) == len(names) - 6 and len(deltas) > 1
    assert all(name == data["type"] for name, data in events)
    text = "".join(d["delta"]["text"] for d in deltas)
    assert text == cards.good_card("User Model", "typescript")
    assert all(len(d["delta"]["text"]) <= api.chunk_chars for d in deltas)
    start = events[0][1]["message"]
    assert start["model"] == MODEL and start["usage"]["input_tokens"] > 0
    final = events[-2][1]
    assert final["delta"]["stop_reason"] == "end_turn"
    assert final["usage"]["output_tokens"] == math.ceil(len(text) / 4)
    assert headers["request-id"] == api.records[-1].request_id


async def test_sdk_parses_the_stream(api: FakeMessagesAPI, sdk: anthropic.AsyncAnthropic) -> None:
    types, message = await stream_with_sdk(sdk, "Session Token", "python")
    assert types[0] == "message_start" and types[-1] == "message_stop"
    assert message.stop_reason == "end_turn"
    text = message.content[0].text
    assert text.startswith("# Session Token\n")
    assert "```python\n" in text
    assert message.usage.output_tokens == math.ceil(len(text) / 4)
    assert api.records[-1].language == "python"


async def test_thinking_step_streams_a_thinking_block_before_the_text_block(
    api: FakeMessagesAPI, sdk: anthropic.AsyncAnthropic
) -> None:
    """The SDK's own parser accepts it, so the stand-in's thinking stream is the API's shape."""
    api.script("Session Token", "thinking")
    _, message = await stream_with_sdk(sdk, "Session Token")
    assert [block.type for block in message.content] == ["thinking", "text"]
    assert message.content[0].thinking == THINKING_TEXT.format(component="Session Token")
    assert message.content[0].signature == THINKING_SIGNATURE
    assert message.content[1].text == cards.good_card("Session Token", "typescript")
    assert message.stop_reason == "end_turn"


async def test_thinking_step_without_streaming(api: FakeMessagesAPI, http: aiohttp.ClientSession) -> None:
    api.script("Cache", "thinking")
    status, _, raw = await post(http, api, body("Cache", stream=False))
    content = json.loads(raw)["content"]
    assert status == 200 and [block["type"] for block in content] == ["thinking", "text"]
    assert content[1]["text"] == cards.good_card("Cache", "typescript")


async def test_input_tokens_grow_with_the_prompt(api: FakeMessagesAPI, http: aiohttp.ClientSession) -> None:
    small = body("A")
    large = body("A")
    large["system"] += "x" * 4000
    counts = []
    for payload in (small, large):
        _, _, raw = await post(http, api, payload)
        counts.append(sse_events(raw)[0][1]["message"]["usage"]["input_tokens"])
    assert counts[1] - counts[0] == 1000


async def test_non_stream_request_returns_a_message(
    api: FakeMessagesAPI, http: aiohttp.ClientSession
) -> None:
    status, _, raw = await post(http, api, body("Cache", stream=False))
    assert status == 200
    message = json.loads(raw)
    assert message["type"] == "message" and message["stop_reason"] == "end_turn"
    assert message["content"][0]["text"] == cards.good_card("Cache", "typescript")


async def test_count_tokens_endpoint(api: FakeMessagesAPI, sdk: anthropic.AsyncAnthropic) -> None:
    result = await sdk.messages.count_tokens(
        model=MODEL, system="Code language: go", messages=[{"role": "user", "content": "Component: Pool"}]
    )
    assert result.input_tokens == math.ceil(len("Code language: go" + "Component: Pool") / 4)
    record = api.records[-1]
    assert (record.path, record.attempt, record.step) == ("/v1/messages/count_tokens", 0, "count_tokens")
    assert api.requests_for("Pool") == []
    assert api.requests_for("Pool", path=None) == [record]


# -- auth -------------------------------------------------------------------------------------


@pytest.mark.parametrize("headers", [{"x-api-key": KEY}, {"Authorization": f"Bearer {KEY}"}])
async def test_both_auth_header_styles_are_accepted(
    api: FakeMessagesAPI, http: aiohttp.ClientSession, headers: dict[str, str]
) -> None:
    async with http.post(api.base_url + "/v1/messages", json=body("A"), headers=headers) as resp:
        assert resp.status == 200


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, "x-api-key header is required"),
        ({"x-api-key": "wrong"}, "invalid x-api-key"),
        ({"Authorization": "Bearer wrong"}, "invalid x-api-key"),
    ],
)
async def test_missing_or_wrong_key_is_401(
    api: FakeMessagesAPI, http: aiohttp.ClientSession, headers: dict[str, str], message: str
) -> None:
    async with http.post(api.base_url + "/v1/messages", json=body("A"), headers=headers) as resp:
        assert resp.status == 401
        data = await resp.json()
        assert data["type"] == "error"
        assert data["error"] == {"type": "authentication_error", "message": message}
        assert data["request_id"] == resp.headers["request-id"]
    assert api.records[-1].step == "auth"


async def test_any_key_accepted_without_valid_keys(http: aiohttp.ClientSession, stand_in: StandIn) -> None:
    status, _, _ = await post(http, stand_in(), body("A"), **{"x-api-key": "anything"})
    assert status == 200


async def test_sdk_sends_a_key_the_stand_in_accepts(api: FakeMessagesAPI) -> None:
    client = anthropic.AsyncAnthropic(api_key="not-the-key", base_url=api.base_url, max_retries=0)
    try:
        with pytest.raises(anthropic.AuthenticationError):
            await stream_with_sdk(client, "A")
    finally:
        await client.close()


# -- error answers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("step", "status", "etype"),
    [
        ("http_400", 400, "invalid_request_error"),
        ("http_401", 401, "authentication_error"),
        ("http_403", 403, "permission_error"),
        ("http_404", 404, "not_found_error"),
        ("http_429", 429, "rate_limit_error"),
        ("http_500", 500, "api_error"),
        ("http_529", 529, "overloaded_error"),
        ("spend_limit", 429, "rate_limit_error"),
    ],
)
async def test_error_bodies_look_like_anthropic(
    api: FakeMessagesAPI, http: aiohttp.ClientSession, step: str, status: int, etype: str
) -> None:
    api.script("A", step)
    got, headers, raw = await post(http, api, body("A"))
    data = json.loads(raw)
    assert got == status
    assert set(data) == {"type", "error", "request_id"} and data["type"] == "error"
    assert data["error"]["type"] == etype and data["error"]["message"]
    assert headers["request-id"] == data["request_id"] == api.records[-1].request_id
    assert api.records[-1].status == status and api.records[-1].step == step
    if step == "http_404":
        assert data["error"]["message"] == f"model: {MODEL}"
    if step == "http_429":
        assert headers["retry-after"] == "1" and headers["retry-after-ms"] == "1000"
    if step == "spend_limit":
        assert data["error"]["details"] == {"error_code": SPEND_LIMIT_CODE}
        assert "spend limit" in data["error"]["message"]
        assert "retry-after" not in headers and "retry-after-ms" not in headers


async def test_retry_after_values(http: aiohttp.ClientSession, stand_in: StandIn) -> None:
    api = stand_in(retry_after_s=0.25)
    api.script(
        "A",
        "http_429",
        Step("http_529", retry_after_s=2.5),
        Step("http_503", retry_after_header="Wed, 21 Oct 2037 07:28:00 GMT"),
    )
    _, first, _ = await post(http, api, body("A"))
    _, second, _ = await post(http, api, body("A"))
    _, third, _ = await post(http, api, body("A"))
    assert (first["retry-after"], first["retry-after-ms"]) == ("1", "250")
    assert (second["retry-after"], second["retry-after-ms"]) == ("3", "2500")
    assert third["retry-after"] == "Wed, 21 Oct 2037 07:28:00 GMT" and "retry-after-ms" not in third


async def test_unknown_path_and_bad_json(api: FakeMessagesAPI, http: aiohttp.ClientSession) -> None:
    async with http.get(api.base_url + "/v1/nothing") as resp:
        assert resp.status == 404
        assert (await resp.json())["error"]["type"] == "not_found_error"
    async with http.post(
        api.base_url + "/v1/messages", data=b"{not json", headers={"x-api-key": KEY}
    ) as resp:
        assert resp.status == 400
        assert (await resp.json())["error"]["type"] == "invalid_request_error"
    assert api.records[-1].step == "bad_json"


# -- stream faults, as the SDK sees them --------------------------------------------------------


async def test_error_event_mid_stream(
    api: FakeMessagesAPI, sdk: anthropic.AsyncAnthropic, http: aiohttp.ClientSession
) -> None:
    api.script(
        "A", "error_event", Step("error_event", after_chunks=1, error_type="api_error", message="boom")
    )
    with pytest.raises(anthropic.APIStatusError) as info:
        await stream_with_sdk(sdk, "A")
    assert info.value.status_code == 200 and info.value.type == "overloaded_error"
    _, _, raw = await post(http, api, body("A"))
    events = sse_events(raw)
    assert [n for n, _ in events].count("content_block_delta") == 1
    assert events[-1] == (
        "error",
        {
            "type": "error",
            "error": {"type": "api_error", "message": "boom"},
            "request_id": api.records[-1].request_id,
        },
    )


async def test_drop_aborts_the_connection(api: FakeMessagesAPI, sdk: anthropic.AsyncAnthropic) -> None:
    api.script("A", "drop")
    with pytest.raises(Exception) as info:
        await stream_with_sdk(sdk, "A")
    assert not isinstance(info.value, anthropic.APIError)
    assert "RemoteProtocolError" in {cls.__name__ for cls in type(info.value).__mro__}
    await wait_until_async(lambda: api.open_streams == 0)


async def test_no_stop_ends_without_message_stop(api: FakeMessagesAPI, sdk: anthropic.AsyncAnthropic) -> None:
    api.script("A", "no_stop")
    types, message = await stream_with_sdk(sdk, "A")
    assert "message_stop" not in types and "message_delta" not in types
    assert message.stop_reason is None
    assert message.content[0].text == cards.good_card("A", "typescript")


@pytest.mark.parametrize("step", ["max_tokens", "refusal"])
async def test_stop_reasons(api: FakeMessagesAPI, sdk: anthropic.AsyncAnthropic, step: str) -> None:
    api.script("A", step)
    types, message = await stream_with_sdk(sdk, "A")
    assert types[-1] == "message_stop"
    assert message.stop_reason == step
    assert len(message.content[0].text) < len(cards.good_card("A", "typescript"))


async def test_stall_holds_until_the_client_leaves(api: FakeMessagesAPI, http: aiohttp.ClientSession) -> None:
    api.script("A", Step("stall", after_chunks=2))
    resp = await http.post(api.base_url + "/v1/messages", json=body("A"), headers={"x-api-key": KEY})
    received = b""
    while received.count(b"content_block_delta") < 2:
        received += await resp.content.readany()
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(resp.content.readany(), 0.2)
    assert api.open_streams == 1
    resp.close()
    await wait_until_async(lambda: api.open_streams == 0)


# -- scripts and records ----------------------------------------------------------------------


async def test_script_then_mode_and_attempts(api: FakeMessagesAPI, http: aiohttp.ClientSession) -> None:
    api.script("user model", "http_429", "http_500")
    api.script_all("http_529")
    statuses = [(await post(http, api, body("User Model")))[0] for _ in range(3)]
    other = [(await post(http, api, body("Other")))[0] for _ in range(2)]
    assert statuses == [429, 500, 200]
    assert other == [529, 200]
    records = api.requests_for("USER MODEL")
    assert [r.attempt for r in records] == [1, 2, 3]
    assert [r.step for r in records] == ["http_429", "http_500", "good"]
    assert all(r.component == "User Model" and r.path == "/v1/messages" for r in records)
    times = [r.t for r in api.records]
    assert times == sorted(times) and times[0] >= 0


def test_unknown_step_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown fake step"):
        Step("explode")
    with pytest.raises(ValueError):
        FakeMessagesAPI().script("A", "good", "nonsense")
    assert Step("http_418").status == 418


async def test_card_kinds_carry_the_component_heading(
    api: FakeMessagesAPI, http: aiohttp.ClientSession
) -> None:
    for kind in ("hostile", "broken", "wrapped"):
        api.script(kind, kind)
        _, _, raw = await post(http, api, body(kind))
        text = "".join(d["delta"]["text"] for n, d in sse_events(raw) if n == "content_block_delta")
        assert f"# {kind}\n" in text
    api.script("custom", Step("good", text="# custom\n\nhand made"))
    _, _, raw = await post(http, api, body("custom"))
    assert (
        "".join(d["delta"]["text"] for n, d in sse_events(raw) if n == "content_block_delta")
        == "# custom\n\nhand made"
    )


async def test_fault_rate_is_seeded_per_component(http: aiohttp.ClientSession, stand_in: StandIn) -> None:
    names = [f"Component {i}" for i in range(20)]

    async def first_and_second(seed: int, order: list[str]) -> dict[str, tuple[str, ...]]:
        api = stand_in(fault_rate=0.5, seed=seed)
        for name in order:
            for _ in range(2):
                with contextlib.suppress(aiohttp.ClientPayloadError):  # the "drop" fault
                    await post(http, api, body(name), **{"x-api-key": "k"})
        return {name: tuple(r.step for r in api.requests_for(name)) for name in names}

    a = await first_and_second(3, names)
    b = await first_and_second(3, list(reversed(names)))
    assert a == b
    faulty = [steps[0] for steps in a.values() if steps[0] != "good"]
    assert 0 < len(faulty) < len(names)
    assert all(
        step in {"http_429", "http_529", "http_500", "error_event", "drop", "no_stop"} for step in faulty
    )
    assert all(steps[1] == "good" for steps in a.values())


# -- open streams, concurrency limit, pause -----------------------------------------------------


async def open_stall(http: aiohttp.ClientSession, api: FakeMessagesAPI, name: str) -> aiohttp.ClientResponse:
    api.script(name, Step("stall", after_chunks=1))
    resp = await http.post(api.base_url + "/v1/messages", json=body(name), headers={"x-api-key": KEY})
    assert resp.status == 200
    return resp


async def test_open_streams_are_counted(api: FakeMessagesAPI, http: aiohttp.ClientSession) -> None:
    first = await open_stall(http, api, "A")
    second = await open_stall(http, api, "B")
    assert api.open_streams == 2 and api.peak_open_streams == 2
    assert [r.open_streams for r in api.records] == [1, 2]
    first.close()
    second.close()
    await wait_until_async(lambda: api.open_streams == 0)
    await post(http, api, body("C"))
    assert api.peak_open_streams == 2 and api.records[-1].open_streams == 1


async def test_too_many_open_streams_get_429(http: aiohttp.ClientSession, stand_in: StandIn) -> None:
    api = stand_in(max_open_streams_before_429=1, retry_after_s=0.5)
    held = await open_stall(http, api, "A")
    status, headers, raw = await post(http, api, body("B"), **{"x-api-key": "k"})
    assert status == 429
    assert json.loads(raw)["error"] == {"type": "rate_limit_error", "message": CONCURRENCY_MESSAGE}
    assert headers["retry-after-ms"] == "500"
    assert api.records[-1].step == "concurrency_429" and api.records[-1].open_streams == 2
    held.close()
    await wait_until_async(lambda: api.open_streams == 0)
    status, _, _ = await post(http, api, body("B"), **{"x-api-key": "k"})
    assert status == 200
    assert [r.step for r in api.requests_for("B")] == ["concurrency_429", "good"]


async def test_pause_holds_new_requests_and_running_streams(
    api: FakeMessagesAPI, http: aiohttp.ClientSession
) -> None:
    api.pause()
    waiting = asyncio.create_task(post(http, api, body("A")))
    await wait_until_async(lambda: len(api.records) == 1)
    await asyncio.sleep(0.1)  # "still held" has no event to wait for: give it time to be wrong
    assert not waiting.done()
    api.resume()
    status, _, raw = await waiting
    assert status == 200 and sse_events(raw)[-1][0] == "message_stop"

    # Paced, so that the stream is still running when the pause comes.
    api.script("B", Step("good", text="x" * 120, tokens_per_s=60))
    resp = await http.post(api.base_url + "/v1/messages", json=body("B"), headers={"x-api-key": KEY})
    received = await resp.content.readuntil(b"content_block_delta")
    async with http.post(api.base_url + "/_fake/pause") as control:
        assert (await control.json()) == {"paused": True}
    # Drain what was written before the pause; then nothing more may come.
    received += await read_for(resp, 0.2)
    stalled = await read_for(resp, 0.2)
    assert stalled == b"" and b"message_stop" not in received
    async with http.post(api.base_url + "/_fake/resume") as control:
        assert (await control.json()) == {"paused": False}
    received += await resp.content.read()
    assert b"event: message_stop" in received
    resp.close()


async def read_for(resp: aiohttp.ClientResponse, seconds: float) -> bytes:
    data = b""
    try:
        while True:
            chunk = await asyncio.wait_for(resp.content.readany(), seconds)
            if not chunk:
                return data
            data += chunk
    except TimeoutError:
        return data


async def test_records_endpoint(api: FakeMessagesAPI, http: aiohttp.ClientSession) -> None:
    await post(http, api, body("A"))
    async with http.get(api.base_url + "/_fake/records") as resp:
        data = await resp.json()
    assert data["open_streams"] == 0 and data["peak_open_streams"] == 1 and data["paused"] is False
    assert [(r["component"], r["attempt"], r["status"], r["step"]) for r in data["records"]] == [
        ("A", 1, 200, "good")
    ]


async def test_hostile_card_points_remote_urls_at_the_beacon(
    api: FakeMessagesAPI, http: aiohttp.ClientSession
) -> None:
    text = cards.hostile_card("A", "typescript", api.base_url)
    remote = re.findall(r"https?://127\.0\.0\.1:\d+/_fake/beacon/[\w./-]+", text)
    assert remote
    async with http.get(remote[0]) as resp:
        assert resp.status == 200 and resp.content_type == "image/png"
    assert api.beacon_hits == [remote[0].split("/_fake/beacon/", 1)[1]]


async def test_unreachable_base_url_refuses(http: aiohttp.ClientSession) -> None:
    with pytest.raises(aiohttp.ClientConnectionError):
        async with http.get(unreachable_base_url() + "/v1/messages"):
            pass


# -- card texts -------------------------------------------------------------------------------


def sentences(text: str) -> int:
    return len(re.findall(r"[.!?](?:\s|$)", text.strip()))


@pytest.mark.parametrize(
    "language", ["typescript", "python", "javascript", "go", "rust", "bash", "sql", "kotlin"]
)
@pytest.mark.parametrize("name", ["User Model", "A very long component name for the width test", "2FA Code"])
def test_good_cards_keep_the_contract(language: str, name: str) -> None:
    text = cards.good_card(name, language)
    tag = fence_tag(language)
    assert language_matches(tag, language)
    lines = text.splitlines()
    assert lines[0] == f"# {name}"
    head, rest = text.split(f"```{tag}\n", 1)
    code, tail = rest.split("\n```\n", 1)
    assert sentences(head.split("\n", 1)[1]) == 2
    assert 3 <= len(code.splitlines()) <= 15
    assert max(len(line) for line in code.splitlines()) <= width_budget(400)
    why_heading, why = tail.strip().split("\n", 1)
    assert why_heading == f"## {WHY_HEADING}" and sentences(why) == 2
    assert text.count("```") == 2 and "<" not in head
    if language == "python":
        compile(code, "<card>", "exec")


def test_other_cards() -> None:
    broken = cards.broken_card("X", "typescript")
    code = broken.split("```typescript\n", 1)[1].split("\n```", 1)[0]
    assert len(code.splitlines()) == 25 and WHY_HEADING not in broken
    assert sentences(broken.split("\n\n")[1]) == 6
    wrapped = cards.wrapped_card("X", "python")
    assert wrapped.startswith("```markdown\n# X\n") and wrapped.endswith("```\n")
    assert (
        cards.cut_card("X", "python") == cards.good_card("X", "python")[: len(cards.cut_card("X", "python"))]
    )
    hostile = cards.hostile_card("X", "typescript", "http://127.0.0.1:1")
    assert hostile.startswith("# X\n")
    for needle in (
        "<script>",
        "onerror=",
        "<svg onload=",
        "<iframe",
        "javascript:",
        "<style>",
        'http-equiv="refresh"',
        "<form",
        "<base",
        "<object",
        "<embed",
        "![remote image](http",
    ):
        assert needle in hostile


# -- command line -----------------------------------------------------------------------------


def test_command_line_serves_until_interrupted() -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes", "--port", "0", "--mode", "good", "--seed", "1"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        base_url = proc.stdout.readline().strip()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", base_url)
        client = anthropic.Anthropic(api_key="k", base_url=base_url, max_retries=0)
        with client.messages.stream(
            model=MODEL, max_tokens=100, messages=[{"role": "user", "content": "Component: CLI"}]
        ) as stream:
            assert stream.get_final_text().startswith("# CLI\n")
        client.close()
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err


def test_command_line_rejects_unknown_mode() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "tests.fakes", "--mode", "bogus"],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 2 and "unknown fake step 'bogus'" in proc.stderr
