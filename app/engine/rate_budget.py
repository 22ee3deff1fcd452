"""A run and the account's rate limits: where it starts, and what it leaves for the next one.

Before a run: the last limits seen for its model give the concurrency it starts at
(``app.core.run_budget``). After it: the limits its responses carried, with its average card,
are kept for the next run and for ``estimate`` (``app.core.rate_limits``).
"""

from __future__ import annotations

import datetime as _dt
import logging
from typing import Sequence

from app.core.models import lookup
from app.core.rate_limits import SeenLimits, load_seen, save_seen
from app.core.run_budget import StartConcurrency, start_concurrency
from app.engine.events import Done
from app.engine.provider import Provider, RateLimitReporter

log = logging.getLogger(__name__)


def run_start(model: str, target: int, max_tokens: int, cards: int) -> StartConcurrency:
    """The concurrency a run of ``cards`` on ``model`` starts at: never above ``target`` (the plan's)."""
    return start_concurrency(load_seen(model), target, max_tokens, cards)


def keep_seen_limits(provider: Provider, done: Sequence[Done]) -> list[str]:
    """Keep the limits ``provider`` saw per model with this run's average card on that model;
    returns the models kept. Blocking (a small file write): call it off the event loop."""
    if not isinstance(provider, RateLimitReporter):
        return []
    kept: list[str] = []
    now = _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
    for model, limits in provider.rate_limits_seen().items():
        cards = [d for d in done if _same_model(d.model, model)]
        n = len(cards)
        seen = SeenLimits(
            limits=limits,
            seen_at=now,
            seconds_per_card=round(sum(d.duration_s for d in cards) / n, 3) if n else None,
            input_tokens_per_card=round(sum(d.input_tokens for d in cards) / n) if n else None,
            output_tokens_per_card=round(sum(d.output_tokens for d in cards) / n) if n else None,
        )
        if save_seen(model, seen):
            kept.append(model)
    return kept


def _same_model(a: str, b: str) -> bool:
    """An alias or a dated snapshot is its model."""
    info_a, info_b = lookup(a), lookup(b)
    return a == b or (info_a is not None and info_a is info_b)
