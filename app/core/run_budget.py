"""A run within the account's rate limits: the concurrency to start at, and how long it will take.

Both read the last limits seen for the model (``app.core.rate_limits``). Each limit is a bucket
that holds a minute's worth and refills as the minute goes by, so a run fits when what it needs
(requests, uncached input tokens, output tokens: its cards times the last run's average card) is
at most one minute's worth plus what refills while it runs. The output-tokens limit is also
reserved from each request's ``max_tokens`` while it runs, so at most ``limit // max_tokens``
requests fit at once. The concurrency is never above the plan's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from app.core.rate_limits import SeenLimits

MINUTE_S = 60.0


@dataclass(frozen=True)
class StartConcurrency:
    value: int
    reason: str = ""
    """Which limit lowered it ("" when none did)."""


def _needs(seen: SeenLimits) -> list[tuple[int, int, str]]:
    """(per-minute limit, per card, what) for each limit the last run can say a card needs."""
    limits = seen.limits
    rows = (
        (limits.requests_per_min, 1, "requests"),
        (limits.input_tokens_per_min, seen.input_tokens_per_card, "input tokens"),
        (limits.output_tokens_per_min, seen.output_tokens_per_card, "output tokens"),
    )
    return [(limit, per_card, what) for limit, per_card, what in rows if limit and per_card]


def _wall_s(seen: SeenLimits, cards: int, concurrency: int) -> float:
    return math.ceil(cards / max(1, concurrency)) * (seen.seconds_per_card or 0.0)


def _over(seen: SeenLimits, cards: int, concurrency: int) -> str | None:
    """The first limit a run of ``cards`` at ``concurrency`` would exceed, described; None if none."""
    wall = _wall_s(seen, cards, concurrency)
    for limit, per_card, what in _needs(seen):
        if cards * per_card > limit * (1 + wall / MINUTE_S):
            return f"{limit:,} {what} per minute for {cards} cards of ~{per_card:,}"
    return None


def start_concurrency(
    seen: SeenLimits | None, target: int, max_tokens: int, cards: int
) -> StartConcurrency:
    """The concurrency a run of ``cards`` starts at: ``target`` (the plan's), or less to stay
    within ``seen``."""
    if seen is None or cards <= 0:
        return StartConcurrency(target)
    value, reason = target, ""
    otpm = seen.limits.output_tokens_per_min
    if otpm and max_tokens > 0 and otpm // max_tokens < value:
        value = max(1, otpm // max_tokens)
        reason = f"{otpm:,} output tokens per minute, {max_tokens:,} reserved per request"
    if seen.seconds_per_card:
        while value > 1 and (why := _over(seen, cards, value)) is not None:
            value, reason = value - 1, why
    if value >= target:
        return StartConcurrency(target)
    return StartConcurrency(value, f"within the account's rate limits: {reason}")


def predict_seconds(seen: SeenLimits | None, cards: int, concurrency: int) -> float | None:
    """Wall time of ``cards`` at ``concurrency`` with the last run's average card, and no less
    than the limits allow (a run that needs more than a minute's worth waits for the refill);
    None when no run on this model has been seen."""
    if cards <= 0:
        return 0.0
    if seen is None or not seen.seconds_per_card:
        return None
    wall = _wall_s(seen, cards, concurrency)
    for limit, per_card, _ in _needs(seen):
        wall = max(wall, MINUTE_S * (cards * per_card / limit - 1))
    return wall
