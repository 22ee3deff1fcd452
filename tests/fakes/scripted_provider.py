"""An in-memory Provider that plays a script per component: answers, faults, stalls, odd endings.

Fast engine tests use it instead of HTTP. Each call of ``stream()`` for a component consumes the
next step of that component's script; when the script is used up (or was never given) the
component gets a default answer. Steps:

- ``"text"``: the answer, streamed in chunks, then ``StreamEnd(StopReason.END, ...)``;
- an exception instance (``ProviderError`` or any other): raised before the first chunk;
- ``after(n, error)`` / ``("after", n, error)``: n chunks of the default answer, then the error;
- ``stall(n=0)`` / ``("stall",)`` / ``("stall", n)``: n chunks, then hang until closed;
- ``end(reason, text=None)`` / ``("end", reason[, text])``: the text, then that ``StopReason``;
- ``incomplete(text=None)`` / ``("incomplete",[ text])``: the text, then no ``StreamEnd``;
- ``thinking(n=3, text=None)`` / ``("thinking", n[, text])``: n ``ThinkingDelta``s, then the text.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from typing import AsyncIterator, Union

from app.core.prompt import CardRequest
from app.engine.provider import StopReason, StreamChunk, StreamEnd, TextDelta, ThinkingDelta
from tests.helpers.card_files import card_body

Step = Union[str, BaseException, tuple]


def after(n_chunks: int, error: BaseException) -> tuple:
    return ("after", n_chunks, error)


def stall(n_chunks: int = 0) -> tuple:
    return ("stall", n_chunks)


def end(stop_reason: StopReason, text: str | None = None) -> tuple:
    return ("end", stop_reason) if text is None else ("end", stop_reason, text)


def incomplete(text: str | None = None) -> tuple:
    return ("incomplete",) if text is None else ("incomplete", text)


def thinking(n_chunks: int = 3, text: str | None = None) -> tuple:
    return ("thinking", n_chunks) if text is None else ("thinking", n_chunks, text)


def default_answer(component: str) -> str:
    """What a component gets when nothing is scripted for it: a card that keeps the contract."""
    return card_body(component)


@dataclass
class Call:
    """One request the provider received."""

    component: str
    attempt: int
    """1-based count of calls for this component."""
    time: float
    step: object
    open_at_start: int
    """Streams open at the moment this one opened (itself included)."""
    chunks_sent: int = 0
    closed: bool = False
    closed_at: float | None = None


class ScriptedProvider:
    """A Provider with scripted behaviour per component; records calls and concurrency."""

    def __init__(
        self,
        name: str = "scripted",
        *,
        chunk_size: int = 8,
        chunk_delay_s: float = 0.0,
        input_tokens: int = 100,
        model: str | None = None,
    ) -> None:
        self.name = name
        self.chunk_size = chunk_size
        self.chunk_delay_s = chunk_delay_s
        self.input_tokens = input_tokens
        self.model = model
        self.calls: list[Call] = []
        self.open_streams = 0
        self.peak_streams = 0
        self.closed = False
        self._scripts: dict[str, deque[Step]] = defaultdict(deque)
        self._changed = asyncio.Event()

    # -- scripting ------------------------------------------------------------------------------

    def script(self, component: str, *steps: Step) -> ScriptedProvider:
        self._scripts[component].extend(steps)
        return self

    def calls_for(self, component: str) -> list[Call]:
        return [call for call in self.calls if call.component == component]

    async def wait_until_open(self, n: int, timeout: float = 5.0) -> None:
        """Wait until at least ``n`` streams are open at the same time."""
        async with asyncio.timeout(timeout):
            while self.open_streams < n:
                self._changed.clear()
                await self._changed.wait()

    # -- Provider -------------------------------------------------------------------------------

    def stream(self, request: CardRequest) -> AsyncIterator[StreamChunk]:
        return self._stream(request)

    async def count_tokens(self, request: CardRequest) -> int:
        text = request.system + "".join(content for _, content in request.messages)
        return math.ceil(len(text) / 4)

    async def aclose(self) -> None:
        self.closed = True

    # -- internals ------------------------------------------------------------------------------

    def _next_step(self, component: str) -> Step:
        queue = self._scripts.get(component)
        return queue.popleft() if queue else default_answer(component)

    async def _stream(self, request: CardRequest) -> AsyncIterator[StreamChunk]:
        component = request.component
        step = self._next_step(component)
        plan = self._plan(component, step)
        self.open_streams += 1
        self.peak_streams = max(self.peak_streams, self.open_streams)
        call = Call(
            component=component,
            attempt=len(self.calls_for(component)) + 1,
            time=time.monotonic(),
            step=step,
            open_at_start=self.open_streams,
        )
        self.calls.append(call)
        self._changed.set()
        try:
            await asyncio.sleep(0)
            if plan.raise_at_start is not None:
                raise plan.raise_at_start
            for _ in range(plan.thinking):
                await asyncio.sleep(self.chunk_delay_s)
                yield ThinkingDelta()
            pieces = [
                plan.text[i : i + self.chunk_size]
                for i in range(0, len(plan.text), self.chunk_size)
            ]
            for piece in pieces[: plan.limit]:
                # Always yield to the loop, so that parallel streams really interleave.
                await asyncio.sleep(self.chunk_delay_s)
                call.chunks_sent += 1
                yield TextDelta(piece)
            if plan.raise_after is not None:
                raise plan.raise_after
            if plan.hang:
                await asyncio.Event().wait()  # until the consumer closes or cancels us
            if plan.send_end:
                yield StreamEnd(
                    stop_reason=plan.stop_reason,
                    input_tokens=self.input_tokens,
                    output_tokens=math.ceil(len(plan.text) / 4),
                    model=self.model or request.model,
                )
        finally:
            self.open_streams -= 1
            call.closed = True
            call.closed_at = time.monotonic()
            self._changed.set()

    @staticmethod
    def _plan(component: str, step: Step) -> _Plan:
        answer = default_answer(component)
        if isinstance(step, str):
            return _Plan(text=step)
        if isinstance(step, BaseException):
            return _Plan(text="", raise_at_start=step)
        if isinstance(step, tuple) and step:
            op, args = step[0], step[1:]
            if op == "after" and len(args) == 2:
                return _Plan(text=answer, limit=args[0], raise_after=args[1], send_end=False)
            if op == "stall" and len(args) <= 1:
                limit = args[0] if args else 0
                return _Plan(text=answer, limit=limit, hang=True, send_end=False)
            if op == "end" and len(args) in (1, 2):
                return _Plan(text=args[1] if len(args) == 2 else answer, stop_reason=args[0])
            if op == "incomplete" and len(args) <= 1:
                return _Plan(text=args[0] if args else answer, send_end=False)
            if op == "thinking" and len(args) in (1, 2):
                return _Plan(text=args[1] if len(args) == 2 else answer, thinking=args[0])
        raise TypeError(f"unknown scripted step {step!r}")


@dataclass
class _Plan:
    """What one scripted call does."""

    text: str
    limit: int | None = None
    raise_at_start: BaseException | None = None
    raise_after: BaseException | None = None
    hang: bool = False
    send_end: bool = True
    stop_reason: StopReason = StopReason.END
    thinking: int = 0
    """ThinkingDeltas before the first text."""
