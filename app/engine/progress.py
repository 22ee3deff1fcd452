"""A Qt-free model of a run's progress, folded from engine events; the terminal and the window
both draw from it, so a state reads the same words everywhere."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

from app.core.states import CardState
from app.engine import events as ev
from app.engine.events import CardSaved
from app.engine.provider import FaultKind
from app.engine.review_events import REVIEW_EVENTS, ReviewEvent
from app.engine.review_progress import ReviewRow, ReviewTotals, fold_review, new_review_totals

# Rough bar length for a card while it streams: a typical card is ~400 output tokens.
EXPECTED_OUTPUT_TOKENS = 450


@dataclass
class CardProgress:
    name: str
    state: CardState = CardState.QUEUED
    """A run's states: queued, thinking, streaming, retrying, repairing, and the terminal done,
    failed, cancelled and not run."""
    attempt: int = 0
    max_attempts: int = 0
    tokens: int = 0
    reason: str = ""
    wait_s: float = 0.0
    cost_usd: float | None = None
    duration_s: float = 0.0
    expected_tokens: int = EXPECTED_OUTPUT_TOKENS
    repair_round: int = 0
    """The repair being sent (1-based); 0 while the card's first request runs."""
    repair_errors: int = 0
    """How many lint errors the repair asks the model to fix."""
    repaired: bool = False
    """The stored card is a repair's answer."""
    kind: FaultKind | None = None
    """Why a failed card failed (a refusal is counted apart)."""
    thinking_since: float | None = None
    """When the current thinking began (``clock`` time)."""
    clock: Callable[[], float] = field(default=time.monotonic, repr=False, compare=False)
    written: bool = False
    """This run wrote the card (a review-only run did not)."""
    review: ReviewRow | None = None
    """The card's review in this run, if it has one (``app.engine.review_progress``)."""

    def __post_init__(self) -> None:
        # A state given by its word (a report read back, a caller's literal) is the state itself.
        self.state = CardState(self.state)

    @property
    def finished(self) -> bool:
        return self.state.terminal

    @property
    def fraction(self) -> float:
        """How full the card's bar is, 0..1."""
        if self.state in (CardState.DONE, CardState.REVIEWING):
            return 1.0  # written; a review reads it
        if self.state in (CardState.QUEUED, CardState.THINKING, CardState.NOT_RUN):
            return 0.0
        return min(0.97, self.tokens / max(1, self.expected_tokens))

    @property
    def thinking_s(self) -> float:
        """How long the model has been thinking (0 when it is not)."""
        if self.state is not CardState.THINKING or self.thinking_since is None:
            return 0.0
        return max(0.0, self.clock() - self.thinking_since)

    def label(self) -> str:
        review = self.review
        if review is None:
            return self._run_label()
        if self.state is CardState.REVIEWING:
            return review.label()
        return f"{self._run_label()} · {review.outcome()}" if self.written else review.outcome()

    def _run_label(self) -> str:
        state = self.state
        if state is CardState.REPAIRING:
            what = "repairing" if self.repair_round <= 1 else f"repairing (round {self.repair_round})"
            if self.tokens == 0:
                errors = "1 lint error" if self.repair_errors == 1 else f"{self.repair_errors} lint errors"
                return f"{what} · {errors}"
            attempt = f", attempt {self.attempt}/{self.max_attempts}" if self.attempt > 1 else ""
            return f"{what} · {self.tokens} tok{attempt}"
        if state is CardState.THINKING or (state is CardState.STREAMING and self.tokens == 0):
            what = "thinking…" if state is CardState.THINKING else "waiting for the first token"
            if state is CardState.THINKING and self.thinking_since is not None:
                what += f" {self.thinking_s:.1f} s"
            attempt = f" (attempt {self.attempt}/{self.max_attempts})" if self.attempt > 1 else ""
            return f"{what}{attempt}"
        if state is CardState.STREAMING:
            attempt = f", attempt {self.attempt}/{self.max_attempts}" if self.attempt > 1 else ""
            return f"streaming · {self.tokens} tok{attempt}"
        if state is CardState.RETRYING:
            return (
                f"retrying {self.attempt + 1}/{self.max_attempts} · {self.reason}"
                f" · waiting {self.wait_s:.1f} s"
            )
        if state is CardState.DONE:
            repaired = " · repaired" if self.repaired else ""
            return f"done · {self.tokens} tok · {self.duration_s:.1f} s{repaired}"
        if state.terminal and self.reason:
            return f"{state.value} · {self.reason}"
        return state.value


@dataclass
class RunProgress:
    cards: dict[str, CardProgress] = field(default_factory=dict)
    started_at: float | None = None
    finished_at: float | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    cost_complete: bool = True
    cards_s: float = 0.0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    cache_reads: int = 0
    """Done cards that read the prompt cache."""
    cache_writes: int = 0
    """Done cards that wrote it."""
    cache_saved_usd: float = 0.0
    """What the cache saved over sending every prompt token uncached (known models only)."""
    concurrency: int | None = None
    stopped: str | None = None
    stopped_kind: FaultKind | None = None
    local: bool = False
    """The run goes to a local model server: its cost reads "local, no cost"."""
    repair_cost_usd: float = 0.0
    """The part of ``cost_usd`` spent on repairs (follow-ups)."""
    reviews: ReviewTotals = field(default_factory=new_review_totals)
    review_stopped: ev.RunStopped | None = None
    """Why the review run stopped at once (a refused key, an unknown model), if it did."""
    clock: Callable[[], float] = time.monotonic

    def apply(self, event: object) -> CardProgress | None:
        """Fold one engine event in; returns the card it changed, if any."""
        if self.started_at is None:
            self.started_at = self.clock()
        if isinstance(event, REVIEW_EVENTS):
            return self._apply_review(event)
        if isinstance(event, ev.ConcurrencyChanged):
            self.concurrency = event.limit
            return None
        if isinstance(event, ev.RunStopped):
            self.stopped, self.stopped_kind = event.reason, event.kind
            return None
        if isinstance(event, ev.RunFinished):
            self.finished_at = self.clock()
            return None
        name = getattr(event, "component", None)
        if name is None:
            return None
        card = self.cards.get(name)
        if card is None:
            card = self.cards[name] = CardProgress(name, clock=self.clock)
        # A repair streams (and thinks) like any request, but the card reads "repairing" until it
        # is done.
        streaming = CardState.REPAIRING if card.repair_round else CardState.STREAMING
        if isinstance(event, ev.Queued):
            card.state, card.repair_round, card.repaired = CardState.QUEUED, 0, False
        elif isinstance(event, ev.Started):
            card.state, card.attempt, card.max_attempts = streaming, event.attempt, event.max_attempts
            card.tokens, card.reason = 0, ""
        elif isinstance(event, ev.Thinking):
            card.state = CardState.REPAIRING if card.repair_round else CardState.THINKING
            card.thinking_since = self.clock()
        elif isinstance(event, ev.Delta):
            card.state, card.tokens = streaming, event.output_tokens
        elif isinstance(event, ev.Repairing):
            card.state, card.repair_round, card.tokens, card.reason = CardState.REPAIRING, event.round, 0, ""
            card.repair_errors = len(event.findings)
        elif isinstance(event, CardSaved):
            card.repaired = event.repaired
        elif isinstance(event, ev.Retrying):
            card.state, card.attempt, card.max_attempts = CardState.RETRYING, event.attempt, event.max_attempts
            card.reason, card.wait_s = event.reason, event.wait_s
        elif isinstance(event, ev.Done):
            card.state, card.tokens, card.reason = CardState.DONE, event.output_tokens, ""
            card.written, card.review = True, None
            self.repair_cost_usd += event.follow_up_cost_usd or 0.0
            card.cost_usd, card.duration_s = event.cost_usd, event.duration_s
            self.input_tokens += event.input_tokens
            self.output_tokens += event.output_tokens
            self.cards_s += event.duration_s
            if event.cost_usd is None:
                self.cost_complete = False
            else:
                self.cost_usd += event.cost_usd
            self._count_cache(event)
        elif isinstance(event, ev.Failed):
            card.state, card.reason, card.kind = CardState.FAILED, event.reason, event.kind
        elif isinstance(event, ev.Cancelled):
            card.state, card.reason = CardState.CANCELLED, ""
        elif isinstance(event, ev.NotRun):
            card.state, card.reason = CardState.NOT_RUN, event.reason
        else:
            return None
        return card

    def _count_cache(self, done: ev.Done) -> None:
        from app.core.pricing import TokenUsage, cache_savings_usd

        self.cache_read_tokens += done.cache_read_tokens
        self.cache_write_tokens += done.cache_write_tokens
        self.cache_reads += done.cache_read_tokens > 0
        self.cache_writes += done.cache_write_tokens > 0
        if done.cache_read_tokens or done.cache_write_tokens:
            usage = TokenUsage(
                done.input_tokens,
                done.output_tokens,
                cache_read_tokens=done.cache_read_tokens,
                cache_write_5m_tokens=done.cache_write_tokens,
            )
            self.cache_saved_usd += cache_savings_usd(done.model, usage) or 0.0

    def _apply_review(self, event: object) -> CardProgress | None:
        name = getattr(event, "component", None)
        if name is None:
            inner = event.event if isinstance(event, ReviewEvent) else None
            if isinstance(inner, ev.RunStopped):
                self.review_stopped = inner
            elif isinstance(inner, ev.RunFinished):
                self.finished_at = self.clock()  # a pipeline's reviews end after its generation
            return None
        card = self.cards.setdefault(name, CardProgress(name, CardState.DONE))
        return card if fold_review(card, self.reviews, event) else None

    def cost_by_role(self) -> dict[str, float]:
        """Known costs (USD) by what they paid for: generation, repairs, review."""
        return {
            "generation": self.cost_usd - self.repair_cost_usd,
            "repairs": self.repair_cost_usd,
            "review": self.reviews.cost_usd,
        }

    def count(self, state: CardState) -> int:
        return sum(1 for c in self.cards.values() if c.state == state)

    @property
    def total(self) -> int:
        return len(self.cards)

    @property
    def done(self) -> int:
        """Cards written: a card being reviewed is done, its review still going."""
        return self.count(CardState.DONE) + self.count(CardState.REVIEWING)

    @property
    def refused(self) -> int:
        """Failed cards the model declined to write (counted apart from other failures)."""
        return sum(1 for c in self.cards.values() if c.state is CardState.FAILED and c.kind is FaultKind.REFUSED)

    def cache_text(self) -> str:
        """What the prompt cache did in this run ("" when it did nothing)."""
        if not (self.cache_reads or self.cache_writes):
            return ""
        from app.core.pricing import format_cost

        writes = "1 write" if self.cache_writes == 1 else f"{self.cache_writes} writes"
        reads = "1 read" if self.cache_reads == 1 else f"{self.cache_reads} reads"
        saved = self.cache_saved_usd
        money = f"saved {format_cost(saved)}" if saved >= 0 else f"cost {format_cost(-saved)} more"
        return f"cache: {writes}, {reads}, {money}"

    @property
    def repaired(self) -> int:
        """Cards stored with a repair's answer."""
        return sum(1 for c in self.cards.values() if c.repaired)

    @property
    def elapsed_s(self) -> float:
        if self.started_at is None:
            return 0.0
        end = self.finished_at if self.finished_at is not None else self.clock()
        return max(0.0, end - self.started_at)

    @property
    def tokens(self) -> int:
        live = (CardState.STREAMING, CardState.REPAIRING)
        streaming = sum(c.tokens for c in self.cards.values() if c.state in live)
        reviews = self.reviews.input_tokens + self.reviews.output_tokens
        return self.input_tokens + self.output_tokens + streaming + reviews

    @property
    def speedup(self) -> float:
        """Sum of the cards' durations over the run's wall time: how many cards' worth of work ran
        at once, on average."""
        elapsed = self.elapsed_s
        return self.cards_s / elapsed if elapsed > 0 else 0.0

    def cost_text(self) -> str:
        """Everything the run spent, reviews included."""
        from app.core.pricing import LOCAL_COST_TEXT, format_cost

        if self.local:
            return LOCAL_COST_TEXT
        total = self.cost_usd + self.reviews.cost_usd
        if not (self.cost_complete and self.reviews.cost_complete):
            return "unknown" if total == 0 else f"{format_cost(total)} + unknown"
        return format_cost(total)

    def cost_by_role_text(self) -> str:
        """``generation $0.0123 · repairs $0.0010 · review $0.0456``; "" when all went to generation."""
        from app.core.pricing import format_cost

        roles = self.cost_by_role()
        if not (roles["repairs"] or roles["review"] or self.reviews.reviewed or self.reviews.failed):
            return ""
        return " · ".join(f"{role} {format_cost(cost)}" for role, cost in roles.items())

    def summary(self) -> str:
        parts = [f"{self.done}/{self.total} done"]
        for state in (CardState.FAILED, CardState.CANCELLED, CardState.NOT_RUN):
            n = self.count(state) - (self.refused if state is CardState.FAILED else 0)
            if n:
                parts.append(f"{n} {state.value}")
        if self.refused:
            parts.append(f"{self.refused} refused")
        if self.repaired:
            parts.append(f"{self.repaired} repaired")
        if self.reviews.reviewed or self.reviews.failed:
            parts.append(self.reviews.summary())
        by_role = self.cost_by_role_text()
        parts += [f"{self.tokens:,} tokens", self.cost_text() + (f" ({by_role})" if by_role else "")]
        if self.cache_text():
            parts.append(self.cache_text())
        parts += [f"{self.elapsed_s:.1f} s", f"speed-up {self.speedup:.1f}×"]
        return " · ".join(parts)
