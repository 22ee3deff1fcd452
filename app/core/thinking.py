"""Thinking and effort: what a plan's ``thinking`` and ``effort`` send to a model, and the headroom
added to ``max_tokens`` so that thinking never eats the card's own budget (docs/formats.md)."""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping

from app.core.models import EFFORT_LEVELS, ModelInfo, Thinking, lookup

THINKING_MODES: tuple[str, ...] = ("adaptive", "off")
"""The plan's ``thinking`` values: the model decides when and how much to think, or it does not."""

HEADROOM_BY_EFFORT: Mapping[str, int] = MappingProxyType(
    {"low": 2000, "medium": 4000, "high": 8000, "xhigh": 16000, "max": 32000}
)
"""Tokens added to the plan's ``max_tokens`` when thinking is on: thinking tokens count toward
``max_tokens``, and the plan's number is the card's own budget. Only what is used is paid for;
the reserve counts toward the account's output-tokens-per-minute limit while a request runs."""

WIRE_ADAPTIVE = "adaptive"
WIRE_DISABLED = "disabled"


@dataclass(frozen=True)
class ThinkingRequest:
    """What a request sends: ``thinking`` type (None: not sent), ``effort`` (None: not sent) and
    the headroom added to ``max_tokens``."""

    thinking: str | None = None
    effort: str | None = None
    headroom: int = 0


def adaptive(info: ModelInfo | None) -> bool:
    return info is not None and info.thinking is Thinking.ADAPTIVE


def thinking_request(model: str, thinking: str, effort: str) -> ThinkingRequest:
    """The plan's ``thinking`` and ``effort`` as a request to ``model``. A model without adaptive
    thinking (or one the table does not know) gets neither; ``thinking: off`` sends no effort
    (effort sets how much the model thinks); a model whose thinking is always on is never told
    to turn it off."""
    info = lookup(model)
    if info is None or not adaptive(info):
        return ThinkingRequest()
    if thinking == "off" and not info.thinking_always_on:
        return ThinkingRequest(thinking=WIRE_DISABLED)
    sent_effort = effort if effort in info.effort else None
    level = sent_effort or info.default_effort or "medium"
    headroom = HEADROOM_BY_EFFORT.get(level, HEADROOM_BY_EFFORT["medium"])
    return ThinkingRequest(thinking=WIRE_ADAPTIVE, effort=sent_effort, headroom=headroom)


def ineffective_keys(model: str, thinking: str | None, effort: str | None) -> list[tuple[str, str]]:
    """(key, why) for each key a writer set that ``model`` ignores; ``None`` = the key is not set.

    A model the table does not know gets no such warning: its own warning says it is unknown."""
    info = lookup(model)
    if info is None:
        return []
    found: list[tuple[str, str]] = []
    if not adaptive(info):
        for key, value in (("thinking", thinking), ("effort", effort)):
            if value is not None:
                found.append((key, f"{key} has no effect on {model}: it has no adaptive thinking,"
                                   f" so {key} is not sent"))
        return found
    if thinking == "off" and info.thinking_always_on:
        found.append(("thinking", f"thinking: off has no effect on {model}: its thinking is always on"))
    if effort is not None:
        if thinking == "off" and not info.thinking_always_on:
            found.append(("effort", "effort has no effect with thinking: off: it is not sent"))
        elif effort not in info.effort:
            offered = ", ".join(info.effort) or "no effort levels"
            found.append(("effort", f"effort {effort} is not offered by {model} ({offered}): it is not sent"))
    return found


__all__ = [
    "EFFORT_LEVELS",
    "HEADROOM_BY_EFFORT",
    "THINKING_MODES",
    "ThinkingRequest",
    "ineffective_keys",
    "thinking_request",
]
