"""What a request costs, from the model table: cache reads and writes, long prompts, batches."""

from __future__ import annotations

import math
from dataclasses import dataclass

from app.core.models import ModelInfo, ModelTable, model_table


@dataclass(frozen=True)
class TokenUsage:
    """One request's usage as the API reports it (input_tokens: only what no cache covered)."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_5m_tokens: int = 0
    cache_write_1h_tokens: int = 0
    batch: bool = False

    @property
    def prompt_tokens(self) -> int:
        """The whole prompt, cached or not: what a long-prompt price band is decided on."""
        return (self.input_tokens + self.cache_read_tokens
                + self.cache_write_5m_tokens + self.cache_write_1h_tokens)


def price_usage(info: ModelInfo, usage: TokenUsage) -> float:
    """Cost in USD of one request on a known model."""
    input_price, output_price = info.input_per_mtok, info.output_per_mtok
    band = info.long_prompt
    if band is not None and usage.prompt_tokens > band.over_tokens:
        input_price, output_price = band.input_per_mtok, band.output_per_mtok
    input_units = (usage.input_tokens
                   + usage.cache_read_tokens * info.cache_read
                   + usage.cache_write_5m_tokens * info.cache_write_5m
                   + usage.cache_write_1h_tokens * info.cache_write_1h)
    cost = (input_units * input_price + usage.output_tokens * output_price) / 1e6
    if usage.batch:
        cost *= 1 - info.batch_discount
    # Nano-dollars: micro-dollars would blur Haiku 5.5's cache reads ($0.01 per million tokens).
    return round(cost, 9)


def usage_cost_usd(model: str, usage: TokenUsage, table: ModelTable | None = None) -> float | None:
    """Cost in USD, or None for a model the table does not know (shown as "unknown")."""
    info = (table or model_table()).get(model)
    return None if info is None else price_usage(info, usage)


def cache_savings_usd(model: str, usage: TokenUsage, table: ModelTable | None = None) -> float | None:
    """What the prompt cache saved on this usage: its cost with every prompt token at the input
    price, minus its cost as read and written. Negative when a write cost more than reads saved;
    None for a model the table does not know."""
    actual = usage_cost_usd(model, usage, table)
    if actual is None:
        return None
    uncached = TokenUsage(usage.prompt_tokens, usage.output_tokens, batch=usage.batch)
    full = usage_cost_usd(model, uncached, table)
    return None if full is None else round(full - actual, 9)


def unknown_model_warning(model: str, table: ModelTable | None = None) -> str | None:
    """The one line to show for a model the table does not know; None for a known one."""
    table = table or model_table()
    if table.is_known(model):
        return None
    return (f"model {model!r} is not in the model table (checked {table.checked.isoformat()}):"
            " its cost is shown as unknown")


LOCAL_COST_TEXT = "local, no cost"
"""What a run on a local model server costs, wherever a cost is shown (its cards store 0)."""


def format_cost(cost: float | None) -> str:
    """Dollars: 4 decimals under $1, 2 above; under a tenth of a cent, two significant digits
    (a Haiku 5.5 card costs about $0.00015, which 4 decimals would show as $0.0001)."""
    if cost is None:
        return "unknown"
    if 0 < abs(cost) < 0.001:
        digits = min(9, 1 - math.floor(math.log10(abs(cost))))
        return f"${cost:.{digits}f}"
    return f"${cost:.4f}" if cost < 1 else f"${cost:.2f}"
