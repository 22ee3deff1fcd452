"""Prices per model from the bundled table (resources/prices.json), and the cost of a request."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from app.paths import resource

# A dated snapshot id (claude-haiku-4-5-20251001) or "-latest" costs the same as its family.
_SNAPSHOT_SUFFIX = re.compile(r"(-\d{8}|-latest)$")


@dataclass(frozen=True)
class Price:
    input_per_mtok: float
    output_per_mtok: float


@dataclass(frozen=True)
class PriceTable:
    checked: str
    prices: dict[str, Price]

    @classmethod
    def load(cls, path: Path | None = None) -> "PriceTable":
        data = json.loads((path or resource("prices.json")).read_text(encoding="utf-8"))
        prices = {
            model: Price(float(p["input"]), float(p["output"])) for model, p in data["models"].items()
        }
        return cls(checked=str(data.get("checked", "unknown")), prices=prices)

    def price(self, model: str) -> Price | None:
        if model in self.prices:
            return self.prices[model]
        return self.prices.get(_SNAPSHOT_SUFFIX.sub("", model))

    def cost_usd(self, model: str, input_tokens: int, output_tokens: int) -> float | None:
        """Cost in USD, or None when the model has no price (shown as "unknown")."""
        price = self.price(model)
        if price is None:
            return None
        cost = (input_tokens * price.input_per_mtok + output_tokens * price.output_per_mtok) / 1e6
        return round(cost, 6)


@lru_cache(maxsize=1)
def default_prices() -> PriceTable:
    return PriceTable.load()


def cost_usd(model: str, input_tokens: int, output_tokens: int) -> float | None:
    return default_prices().cost_usd(model, input_tokens, output_tokens)


def format_cost(cost: float | None) -> str:
    if cost is None:
        return "unknown"
    return f"${cost:.4f}" if cost < 1 else f"${cost:.2f}"
