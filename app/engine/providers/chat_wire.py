"""The OpenAI chat-completions wire format: the request body, streamed chunks, error bodies.

Servers differ in small ways, all read here: llama.cpp sends usage only when asked, in a last
chunk whose ``choices`` is empty; Ollama sends its usage the same way; some servers put usage on
the chunk that carries the finish reason. Models that reason first stream ``reasoning_content``
(llama.cpp, vLLM) or ``reasoning`` (Ollama) before the answer's ``content``. An error body is
``{"error": {"message", "type", "code"}}`` (OpenAI, Ollama, llama.cpp), ``{"error": "text"}``, or
``{"message", "type", "code"}`` at the top level (older vLLM).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.core.prompt import CardRequest
from app.engine.provider import StopReason, StreamChunk, TextDelta, ThinkingDelta

FINISH_REASONS: dict[str, StopReason] = {
    "stop": StopReason.END,
    "eos": StopReason.END,
    "length": StopReason.MAX_TOKENS,
    "content_filter": StopReason.REFUSAL,
    "tool_calls": StopReason.TOOL_USE,
    "function_call": StopReason.TOOL_USE,
}
"""Any other finish reason is an answer that ended normally."""

REASONING_FIELDS = ("reasoning_content", "reasoning", "thinking")
DONE_MARKER = "[DONE]"


def chat_body(request: CardRequest) -> dict[str, Any]:
    """The streamed chat-completions request for a card request: the system prompt first, then
    its turns (user, and assistant and user again for a repair), usage asked for."""
    messages = [{"role": "system", "content": request.system}] if request.system else []
    messages += [{"role": role, "content": content} for role, content in request.messages]
    return {
        "model": request.model,
        "messages": messages,
        "max_tokens": request.max_tokens,
        "stream": True,
        "stream_options": {"include_usage": True},
    }


@dataclass
class ChatStream:
    """What a stream has said so far besides its text: model, finish reason, usage, the end."""

    model: str
    finish_reason: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    done: bool = False
    """The ``data: [DONE]`` line arrived."""

    @property
    def complete(self) -> bool:
        return self.done and self.finish_reason is not None

    @property
    def stop_reason(self) -> StopReason:
        return FINISH_REASONS.get(self.finish_reason or "", StopReason.END)

    def read(self, chunk: dict[str, Any]) -> StreamChunk | None:
        """Fold one ``chat.completion.chunk`` in; the answer's text (or thinking) it carries."""
        if isinstance(chunk.get("model"), str) and chunk["model"]:
            self.model = chunk["model"]
        usage = chunk.get("usage")
        if isinstance(usage, dict):
            self.input_tokens = _count(usage.get("prompt_tokens"), self.input_tokens)
            self.output_tokens = _count(usage.get("completion_tokens"), self.output_tokens)
        choices = chunk.get("choices")
        choice = choices[0] if isinstance(choices, list) and choices else None
        if not isinstance(choice, dict):
            return None
        if choice.get("finish_reason"):
            self.finish_reason = str(choice["finish_reason"])
        delta = choice.get("delta")
        if not isinstance(delta, dict):
            return None
        content = delta.get("content")
        if isinstance(content, str) and content:
            return TextDelta(content)
        if any(isinstance(delta.get(name), str) and delta[name] for name in REASONING_FIELDS):
            return ThinkingDelta()
        return None


def _count(value: object, previous: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else previous


def error_detail(body: object) -> tuple[str, str]:
    """(message, type) of an error body in any of the shapes servers send; ("", "") if none."""
    if isinstance(body, str):
        lines = [line for line in body.strip().splitlines() if line.strip()]
        return (lines[0].strip() if lines else ""), ""
    if not isinstance(body, dict):
        return "", ""
    error = body.get("error")
    if isinstance(error, str):
        return error, ""
    holder = error if isinstance(error, dict) else body
    message, kind = holder.get("message"), holder.get("type")
    return (message if isinstance(message, str) else ""), (kind if isinstance(kind, str) else "")


def error_status(body: object) -> int | None:
    """The HTTP-like code an error chunk carries (llama.cpp: ``{"error": {"code": 503, ...}}``)."""
    error = body.get("error") if isinstance(body, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    return code if isinstance(code, int) and not isinstance(code, bool) else None


def model_ids(body: object) -> list[str]:
    """The model ids of a ``GET /v1/models`` answer (``{"object": "list", "data": [{"id"}]}``)."""
    data = body.get("data") if isinstance(body, dict) else None
    entries = data if isinstance(data, list) else []
    return sorted({e["id"] for e in entries if isinstance(e, dict) and isinstance(e.get("id"), str) and e["id"]})
