"""A Qt-free model of a batch run, folded from its events: one row per batch (status, counts,
elapsed, id) over the per-card ``RunProgress`` every view already draws. The terminal draws from
it; a window can poll it (``rows()``, ``cards``) on a timer."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

from app.core.states import CardState
from app.engine.batch_client import BatchCounts
from app.engine.batch_events import (
    BatchDetached, BatchPolled, BatchResultKept, BatchResultStale, BatchSubmitFailed, BatchSubmitted,
)
from app.engine.progress import CardProgress, RunProgress
from app.engine.provider import FaultKind


@dataclass
class BatchRow:
    batch_id: str
    cards: int
    how: str
    """created, adopted or resumed."""
    repairs: bool = False
    status: str = "in_progress"
    counts: BatchCounts = field(default_factory=BatchCounts)
    elapsed_s: float = 0.0
    """Since the batch was created, as of the last poll."""
    polled_at: float | None = None

    def label(self, now: float | None = None) -> str:
        elapsed = self.elapsed_s
        if self.polled_at is not None and now is not None and self.status != "ended":
            elapsed += max(0.0, now - self.polled_at)
        what = "repairs" if self.repairs else "cards"
        counts = self.counts if self.counts.total else BatchCounts(processing=self.cards)
        return (f"batch {self.batch_id} · {self.cards} {what} · {self.status} · {counts.text()}"
                f" · {format_elapsed(elapsed)}")


@dataclass
class BatchProgress:
    cards: RunProgress = field(default_factory=RunProgress)
    """One row per card, with "in batch" until its result is stored."""
    batches: dict[str, BatchRow] = field(default_factory=dict)
    stale: list[str] = field(default_factory=list)
    kept: list[tuple[str, str]] = field(default_factory=list)
    """(component, why) for results kept in history instead of replacing the card."""
    detached: bool = False
    interrupted: bool = False
    submit_failed: str | None = None
    maybe_created: bool = False
    submit_fault: FaultKind | None = None
    clock: Callable[[], float] = time.monotonic

    def apply(self, event: object) -> CardProgress | BatchRow | None:
        """Fold one event in; returns the card or batch row it changed, if any."""
        if isinstance(event, BatchSubmitted):
            row = BatchRow(event.batch_id, len(event.components), event.how, event.repairs)
            self.batches[event.batch_id] = row
            if not event.repairs:
                for name in event.components:
                    self.cards.cards.setdefault(name, CardProgress(name)).state = CardState.IN_BATCH
            if self.cards.started_at is None:
                self.cards.started_at = self.clock()
            return row
        if isinstance(event, BatchPolled):
            row = self.batches.setdefault(event.batch_id, BatchRow(event.batch_id, event.counts.total, "resumed"))
            row.status, row.counts, row.elapsed_s = event.status, event.counts, event.elapsed_s
            row.polled_at = self.clock()
            return row
        if isinstance(event, BatchResultStale):
            self.stale.append(event.component)
            return None
        if isinstance(event, BatchResultKept):
            self.kept.append((event.component, event.reason))
            card = self.cards.cards.setdefault(event.component, CardProgress(event.component))
            card.state, card.reason = event.state, event.reason
            return card
        if isinstance(event, BatchDetached):
            self.detached, self.interrupted = True, event.interrupted
            return None
        if isinstance(event, BatchSubmitFailed):
            self.submit_failed, self.maybe_created = event.reason, event.maybe_created
            self.submit_fault = event.kind
            return None
        return self.cards.apply(event)

    def rows(self) -> list[BatchRow]:
        return list(self.batches.values())

    def row_labels(self) -> list[str]:
        now = self.clock()
        return [row.label(now) for row in self.batches.values()]

    @property
    def in_batch(self) -> int:
        return self.cards.count(CardState.IN_BATCH)

    def summary(self) -> str:
        """One line: what was stored, what failed, what is still in a batch."""
        run = self.cards
        parts = [f"{run.done} done"]
        for state in (CardState.FAILED, CardState.CANCELLED, CardState.NOT_RUN, CardState.IN_BATCH):
            n = run.count(state)
            if n:
                parts.append(f"{n} {state.value}")
        if self.stale:
            parts.append(f"{len(self.stale)} stored stale")
        if self.kept:
            parts.append(f"{len(self.kept)} kept in history")
        if run.repaired:
            parts.append(f"{run.repaired} repaired")
        parts += [f"{run.input_tokens + run.output_tokens:,} tokens", run.cost_text()]
        return " · ".join(parts)


def format_elapsed(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"
