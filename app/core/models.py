"""The model table (resources/models.json): prices, cache, batch, thinking, effort, limits."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import Enum
from functools import lru_cache
from pathlib import Path
from typing import Any

from app.paths import resource

# A dated snapshot (claude-haiku-4-5-20251001) or "-latest" of a known model is that model.
_SNAPSHOT_SUFFIX = re.compile(r"(-\d{8}|-latest)$")

EFFORT_LEVELS: tuple[str, ...] = ("low", "medium", "high", "xhigh", "max")


class Thinking(str, Enum):
    """How a model thinks: not at all, with a token budget (extended thinking), or adaptively."""

    NONE = "none"
    BUDGET = "budget"
    ADAPTIVE = "adaptive"


class ModelStatus(str, Enum):
    CURRENT = "current"
    LEGACY = "legacy"
    RETIRED = "retired"
    """Still priced, so that old cards keep their cost, but no longer offered."""


@dataclass(frozen=True)
class LongPrompt:
    """Prices for a request whose prompt is over ``over_tokens``; they apply to all of it."""

    over_tokens: int
    input_per_mtok: float
    output_per_mtok: float


@dataclass(frozen=True)
class ModelInfo:
    id: str
    name: str
    status: ModelStatus
    role: str
    """The role the model suits: execute, review or draft."""
    released: date | None
    aliases: tuple[str, ...]
    input_per_mtok: float
    output_per_mtok: float
    long_prompt: LongPrompt | None
    cache_write_5m: float
    """Multipliers of the input price."""
    cache_write_1h: float
    cache_read: float
    batch_discount: float
    """The fraction a Message Batch takes off every price."""
    min_cache_tokens: int
    thinking: Thinking
    thinking_always_on: bool
    effort: tuple[str, ...]
    default_effort: str | None
    tokenizer_ratio: float
    """Tokens this model counts for a text relative to Claude Haiku 4.5 (the offline base)."""
    max_output: int
    context_window: int
    structured_output: bool
    """The API answers in JSON that follows a given schema (``output_config.format``)."""
    secondary: tuple[str, ...]
    """Fields whose value rests on third-party pages only."""

    @property
    def legacy(self) -> bool:
        return self.status is not ModelStatus.CURRENT

    @property
    def supports_effort(self) -> bool:
        return bool(self.effort)


FIELDS: tuple[str, ...] = (
    "name", "status", "role", "released", "aliases", "input", "output", "long_prompt",
    "cache_write_5m", "cache_write_1h", "cache_read", "batch_discount", "min_cache_tokens",
    "thinking", "thinking_always_on", "effort", "default_effort", "tokenizer_ratio",
    "max_output", "context_window", "structured_output", "sources", "secondary", "notes",
)
"""Every model entry of models.json has each of these keys (null where a value is not known)."""


def _model(model_id: str, raw: Mapping[str, Any]) -> ModelInfo:
    missing = [name for name in FIELDS if name not in raw]
    if missing:
        raise ValueError(f"models.json: {model_id!r} lacks {', '.join(missing)}")
    band = raw["long_prompt"]
    return ModelInfo(
        id=model_id,
        name=str(raw["name"]),
        status=ModelStatus(raw["status"]),
        role=str(raw["role"]),
        released=date.fromisoformat(raw["released"]) if raw["released"] else None,
        aliases=tuple(raw["aliases"]),
        input_per_mtok=float(raw["input"]),
        output_per_mtok=float(raw["output"]),
        long_prompt=LongPrompt(int(band["over"]), float(band["input"]), float(band["output"]))
        if band else None,
        cache_write_5m=float(raw["cache_write_5m"]),
        cache_write_1h=float(raw["cache_write_1h"]),
        cache_read=float(raw["cache_read"]),
        batch_discount=float(raw["batch_discount"]),
        min_cache_tokens=int(raw["min_cache_tokens"]),
        thinking=Thinking(raw["thinking"]),
        thinking_always_on=bool(raw["thinking_always_on"]),
        effort=tuple(raw["effort"]),
        default_effort=raw["default_effort"],
        tokenizer_ratio=float(raw["tokenizer_ratio"]),
        max_output=int(raw["max_output"]),
        context_window=int(raw["context_window"]),
        structured_output=bool(raw["structured_output"]),
        secondary=tuple(raw["secondary"]),
    )


@dataclass(frozen=True)
class ModelTable:
    checked: date
    models: Mapping[str, ModelInfo]
    names: Mapping[str, str]
    """Every id and alias -> the model's id."""

    @classmethod
    def load(cls, path: Path | None = None) -> "ModelTable":
        data = json.loads((path or resource("models.json")).read_text(encoding="utf-8"))
        models = {model_id: _model(model_id, raw) for model_id, raw in data["models"].items()}
        names: dict[str, str] = {}
        for info in models.values():
            for name in (info.id, *info.aliases):
                if names.setdefault(name, info.id) != info.id:
                    raise ValueError(f"models.json: {name!r} names two models")
        return cls(checked=date.fromisoformat(data["checked"]), models=models, names=names)

    def get(self, model: str) -> ModelInfo | None:
        """The model an id, alias or dated snapshot names; None for one the table lacks."""
        name = self.names.get(model) or self.names.get(_SNAPSHOT_SUFFIX.sub("", model))
        return self.models[name] if name else None

    def is_known(self, model: str) -> bool:
        return self.get(model) is not None

    def current(self) -> tuple[ModelInfo, ...]:
        return tuple(m for m in self.models.values() if m.status is ModelStatus.CURRENT)

    def legacy(self) -> tuple[ModelInfo, ...]:
        """Older models still offered (marked legacy in lists); retired ones are left out."""
        return tuple(m for m in self.models.values() if m.status is ModelStatus.LEGACY)


@lru_cache(maxsize=1)
def model_table() -> ModelTable:
    return ModelTable.load()


def lookup(model: str) -> ModelInfo | None:
    return model_table().get(model)


def is_known(model: str) -> bool:
    return model_table().is_known(model)


def offered_models(table: ModelTable | None = None) -> tuple[tuple[str, str], ...]:
    """(id, label) of every model offered for a run, current ones first, legacy ones marked: what
    the Settings list and ``--model`` show."""
    table = table or model_table()
    return tuple((m.id, m.id) for m in table.current()) + tuple(
        (m.id, f"{m.id} (legacy)") for m in table.legacy()
    )
