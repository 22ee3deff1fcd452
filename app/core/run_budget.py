"""A run within the account's rate limits: the concurrency to start at, and how long it will take.

Both read the last limits seen for the model (``app.core.rate_limits``). Each limit is a bucket
that holds a minute's worth and refills as the minute goes by, so a run fits when what it needs
(its requests; its input tokens, cache reads excepted, counted offline from its requests; its
output, at the last run's average card) is at most one minute's worth plus what refills while it
runs. The output-tokens limit is also reserved from each request's ``max_tokens`` while it runs,
so at most ``limit // max_tokens`` requests fit at once. Never above the plan's concurrency.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

from app.core.rate_limits import SeenLimits

MINUTE_S = 60.0


@dataclass(frozen=True)
class PlannedRun:
    """What a run will send, as the limits count it."""

    cards: int
    max_tokens: int
    """Of each request, as sent (thinking's headroom included)."""
    input_tokens: int
    """Of the whole run, without cache reads (``counted_input_tokens``)."""


@dataclass(frozen=True)
class StartConcurrency:
    value: int
    reason: str = ""
    """Which limit lowered it ("" when none did)."""


def counted_input_tokens(prompts: Sequence[int], prefix: int, cached: bool) -> int:
    """The input tokens of requests whose prompts are ``prompts`` long that count toward the
    input limit: with a cached prefix, every request but the first reads it (reads do not count)."""
    total = sum(prompts)
    return total - (len(prompts) - 1) * min(prefix, min(prompts)) if cached and len(prompts) > 1 else total


def _needs(seen: SeenLimits, run: PlannedRun) -> list[tuple[int, int, str]]:
    """(per-minute limit, the run's need, what) for each limit the run's need is known for."""
    limits, out = seen.limits, seen.output_tokens_per_card
    rows = (
        (limits.requests_per_min, run.cards, "requests"),
        (limits.input_tokens_per_min, run.input_tokens, "input tokens"),
        (limits.output_tokens_per_min, run.cards * out if out else 0, "output tokens"),
    )
    return [(limit, need, what) for limit, need, what in rows if limit and need]


def _wall_s(seen: SeenLimits, cards: int, concurrency: int) -> float:
    return math.ceil(cards / max(1, concurrency)) * (seen.seconds_per_card or 0.0)


def _over(seen: SeenLimits, run: PlannedRun, concurrency: int) -> str | None:
    """The first limit ``run`` at ``concurrency`` would exceed, described; None if none."""
    wall = _wall_s(seen, run.cards, concurrency)
    for limit, need, what in _needs(seen, run):
        if need > limit * (1 + wall / MINUTE_S):
            return f"{limit:,} {what} per minute for a run that needs {need:,}"
    return None


def start_concurrency(seen: SeenLimits | None, target: int, run: PlannedRun) -> StartConcurrency:
    """The concurrency ``run`` starts at: ``target`` (the plan's), or less to stay within ``seen``."""
    if seen is None or run.cards <= 0:
        return StartConcurrency(target)
    value, reason = target, ""
    otpm = seen.limits.output_tokens_per_min
    if otpm and run.max_tokens > 0 and otpm // run.max_tokens < value:
        value = max(1, otpm // run.max_tokens)
        reason = f"{otpm:,} output tokens per minute, {run.max_tokens:,} reserved per request"
    if seen.seconds_per_card:
        while value > 1 and (why := _over(seen, run, value)) is not None:
            value, reason = value - 1, why
    if value >= target:
        return StartConcurrency(target)
    return StartConcurrency(value, f"within the account's rate limits: {reason}")


def predict_seconds(seen: SeenLimits | None, run: PlannedRun, concurrency: int) -> float | None:
    """Wall time of ``run`` at ``concurrency`` with the last run's average card, and no less than
    the limits allow (a run that needs more than a minute's worth waits for the refill); None
    when no run on this model has been seen."""
    if run.cards <= 0:
        return 0.0
    if seen is None or not seen.seconds_per_card:
        return None
    return max(_wall_s(seen, run.cards, concurrency), limited_seconds(seen, run))


def limited_seconds(seen: SeenLimits | None, run: PlannedRun) -> float:
    """The least time the limits allow ``run`` however fast its cards are: a need of more than a
    minute's worth waits for the refill (0 when no limits were seen)."""
    if seen is None:
        return 0.0
    return max((MINUTE_S * (need / limit - 1) for limit, need, _ in _needs(seen, run)), default=0.0)
