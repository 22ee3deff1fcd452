"""The Messages API's stream events in the engine's terms: content blocks by type, stop reasons."""

from __future__ import annotations

from typing import Any

from app.engine.provider import StopReason, StreamChunk, TextDelta, ThinkingDelta

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
