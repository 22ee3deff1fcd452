"""The provider interface: what the engine needs from any model API, and the faults it can report.

Only a provider module knows its wire format; it maps every SDK or HTTP error onto
``ProviderError`` with a ``FaultKind`` once, at its boundary, so the retry policy is written once.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import AsyncIterator, Protocol, runtime_checkable

from app.core.prompt import CardRequest
from app.core.rate_limits import RateLimits


class FaultKind(str, Enum):
    # transient: retried with backoff
    RATE_LIMITED = "rate_limited"  # 429 (not a spend limit)
    OVERLOADED = "overloaded"  # 529, or an overloaded_error event mid-stream
    BUSY = "busy"  # 503 from a model server that is loading a model or serving other requests
    SERVER_ERROR = "server_error"  # 5xx
    TIMEOUT = "timeout"  # 408
    CONFLICT = "conflict"  # 409
    STREAM_ERROR = "stream_error"  # an `error` event mid-stream (other than overloaded)
    CONNECTION_DROPPED = "connection_dropped"  # connection lost after the stream started
    STALLED = "stalled"  # no data for longer than the stall timeout (raised by the engine)
    INCOMPLETE = "incomplete"  # stream ended without message_stop
    # permanent for the card
    BAD_REQUEST = "bad_request"  # 400
    SPEND_LIMIT = "spend_limit"  # 429 whose type is a spend limit
    TRUNCATED = "truncated"  # the answer stopped at max_tokens
    REFUSED = "refused"  # the model declined to answer
    # permanent for the whole run
    AUTH = "auth"  # 401 / 403
    NOT_FOUND = "not_found"  # 404: every card asks for the same model (or the same wrong URL)
    UNREACHABLE = "unreachable"  # cannot connect at all (DNS, refused, TLS) before any byte
    OTHER = "other"


TRANSIENT_FAULTS = frozenset(
    {
        FaultKind.RATE_LIMITED,
        FaultKind.OVERLOADED,
        FaultKind.BUSY,
        FaultKind.SERVER_ERROR,
        FaultKind.TIMEOUT,
        FaultKind.CONFLICT,
        FaultKind.STREAM_ERROR,
        FaultKind.CONNECTION_DROPPED,
        FaultKind.STALLED,
        FaultKind.INCOMPLETE,
    }
)
RUN_STOPPING_FAULTS = frozenset({FaultKind.AUTH, FaultKind.NOT_FOUND, FaultKind.UNREACHABLE})
CAPACITY_FAULTS: dict[FaultKind, str] = {
    FaultKind.RATE_LIMITED: "rate limited (429)",
    FaultKind.BUSY: "server busy (503)",
}
"""Faults that ask for fewer requests at once (the adaptive limit halves), with how to say so."""


class ProviderError(Exception):
    """A fault of one request, already classified."""

    def __init__(
        self,
        kind: FaultKind,
        message: str,
        *,
        status: int | None = None,
        retry_after_s: float | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.status = status
        self.retry_after_s = retry_after_s
        self.request_id = request_id

    @property
    def transient(self) -> bool:
        return self.kind in TRANSIENT_FAULTS


class StopReason(str, Enum):
    """Why a complete answer ended, in the engine's words: each provider maps its own onto these."""

    END = "end"  # the model finished (end of turn, a stop sequence)
    MAX_TOKENS = "max_tokens"  # cut off at the request's max_tokens (thinking counts toward it)
    REFUSAL = "refusal"  # the model (or a safety classifier) declined to answer
    TOOL_USE = "tool_use"  # the model asks for a tool's result before it goes on

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class TextDelta:
    """A piece of the answer's text as it streams in."""

    text: str


@dataclass(frozen=True)
class ThinkingDelta:
    """The model is thinking: a thinking block started or grew. Its text is never carried: thinking
    is not part of the answer (and a stream of these keeps the stall watchdog from firing)."""


@dataclass(frozen=True)
class ResponseStarted:
    """The API accepted the request and its response has begun (Anthropic: ``message_start``):
    from now on a prompt cache this request writes can be read by others. Optional: a provider
    that cannot tell says nothing, and its first chunk of any kind means the same."""


@dataclass(frozen=True)
class StreamEnd:
    """The stream finished completely; usage as the API reported it."""

    stop_reason: StopReason
    input_tokens: int
    """Prompt tokens no cache covered."""
    output_tokens: int
    """Thinking included."""
    model: str
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    tool_input: str | None = None
    """The JSON input of the model's call to the request's answer tool (``AnswerVia.TOOL``), which
    is then the answer; None when it made no such call."""


StreamChunk = TextDelta | ThinkingDelta | ResponseStarted | StreamEnd


@runtime_checkable
class Provider(Protocol):
    """A model API. ``stream`` yields ``TextDelta``s (and ``ThinkingDelta``s, for a model that thinks
    first; a ``ResponseStarted`` first, if it can tell) then exactly one ``StreamEnd``, or raises
    ``ProviderError``. A ``StreamEnd`` whose stop
    reason is ``MAX_TOKENS`` or ``REFUSAL`` is reported as such: the engine decides that it is not a
    complete card.

    Optional: ``count_tokens(request) -> int`` (see ``TokenCounter``), when the API can count a
    request's input tokens exactly; ``list_models() -> list[str]`` (see ``ModelLister``), when
    the server lists what it serves; ``local: bool``, true when its requests cost nothing (a
    model server on this machine or the local network); ``PRELOAD_MODULES`` on the class, the
    modules its first request would otherwise import on the event loop (see
    ``app.engine.provider_config.preload``); ``rate_limits_seen()`` (see ``RateLimitReporter``),
    when its responses carry the account's limits.
    """

    name: str

    def stream(self, request: CardRequest) -> AsyncIterator[StreamChunk]: ...

    async def aclose(self) -> None: ...


@runtime_checkable
class TokenCounter(Protocol):
    """A provider that can count a request's input tokens exactly (free of charge)."""

    async def count_tokens(self, request: CardRequest) -> int: ...


@runtime_checkable
class RateLimitReporter(Protocol):
    """A provider that reads the account's rate limits from its responses."""

    def rate_limits_seen(self) -> dict[str, RateLimits]:
        """The last limits seen per model id, for the models this provider was asked for."""
        ...


def token_counter(provider: Provider) -> TokenCounter | None:
    """``provider`` if it counts tokens exactly, else None (callers fall back to an offline count)."""
    return provider if isinstance(provider, TokenCounter) else None


@runtime_checkable
class ModelLister(Protocol):
    """A provider whose server lists the models it serves (``GET /v1/models``)."""

    async def list_models(self) -> list[str]: ...


def model_lister(provider: Provider) -> ModelLister | None:
    """``provider`` if its server lists its models, else None."""
    return provider if isinstance(provider, ModelLister) else None


def is_local(provider: Provider | None) -> bool:
    """True when ``provider``'s requests cost nothing: its cards store cost 0 and say "local"."""
    return bool(getattr(provider, "local", False))
