"""The Messages API's stream events in the engine's terms: content blocks by type, stop reasons,
usage with the cache's reads and writes, and the call to a request's answer tool."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from app.core.answer_format import AnswerFormat, AnswerVia
from app.engine.provider import StopReason, StreamChunk, StreamEnd, TextDelta, ThinkingDelta

STOP_REASONS: dict[str, StopReason] = {
    "end_turn": StopReason.END,
    "stop_sequence": StopReason.END,
    "max_tokens": StopReason.MAX_TOKENS,
    # The answer filled the model's context window: as cut off as at max_tokens.
    "model_context_window_exceeded": StopReason.MAX_TOKENS,
    "refusal": StopReason.REFUSAL,
    "tool_use": StopReason.TOOL_USE,
}
"""The API's stop_reason words; any other word (or none) is an answer that ended normally."""

THINKING_BLOCKS = frozenset({"thinking", "redacted_thinking"})


def stop_reason_of(word: str | None) -> StopReason:
    return STOP_REASONS.get(word or "", StopReason.END)


def delta_chunk(delta: dict[str, Any]) -> StreamChunk | None:
    """A ``content_block_delta``'s chunk, by the delta's type: answer text, or thinking going on
    (whose text is dropped here: thinking is never part of a card)."""
    kind = delta.get("type")
    if kind == "text_delta":
        return TextDelta(delta["text"]) if delta.get("text") else None
    if kind in ("thinking_delta", "signature_delta"):
        return ThinkingDelta()
    return None


def block_start_chunk(block: dict[str, Any]) -> StreamChunk | None:
    """A ``content_block_start``'s chunk, by the block's type (the API starts text blocks empty)."""
    kind = block.get("type")
    if kind in THINKING_BLOCKS:
        return ThinkingDelta()
    if kind == "text" and block.get("text"):
        return TextDelta(block["text"])
    return None


@dataclass
class StreamUsage:
    """A stream's usage: ``message_start`` gives the prompt's (cache reads and writes apart from
    ``input_tokens``), each ``message_delta`` the output so far and any count it corrects."""

    model: str
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0

    def started(self, message: dict[str, Any]) -> None:
        self.model = message.get("model") or self.model
        self.update(message.get("usage") or {})

    def update(self, usage: dict[str, Any]) -> None:
        for field, key in (
            ("input_tokens", "input_tokens"),
            ("output_tokens", "output_tokens"),
            ("cache_read_tokens", "cache_read_input_tokens"),
            ("cache_write_tokens", "cache_creation_input_tokens"),
        ):
            value = usage.get(key)
            if isinstance(value, int):
                setattr(self, field, value)

    def end(self, stop_reason: StopReason, tool_input: str | None = None) -> StreamEnd:
        return StreamEnd(
            stop_reason=stop_reason,
            input_tokens=self.input_tokens,
            output_tokens=self.output_tokens,
            model=self.model,
            cache_read_tokens=self.cache_read_tokens,
            cache_write_tokens=self.cache_write_tokens,
            tool_input=tool_input,
        )


class ToolCall:
    """The input of the model's call to the answer tool, collected from its block's deltas."""

    def __init__(self, shape: AnswerFormat | None) -> None:
        self._name = shape.tool_name if shape is not None and shape.via is AnswerVia.TOOL else None
        self._index: int | None = None
        self._start_input: Any = None
        self._parts: list[str] = []

    def block_started(self, index: int | None, block: dict[str, Any]) -> None:
        if self._name and self._index is None and block.get("type") == "tool_use" \
                and block.get("name") == self._name:
            self._index = index
            self._start_input = block.get("input")

    def delta(self, index: int | None, delta: dict[str, Any]) -> StreamChunk | None:
        """A piece of the call's JSON, passed on as text so that progress counts it."""
        if self._index is None or index != self._index or delta.get("type") != "input_json_delta":
            return None
        piece = delta.get("partial_json") or ""
        self._parts.append(piece)
        return TextDelta(piece) if piece else None

    @property
    def input(self) -> str | None:
        """The call's input as JSON text; None when the model did not call the tool."""
        if self._index is None:
            return None
        if self._parts:
            return "".join(self._parts)
        return json.dumps(self._start_input if self._start_input is not None else {})
