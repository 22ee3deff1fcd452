"""A card's review in the progress model: its row goes on to ``reviewing``, then shows the verdict.

Qt-free; ``app.engine.progress.RunProgress`` folds review events in through ``fold_review`` so
that the terminal and the window read one row per card whatever run its events come from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.core.review import ReviewStatus
from app.core.states import CardState
from app.engine import events as ev
from app.engine.review_events import ReviewEvent, ReviewFailed, ReviewSaved


@dataclass
class ReviewRow:
    """What the card's review is doing: a run state of its own (queued ... done, failed)."""

    phase: CardState = CardState.QUEUED
    tokens: int = 0
    attempt: int = 0
    max_attempts: int = 0
    reason: str = ""
    wait_s: float = 0.0
    asked_again: bool = False
    """The reviewer's first answer broke the schema; it is being asked once more."""
    status: ReviewStatus | None = None
    """The stored verdict (pass, revise, fail); None until a review is stored."""
    notes: int = 0
    cost_usd: float | None = 0.0

    @property
    def busy(self) -> bool:
        return not self.phase.terminal

    def label(self) -> str:
        """The row's words while the review runs, or how it ended."""
        if self.phase is CardState.RETRYING:
            return (f"reviewing · retrying {self.attempt + 1}/{self.max_attempts} · {self.reason}"
                    f" · waiting {self.wait_s:.1f} s")
        if self.phase is CardState.QUEUED:
            return "review queued"
        if self.phase is CardState.THINKING:
            return "reviewing · thinking…"
        if self.busy:
            again = " · asked again (malformed answer)" if self.asked_again else ""
            return f"reviewing · {self.tokens} tok{again}" if self.tokens else f"reviewing{again}"
        return self.outcome()

    def outcome(self) -> str:
        if self.status is not None:
            notes = f" ({self.notes} note{'' if self.notes == 1 else 's'})" if self.notes else ""
            return f"{self.status.value}{notes}"
        if self.phase is CardState.FAILED:
            return f"review failed · {self.reason}"
        return f"review {self.phase.value}"


@dataclass
class ReviewTotals:
    """The reviews of a run, counted as they end."""

    verdicts: dict[ReviewStatus, int]
    failed: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    cost_complete: bool = True

    def spend(self, input_tokens: int, output_tokens: int, cost: float | None) -> None:
        self.input_tokens += input_tokens
        self.output_tokens += output_tokens
        if cost is None:
            self.cost_complete = False
        else:
            self.cost_usd += cost

    @property
    def reviewed(self) -> int:
        return sum(self.verdicts.values())

    def summary(self) -> str:
        """``reviews: 5 pass, 1 revise`` (only the counts that are not zero)."""
        parts = [f"{n} {status.value}" for status, n in self.verdicts.items() if n]
        if self.failed:
            parts.append(f"{self.failed} failed")
        return "reviews: " + (", ".join(parts) or "none")


def new_review_totals() -> ReviewTotals:
    return ReviewTotals({s: 0 for s in (ReviewStatus.PASS, ReviewStatus.REVISE, ReviewStatus.FAIL)})


def fold_review(card: Any, totals: ReviewTotals, event: object) -> bool:
    """Apply one review event to ``card`` (a ``CardProgress``); False when it changes nothing."""
    row: ReviewRow | None = card.review
    if row is None or isinstance(event, ReviewEvent) and isinstance(event.event, ev.Queued):
        row = card.review = ReviewRow()
    if isinstance(event, ReviewSaved):
        row.phase, row.status, row.notes = CardState.DONE, event.status, len(event.review.notes)
        row.cost_usd = event.review.cost_usd
        totals.verdicts[event.status] += 1
        totals.spend(event.review.input_tokens, event.review.output_tokens, event.review.cost_usd)
    elif isinstance(event, ReviewFailed):
        row.phase, row.reason, row.cost_usd = CardState.FAILED, event.reason, event.cost_usd
        totals.failed += 1
        totals.spend(event.input_tokens, event.output_tokens, event.cost_usd)
    elif isinstance(event, ReviewEvent):
        _fold_run_event(row, event.event)
    else:
        return False
    # The card itself is done while it is reviewed; only its row says what the review does.
    card.state = CardState.REVIEWING if row.busy else CardState.DONE
    return True


def _fold_run_event(row: ReviewRow, event: object) -> None:
    if isinstance(event, ev.Started):
        row.phase, row.attempt, row.max_attempts = CardState.STREAMING, event.attempt, event.max_attempts
        row.tokens, row.reason = 0, ""
    elif isinstance(event, ev.Thinking):
        row.phase = CardState.THINKING
    elif isinstance(event, ev.Delta):
        row.phase, row.tokens = CardState.STREAMING, event.output_tokens
    elif isinstance(event, ev.Retrying):
        row.phase, row.attempt, row.max_attempts = CardState.RETRYING, event.attempt, event.max_attempts
        row.reason, row.wait_s = event.reason, event.wait_s
    elif isinstance(event, ev.Repairing):
        row.phase, row.asked_again, row.tokens = CardState.STREAMING, True, 0
    elif isinstance(event, ev.Cancelled):
        row.phase = CardState.CANCELLED
    elif isinstance(event, ev.NotRun):
        row.phase, row.reason = CardState.NOT_RUN, event.reason
