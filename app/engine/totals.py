"""The numbers of a finished run, from each card's terminal event."""

from __future__ import annotations

from typing import Sequence

from app.engine.events import Cancelled, Done, Failed, NotRun, RunTotals, TerminalEvent
from app.engine.provider import FaultKind


def run_totals(
    terminals: Sequence[TerminalEvent | None],
    *,
    wall_s: float,
    attempts: int,
    stopped: str | None,
    cancelled: bool,
) -> RunTotals:
    """``terminals`` has one entry per card (None for a card that never ended, which a finished
    run does not have); ``attempts`` counts every request sent, retries included."""
    done = [event for event in terminals if isinstance(event, Done)]
    known_costs = [event.cost_usd for event in done if event.cost_usd is not None]
    cards_s = sum(event.duration_s for event in done)
    wall_s = max(wall_s, 0.0)
    return RunTotals(
        total=len(terminals),
        done=len(done),
        failed=sum(isinstance(event, Failed) for event in terminals),
        cancelled=sum(isinstance(event, Cancelled) for event in terminals),
        not_run=sum(isinstance(event, NotRun) for event in terminals),
        input_tokens=sum(event.input_tokens for event in done),
        output_tokens=sum(event.output_tokens for event in done),
        cost_usd=sum(known_costs),
        cost_complete=len(known_costs) == len(done),
        wall_s=wall_s,
        cards_s=cards_s,
        speedup=cards_s / wall_s if wall_s > 0 else 0.0,
        attempts=attempts,
        stopped=stopped,
        was_cancelled=cancelled,
        refused=sum(isinstance(event, Failed) and event.kind is FaultKind.REFUSED for event in terminals),
        cache_read_tokens=sum(event.cache_read_tokens for event in done),
        cache_write_tokens=sum(event.cache_write_tokens for event in done),
    )
