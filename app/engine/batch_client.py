"""What the engine needs from a Message Batches API: create, retrieve, list, results, cancel.

Only a provider module knows the wire format and the SDK; it hands back these plain values and
raises ``ProviderError`` (faults mapped once, as for live requests). Batches are an Anthropic
feature: ``make_batch_client`` refuses other kinds of API with one line.
"""

from __future__ import annotations

import datetime as _dt
import importlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Callable, Mapping, Protocol, runtime_checkable

from app.apikey import KeyLookup, lookup_key
from app.core.pricing import TokenUsage
from app.core.prompt import CardRequest
from app.engine.provider import FaultKind, StopReason
from app.engine.provider_config import ProviderConfig, ProviderKind, read_key
from app.errors import UsageError


class BatchStatus(str, Enum):
    IN_PROGRESS = "in_progress"
    CANCELING = "canceling"
    ENDED = "ended"

    def __str__(self) -> str:
        return self.value


class ResultKind(str, Enum):
    SUCCEEDED = "succeeded"
    ERRORED = "errored"
    CANCELED = "canceled"
    EXPIRED = "expired"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class BatchCounts:
    processing: int = 0
    succeeded: int = 0
    errored: int = 0
    canceled: int = 0
    expired: int = 0

    @property
    def total(self) -> int:
        return self.processing + self.succeeded + self.errored + self.canceled + self.expired

    def text(self) -> str:
        parts = [f"{self.processing} processing", f"{self.succeeded} succeeded", f"{self.errored} errored"]
        parts += [f"{n} {word}" for n, word in ((self.canceled, "canceled"), (self.expired, "expired")) if n]
        return ", ".join(parts)


@dataclass(frozen=True)
class BatchInfo:
    """A batch as the API describes it."""

    id: str
    status: BatchStatus
    counts: BatchCounts
    created_at: str
    """RFC 3339, the API's clock."""
    ended_at: str | None = None

    @property
    def ended(self) -> bool:
        return self.status is BatchStatus.ENDED


@dataclass(frozen=True)
class BatchRequest:
    custom_id: str
    request: CardRequest


@dataclass(frozen=True)
class BatchResult:
    """One line of a batch's results. ``text`` and ``usage`` only for a succeeded one; ``fault``
    and ``reason`` (the API's own words) only for an errored one."""

    custom_id: str
    kind: ResultKind
    text: str = ""
    stop_reason: StopReason | None = None
    usage: TokenUsage = TokenUsage(batch=True)
    model: str = ""
    fault: FaultKind | None = None
    reason: str = ""


@runtime_checkable
class BatchClient(Protocol):
    """A Message Batches API. Every method raises ``ProviderError`` on failure."""

    async def create(self, requests: Sequence[BatchRequest]) -> BatchInfo: ...

    async def retrieve(self, batch_id: str) -> BatchInfo: ...

    async def list_since(self, since: _dt.datetime) -> list[BatchInfo]:
        """Batches created at or after ``since`` (the API's clock), newest first."""
        ...

    def results(self, batch_id: str) -> AsyncIterator[BatchResult]: ...

    async def cancel(self, batch_id: str) -> BatchInfo: ...

    async def aclose(self) -> None: ...


_BATCH_CLASSES: Mapping[ProviderKind, str] = {
    ProviderKind.ANTHROPIC: "app.engine.providers.anthropic_batches:AnthropicBatches",
}


def make_batch_client(
    config: ProviderConfig,
    *,
    env: Mapping[str, str] | None = None,
    lookup: Callable[[], KeyLookup] = lookup_key,
) -> BatchClient:
    """The batch client of ``config``'s API, its key read now; one line for an API without batches."""
    target = _BATCH_CLASSES.get(config.kind)
    if target is None:
        raise UsageError(f"--batch needs the Anthropic Message Batches API; {config.kind} has no batches")
    module_name, _, class_name = target.partition(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    client: BatchClient = cls(api_key=read_key(config.key, env, lookup), base_url=config.base_url)
    return client


def parse_time(value: str | None) -> _dt.datetime | None:
    """An RFC 3339 time from the API (or the state file), always aware; None if unreadable."""
    if not value:
        return None
    try:
        parsed = _dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=_dt.timezone.utc)
