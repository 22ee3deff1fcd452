"""The OpenAI-compatible provider against the local chat-completions stand-in, over real HTTP:
the request it sends, the stream it reads, and every fault on its FaultKind, once."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from app.core.prompt import CardRequest
from app.engine.provider import (
    FaultKind,
    ModelLister,
    Provider,
    ProviderError,
    StopReason,
    StreamChunk,
    StreamEnd,
    TextDelta,
    ThinkingDelta,
    is_local,
    model_lister,
    token_counter,
)
from app.engine.providers.openai_compatible import OpenAICompatibleProvider
from app.engine.stream_reader import read_stream
from tests.fakes import cards
from tests.fakes.chat_completions import (
    BUSY_MESSAGE,
    DEFAULT_MODELS,
    REASONING,
    ChatRecord,
    FakeChatCompletionsAPI,
    not_found_message,
)
from tests.fakes.messages_api import Step, unreachable_base_url
from tests.helpers.jobs import collect

MODEL = "llama3.2"
KEY = "sk-local-CANARY-6b7c8d9e0f"


def card_request(component: str = "User Model", *, model: str = MODEL,
                 messages: tuple[tuple[str, str], ...] | None = None) -> CardRequest:
    return CardRequest(
        component=component,
        model=model,
        system="You write cards.\n\nCode language: python\n\nShared context.",
        messages=messages or (("user", f"Component: {component}\n\nInstruction:\nStore users."),),
        max_tokens=512,
    )


@pytest.fixture
async def api() -> AsyncIterator[FakeChatCompletionsAPI]:
    async with FakeChatCompletionsAPI(retry_after_s=0.25) as server:
        yield server


@pytest.fixture
async def provider(api: FakeChatCompletionsAPI) -> AsyncIterator[OpenAICompatibleProvider]:
    p = OpenAICompatibleProvider(base_url=api.v1_url)
    yield p
    await p.aclose()


def text_of(chunks: list[StreamChunk]) -> str:
    return "".join(c.text for c in chunks if isinstance(c, TextDelta))


def last_record(api: FakeChatCompletionsAPI) -> ChatRecord:
    record = api.records[-1]
    assert isinstance(record, ChatRecord)
    return record


async def test_a_card_streams_with_usage_asked_for_and_reported(
    api: FakeChatCompletionsAPI, provider: OpenAICompatibleProvider
) -> None:
    assert isinstance(provider, Provider) and token_counter(provider) is None
    chunks, error = await collect(provider, card_request())
    assert error is None
    assert text_of(chunks) == cards.good_card("User Model", "python")
    end = chunks[-1]
    assert isinstance(end, StreamEnd) and end.stop_reason is StopReason.END and end.model == MODEL
    record = last_record(api)
    assert record.include_usage and record.stream and record.max_tokens == 512
    assert record.language == "python" and record.model == MODEL and not record.bearer
    # The usage the stand-in sent in its last, choice-less chunk.
    assert end.output_tokens == -(-len(text_of(chunks)) // 4) and end.input_tokens > 0


async def test_a_repair_is_system_user_assistant_user(
    api: FakeChatCompletionsAPI, provider: OpenAICompatibleProvider
) -> None:
    api.script("User Model", "broken_then_repair", "broken_then_repair")
    first, _ = await collect(provider, card_request())
    repair = card_request(messages=(
        ("user", "Component: User Model\n\nInstruction:\nStore users."),
        ("assistant", text_of(first)),
        ("user", "Fix [code-lines] and [why-section]."),
    ))
    second, error = await collect(provider, repair)
    assert error is None and text_of(second) == cards.good_card("User Model", "python")
    record = last_record(api)
    assert (record.step, record.messages, record.carried_answer) == ("repaired", 3, True)


@pytest.mark.parametrize(("kind", "reason"), [("max_tokens", StopReason.MAX_TOKENS), ("refusal", StopReason.REFUSAL)])
async def test_finish_reasons_map_to_stop_reasons(
    api: FakeChatCompletionsAPI, provider: OpenAICompatibleProvider, kind: str, reason: StopReason
) -> None:
    api.script("User Model", kind)
    chunks, error = await collect(provider, card_request())
    assert error is None and isinstance(chunks[-1], StreamEnd) and chunks[-1].stop_reason is reason


async def test_reasoning_is_thinking_and_never_text(
    api: FakeChatCompletionsAPI, provider: OpenAICompatibleProvider
) -> None:
    api.script("User Model", "thinking")
    chunks, error = await collect(provider, card_request())
    assert error is None
    first_text = next(i for i, c in enumerate(chunks) if isinstance(c, TextDelta))
    assert chunks[0] == ThinkingDelta() and all(isinstance(c, ThinkingDelta) for c in chunks[:first_text])
    assert REASONING.split()[0] not in text_of(chunks)
    assert text_of(chunks) == cards.good_card("User Model", "python")


@pytest.mark.parametrize(
    ("step", "kind", "words"),
    [
        (Step("no_stop"), FaultKind.INCOMPLETE, "without a finish reason"),
        (Step("drop"), FaultKind.CONNECTION_DROPPED, "dropped"),
        (Step("error_event"), FaultKind.STREAM_ERROR, "model runner crashed"),
        (Step("http_503"), FaultKind.BUSY, "Loading model"),
        (Step("http_503", message=BUSY_MESSAGE), FaultKind.BUSY, "server busy"),
        (Step("http_429", retry_after_s=2), FaultKind.RATE_LIMITED, "rate limited"),
        (Step("http_500"), FaultKind.SERVER_ERROR, "server error"),
        (Step("http_400", message="context length exceeded"), FaultKind.BAD_REQUEST, "context length"),
    ],
)
async def test_each_fault_has_its_kind(
    api: FakeChatCompletionsAPI, provider: OpenAICompatibleProvider, step: Step, kind: FaultKind, words: str
) -> None:
    api.script("User Model", step)
    _, error = await collect(provider, card_request())
    assert error is not None and error.kind is kind and words in error.message
    assert "\n" not in error.message
    if step.kind == "http_429":
        assert error.retry_after_s == 2.0


async def test_an_unknown_model_names_it_and_how_to_pull_it(
    api: FakeChatCompletionsAPI, provider: OpenAICompatibleProvider
) -> None:
    _, error = await collect(provider, card_request(model="mistral"))
    assert error is not None and error.kind is FaultKind.NOT_FOUND and error.status == 404
    assert not_found_message("mistral") in error.message
    assert "ollama pull mistral" in error.message and "'mistral'" in error.message


async def test_a_wrong_base_url_is_not_read_as_a_missing_model(api: FakeChatCompletionsAPI) -> None:
    provider = OpenAICompatibleProvider(base_url=api.base_url)  # without /v1
    try:
        _, error = await collect(provider, card_request())
    finally:
        await provider.aclose()
    assert error is not None and error.kind is FaultKind.NOT_FOUND
    assert "check the base URL" in error.message and "pull" not in error.message


async def test_no_server_is_one_line_naming_the_url() -> None:
    base = unreachable_base_url() + "/v1"
    provider = OpenAICompatibleProvider(base_url=base)
    try:
        _, error = await collect(provider, card_request())
        with pytest.raises(ProviderError) as listed:
            await provider.list_models()
    finally:
        await provider.aclose()
    assert error is not None and error.kind is FaultKind.UNREACHABLE
    assert error.message.startswith(f"no server at {base} (connection refused)")
    assert listed.value.kind is FaultKind.UNREACHABLE


async def test_ollamas_port_gets_the_ollama_hint() -> None:
    provider = OpenAICompatibleProvider()  # Ollama's default URL; nothing listens there in tests
    assert provider.base_url == "http://localhost:11434/v1" and is_local(provider)
    try:
        _, error = await collect(provider, card_request())
    finally:
        await provider.aclose()
    assert error is not None and error.kind is FaultKind.UNREACHABLE and "ollama serve" in error.message


async def test_the_key_is_sent_when_given_and_never_shown() -> None:
    async with FakeChatCompletionsAPI(valid_keys={KEY}) as api:
        with_key = OpenAICompatibleProvider(api_key=KEY, base_url=api.v1_url)
        without = OpenAICompatibleProvider(base_url=api.v1_url)
        api.script("Echo", Step("http_400", message=f"bad request from {KEY}"))
        try:
            chunks, error = await collect(with_key, card_request())
            assert error is None and last_record(api).bearer
            _, refused = await collect(without, card_request())
            _, echoed = await collect(with_key, card_request("Echo"))
        finally:
            await with_key.aclose()
            await without.aclose()
    assert refused is not None and refused.kind is FaultKind.AUTH and "OPENAI_API_KEY" in refused.message
    assert echoed is not None and KEY not in echoed.message and "***" in echoed.message
    assert KEY not in repr(with_key)


async def test_models_come_from_the_server(
    api: FakeChatCompletionsAPI, provider: OpenAICompatibleProvider
) -> None:
    lister = model_lister(provider)
    assert isinstance(lister, ModelLister)
    assert await lister.list_models() == sorted(DEFAULT_MODELS)
    assert api.records[-1].path == "/v1/models"


async def test_a_stalled_stream_is_stalled_for_the_watchdog(
    api: FakeChatCompletionsAPI, provider: OpenAICompatibleProvider
) -> None:
    api.script("User Model", Step("stall", after_chunks=1))

    async def ignore(*_: object) -> None:
        return None

    with pytest.raises(ProviderError) as stalled:
        await read_stream(provider, card_request(), stall_timeout_s=0.3, on_text=ignore,
                          on_thinking=ignore, check_halt=lambda: None)
    assert stalled.value.kind is FaultKind.STALLED


@pytest.mark.parametrize(
    ("url", "local"),
    [("http://localhost:11434/v1", True), ("http://127.0.0.1:8080/v1", True), ("http://[::1]:1234/v1", True),
     ("http://192.168.1.20:8000/v1", True), ("http://gpu-box:8000/v1", True), ("http://studio.local/v1", True),
     ("https://api.together.xyz/v1", False), ("http://8.8.8.8/v1", False), ("http://[2606:4700::1111]/v1", False)],
)
def test_only_a_server_on_this_machine_or_network_is_free(url: str, local: bool) -> None:
    assert OpenAICompatibleProvider(base_url=url).local is local
