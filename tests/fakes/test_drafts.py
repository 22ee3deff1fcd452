"""The stand-in's draft answers, through the real SDK: a plan in Markdown or as JSON following the
request's schema, the structured-output rule enforced, and thinking before an Opus 5.x answer."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from typing import Any

import anthropic
import pytest

from app.core.draft_plan import draft_schema
from tests.fakes.drafts import NAMES, SCHEMA_MESSAGE
from tests.fakes.messages_api import FakeMessagesAPI

KEY = "sk-test-fake"


@pytest.fixture
async def sdk() -> AsyncIterator[tuple[FakeMessagesAPI, anthropic.AsyncAnthropic]]:
    async with FakeMessagesAPI() as api:
        client = anthropic.AsyncAnthropic(api_key=KEY, base_url=api.base_url, max_retries=0)
        yield api, client
        await client.close()


def draft_request(model: str, *, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    params: dict[str, Any] = {
        "model": model,
        "max_tokens": 4096,
        "system": "You draft plans.\n\nWrite exactly 4 components.\n\nCode language: go",
        "messages": [{"role": "user", "content": "<brief>\n# Payments API\nFor partners.\n</brief>"}],
    }
    if schema is not None:
        params["output_config"] = {"format": {"type": "json_schema", "schema": schema}}
    return params


async def test_a_structured_request_gets_json_following_its_schema_after_thinking(sdk: Any) -> None:
    api, client = sdk
    message = await client.messages.create(**draft_request("claude-opus-5-5", schema=draft_schema()))
    assert [block.type for block in message.content] == ["thinking", "text"]
    data = json.loads(message.content[1].text)
    assert set(data) == {"title", "language", "context", "components"}
    assert data["title"] == "Payments API" and data["language"] == "go"
    assert [c["name"] for c in data["components"]] == list(NAMES[:4])
    (record,) = api.records
    assert (record.component, record.step, record.model) == ("draft", "draft_plan", "claude-opus-5-5")


async def test_a_plain_request_gets_plan_markdown(sdk: Any) -> None:
    _api, client = sdk
    message = await client.messages.create(**draft_request("claude-opus-4-1"))
    assert [block.type for block in message.content] == ["text"]
    text = message.content[0].text
    assert text.startswith("---\ntitle: Payments API\nlanguage: go\n---\n")
    assert text.count("\n## ") == 4


async def test_a_schema_with_an_open_object_is_refused_as_the_api_documents(sdk: Any) -> None:
    api, client = sdk
    schema = draft_schema()
    del schema["properties"]["components"]["items"]["additionalProperties"]
    with pytest.raises(anthropic.BadRequestError, match=re.escape(SCHEMA_MESSAGE.split(": ", 1)[1])):
        await client.messages.create(**draft_request("claude-opus-5-5", schema=schema))
    assert api.records[-1].step == "draft_schema_400"


async def test_broken_then_fixed_needs_a_genuine_follow_up(sdk: Any) -> None:
    api, client = sdk
    api.drafts.mode = "broken_then_fixed"
    params = draft_request("claude-opus-4-1")
    broken = (await client.messages.create(**params)).content[0].text
    fence_line = broken.split("\n").index("```go") + 1
    asked = {**params, "messages": [*params["messages"], {"role": "assistant", "content": broken}]}
    vague = [*asked["messages"], {"role": "user", "content": "Please fix it."}]
    again = (await client.messages.create(**{**asked, "messages": vague})).content[0].text
    named = [*asked["messages"], {"role": "user", "content": f"- line {fence_line}: a fence is open"}]
    fixed = (await client.messages.create(**{**asked, "messages": named})).content[0].text
    assert "```go" in again and "```go" not in fixed
    assert [r.step for r in api.records] == ["draft_broken", "draft_fix_rejected", "draft_fixed"]
