"""The Anthropic provider against the local Messages API stand-in: every fault lands on its FaultKind."""

from __future__ import annotations

import asyncio
import email.utils
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from app.core.prompt import CardRequest
from app.engine.provider import (
    RUN_STOPPING_FAULTS,
    TRANSIENT_FAULTS,
    FaultKind,
    Provider,
    ProviderError,
    ResponseStarted,
    StopReason,
    StreamChunk,
    StreamEnd,
    TextDelta,
    ThinkingDelta,
)
from app.engine.providers.anthropic import AnthropicProvider, retry_after_seconds
from app.engine.providers.anthropic_events import stop_reason_of
from tests.fakes import cards
from tests.fakes.messages_api import (
    THINKING_TEXT,
    FakeMessagesAPI,
    Step,
    http_date,
    unreachable_base_url,
)
from tests.helpers.jobs import collect as collect_chunks

KEY = "sk-ant-test-0123456789"
CANARY = "sk-ant-CANARY-5f1e2d3c4b5a69788796a5b4c3d2e1f0"
MODEL = "claude-haiku-4-5"
REPO = Path(__file__).resolve().parents[2]


def card_request(
    component: str = "User Model", *, language: str = "typescript", model: str = MODEL
) -> CardRequest:
    return CardRequest(
        component=component,
        model=model,
        system=f"You write cards.\n\nCode language: {language}\n\nShared context.",
        messages=(("user", f"Component: {component}\n\nInstruction:\nStore users."),),
        max_tokens=512,
    )


@pytest.fixture
async def api() -> AsyncIterator[FakeMessagesAPI]:
    async with FakeMessagesAPI(valid_keys={KEY}, retry_after_s=0.25) as server:
        yield server


@pytest.fixture
async def provider(api: FakeMessagesAPI) -> AsyncIterator[AnthropicProvider]:
    p = AnthropicProvider(api_key=KEY, base_url=api.base_url)
    yield p
    await p.aclose()


async def collect(
    provider: AnthropicProvider, request: CardRequest
) -> tuple[list[StreamChunk], ProviderError | None]:
    """The chunks after the ``ResponseStarted`` that every response opens with (checked here)."""
    chunks, error = await collect_chunks(provider, request)
    return _after_start(chunks), error


def _after_start(chunks: list[StreamChunk]) -> list[StreamChunk]:
    if chunks:
        assert isinstance(chunks[0], ResponseStarted), chunks[:2]
        assert not any(isinstance(c, ResponseStarted) for c in chunks[1:])
    return chunks[1:]


def text_of(chunks: list[StreamChunk]) -> str:
    return "".join(c.text for c in chunks if isinstance(c, TextDelta))


async def fail(
    provider: AnthropicProvider, step: str | Step, api: FakeMessagesAPI, component: str = "User Model"
) -> ProviderError:
    api.script(component, step)
    _, error = await collect(provider, card_request(component))
    assert error is not None
    return error


async def wait_until(predicate: object, timeout: float = 5.0) -> None:
    async def poll() -> None:
        while not predicate():  # type: ignore[operator]
            await asyncio.sleep(0.01)

    await asyncio.wait_for(poll(), timeout)


# -- complete answers -------------------------------------------------------------------------


def test_is_a_provider() -> None:
    p = AnthropicProvider(api_key=KEY)
    assert isinstance(p, Provider) and p.name == "anthropic"


async def test_good_stream_yields_deltas_then_one_end(
    api: FakeMessagesAPI, provider: AnthropicProvider
) -> None:
    chunks, error = await collect(provider, card_request())
    assert error is None
    assert all(isinstance(c, TextDelta) for c in chunks[:-1]) and len(chunks) > 2
    end = chunks[-1]
    assert isinstance(end, StreamEnd)
    text = text_of(chunks)
    assert text == cards.good_card("User Model", "typescript")
    assert end.stop_reason is StopReason.END and end.model == MODEL
    assert end.output_tokens == -(-len(text) // 4)
    record = api.requests_for("User Model")[0]
    assert end.input_tokens > 0 and record.model == MODEL and record.language == "typescript"


@pytest.mark.parametrize("step", ["hostile", "broken", "wrapped"])
async def test_card_kinds_pass_through_unchanged(
    api: FakeMessagesAPI, provider: AnthropicProvider, step: str
) -> None:
    api.script("User Model", step)
    chunks, error = await collect(provider, card_request())
    assert error is None and isinstance(chunks[-1], StreamEnd)
    assert text_of(chunks).startswith("# User Model\n") or text_of(chunks).startswith(
        "```markdown\n# User Model\n"
    )
    expected = {
        "hostile": cards.hostile_card("User Model", "typescript", api.base_url),
        "broken": cards.broken_card("User Model", "typescript"),
        "wrapped": cards.wrapped_card("User Model", "typescript"),
    }[step]
    assert text_of(chunks) == expected


@pytest.mark.parametrize(
    ("step", "reason"), [("max_tokens", StopReason.MAX_TOKENS), ("refusal", StopReason.REFUSAL)]
)
async def test_stop_reasons_are_reported_not_raised(
    api: FakeMessagesAPI, provider: AnthropicProvider, step: str, reason: StopReason
) -> None:
    api.script("User Model", step)
    chunks, error = await collect(provider, card_request())
    assert error is None
    end = chunks[-1]
    assert isinstance(end, StreamEnd) and end.stop_reason is reason
    assert len(text_of(chunks)) < len(cards.good_card("User Model", "typescript"))


@pytest.mark.parametrize(
    ("word", "reason"),
    [
        ("end_turn", StopReason.END),
        ("stop_sequence", StopReason.END),
        ("max_tokens", StopReason.MAX_TOKENS),
        ("model_context_window_exceeded", StopReason.MAX_TOKENS),
        ("refusal", StopReason.REFUSAL),
        ("tool_use", StopReason.TOOL_USE),
        ("a_word_of_next_year", StopReason.END),
        (None, StopReason.END),
    ],
)
def test_the_api_stop_reasons_in_the_engine_words(word: str | None, reason: StopReason) -> None:
    assert stop_reason_of(word) is reason


async def test_a_thinking_block_first_yields_thinking_then_only_the_text_block(
    api: FakeMessagesAPI, provider: AnthropicProvider
) -> None:
    api.script("User Model", "thinking")
    chunks, error = await collect(provider, card_request())
    assert error is None and isinstance(chunks[-1], StreamEnd)
    first_text = next(i for i, c in enumerate(chunks) if isinstance(c, TextDelta))
    assert first_text > 0 and all(isinstance(c, ThinkingDelta) for c in chunks[:first_text])
    assert not any(isinstance(c, ThinkingDelta) for c in chunks[first_text:])
    assert text_of(chunks) == cards.good_card("User Model", "typescript")
    assert "THINKING-7f3a" in THINKING_TEXT and "THINKING-7f3a" not in repr(chunks)


async def test_several_streams_at_once(api: FakeMessagesAPI, provider: AnthropicProvider) -> None:
    names = [f"Part {i}" for i in range(6)]
    results = await asyncio.gather(*(collect(provider, card_request(n)) for n in names))
    for name, (chunks, error) in zip(names, results, strict=True):
        assert error is None and text_of(chunks) == cards.good_card(name, "typescript")
    assert len(api.records) == 6


async def test_the_client_is_made_once_off_the_event_loop_thread(api: FakeMessagesAPI) -> None:
    """Importing the SDK and building its TLS context take over a second: a window's event loop
    must not do it, even when six streams start together."""
    import threading

    class Recording(AnthropicProvider):
        made_on: list[str] = []

        def _get_client(self, request: CardRequest):  # type: ignore[no-untyped-def]
            if self._client is None:
                self.made_on.append(threading.current_thread().name)
            return super()._get_client(request)

    provider = Recording(api_key=KEY, base_url=api.base_url)
    try:
        results = await asyncio.gather(*(collect(provider, card_request(f"Part {i}")) for i in range(6)))
    finally:
        await provider.aclose()
    assert all(error is None for _, error in results)
    assert len(Recording.made_on) == 1
    assert Recording.made_on[0] != threading.main_thread().name


# -- HTTP errors --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("step", "kind", "status", "message"),
    [
        (
            "http_400",
            FaultKind.BAD_REQUEST,
            400,
            "request rejected (400 invalid_request_error): max_tokens: 999999 > 64000",
        ),
        ("http_401", FaultKind.AUTH, 401, "API key refused (401 authentication_error): invalid x-api-key"),
        (
            "http_403",
            FaultKind.AUTH,
            403,
            "API key not permitted (403 permission_error): Your API key does not",
        ),
        ("http_404", FaultKind.NOT_FOUND, 404, f"model not found: {MODEL} (404)"),
        ("http_408", FaultKind.TIMEOUT, 408, "request timed out (408 timeout_error)"),
        ("http_409", FaultKind.CONFLICT, 409, "conflict (409 conflict_error)"),
        (
            "http_429",
            FaultKind.RATE_LIMITED,
            429,
            "rate limited (429 rate_limit_error): This request would exceed",
        ),
        ("http_500", FaultKind.SERVER_ERROR, 500, "server error (500 api_error): Internal server error"),
        ("http_503", FaultKind.SERVER_ERROR, 503, "server error (503 api_error)"),
        ("http_529", FaultKind.OVERLOADED, 529, "API overloaded (529 overloaded_error): Overloaded"),
        (
            "spend_limit",
            FaultKind.SPEND_LIMIT,
            429,
            "spend limit reached (429 rate_limit_error): You have reached",
        ),
        ("http_402", FaultKind.SPEND_LIMIT, 402, "billing problem (402 billing_error)"),
    ],
)
async def test_status_errors(
    api: FakeMessagesAPI, provider: AnthropicProvider, step: str, kind: FaultKind, status: int, message: str
) -> None:
    error = await fail(provider, step, api)
    assert error.kind is kind
    assert error.status == status
    assert error.message.startswith(message)
    assert str(error) == error.message and "\n" not in error.message
    assert error.request_id == api.records[-1].request_id and error.request_id
    assert error.retry_after_s == (0.25 if step == "http_429" else None)
    assert error.transient == (kind in TRANSIENT_FAULTS)


async def test_refused_keys_and_unknown_models_stop_the_run(api: FakeMessagesAPI, provider: AnthropicProvider) -> None:
    kinds = {
        (await fail(provider, s, api, s)).kind for s in ("http_401", "http_403", "http_404", "spend_limit")
    }
    assert kinds & RUN_STOPPING_FAULTS == {FaultKind.AUTH, FaultKind.NOT_FOUND}
    assert not any(k in TRANSIENT_FAULTS for k in kinds)


async def test_a_model_the_api_does_not_serve_is_a_404_naming_it(
    api: FakeMessagesAPI, provider: AnthropicProvider
) -> None:
    _, error = await collect(provider, card_request(model="claude-nope"))
    assert error is not None and error.kind is FaultKind.NOT_FOUND
    assert error.message == "model not found: claude-nope (404)"
    assert api.records[-1].step == "rejected"


async def test_404_that_is_not_a_model(api: FakeMessagesAPI, provider: AnthropicProvider) -> None:
    error = await fail(provider, Step("http_404", message="Not Found"), api)
    assert error.kind is FaultKind.NOT_FOUND and error.message == "not found (404 not_found_error): Not Found"


@pytest.mark.parametrize(
    ("step", "expected"),
    [(Step("http_529", retry_after_s=2.5), 2.5), (Step("http_429", retry_after_header="7"), 7.0)],
)
async def test_retry_after_is_kept(
    api: FakeMessagesAPI, provider: AnthropicProvider, step: Step, expected: float
) -> None:
    error = await fail(provider, step, api)
    assert error.retry_after_s == expected


async def test_retry_after_as_http_date(api: FakeMessagesAPI, provider: AnthropicProvider) -> None:
    error = await fail(provider, Step("http_503", retry_after_header=http_date(300)), api)
    # An HTTP date has whole seconds, and some time passes on the way.
    assert error.retry_after_s is not None and 290 < error.retry_after_s <= 300


async def test_spend_limit_by_wording_without_a_code(
    api: FakeMessagesAPI, provider: AnthropicProvider
) -> None:
    # An older answer: no details, only the wording, and no retry-after.
    step = Step(
        "http_429", message="You have reached your specified API usage limits.", retry_after_header=""
    )
    error = await fail(provider, step, api)
    assert error.kind is FaultKind.SPEND_LIMIT and error.retry_after_s is None


def test_retry_after_parsing() -> None:
    assert retry_after_seconds({"retry-after-ms": "1500", "retry-after": "9"}) == 1.5
    assert retry_after_seconds({"retry-after": "3"}) == 3.0
    assert retry_after_seconds({"retry-after": "0.5"}) == 0.5
    assert retry_after_seconds({"retry-after-ms": "junk", "retry-after": "2"}) == 2.0
    past = email.utils.formatdate(time.time() - 60, usegmt=True)
    assert retry_after_seconds({"retry-after": past}) == 0.0
    future = retry_after_seconds({"retry-after": http_date(120)})
    assert future is not None and 110 < future <= 120
    assert retry_after_seconds({"retry-after": "soon"}) is None
    assert retry_after_seconds({}) is None


# -- faults inside the stream -------------------------------------------------------------------


async def test_error_event_overloaded(api: FakeMessagesAPI, provider: AnthropicProvider) -> None:
    api.script("User Model", "error_event")
    chunks, error = await collect(provider, card_request())
    assert error is not None and error.kind is FaultKind.OVERLOADED
    assert error.status is None and error.transient
    assert error.message == "error event mid-stream (overloaded_error): Overloaded"
    assert error.request_id == api.records[-1].request_id
    assert len(chunks) == 3 and all(isinstance(c, TextDelta) for c in chunks)


async def test_error_event_of_another_type(api: FakeMessagesAPI, provider: AnthropicProvider) -> None:
    error = await fail(provider, Step("error_event", error_type="api_error", message="Internal error"), api)
    assert error.kind is FaultKind.STREAM_ERROR and error.status is None
    assert error.message == "error event mid-stream (api_error): Internal error"


async def test_dropped_connection(api: FakeMessagesAPI, provider: AnthropicProvider) -> None:
    api.script("User Model", Step("drop", after_chunks=2))
    chunks, error = await collect(provider, card_request())
    assert error is not None and error.kind is FaultKind.CONNECTION_DROPPED
    assert error.message.startswith("connection dropped mid-stream: ") and error.transient
    assert error.request_id == api.records[-1].request_id
    assert len(chunks) == 2


async def test_stream_without_message_stop_is_incomplete(
    api: FakeMessagesAPI, provider: AnthropicProvider
) -> None:
    api.script("User Model", "no_stop")
    chunks, error = await collect(provider, card_request())
    assert error is not None and error.kind is FaultKind.INCOMPLETE and error.transient
    assert not any(isinstance(c, StreamEnd) for c in chunks)
    assert text_of(chunks) == cards.good_card("User Model", "typescript")


async def test_cancelling_a_stalled_stream_closes_it(
    api: FakeMessagesAPI, provider: AnthropicProvider
) -> None:
    api.script("User Model", Step("stall", after_chunks=2))
    got: list[StreamChunk] = []

    async def consume() -> None:
        async for chunk in provider.stream(card_request()):
            got.append(chunk)

    task = asyncio.create_task(consume())
    await wait_until(lambda: len(got) == 3)  # ResponseStarted, then two deltas
    assert api.open_streams == 1 and not task.done()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await wait_until(lambda: api.open_streams == 0)
    # The provider stays usable after a cancelled stream.
    chunks, error = await collect(provider, card_request("Next"))
    assert error is None and isinstance(chunks[-1], StreamEnd)


async def test_read_timeout_mid_stream(api: FakeMessagesAPI) -> None:
    api.script("User Model", Step("stall", after_chunks=1))
    p = AnthropicProvider(api_key=KEY, base_url=api.base_url, read_timeout_s=0.3)
    try:
        chunks, error = await collect(p, card_request())
    finally:
        await p.aclose()
    assert error is not None and error.kind is FaultKind.TIMEOUT and len(chunks) == 1
    assert error.message.startswith("stream timed out")


async def test_read_timeout_before_the_response(api: FakeMessagesAPI) -> None:
    api.pause()
    p = AnthropicProvider(api_key=KEY, base_url=api.base_url, read_timeout_s=0.3)
    try:
        _, error = await collect(p, card_request())
    finally:
        api.resume()
        await p.aclose()
    assert error is not None and error.kind is FaultKind.TIMEOUT and error.status is None
    assert error.message.startswith(f"request to {api.base_url} timed out")


# -- connection and key problems ----------------------------------------------------------------


async def test_unreachable_host() -> None:
    url = unreachable_base_url()
    p = AnthropicProvider(api_key=CANARY, base_url=url)
    try:
        _, error = await collect(p, card_request())
        with pytest.raises(ProviderError) as counted:
            await p.count_tokens(card_request())
    finally:
        await p.aclose()
    assert error is not None and error.kind is FaultKind.UNREACHABLE and error.status is None
    assert error.message == f"cannot reach {url}: connection refused"
    assert counted.value.kind is FaultKind.UNREACHABLE
    assert CANARY not in str(error)


async def test_canary_key_never_shows(api: FakeMessagesAPI) -> None:
    p = AnthropicProvider(api_key=CANARY, base_url=api.base_url)
    errors: list[ProviderError] = []
    try:
        _, refused = await collect(p, card_request())
        assert refused is not None
        errors.append(refused)
        # A server (or a proxy) that echoes the key back must not get it into a message.
        api.valid_keys = {CANARY}
        api.script(
            "Echo",
            Step("http_400", message=f"bad header value {CANARY}"),
            Step("error_event", message=CANARY),
        )
        for _ in range(2):
            _, echoed = await collect(p, card_request("Echo"))
            assert echoed is not None
            errors.append(echoed)
    finally:
        await p.aclose()
    assert refused.kind is FaultKind.AUTH and refused.status == 401
    assert refused.message == "API key refused (401 authentication_error): invalid x-api-key"
    for error in errors:
        for text in (str(error), repr(error), error.message, repr(error.args)):
            assert CANARY not in text
    assert "***" in errors[1].message and "***" in errors[2].message
    assert CANARY not in repr(p) and CANARY not in str(p)
    assert CANARY not in repr(vars(p))


async def test_no_key_at_all(api: FakeMessagesAPI, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in [n for n in os.environ if n.startswith("ANTHROPIC_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path))  # no profile on disk either
    p = AnthropicProvider(base_url=api.base_url)
    try:
        _, error = await collect(p, card_request())
    finally:
        await p.aclose()
    assert error is not None and error.kind is FaultKind.AUTH
    assert error.message.startswith("no API key")
    assert api.records == []


async def test_environment_gives_key_and_base_url(
    api: FakeMessagesAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", api.base_url)
    p = AnthropicProvider()
    try:
        chunks, error = await collect(p, card_request())
    finally:
        await p.aclose()
    assert error is None and isinstance(chunks[-1], StreamEnd)
    assert KEY not in repr(p)


# -- token counting, lifecycle -----------------------------------------------------------------


async def test_count_tokens(api: FakeMessagesAPI, provider: AnthropicProvider) -> None:
    request = card_request()
    n = await provider.count_tokens(request)
    assert n == -(-len(request.system + request.messages[0][1]) // 4)
    assert api.records[-1].path == "/v1/messages/count_tokens" and api.records[-1].model == MODEL


async def test_count_tokens_with_a_refused_key(api: FakeMessagesAPI) -> None:
    p = AnthropicProvider(api_key="wrong", base_url=api.base_url)
    try:
        with pytest.raises(ProviderError) as info:
            await p.count_tokens(card_request())
    finally:
        await p.aclose()
    assert info.value.kind is FaultKind.AUTH and info.value.status == 401


async def test_aclose_is_idempotent(api: FakeMessagesAPI) -> None:
    p = AnthropicProvider(api_key=KEY, base_url=api.base_url)
    await p.aclose()  # never used: nothing to close
    await collect(p, card_request())
    await p.aclose()
    await p.aclose()


def test_the_preloaded_modules_start_with_the_sdk() -> None:
    from app.engine.providers.anthropic import SDK_FIRST_REQUEST_MODULES

    assert AnthropicProvider.PRELOAD_MODULES == ("anthropic", *SDK_FIRST_REQUEST_MODULES)


def test_sdk_is_imported_lazily() -> None:
    code = (
        "import sys, app.engine.providers.anthropic as m; "
        "m.AnthropicProvider(api_key='k'); print('anthropic' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
