"""What the stand-in knows of each model, as Anthropic documents it (tests/fakes' own table, kept
apart from the app's resources/models.json so that a test can catch a mistake in either): which
ids exist (404 otherwise), how each thinks, what it rejects with a 400, its cache minimum, and
how many thinking tokens an answer spends at each effort level."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ModelRules:
    adaptive: bool
    """Adaptive thinking, on unless ``thinking: {type: disabled}``; no sampling parameters, no
    prefill, no ``thinking.type: enabled`` (the 5.x models)."""
    effort: bool
    """Takes ``output_config.effort``."""
    min_cache_tokens: int
    """Below this many prefix tokens nothing is cached, silently."""
    dated: bool = True
    """Has dated snapshot ids (``-YYYYMMDD``); the 5.x models have none."""
    tokenizer_ratio: float = 1.0
    """Tokens for a text relative to the older tokenizer: the 5.x models count ~30 % more."""


MODELS: dict[str, ModelRules] = {
    "claude-haiku-5-5": ModelRules(True, True, 512, dated=False, tokenizer_ratio=1.3),
    "claude-sonnet-5-5": ModelRules(True, True, 512, dated=False, tokenizer_ratio=1.3),
    "claude-opus-5-5": ModelRules(True, True, 512, dated=False, tokenizer_ratio=1.3),
    "claude-haiku-4-5": ModelRules(adaptive=False, effort=False, min_cache_tokens=4096),
    "claude-sonnet-4-5": ModelRules(adaptive=False, effort=False, min_cache_tokens=1024),
    "claude-sonnet-4": ModelRules(adaptive=False, effort=False, min_cache_tokens=1024),
    "claude-opus-4-5": ModelRules(adaptive=False, effort=True, min_cache_tokens=4096),
    "claude-opus-4-1": ModelRules(adaptive=False, effort=False, min_cache_tokens=1024),
    "claude-3-5-haiku": ModelRules(adaptive=False, effort=False, min_cache_tokens=2048),
    "claude-3-haiku": ModelRules(adaptive=False, effort=False, min_cache_tokens=2048),
}

THINKING_TOKENS: dict[str, int] = {"low": 80, "medium": 300, "high": 1200, "xhigh": 2400, "max": 4800}
"""Thinking tokens an answer spends before its text, by effort: an emulation's numbers, chosen so
that ``high`` alone is more than a 1,024-token card budget."""
DEFAULT_EFFORT = "medium"
SAMPLING_PARAMS = ("temperature", "top_p", "top_k")

_DATED = re.compile(r"^(.*?)(-\d{8}|-latest)$")


def rules_of(model: str) -> ModelRules | None:
    """The model's rules; None for an id the API does not serve (a 404)."""
    if model in MODELS:
        return MODELS[model]
    m = _DATED.match(model)
    rules = MODELS.get(m.group(1)) if m else None
    return rules if rules is not None and rules.dated else None


def _thinking_type(body: dict[str, Any]) -> str | None:
    thinking = body.get("thinking")
    return thinking.get("type") if isinstance(thinking, dict) else None


def _effort(body: dict[str, Any]) -> str | None:
    config = body.get("output_config")
    return config.get("effort") if isinstance(config, dict) else None


def rejection(body: dict[str, Any]) -> tuple[int, str] | None:
    """(status, message) of the error the API answers this request with, or None."""
    model = str(body.get("model", ""))
    rules = rules_of(model)
    if rules is None:
        return 404, f"model: {model}"
    thinking, effort = _thinking_type(body), _effort(body)
    if rules.adaptive:
        sampling = [name for name in SAMPLING_PARAMS if name in body]
        if sampling:
            return 400, f"{sampling[0]}: sampling parameters are not supported on {model}"
        if thinking == "enabled":
            return 400, f"thinking.type: 'enabled' is not supported on {model}; use 'adaptive' with output_config.effort"
        messages = body.get("messages")
        if isinstance(messages, list) and messages and isinstance(messages[-1], dict) \
                and messages[-1].get("role") == "assistant":
            return 400, f"messages: prefilling the assistant's answer is not supported on {model}; the last message must be the user's"
    else:
        if thinking == "adaptive":
            return 400, f"thinking.type: 'adaptive' is not supported on {model}"
        if effort is not None and not rules.effort:
            return 400, f"output_config.effort: effort is not supported on {model}"
    if effort is not None and effort not in THINKING_TOKENS:
        return 400, f"output_config.effort: unknown level {effort!r}"
    return None


def thinking_tokens(body: dict[str, Any]) -> int:
    """Thinking tokens this request's answer spends before its text (0: it does not think)."""
    rules = rules_of(str(body.get("model", "")))
    if rules is None or not rules.adaptive or _thinking_type(body) == "disabled":
        return 0
    return THINKING_TOKENS[_effort(body) or DEFAULT_EFFORT]


def count_tokens(model: str, text: str) -> int:
    """The stand-in's token count: four characters a token on the older tokenizer, ~30 % more
    on the 5.x models'."""
    rules = rules_of(model)
    return max(1, math.ceil(len(text) / 4 * (rules.tokenizer_ratio if rules else 1.0)))


def chars_within(model: str, tokens: int) -> int:
    """The most characters that count as at most ``tokens`` tokens (``count_tokens``'s inverse)."""
    rules = rules_of(model)
    return math.floor(tokens * 4 / (rules.tokenizer_ratio if rules else 1.0))


def min_cache_tokens(model: str) -> int | None:
    rules = rules_of(model)
    return None if rules is None else rules.min_cache_tokens
