"""The Anthropic provider: one streamed Messages request per card, every failure mapped to ProviderError.

The SDK is imported on first use (it takes over a second to import) and its client is created with
``max_retries=0``: the engine owns the only retry loop, so every fault must surface here, once,
already classified. The API key never appears in a message or a repr.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from app.core.prompt import CardRequest
from app.core.rate_limits import RateLimits, limits_from_headers
from app.engine.provider import (
    FaultKind,
    ProviderError,
    ResponseStarted,
    StreamChunk,
    ThinkingDelta,
)
from app.engine.providers.anthropic_events import (
    THINKING_BLOCKS,
    StreamUsage,
    ToolCall,
    block_start_chunk,
    delta_chunk,
    stop_reason_of,
)
from app.engine.providers.anthropic_params import count_params, request_params
from app.engine.providers.http_faults import (
    CONNECT_FAILURES,
    TIMEOUTS,
    TRANSPORT_FAILURES,
    class_names,
    connect_failed,
    connect_reason,
    error_field,
    is_spend_limit,
    most_specific_text,
    request_origin,
    retry_after_seconds,
    status_fault,
)
from app.engine.providers.secret import Secret as _Secret
from app.engine.providers.sse import json_or_text, server_sent_events

if TYPE_CHECKING:
    from anthropic import AsyncAnthropic

READ_TIMEOUT_S = 600.0
"""The SDK's own default. Silent streams are the engine's stall watchdog's job, long before this."""
MAX_MESSAGE_CHARS = 300

SDK_FIRST_REQUEST_MODULES = (
    "anyio._core._sockets",
    "anyio._core._streams",
    "anyio.streams.memory",
    "anyio.streams.stapled",
    "opentelemetry.propagate",
    "opentelemetry.trace.propagation.tracecontext",
)
"""What the SDK's HTTP stack imports only when it sends its first request: on the event loop, in
the middle of the first streams. Best effort (another SDK version may not have them); an import
is all it is, nothing of theirs is touched."""


class AnthropicProvider:
    """``Provider`` over the official SDK's ``AsyncAnthropic.messages.stream``.

    ``api_key=None`` and ``base_url=None`` let the SDK read ``ANTHROPIC_API_KEY`` and
    ``ANTHROPIC_BASE_URL`` itself.
    """

    name = "anthropic"
    PRELOAD_MODULES: tuple[str, ...] = ("anthropic", *SDK_FIRST_REQUEST_MODULES)
    """What a warm-up imports in a thread before a run (the SDK takes over a second)."""

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        connect_timeout_s: float = 10.0,
        read_timeout_s: float = READ_TIMEOUT_S,
    ) -> None:
        self._api_key = _Secret(api_key)
        self._base_url = base_url
        self._connect_timeout_s = connect_timeout_s
        self._read_timeout_s = read_timeout_s
        self._client: AsyncAnthropic | None = None
        self._client_lock = asyncio.Lock()
        self._rate_limits: dict[str, RateLimits] = {}

    def __repr__(self) -> str:
        key = "given" if self._api_key.get() else "from environment"
        return f"AnthropicProvider(base_url={self._base_url!r}, api_key={key})"

    # -- the Provider protocol -----------------------------------------------------------------

    async def stream(self, request: CardRequest) -> AsyncIterator[StreamChunk]:
        """Yield the answer's text deltas, then one ``StreamEnd`` if ``message_stop`` arrived.

        Content blocks are told apart by their type, never their position: a model that thinks
        first starts with a thinking block, which yields ``ThinkingDelta``s (its text is never
        passed on). The server-sent events are read from the raw response and decoded here with ``json``:
        the SDK's own stream builds pydantic objects and a full message snapshot for every event,
        which made eight fast streams hold up the window's event loop. Cancelling the consumer
        closes the HTTP response at once (``async with``).
        """
        client = await self._client_off_loop(request)
        usage = StreamUsage(model=request.model)
        stop_reason: str | None = None
        seen_stop = False
        thinking_open = False
        request_id: str | None = None
        tool_call = ToolCall(request.answer_format)
        try:
            async with client.messages.with_streaming_response.create(
                **request_params(request), stream=True
            ) as response:
                request_id = response.headers.get("request-id")
                limits = limits_from_headers(response.headers)
                if limits is not None:
                    self._rate_limits[request.model] = limits
                async for name, data in server_sent_events(response.iter_lines()):
                    if name == "error":
                        raise self._mid_stream_error(json_or_text(data), request_id)
                    if name == "ping" or not data:
                        if thinking_open:
                            yield ThinkingDelta()  # a long silent thought must not look stalled
                        continue
                    event = json.loads(data)
                    kind = event.get("type")
                    if kind == "content_block_delta":
                        delta = event.get("delta") or {}
                        chunk = tool_call.delta(event.get("index"), delta) or delta_chunk(delta)
                        if chunk is not None:
                            yield chunk
                    elif kind == "content_block_start":
                        block = event.get("content_block") or {}
                        thinking_open = block.get("type") in THINKING_BLOCKS
                        tool_call.block_started(event.get("index"), block)
                        chunk = block_start_chunk(block)
                        if chunk is not None:
                            yield chunk
                    elif kind == "content_block_stop":
                        thinking_open = False
                    elif kind == "message_start":
                        usage.started(event.get("message") or {})
                        yield ResponseStarted()
                    elif kind == "message_delta":
                        stop_reason = (event.get("delta") or {}).get("stop_reason")
                        usage.update(event.get("usage") or {})
                    elif kind == "message_stop":
                        seen_stop = True
        except ProviderError:
            raise
        except Exception as exc:  # every failure leaves here classified, whatever raised it
            raise self._classify(exc, request, request_id) from exc
        if not seen_stop:
            raise ProviderError(
                FaultKind.INCOMPLETE,
                "stream ended without message_stop (the answer may be cut)",
                request_id=request_id,
            )
        yield usage.end(stop_reason_of(stop_reason), tool_call.input)

    def rate_limits_seen(self) -> dict[str, RateLimits]:
        """The account's limits from the last response per model (``anthropic-ratelimit-*``)."""
        return dict(self._rate_limits)

    async def count_tokens(self, request: CardRequest) -> int:
        """Input tokens of the request, from the API's free token-counting endpoint."""
        client = await self._client_off_loop(request)
        try:
            result = await client.messages.count_tokens(**count_params(request))
        except Exception as exc:
            raise self._classify(exc, request) from exc
        return int(result.input_tokens)

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.close()

    # -- the client ----------------------------------------------------------------------------

    async def _client_off_loop(self, request: CardRequest) -> AsyncAnthropic:
        """The client, made in a worker thread the first time: importing the SDK and building
        its TLS context take over a second, which must not freeze a window's event loop (the
        window imports the SDK only when a run starts, or a little earlier on a hint of one)."""
        if self._client is None:
            async with self._client_lock:  # concurrent first streams wait for one import
                if self._client is None:
                    await asyncio.to_thread(self._get_client, request)
        return self._get_client(request)

    def _get_client(self, request: CardRequest) -> AsyncAnthropic:
        if self._client is None:
            try:
                import anthropic

                self._client = anthropic.AsyncAnthropic(
                    api_key=self._api_key.get(),
                    base_url=self._base_url,
                    max_retries=0,
                    timeout=anthropic.Timeout(self._read_timeout_s, connect=self._connect_timeout_s),
                )
            except Exception as exc:
                raise self._classify(exc, request) from exc
        return self._client

    def _secrets(self) -> list[str]:
        values = [self._api_key.get()]
        if self._client is not None:
            values += [getattr(self._client, "api_key", None), getattr(self._client, "auth_token", None)]
        return [v for v in values if v]

    def _error(self, kind: FaultKind, message: str, **kw: Any) -> ProviderError:
        """A ProviderError whose message is one line and can never carry the key."""
        text = " ".join(message.split())
        for secret in self._secrets():
            text = text.replace(secret, "***")
        if len(text) > MAX_MESSAGE_CHARS:
            text = text[: MAX_MESSAGE_CHARS - 1] + "…"
        return ProviderError(kind, text, **kw)

    # -- classification ------------------------------------------------------------------------

    def _classify(
        self, exc: BaseException, request: CardRequest, request_id: str | None = None
    ) -> ProviderError:
        """Map any exception onto a ProviderError; ``request_id`` is the open stream's, if any."""
        import anthropic

        if isinstance(exc, anthropic.APIStatusError):
            return self._from_status(exc, request)
        if isinstance(exc, anthropic.APIConnectionError):
            # Raised only before a response arrived: refused, DNS, TLS, or a reused connection
            # that the server had closed.
            if connect_failed(exc):
                return self._error(
                    FaultKind.UNREACHABLE, f"cannot reach {request_origin(exc)}: {self._connect_reason(exc)}"
                )
            origin, why = request_origin(exc), most_specific_text(exc)
            if isinstance(exc, anthropic.APITimeoutError):
                return self._error(FaultKind.TIMEOUT, f"request to {origin} timed out ({why})")
            return self._error(FaultKind.CONNECTION_DROPPED, f"connection to {origin} lost: {why}")
        names = class_names(exc)
        if names & TIMEOUTS:
            return self._error(
                FaultKind.TIMEOUT, f"stream timed out ({most_specific_text(exc)})", request_id=request_id
            )
        if names & (TRANSPORT_FAILURES | CONNECT_FAILURES) or isinstance(exc, OSError):
            # The SDK does not wrap errors raised while reading an open stream.
            return self._error(
                FaultKind.CONNECTION_DROPPED,
                f"connection dropped mid-stream: {most_specific_text(exc)}",
                request_id=request_id,
            )
        if isinstance(exc, anthropic.APIResponseValidationError):
            return self._error(FaultKind.OTHER, f"unexpected answer from the API: {exc.message}")
        if isinstance(exc, TypeError) and "authentication" in str(exc):
            return self._error(
                FaultKind.AUTH, "no API key: set ANTHROPIC_API_KEY or store a key in the system keyring"
            )
        if isinstance(exc, anthropic.AnthropicError) and "Credentials" in type(exc).__name__:
            return self._error(FaultKind.AUTH, f"API credentials could not be loaded: {exc}")
        return self._error(FaultKind.OTHER, f"unexpected error: {type(exc).__name__}: {exc}")

    def _from_status(self, exc: Any, request: CardRequest) -> ProviderError:
        status: int = exc.status_code
        body = exc.body
        etype = error_field(body, "type")
        detail = error_field(body, "message") or (
            body.strip().splitlines()[0] if isinstance(body, str) and body.strip() else ""
        )
        request_id = exc.request_id or (body.get("request_id") if isinstance(body, dict) else None)
        retry_after = retry_after_seconds(exc.response.headers)
        kw: dict[str, Any] = {"status": status, "retry_after_s": retry_after, "request_id": request_id}

        def text(what: str) -> str:
            label = f"{status} {etype}" if etype else str(status)
            return f"{what} ({label}): {detail}" if detail else f"{what} ({label})"

        if status < 300:
            # An `error` event after the stream had started: the HTTP status is the stream's 200.
            return self._mid_stream_error(body, request_id, retry_after_s=retry_after)
        if status == 401:
            return self._error(FaultKind.AUTH, text("API key refused"), **kw)
        if status == 403:
            return self._error(FaultKind.AUTH, text("API key not permitted"), **kw)
        if status == 404:
            if detail.startswith("model:"):
                model = detail.split(":", 1)[1].strip() or request.model
                return self._error(FaultKind.NOT_FOUND, f"model not found: {model} (404)", **kw)
            return self._error(FaultKind.NOT_FOUND, text("not found"), **kw)
        if status == 402 or etype == "billing_error":
            return self._error(FaultKind.SPEND_LIMIT, text("billing problem"), **kw)
        if status == 429:
            if is_spend_limit(body, detail, retry_after):
                return self._error(FaultKind.SPEND_LIMIT, text("spend limit reached"), **kw)
        if status == 529 or etype == "overloaded_error":
            return self._error(FaultKind.OVERLOADED, text("API overloaded"), **kw)
        kind, what = status_fault(status)
        return self._error(kind, text(what), **kw)

    def _mid_stream_error(
        self, body: Any, request_id: str | None, *, retry_after_s: float | None = None
    ) -> ProviderError:
        """An ``error`` event after the stream started (e.g. overloaded inside a 200 stream)."""
        etype = error_field(body, "type")
        detail = error_field(body, "message") or (
            body.strip().splitlines()[0] if isinstance(body, str) and body.strip() else ""
        )
        kind = FaultKind.OVERLOADED if etype == "overloaded_error" else FaultKind.STREAM_ERROR
        what = f"error event mid-stream ({etype or 'unknown type'})"
        return self._error(
            kind,
            f"{what}: {detail}" if detail else what,
            retry_after_s=retry_after_s,
            request_id=request_id,
        )

    def _connect_reason(self, exc: BaseException) -> str:
        return connect_reason(exc, self._connect_timeout_s)
