"""What a review run tells its listeners, apart from the events of the cards' generation.

A card being generated and reviewed in one pipeline has events of both runs under the same name;
the review's are wrapped (``ReviewEvent``), so that a listener never mistakes the reviewer's
answer streaming in for the card's.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Awaitable, Callable

from app.core.review import CardReview, ReviewStatus
from app.core.store import StoredCard
from app.engine.events import Event


@dataclass(frozen=True)
class ReviewEvent:
    """An engine event of the review run: Queued, Started, Thinking, Delta, Retrying, Repairing
    (a malformed answer is asked again), Cancelled, NotRun, ConcurrencyChanged, RunStopped,
    RunFinished. Its ``Done`` and ``Failed`` become ``ReviewSaved`` or ``ReviewFailed``."""

    event: Event

    @property
    def component(self) -> str | None:
        return getattr(self.event, "component", None)


@dataclass(frozen=True)
class ReviewSaved:
    """A review was checked against the schema and stored with its card."""

    component: str
    card: StoredCard
    """The card as written, its review in ``card.meta.review``."""
    review: CardReview

    @property
    def status(self) -> ReviewStatus:
        return ReviewStatus(self.review.verdict.value)


@dataclass(frozen=True)
class ReviewFailed:
    """No review was stored: the request failed, the answer did not follow the schema (after it
    was asked again), or the card changed while it was read. Never a pass."""

    component: str
    reason: str
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = 0.0
    """What the failed review cost (None: unknown)."""


@dataclass(frozen=True)
class FixSkipped:
    """``--fix`` left a card alone: locked or edited cards are never replaced; a fix that lints
    worse than the card is not kept."""

    component: str
    reason: str


ReviewRunEvent = ReviewEvent | ReviewSaved | ReviewFailed | FixSkipped
REVIEW_EVENTS: tuple[type, ...] = (ReviewEvent, ReviewSaved, ReviewFailed, FixSkipped)


Sink = Callable[[object], "Awaitable[None] | None"]
"""A listener of a run's events: a plain function or a coroutine function."""


async def deliver(sink: Sink, event: object) -> None:
    """Hand ``event`` to ``sink``, awaiting it when it is a coroutine function."""
    result = sink(event)
    if inspect.isawaitable(result):
        await result
