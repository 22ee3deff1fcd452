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
from app.core.prompt import CardRequest
from app.core.rate_limits import SeenLimits, load_seen, save_seen
from app.core.run_budget import PlannedRun, StartConcurrency, counted_input_tokens, start_concurrency
from app.core.tokens import approx_tokens
from app.engine.events import Done
from app.engine.provider import Provider, RateLimitReporter

log = logging.getLogger(__name__)


def planned_run(requests: Sequence[CardRequest]) -> PlannedRun:
    """``requests`` as the rate limits count them (input counted offline, cache reads excepted)."""
    if not requests:
        return PlannedRun(0, 0, 0)
    first = requests[0]
    info = lookup(first.model)
    ratio = info.tokenizer_ratio if info else 1.0
    prompts = [approx_tokens(r.system + "".join(c for _, c in r.messages), ratio) for r in requests]
    prefix = approx_tokens(first.system, ratio)
    return PlannedRun(len(requests), first.max_tokens, counted_input_tokens(prompts, prefix, first.cache_system))


def run_start(requests: Sequence[CardRequest], target: int) -> StartConcurrency:
    """The concurrency a run of ``requests`` starts at: never above ``target`` (the plan's)."""
    if not requests:
        return StartConcurrency(target)
    return start_concurrency(load_seen(requests[0].model), target, planned_run(requests))


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
            output_tokens_per_card=round(sum(d.output_tokens for d in cards) / n) if n else None,
        )
        if save_seen(model, seen):
            kept.append(model)
    return kept


def _same_model(a: str, b: str) -> bool:
    """An alias or a dated snapshot is its model."""
    info_a, info_b = lookup(a), lookup(b)
    return a == b or (info_a is not None and info_a is info_b)
