"""The chat-completions stand-in speaks the wire format local servers speak, read with a bare client."""

from __future__ import annotations

import json
from typing import Any

import httpx2
import pytest

from tests.fakes.chat_completions import LOADING_ERROR, FakeChatCompletionsAPI, not_found_message


def body(model: str = "llama3.2", *, usage: bool | None = True, component: str = "User Model") -> dict[str, Any]:
    request: dict[str, Any] = {
        "model": model,
        "stream": True,
        "messages": [
            {"role": "system", "content": "Cards.\n\nCode language: go"},
            {"role": "user", "content": f"Component: {component}\n\nInstruction:\nx"},
        ],
    }
    if usage is not None:
        request["stream_options"] = {"include_usage": usage}
    return request


async def chunks_of(api: FakeChatCompletionsAPI, request: dict[str, Any]) -> list[Any]:
    async with httpx2.AsyncClient() as client:
        response = await client.post(api.v1_url + "/chat/completions", json=request)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
    lines = [line for line in response.text.split("\n") if line]
    assert all(line.startswith("data: ") for line in lines)
    return [line[6:] if line == "data: [DONE]" else json.loads(line[6:]) for line in lines]


@pytest.mark.parametrize("usage", [True, False, None])
async def test_usage_arrives_in_a_choiceless_chunk_only_when_asked(usage: bool | None) -> None:
    async with FakeChatCompletionsAPI() as api:
        chunks = await chunks_of(api, body(usage=usage))
    assert chunks[-1] == "[DONE]"
    finish = [c for c in chunks[:-1] if c["choices"] and c["choices"][0]["finish_reason"]]
    assert [c["choices"][0]["finish_reason"] for c in finish] == ["stop"]
    usage_chunks = [c for c in chunks[:-1] if "usage" in c]
    if usage:
        assert usage_chunks == [chunks[-2]] and chunks[-2]["choices"] == []
        assert chunks[-2]["usage"]["total_tokens"] > chunks[-2]["usage"]["completion_tokens"] > 0
    else:
        assert usage_chunks == []
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks[:-1] if c["choices"])
    assert text.startswith("# User Model\n") and "```go" in text


async def test_errors_have_the_servers_own_shapes() -> None:
    async with FakeChatCompletionsAPI(loading_requests=1) as api, httpx2.AsyncClient() as client:
        loading = await client.post(api.v1_url + "/chat/completions", json=body())
        unknown = await client.post(api.v1_url + "/chat/completions", json=body("mistral"))
        ok = await client.post(api.v1_url + "/chat/completions", json=body())
        models = await client.get(api.v1_url + "/models")
    assert (loading.status_code, loading.json()) == (503, {"error": LOADING_ERROR})
    assert unknown.status_code == 404
    assert unknown.json()["error"]["message"] == 'model "mistral" not found, try pulling it first'
    assert unknown.json()["error"]["message"] == not_found_message("mistral")
    assert ok.status_code == 200
    assert [m["id"] for m in models.json()["data"]] == ["llama3.2", "qwen2.5-coder:7b"]
    assert [r.step for r in api.records] == ["loading", "unknown_model", "good", "models"]
