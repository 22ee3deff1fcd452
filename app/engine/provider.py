"""The provider interface: what the engine needs from any model API, and the faults it can report.

Only a provider module knows its wire format; it maps every SDK or HTTP error onto
``ProviderError`` with a ``FaultKind`` once, at its boundary, so the retry policy is written once.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import AsyncIterator, Protocol, runtime_checkable

from app.core.prompt import CardRequest


class FaultKind(str, Enum):
    # transient: retried with backoff
    RATE_LIMITED = "rate_limited"  # 429 (not a spend limit)
    OVERLOADED = "overloaded"  # 529, or an overloaded_error event mid-stream
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
    TRUNCATED = "truncated"  # stop_reason max_tokens
    REFUSED = "refused"  # stop_reason refusal
    # permanent for the whole run
    AUTH = "auth"  # 401 / 403
    NOT_FOUND = "not_found"  # 404: every card asks for the same model (or the same wrong URL)
    UNREACHABLE = "unreachable"  # cannot connect at all (DNS, refused, TLS) before any byte
    OTHER = "other"


TRANSIENT_FAULTS = frozenset(
    {
        FaultKind.RATE_LIMITED,
        FaultKind.OVERLOADED,
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


@dataclass(frozen=True)
class TextDelta:
    """A piece of the answer's text as it streams in."""

    text: str


@dataclass(frozen=True)
class StreamEnd:
    """The stream finished with message_stop; usage as the API reported it."""

    stop_reason: str | None
    input_tokens: int
    output_tokens: int
    model: str


StreamChunk = TextDelta | StreamEnd


@runtime_checkable
class Provider(Protocol):
    """A model API. ``stream`` yields ``TextDelta``s then exactly one ``StreamEnd``, or raises
    ``ProviderError``. A ``StreamEnd`` with stop_reason ``max_tokens`` or ``refusal`` is reported
    as such (the engine decides that it is not a complete card)."""

    name: str

    def stream(self, request: CardRequest) -> AsyncIterator[StreamChunk]: ...

    async def count_tokens(self, request: CardRequest) -> int: ...

    async def aclose(self) -> None: ...
