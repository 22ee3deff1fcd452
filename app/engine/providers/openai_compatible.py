"""The OpenAI-compatible provider: one streamed chat-completions request per card to a model server
(Ollama, llama.cpp's llama-server, LM Studio, vLLM, or a hosted compatible service).

It speaks HTTP through ``httpx2`` directly (the HTTP client the Anthropic SDK already brings; no
retries of its own, so the engine keeps the only retry loop) and reads the server-sent events
itself, like the Anthropic provider. Every failure leaves here once, as a ``ProviderError``. The
key (``OPENAI_API_KEY``, optional) is sent only when set and never appears in a message or repr.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from app import __version__
from app.core.prompt import CardRequest
from app.engine.provider import FaultKind, ProviderError, StreamChunk, StreamEnd
from app.engine.providers.chat_wire import (
    DONE_MARKER,
    ChatStream,
    chat_body,
    error_detail,
    error_status,
    model_ids,
)
from app.engine.providers.http_faults import (
    TIMEOUTS,
    TRANSPORT_FAILURES,
    class_names,
    connect_failed,
    connect_reason,
    most_specific_text,
    retry_after_seconds,
    status_fault,
)
from app.engine.providers.secret import Secret, safe_line
from app.engine.providers.sse import json_or_text, server_sent_events
from app.engine.server_url import OLLAMA_BASE_URL, OLLAMA_PORT, is_local_url, is_loopback_url

if TYPE_CHECKING:
    import httpx2

READ_TIMEOUT_S = 600.0
"""A silent stream is the engine's stall watchdog's to end, long before this."""
LIST_TIMEOUT_S = 10.0

HTTP_FIRST_REQUEST_MODULES = (
    "httpcore2._async.connection_pool",
    "httpcore2._async.http11",
    "httpcore2._backends.anyio",
    "anyio._backends._asyncio",
    "anyio._core._sockets",
    "anyio.streams.tls",
    "h11",
)
"""What the HTTP stack imports only when it sends its first request (measured with httpx2 2.16):
a warm-up imports them in a thread, so that it does not happen on the event loop mid-run."""


class OpenAICompatibleProvider:
    """``Provider`` over ``POST {base_url}/chat/completions`` with ``stream: true``; also lists the
    server's models (``GET {base_url}/models``). It cannot count tokens: estimates are offline."""

    name = "openai-compatible"
    PRELOAD_MODULES: tuple[str, ...] = ("httpx2", *HTTP_FIRST_REQUEST_MODULES)

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        connect_timeout_s: float = 10.0,
        read_timeout_s: float = READ_TIMEOUT_S,
    ) -> None:
        self._api_key = Secret(api_key)
        self.base_url = (base_url or OLLAMA_BASE_URL).rstrip("/")
        self.local = is_local_url(self.base_url)
        """A server on this machine or the local network: its cards cost nothing."""
        self._connect_timeout_s = connect_timeout_s
        self._read_timeout_s = read_timeout_s
        self._client: httpx2.AsyncClient | None = None
        self._client_lock = asyncio.Lock()

    def __repr__(self) -> str:
        key = "given" if self._api_key.get() else "none"
        return f"OpenAICompatibleProvider(base_url={self.base_url!r}, api_key={key})"

    # -- the Provider protocol -----------------------------------------------------------------

    async def stream(self, request: CardRequest) -> AsyncIterator[StreamChunk]:
        """Yield the answer's text deltas (``ThinkingDelta``s while a reasoning model reasons),
        then one ``StreamEnd`` once both a finish reason and ``[DONE]`` arrived. Cancelling the
        consumer closes the HTTP response at once (``async with``)."""
        client = await self._client_off_loop()
        state = ChatStream(model=request.model)
        url = self._url("/chat/completions")
        try:
            async with client.stream("POST", url, json=chat_body(request), headers=self._headers()) as response:
                if response.status_code >= 300:
                    body = json_or_text((await response.aread()).decode("utf-8", "replace"))
                    raise self._from_status(response.status_code, body, response.headers, request, url)
                async for _name, data in server_sent_events(response.aiter_lines()):
                    if data.strip() == DONE_MARKER:
                        state.done = True
                        break
                    event = json_or_text(data) if data else None
                    if isinstance(event, dict) and "error" in event:
                        raise self._mid_stream_error(event)
                    chunk = state.read(event) if isinstance(event, dict) else None
                    if chunk is not None:
                        yield chunk
        except ProviderError:
            raise
        except Exception as exc:  # every failure leaves here classified, whatever raised it
            raise self._classify(exc) from exc
        if not state.complete:
            missing = "a finish reason" if state.finish_reason is None else "[DONE]"
            raise self._error(FaultKind.INCOMPLETE, f"stream ended without {missing} (the answer may be cut)")
        yield StreamEnd(
            stop_reason=state.stop_reason,
            input_tokens=state.input_tokens,
            output_tokens=state.output_tokens,
            model=state.model,
        )

    async def list_models(self) -> list[str]:
        """The ids of the models the server serves (``GET /v1/models``), sorted."""
        client = await self._client_off_loop()
        url = self._url("/models")
        try:
            response = await client.get(url, headers=self._headers(), timeout=LIST_TIMEOUT_S)
        except Exception as exc:
            raise self._classify(exc) from exc
        body = json_or_text(response.text)
        if response.status_code >= 300:
            raise self._from_status(response.status_code, body, response.headers, None, url)
        return model_ids(body)

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    # -- the client ----------------------------------------------------------------------------

    async def _client_off_loop(self) -> httpx2.AsyncClient:
        """The client, made in a worker thread the first time (importing the HTTP stack and
        building its TLS context must not hold up a window's event loop)."""
        if self._client is None:
            async with self._client_lock:
                if self._client is None:
                    self._client = await asyncio.to_thread(self._new_client)
        return self._client

    def _new_client(self) -> httpx2.AsyncClient:
        import httpx2

        return httpx2.AsyncClient(
            timeout=httpx2.Timeout(self._read_timeout_s, connect=self._connect_timeout_s),
            # A server on this machine is never reached through the environment's proxy.
            trust_env=not is_loopback_url(self.base_url),
        )

    def _url(self, path: str) -> str:
        return self.base_url + path

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "text/event-stream", "User-Agent": f"cardsmith/{__version__}"}
        key = self._api_key.get()
        if key:
            headers["Authorization"] = f"Bearer {key}"
        return headers

    def _error(self, kind: FaultKind, message: str, **kw: Any) -> ProviderError:
        """A ProviderError whose message is one line and can never carry the key."""
        key = self._api_key.get()
        return ProviderError(kind, safe_line(message, [key] if key else []), **kw)

    # -- classification ------------------------------------------------------------------------

    def _classify(self, exc: BaseException) -> ProviderError:
        if connect_failed(exc):
            return self._error(FaultKind.UNREACHABLE, self._no_server(connect_reason(exc, self._connect_timeout_s)))
        names = class_names(exc)
        if names & TIMEOUTS:
            return self._error(FaultKind.TIMEOUT, f"{self.base_url} timed out ({most_specific_text(exc)})")
        if names & TRANSPORT_FAILURES or isinstance(exc, OSError):
            return self._error(
                FaultKind.CONNECTION_DROPPED, f"connection to {self.base_url} dropped: {most_specific_text(exc)}"
            )
        return self._error(FaultKind.OTHER, f"unexpected error: {type(exc).__name__}: {exc}")

    def _no_server(self, reason: str) -> str:
        hint = "is Ollama running? start it with `ollama serve`"
        if urlsplit(self.base_url).port != OLLAMA_PORT:
            hint = "is the model server running? check the plan's base_url"
        return f"no server at {self.base_url} ({reason}): {hint}"

    def _from_status(
        self, status: int, body: object, headers: Any, request: CardRequest | None, url: str
    ) -> ProviderError:
        detail, etype = error_detail(body)
        kw: dict[str, Any] = {"status": status, "retry_after_s": retry_after_seconds(headers)}
        label = f"{status} {etype}" if etype else str(status)

        def text(what: str) -> str:
            return f"{what} ({label}): {detail}" if detail else f"{what} ({label})"

        if status in (401, 403):
            return self._error(FaultKind.AUTH, text(f"the server at {self.base_url} refused the request")
                               + " (set OPENAI_API_KEY to the key it expects)", **kw)
        if status == 404 or (status == 400 and _names_missing_model(detail)):
            if request is not None and (_names_missing_model(detail) or request.model in detail):
                return self._error(FaultKind.NOT_FOUND, self._unknown_model(request.model, detail), **kw)
            return self._error(
                FaultKind.NOT_FOUND,
                text(f"nothing at {url}") + " (check the base URL: it usually ends in /v1)",
                **kw,
            )
        if status == 503:  # loading its model, or more requests queued than it takes
            return self._error(FaultKind.BUSY, text("server busy"), **kw)
        kind, what = status_fault(status)
        return self._error(kind, text(what), **kw)

    def _unknown_model(self, model: str, detail: str) -> str:
        """One line naming the model, the server's own words, and what to do about it."""
        said = f": {detail}" if detail else ""
        if "pull" in detail.lower() or urlsplit(self.base_url).port == OLLAMA_PORT:
            advice = f"run `ollama pull {model}`"
        else:
            advice = "`cardsmith models --provider openai-compatible` lists what it serves"
        return f"model {model!r} is not on the server at {self.base_url}{said} ({advice})"

    def _mid_stream_error(self, event: dict[str, Any]) -> ProviderError:
        """An error chunk after the stream started (llama.cpp sends ``data: {"error": ...}``)."""
        detail, etype = error_detail(event)
        busy = error_status(event) == 503
        what = f"error mid-stream ({etype or 'unknown type'})"
        return self._error(FaultKind.BUSY if busy else FaultKind.STREAM_ERROR, f"{what}: {detail}" if detail else what)


def _names_missing_model(detail: str) -> bool:
    lowered = detail.lower()
    return "model" in lowered and any(w in lowered for w in ("not found", "does not exist", "no such"))
