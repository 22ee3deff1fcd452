"""Live or batch? The cost of each for the cards to send, the expected live time, a recommendation.

Costs come from the estimate (``Estimate.cost``: the model table's prices, the batch price as
``TokenUsage(batch=True)``, the shared prefix written once and read by the other cards when the
run marks it for the prompt cache). The live time is no less than the account's rate limits allow
(``app.core.run_budget``, from the limits the last run on the model saw).
"""

from __future__ import annotations

import math
import statistics
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from app.core.estimate import Estimate
from app.core.plan import Plan
from app.core.pricing import format_cost
from app.core.run_budget import limited_seconds
from app.core.store import CardStore

BATCH_ABOVE_CARDS = 100
"""Batch is recommended from this many cards to send ..."""
BATCH_ABOVE_USD = 1.00
"""... or from this live cost (typical), whichever comes first (README, "Large plans")."""
ASSUMED_CARD_S = 8.0
"""Seconds per card when no card of this plan has a measured duration yet."""


@dataclass(frozen=True)
class Forecast:
    cards: int
    live_usd: float | None
    batch_usd: float | None
    live_max_usd: float | None
    batch_max_usd: float | None
    live_cache_saving_usd: float | None
    batch_cache_saving_usd: float | None
    """What marking the shared prefix for the prompt cache saves; 0: the run does not mark it;
    None: not known (a model the table does not know)."""
    live_s: float
    card_s: float
    card_s_source: str
    """"measured" (median of the plan's live cards) or "assumed"."""
    rate_limit_s: float
    """The floor the account's rate limits put on the live time (0: none, or limits not known)."""
    rate_limits_known: bool
    recommend: str
    """"batch" or "live"."""
    why: str

    def lines(self) -> list[str]:
        def saving(value: float | None) -> str:
            if value is None:
                return "prompt-cache saving not known"
            return f"prompt cache saves {format_cost(value)}" if value else "no prompt cache"

        limits = (f", at least {_duration(self.rate_limit_s)} under the account's rate limits"
                  if self.rate_limit_s else "" if self.rate_limits_known
                  else "; the account's rate limits are not known")
        return [
            f"live:  ~{format_cost(self.live_usd)} typical, at most {format_cost(self.live_max_usd)};"
            f" {saving(self.live_cache_saving_usd)}",
            f"batch: ~{format_cost(self.batch_usd)} typical, at most {format_cost(self.batch_max_usd)};"
            f" {saving(self.batch_cache_saving_usd)}; results within 24 h (usually under an hour)",
            f"live time: ~{_duration(self.live_s)} ({self.card_s:.1f} s per card, {self.card_s_source}{limits})",
            f"recommended: {self.recommend} ({self.why})",
        ]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def estimate_json(estimate: Estimate, ahead: Forecast) -> dict[str, Any]:
    """``cardsmith estimate --json``: the estimate's numbers and the forecast."""
    send = estimate.to_send
    not_sent: dict[str, int] = {}
    for card in estimate.cards:
        if card not in send:
            not_sent[card.state.value] = not_sent.get(card.state.value, 0) + 1
    return {
        "model": estimate.model,
        "max_tokens": estimate.max_tokens,
        "cards": len(estimate.cards),
        "to_send": [c.component for c in send],
        "input_tokens": sum(c.input_tokens for c in send),
        "input_tokens_exact": bool(send) and all(c.exact for c in send),
        "not_sent": not_sent,
        "prices_checked": estimate.price_checked,
        "forecast": ahead.to_json(),
    }


def cache_saving_usd(estimate: Estimate, *, batch: bool) -> float | None:
    """What caching the shared system prefix saves on the cards to send, at typical output."""
    if not estimate.request.cache_system:
        return 0.0
    cached = estimate.cost(estimate.typical_output, cached=True, batch=batch)
    uncached = estimate.cost(estimate.typical_output, cached=False, batch=batch)
    return None if cached is None or uncached is None else round(uncached - cached, 9)


def card_seconds(plan_path: Path, plan: Plan) -> tuple[float, str]:
    """How long one live card takes: the median of this plan's live cards, else an assumption."""
    snapshot = CardStore(plan_path).load(plan)
    measured = [c.meta.duration_s for c in snapshot.cards.values() if not c.meta.batch and c.meta.duration_s > 0]
    if measured:
        return statistics.median(measured), f"measured over {len(measured)} cards"
    return ASSUMED_CARD_S, "assumed"


def forecast(plan_path: Path, plan: Plan, estimate: Estimate, *, concurrency: int | None = None) -> Forecast:
    send = estimate.to_send

    def cost(output: int, batch: bool) -> float | None:
        return estimate.cost(output, cached=True, batch=batch)

    typical = estimate.typical_output
    live, batch = cost(typical, False), cost(typical, True)
    card_s, source = card_seconds(plan_path, plan)
    lanes = max(1, concurrency or plan.settings.concurrency)
    limit_s = limited_seconds(estimate.seen, estimate.planned_run)
    live_s = max(math.ceil(len(send) / lanes) * card_s, limit_s)
    recommend, why = _recommendation(len(send), live)
    return Forecast(
        cards=len(send), live_usd=live, batch_usd=batch,
        live_max_usd=cost(estimate.max_tokens, False), batch_max_usd=cost(estimate.max_tokens, True),
        live_cache_saving_usd=cache_saving_usd(estimate, batch=False),
        batch_cache_saving_usd=cache_saving_usd(estimate, batch=True),
        live_s=live_s, card_s=card_s, card_s_source=source, rate_limit_s=limit_s,
        rate_limits_known=estimate.seen is not None,
        recommend=recommend, why=why,
    )


def _recommendation(cards: int, live_usd: float | None) -> tuple[str, str]:
    if cards == 0:
        return "live", "nothing to send"
    if cards >= BATCH_ABOVE_CARDS:
        return "batch", f"{cards} cards: from {BATCH_ABOVE_CARDS} cards on, half price beats waiting"
    if live_usd is not None and live_usd >= BATCH_ABOVE_USD:
        return "batch", f"{format_cost(live_usd)} live: from {format_cost(BATCH_ABOVE_USD)} on, half price matters"
    return "live", f"under {BATCH_ABOVE_CARDS} cards and {format_cost(BATCH_ABOVE_USD)}: the cards in minutes"


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
