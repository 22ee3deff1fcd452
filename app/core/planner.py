"""Live or batch? The cost of each for the cards to send, the expected live time, a recommendation.

Costs come from the model table (``app.core.pricing``: the batch price is ``TokenUsage(batch=True)``,
long prompts priced per request). Two inputs plug in here later, each behind one named function
that today says "not known": ``cache_saving_usd`` (prompt caching of the shared prefix) and
``account_rate_limits`` (the ``anthropic-ratelimit-*`` headers seen last); the rate-limit
arithmetic itself is already done in ``rate_limited_seconds``.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from app.core.estimate import TYPICAL_OUTPUT_TOKENS, Estimate
from app.core.plan import Plan
from app.core.pricing import TokenUsage, format_cost, usage_cost_usd
from app.core.store import CardStore

BATCH_ABOVE_CARDS = 100
"""Batch is recommended from this many cards to send ..."""
BATCH_ABOVE_USD = 1.00
"""... or from this live cost (typical), whichever comes first (README, "Large plans")."""
ASSUMED_CARD_S = 8.0
"""Seconds per card when no card of this plan has a measured duration yet."""


@dataclass(frozen=True)
class RateLimits:
    """An account's limits per minute, as the API's ``anthropic-ratelimit-*-limit`` headers say."""

    requests: int | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None


@dataclass(frozen=True)
class Forecast:
    cards: int
    live_usd: float | None
    batch_usd: float | None
    live_max_usd: float | None
    batch_max_usd: float | None
    live_cache_saving_usd: float | None
    batch_cache_saving_usd: float | None
    """None: not known (prompt caching is not estimated yet)."""
    live_s: float
    card_s: float
    card_s_source: str
    """"measured" (median of the plan's live cards) or "assumed"."""
    rate_limit_s: float
    """The floor the account's rate limits put on the live time (0: limits not known)."""
    recommend: str
    """"batch" or "live"."""
    why: str

    def lines(self) -> list[str]:
        def saving(value: float | None) -> str:
            return "prompt-cache saving not known yet" if value is None else f"prompt cache saves {format_cost(value)}"

        limits = (f", at least {_duration(self.rate_limit_s)} under the account's rate limits"
                  if self.rate_limit_s else "; the account's rate limits are not known")
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
    """Prompt-cache hook: what caching the shared system prefix saves on these cards. None until
    requests carry ``cache_control`` (then: cache writes and reads priced with TokenUsage)."""
    return None


def account_rate_limits(plan_path: Path) -> RateLimits | None:
    """Rate-limit hook: the limits from the ``anthropic-ratelimit-*`` headers seen last. None
    until those headers are kept (the live time then ignores rate limits)."""
    return None


def rate_limited_seconds(cards: int, input_tokens: int, output_tokens: int, limits: RateLimits | None) -> float:
    """The shortest time the account's per-minute limits allow for these requests."""
    if limits is None:
        return 0.0
    minutes = [need / per_minute for need, per_minute in (
        (cards, limits.requests), (input_tokens, limits.input_tokens), (output_tokens, limits.output_tokens),
    ) if per_minute]
    return max(minutes, default=0.0) * 60


def card_seconds(plan_path: Path, plan: Plan) -> tuple[float, str]:
    """How long one live card takes: the median of this plan's live cards, else an assumption."""
    snapshot = CardStore(plan_path).load(plan)
    measured = [c.meta.duration_s for c in snapshot.cards.values() if not c.meta.batch and c.meta.duration_s > 0]
    if measured:
        return statistics.median(measured), f"measured over {len(measured)} cards"
    return ASSUMED_CARD_S, "assumed"


def forecast(plan_path: Path, plan: Plan, estimate: Estimate, *, concurrency: int | None = None) -> Forecast:
    send = estimate.to_send
    typical = min(TYPICAL_OUTPUT_TOKENS, estimate.max_tokens)

    def cost(output: int, batch: bool) -> float | None:
        costs = [usage_cost_usd(estimate.model, TokenUsage(c.input_tokens, output, batch=batch)) for c in send]
        return None if any(c is None for c in costs) else sum(c for c in costs if c is not None)

    live, batch = cost(typical, False), cost(typical, True)
    card_s, source = card_seconds(plan_path, plan)
    lanes = max(1, concurrency or plan.settings.concurrency)
    limit_s = rate_limited_seconds(len(send), sum(c.input_tokens for c in send),
                                   estimate.max_tokens * len(send), account_rate_limits(plan_path))
    live_s = max(math.ceil(len(send) / lanes) * card_s, limit_s)
    recommend, why = _recommendation(len(send), live)
    return Forecast(
        cards=len(send), live_usd=live, batch_usd=batch,
        live_max_usd=cost(estimate.max_tokens, False), batch_max_usd=cost(estimate.max_tokens, True),
        live_cache_saving_usd=cache_saving_usd(estimate, batch=False),
        batch_cache_saving_usd=cache_saving_usd(estimate, batch=True),
        live_s=live_s, card_s=card_s, card_s_source=source, rate_limit_s=limit_s,
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
