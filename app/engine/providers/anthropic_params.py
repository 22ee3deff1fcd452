"""A ``CardRequest`` as the Messages API's parameters: the system prompt as a cacheable block,
thinking and effort when the request carries them, the answer's JSON shape when it asks for one,
and never a sampling parameter. A live stream and a batch request send the same parameters."""

from __future__ import annotations

from typing import Any

from app.core.answer_format import AnswerFormat, AnswerVia
from app.core.prompt import CardRequest

CACHE_CONTROL: dict[str, str] = {"type": "ephemeral"}
"""The 5-minute cache, refreshed on every read: a run reads it within seconds."""


def request_params(request: CardRequest) -> dict[str, Any]:
    """The Messages API parameters of a request: a live stream sends them (with ``stream``), a
    batch request carries them as its ``params``, so both are the same request. No
    ``temperature``, ``top_p`` or ``top_k``: models with adaptive thinking reject them, and the
    prompt alone shapes a card."""
    params: dict[str, Any] = {
        "model": request.model,
        "max_tokens": request.max_tokens,
        "messages": [{"role": role, "content": content} for role, content in request.messages],
    }
    if request.system:
        if request.cache_system:
            # One block holding the whole shared prefix, marked at its end.
            params["system"] = [{"type": "text", "text": request.system, "cache_control": CACHE_CONTROL}]
        else:
            params["system"] = request.system
    if request.thinking is not None:
        params["thinking"] = {"type": request.thinking}
    if request.effort is not None:
        params["output_config"] = {"effort": request.effort}
    for key, value in answer_params(request.answer_format).items():
        # Merged, not replaced: output_config carries the effort too.
        params[key] = {**params[key], **value} if isinstance(params.get(key), dict) else value
    return params


def count_params(request: CardRequest) -> dict[str, Any]:
    """The token-counting endpoint's arguments: the same prompt, without ``max_tokens``."""
    params = request_params(request)
    params.pop("max_tokens")
    return params


def answer_params(shape: AnswerFormat | None) -> dict[str, Any]:
    """The request fields for an answer in ``shape``: structured output, or the answer tool (forced
    only when the shape says so: forced tool use with thinking on is a 400)."""
    if shape is None:
        return {}
    if shape.via is AnswerVia.FORMAT:
        return {"output_config": {"format": {"type": "json_schema", "schema": shape.schema}}}
    tool: dict[str, Any] = {"name": shape.tool_name, "input_schema": shape.schema}
    if shape.tool_description:
        tool["description"] = shape.tool_description
    choice = {"type": "tool", "name": shape.tool_name} if shape.force_tool else {"type": "auto"}
    return {"tools": [tool], "tool_choice": choice}
