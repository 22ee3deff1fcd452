"""Reads one streamed answer from a provider: text and thinking as they come, under a stall watchdog."""

from __future__ import annotations

import asyncio
import logging
import math
from typing import AsyncIterator, Awaitable, Callable

from app.core.prompt import CardRequest
from app.engine.provider import (
    FaultKind,
    Provider,
    ProviderError,
    ResponseStarted,
    StreamChunk,
    StreamEnd,
    TextDelta,
    ThinkingDelta,
)

log = logging.getLogger(__name__)

CLOSE_TIMEOUT_S = 5.0
"""How long closing a provider stream may take; a hung close must not hold up cancel."""


def estimate_tokens(chars: int) -> int:
    """The live token estimate shown while streaming: about four characters per token."""
    return math.ceil(chars / 4)


async def read_stream(
    provider: Provider,
    request: CardRequest,
    *,
    stall_timeout_s: float,
    on_text: Callable[[str, int], Awaitable[None]],
    on_thinking: Callable[[], Awaitable[None]],
    check_halt: Callable[[], None],
    on_response: Callable[[], None] | None = None,
) -> tuple[str, StreamEnd]:
    """One request: ``on_text(piece, chars so far)`` per text chunk, ``on_thinking()`` once if the
    model thinks before its first text, ``on_response()`` once when the response has begun (its
    first chunk of any kind); returns the text and the end, or raises ProviderError (STALLED and
    INCOMPLETE included). ``check_halt`` raises to abandon the stream."""
    iterator: AsyncIterator[StreamChunk] = aiter(provider.stream(request))
    parts: list[str] = []
    chars = 0
    thinking_told = False
    end: StreamEnd | None = None
    try:
        while True:
            chunk = await _next_chunk(iterator, stall_timeout_s)
            if chunk is None:
                break
            if on_response is not None:
                on_response()
                on_response = None
            if isinstance(chunk, StreamEnd):
                end = chunk
                break
            if isinstance(chunk, ResponseStarted):
                pass  # told above: the response has begun
            elif isinstance(chunk, ThinkingDelta):
                # Only thinking before the answer is news; later thinking just keeps the watchdog fed.
                if not chars and not thinking_told:
                    thinking_told = True
                    await on_thinking()
            elif isinstance(chunk, TextDelta):
                if not chunk.text:
                    continue
                parts.append(chunk.text)
                chars += len(chunk.text)
                await on_text(chunk.text, chars)
            else:
                raise TypeError(f"the provider yielded {type(chunk).__name__}")
            # A provider that swallows cancellation must still not outlive a cancel.
            check_halt()
    finally:
        await _close_stream(iterator)
    if end is None:
        raise ProviderError(FaultKind.INCOMPLETE, "the stream ended without message_stop")
    return "".join(parts), end


async def _next_chunk(iterator: AsyncIterator[StreamChunk], stall_s: float) -> StreamChunk | None:
    """The next chunk, None at the end; the stall watchdog covers the wait for each one."""
    watchdog = asyncio.timeout(stall_s)
    try:
        async with watchdog:
            return await anext(iterator)
    except StopAsyncIteration:
        return None
    except TimeoutError:
        if watchdog.expired():
            raise ProviderError(FaultKind.STALLED, f"no data for {stall_s:g} s (stall timeout)") from None
        raise


async def _close_stream(iterator: AsyncIterator[StreamChunk]) -> None:
    aclose = getattr(iterator, "aclose", None)
    if aclose is None:
        return
    try:
        async with asyncio.timeout(CLOSE_TIMEOUT_S):
            await aclose()
    except Exception:
        log.debug("closing a provider stream failed", exc_info=True)
