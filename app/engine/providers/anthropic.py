"""The Anthropic provider: one streamed Messages request per card, every failure mapped to ProviderError.

The SDK is imported on first use (it takes over a second to import) and its client is created with
``max_retries=0``: the engine owns the only retry loop, so every fault must surface here, once,
already classified. The API key never appears in a message or a repr.
"""

from __future__ import annotations

import asyncio
import datetime as _dt
import email.utils
import json
import socket
import ssl
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any

from app.core.prompt import CardRequest
from app.engine.provider import FaultKind, ProviderError, StreamChunk, StreamEnd, TextDelta

if TYPE_CHECKING:
    from anthropic import AsyncAnthropic

READ_TIMEOUT_S = 600.0
"""The SDK's own default. Silent streams are the engine's stall watchdog's job, long before this."""
MAX_MESSAGE_CHARS = 300

# httpx / httpx2 / httpcore class names, matched by name so that either HTTP stack the SDK
# version in use brings is recognised without importing it.
_CONNECT_FAILURES = frozenset({"ConnectError", "ConnectTimeout"})
_TIMEOUTS = frozenset({"TimeoutException", "ReadTimeout", "WriteTimeout", "PoolTimeout"})
_TRANSPORT_FAILURES = frozenset({"TransportError", "NetworkError", "ProtocolError", "StreamError"})


class _Secret:
    """Holds the API key so that neither repr() nor str() of its holder can show it."""

    __slots__ = ("_value",)

    def __init__(self, value: str | None) -> None:
        self._value = value

    def get(self) -> str | None:
        return self._value

    def __repr__(self) -> str:
        return "'***'" if self._value else "None"

    __str__ = __repr__


class AnthropicProvider:
    """``Provider`` over the official SDK's ``AsyncAnthropic.messages.stream``.

    ``api_key=None`` and ``base_url=None`` let the SDK read ``ANTHROPIC_API_KEY`` and
    ``ANTHROPIC_BASE_URL`` itself.
    """

    name = "anthropic"

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

    def __repr__(self) -> str:
        key = "given" if self._api_key.get() else "from environment"
        return f"AnthropicProvider(base_url={self._base_url!r}, api_key={key})"

    # -- the Provider protocol -----------------------------------------------------------------

    async def stream(self, request: CardRequest) -> AsyncIterator[StreamChunk]:
        """Yield the answer's text deltas, then one ``StreamEnd`` if ``message_stop`` arrived.

        The server-sent events are read from the raw response and decoded here with ``json``:
        the SDK's own stream builds pydantic objects and a full message snapshot for every event,
        which made eight fast streams hold up the window's event loop. Cancelling the consumer
        closes the HTTP response at once (``async with``).
        """
        client = await self._client_off_loop(request)
        model = request.model
        input_tokens = output_tokens = 0
        stop_reason: str | None = None
        seen_stop = False
        request_id: str | None = None
        try:
            async with client.messages.with_streaming_response.create(
                **_params(request), stream=True
            ) as response:
                request_id = response.headers.get("request-id")
                async for name, data in _server_sent_events(response.iter_lines()):
                    if name == "error":
                        raise self._mid_stream_error(_json_or_text(data), request_id)
                    if name == "ping" or not data:
                        continue
                    event = json.loads(data)
                    kind = event.get("type")
                    if kind == "content_block_delta":
                        delta = event.get("delta") or {}
                        if delta.get("type") == "text_delta" and delta.get("text"):
                            yield TextDelta(delta["text"])
                    elif kind == "message_start":
                        message = event.get("message") or {}
                        model = message.get("model") or model
                        input_tokens = (message.get("usage") or {}).get("input_tokens") or 0
                    elif kind == "message_delta":
                        stop_reason = (event.get("delta") or {}).get("stop_reason")
                        usage = event.get("usage") or {}
                        output_tokens = usage.get("output_tokens") or 0
                        if usage.get("input_tokens") is not None:
                            input_tokens = usage["input_tokens"]
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
        yield StreamEnd(
            stop_reason=stop_reason, input_tokens=input_tokens, output_tokens=output_tokens, model=model
        )

    async def count_tokens(self, request: CardRequest) -> int:
        """Input tokens of the request, from the API's free token-counting endpoint."""
        client = await self._client_off_loop(request)
        params = _params(request)
        params.pop("max_tokens")
        try:
            result = await client.messages.count_tokens(**params)
        except Exception as exc:
            raise self._classify(exc, request) from exc
        return int(result.input_tokens)

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.close()

    @staticmethod
    def import_sdk() -> None:
        """Pay the SDK's import (over a second) now, not inside the first card's stream."""
        import anthropic  # noqa: F401

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
            if _connect_failed(exc):
                return self._error(
                    FaultKind.UNREACHABLE, f"cannot reach {_origin(exc)}: {self._connect_reason(exc)}"
                )
            if isinstance(exc, anthropic.APITimeoutError):
                return self._error(FaultKind.TIMEOUT, f"request to {_origin(exc)} timed out ({_reason(exc)})")
            return self._error(
                FaultKind.CONNECTION_DROPPED, f"connection to {_origin(exc)} lost: {_reason(exc)}"
            )
        names = _class_names(exc)
        if names & _TIMEOUTS:
            return self._error(FaultKind.TIMEOUT, f"stream timed out ({_reason(exc)})", request_id=request_id)
        if names & (_TRANSPORT_FAILURES | _CONNECT_FAILURES) or isinstance(exc, OSError):
            # The SDK does not wrap errors raised while reading an open stream.
            return self._error(
                FaultKind.CONNECTION_DROPPED,
                f"connection dropped mid-stream: {_reason(exc)}",
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
        etype = _error_field(body, "type")
        detail = _error_field(body, "message") or (
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
            if _is_spend_limit(body, detail, retry_after):
                return self._error(FaultKind.SPEND_LIMIT, text("spend limit reached"), **kw)
            return self._error(FaultKind.RATE_LIMITED, text("rate limited"), **kw)
        if status == 408:
            return self._error(FaultKind.TIMEOUT, text("request timed out"), **kw)
        if status == 409:
            return self._error(FaultKind.CONFLICT, text("conflict"), **kw)
        if status == 529 or etype == "overloaded_error":
            return self._error(FaultKind.OVERLOADED, text("API overloaded"), **kw)
        if status >= 500:
            return self._error(FaultKind.SERVER_ERROR, text("server error"), **kw)
        if status in (400, 413, 422):
            return self._error(FaultKind.BAD_REQUEST, text("request rejected"), **kw)
        return self._error(FaultKind.OTHER, text("unexpected answer"), **kw)

    def _mid_stream_error(
        self, body: Any, request_id: str | None, *, retry_after_s: float | None = None
    ) -> ProviderError:
        """An ``error`` event after the stream started (e.g. overloaded inside a 200 stream)."""
        etype = _error_field(body, "type")
        detail = _error_field(body, "message") or (
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
        for e in _chain(exc):
            if type(e).__name__ == "ConnectTimeout":
                return f"no connection within {self._connect_timeout_s:g} s"
            if isinstance(e, ConnectionRefusedError):
                return "connection refused"
            if isinstance(e, socket.gaierror):
                return "host name not found"
            if isinstance(e, ssl.SSLError):
                return f"TLS handshake failed ({e.reason or e})"
        return _reason(exc)


async def _server_sent_events(lines: AsyncIterator[str]) -> AsyncIterator[tuple[str | None, str]]:
    """(event name, data) per server-sent event, per the SSE format (fields until a blank line)."""
    name: str | None = None
    data: list[str] = []
    async for line in lines:
        if not line:
            if name is not None or data:
                yield name, "\n".join(data)
            name, data = None, []
            continue
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "event":
            name = value
        elif field == "data":
            data.append(value)
    if name is not None or data:
        yield name, "\n".join(data)


def _json_or_text(data: str) -> Any:
    try:
        return json.loads(data)
    except ValueError:
        return data


def _params(request: CardRequest) -> dict[str, Any]:
    params: dict[str, Any] = {
        "model": request.model,
        "max_tokens": request.max_tokens,
        "messages": [{"role": role, "content": content} for role, content in request.messages],
    }
    if request.system:
        params["system"] = request.system
    return params


def retry_after_seconds(headers: Any) -> float | None:
    """Seconds to wait from ``retry-after-ms``, else ``retry-after`` (seconds or an HTTP date)."""
    ms = headers.get("retry-after-ms")
    if ms is not None:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=_dt.UTC)
    return max(0.0, (when - _dt.datetime.now(_dt.UTC)).total_seconds())


def _error_field(body: object, name: str) -> str:
    error = body.get("error") if isinstance(body, dict) else None
    value = error.get(name) if isinstance(error, dict) else None
    return value if isinstance(value, str) else ""


def _error_code(body: object) -> str:
    error = body.get("error") if isinstance(body, dict) else None
    details = error.get("details") if isinstance(error, dict) else None
    code = details.get("error_code") if isinstance(details, dict) else None
    return code if isinstance(code, str) else ""


def _is_spend_limit(body: object, detail: str, retry_after: float | None) -> bool:
    """A 429 that waiting does not cure: the API marks it in ``error.details.error_code``."""
    if "spend_limit" in _error_code(body):
        return True
    # Older answers carry no code, only wording, and never a retry-after.
    lowered = detail.lower()
    return retry_after is None and ("spend limit" in lowered or "usage limits" in lowered)


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _class_names(exc: BaseException) -> set[str]:
    return {cls.__name__ for cls in type(exc).__mro__}


def _connect_failed(exc: BaseException) -> bool:
    return any(
        type(e).__name__ in _CONNECT_FAILURES
        or isinstance(e, (ConnectionRefusedError, socket.gaierror, ssl.SSLError))
        for e in _chain(exc)
    )


def _reason(exc: BaseException) -> str:
    """The most specific non-empty text in the exception's chain (the SDK's own is generic)."""
    texts = [str(e).strip() for e in _chain(exc)]
    specific = [t for t in texts[1:] if t]
    return specific[-1] if specific else (texts[0] or type(exc).__name__)


def _origin(exc: Any) -> str:
    url = getattr(getattr(exc, "request", None), "url", None)
    if url is None:
        return "the API"
    port = f":{url.port}" if url.port else ""
    return f"{url.scheme}://{url.host}{port}"
