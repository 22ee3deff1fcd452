"""Message Batches over the official SDK's ``client.messages.batches``: the engine's ``BatchClient``.

It is the Anthropic provider with five more calls: the same lazily imported client (made with
``max_retries=0``), the same key handling and the same fault mapping. Each batch request's
``params`` come from ``request_params``, the function a live stream sends, so a batch asks
exactly what a live run would. Results are read as raw JSON lines (no per-line pydantic objects:
ten thousand of them would take seconds).
"""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

from app.core.pricing import TokenUsage
from app.core.prompt import CardRequest
from app.engine.batch_client import (
    BatchCounts,
    BatchInfo,
    BatchRequest,
    BatchResult,
    BatchStatus,
    ResultKind,
    parse_time,
)
from app.engine.provider import FaultKind, ProviderError
from app.engine.providers.anthropic import AnthropicProvider
from app.engine.providers.anthropic_params import request_params
from app.engine.providers.anthropic_events import stop_reason_of
from app.engine.providers.http_faults import error_field

if TYPE_CHECKING:
    from anthropic import AsyncAnthropic

LIST_PAGE = 100
_NO_REQUEST = CardRequest(component="", model="", system="", messages=(), max_tokens=0)
"""What fault mapping is given for calls that are not about one card's request."""

# An errored request's error type -> the fault a live request with that error would have been.
_ERROR_FAULTS = {
    "invalid_request_error": FaultKind.BAD_REQUEST,
    "authentication_error": FaultKind.AUTH,
    "permission_error": FaultKind.AUTH,
    "not_found_error": FaultKind.NOT_FOUND,
    "billing_error": FaultKind.SPEND_LIMIT,
    "rate_limit_error": FaultKind.RATE_LIMITED,
    "request_too_large": FaultKind.BAD_REQUEST,
    "timeout_error": FaultKind.TIMEOUT,
    "api_error": FaultKind.SERVER_ERROR,
    "overloaded_error": FaultKind.OVERLOADED,
}


class AnthropicBatches(AnthropicProvider):
    """``BatchClient`` (and, being the provider, ``Provider``) over ``AsyncAnthropic``."""

    name = "anthropic"

    async def create(self, requests: Sequence[BatchRequest]) -> BatchInfo:
        first = requests[0].request if requests else _NO_REQUEST
        client = await self._client_off_loop(first)
        body = [{"custom_id": r.custom_id, "params": request_params(r.request)} for r in requests]
        try:
            batch = await client.messages.batches.create(requests=body)  # type: ignore[arg-type]
        except Exception as exc:
            raise self._classify(exc, first) from exc
        return _info(batch)

    async def retrieve(self, batch_id: str) -> BatchInfo:
        return await self._one(lambda client: client.messages.batches.retrieve(batch_id))

    async def cancel(self, batch_id: str) -> BatchInfo:
        return await self._one(lambda client: client.messages.batches.cancel(batch_id))

    async def _one(self, call: Callable[[AsyncAnthropic], Awaitable[Any]]) -> BatchInfo:
        client = await self._client_off_loop(_NO_REQUEST)
        try:
            return _info(await call(client))
        except Exception as exc:
            raise self._classify(exc, _NO_REQUEST) from exc

    async def list_since(self, since: _dt.datetime) -> list[BatchInfo]:
        client = await self._client_off_loop(_NO_REQUEST)
        found: list[BatchInfo] = []
        try:
            # Newest first: stop at the first batch older than ``since``.
            async for batch in client.messages.batches.list(limit=LIST_PAGE):
                info = _info(batch)
                created = parse_time(info.created_at)
                if created is not None and created < since:
                    break
                found.append(info)
        except Exception as exc:
            raise self._classify(exc, _NO_REQUEST) from exc
        return found

    async def results(self, batch_id: str) -> AsyncIterator[BatchResult]:
        client = await self._client_off_loop(_NO_REQUEST)
        try:
            async with client.messages.batches.with_streaming_response.results(batch_id) as response:
                async for line in response.iter_lines():
                    if line.strip():
                        yield _result(json.loads(line))
        except ProviderError:
            raise
        except Exception as exc:
            raise self._classify(exc, _NO_REQUEST) from exc


def _info(batch: Any) -> BatchInfo:
    counts = batch.request_counts
    return BatchInfo(
        id=batch.id,
        status=BatchStatus(batch.processing_status),
        counts=BatchCounts(
            processing=counts.processing,
            succeeded=counts.succeeded,
            errored=counts.errored,
            canceled=counts.canceled,
            expired=counts.expired,
        ),
        created_at=_iso(batch.created_at),
        ended_at=_iso(batch.ended_at) if batch.ended_at else None,
    )


def _iso(value: Any) -> str:
    if isinstance(value, _dt.datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=_dt.timezone.utc)
        return aware.astimezone(_dt.timezone.utc).isoformat().replace("+00:00", "Z")
    return str(value)


def _result(line: dict[str, Any]) -> BatchResult:
    custom_id = str(line.get("custom_id", ""))
    result = line.get("result") or {}
    kind = ResultKind(result.get("type"))
    if kind is ResultKind.SUCCEEDED:
        message = result.get("message") or {}
        # Blocks are picked by type: a model that thinks first starts with a thinking block.
        text = "".join(b.get("text", "") for b in message.get("content") or [] if b.get("type") == "text")
        usage = message.get("usage") or {}
        creation = usage.get("cache_creation") or {}
        written = usage.get("cache_creation_input_tokens") or 0
        one_hour = creation.get("ephemeral_1h_input_tokens") or 0
        return BatchResult(
            custom_id,
            kind,
            text=text,
            stop_reason=stop_reason_of(message.get("stop_reason")),
            usage=TokenUsage(
                input_tokens=usage.get("input_tokens") or 0,
                output_tokens=usage.get("output_tokens") or 0,
                cache_read_tokens=usage.get("cache_read_input_tokens") or 0,
                cache_write_5m_tokens=max(0, written - one_hour),
                cache_write_1h_tokens=one_hour,
                batch=True,
            ),
            model=str(message.get("model") or ""),
        )
    if kind is ResultKind.ERRORED:
        body = result.get("error") or {}
        etype = error_field(body, "type")
        detail = error_field(body, "message")
        label = f"{etype}: {detail}" if etype and detail else (etype or detail or "no reason given")
        return BatchResult(
            custom_id, kind, fault=_ERROR_FAULTS.get(etype, FaultKind.OTHER), reason=" ".join(label.split())
        )
    return BatchResult(custom_id, kind)
