"""A ``CardRequest`` as the Messages API's parameters: the system prompt as a cacheable block,
thinking and effort when the request carries them, and never a sampling parameter."""

from __future__ import annotations

from typing import Any

from app.core.prompt import CardRequest

CACHE_CONTROL: dict[str, str] = {"type": "ephemeral"}
"""The 5-minute cache, refreshed on every read: a run reads it within seconds."""


def message_params(request: CardRequest) -> dict[str, Any]:
    """The keyword arguments of ``messages.create`` (without ``stream``). No ``temperature``,
    ``top_p`` or ``top_k``: models with adaptive thinking reject them, and the prompt alone
    shapes a card."""
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
    return params


def count_params(request: CardRequest) -> dict[str, Any]:
    """The token-counting endpoint's arguments: the same prompt, without ``max_tokens``."""
    params = message_params(request)
    params.pop("max_tokens")
    return params
