"""Repairs of cards a batch wrote with lint errors, sent live through the runner (the batch path
sends them as a follow-up batch instead). Each card is already on disk with its batch answer, so
a repair that fails or is cancelled costs the writer nothing but the repair."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Awaitable, Callable

from app.core.card import Finding
from app.core.pricing import usage_cost_usd
from app.core.prompt import CardRequest, build_repair_request
from app.core.store import StoredCard
from app.engine.batch_results import after
from app.engine.card_run import Job
from app.engine.events import (
    Cancelled, ConcurrencyChanged, Done, Event, Failed, NotRun, Queued, Repairing, RunFinished, RunStopped,
)
from app.engine.follow_ups import FollowUpFn
from app.engine.generate import CardSaved, GenerationEvent, PlannedCard
from app.engine.provider import Provider
from app.engine.runner import Runner, RunOptions


@dataclass(frozen=True)
class Repair:
    """A card written from a batch answer that has lint errors, and what to tell the views about
    it if no repair improves it."""

    planned: PlannedCard
    card: StoredCard
    errors: tuple[Finding, ...]
    first: Done
    """The card's answer as a ``Done`` event (not sent yet: the repair comes first)."""
    saved: CardSaved
    round: int
    """The repair round this request is (1 for the first)."""

    def request(self) -> CardRequest:
        """The card's conversation one turn further, as a live repair builds it."""
        return build_repair_request(self.planned.request, self.card.body, self.errors)


Save = Callable[[PlannedCard, Done], Awaitable[tuple[str, CardSaved]]]
Emit = Callable[[GenerationEvent], Awaitable[None]]


class LiveRepairs:
    """One runner over the repairs; ``runner`` is there for cancel()."""

    def __init__(
        self,
        repairs: list[Repair],
        provider: Provider,
        options: RunOptions,
        *,
        save: Save,
        follow_up: FollowUpFn,
        emit: Emit,
        mark: Callable[[Repair], None],
    ) -> None:
        self._by_name = {r.planned.component.name: r for r in repairs}
        self._save, self._emit, self._mark = save, emit, mark
        jobs = [Job(r.planned.component.name, r.request()) for r in repairs]

        def later_rounds(job: Job, request: CardRequest, answer: str, done_so_far: int) -> object:
            # The batch answer was round 0, so this runner's first answer is already round 1.
            return follow_up(job, request, answer, done_so_far + 1)

        self.runner = Runner(provider, jobs, options, self._forward, cost_fn=usage_cost_usd,
                             follow_up=later_rounds)  # type: ignore[arg-type]

    async def run(self) -> None:
        await self.runner.run()

    async def _forward(self, event: Event) -> None:
        if isinstance(event, (RunFinished, RunStopped, ConcurrencyChanged)):
            return  # the batch run reports its own end
        repair = self._by_name.get(getattr(event, "component", ""))
        if repair is None:
            return
        if isinstance(event, Queued):
            await self._emit(Repairing(event.component, repair.round, repair.errors))
        elif isinstance(event, Done):
            combined = after(repair.card, event)
            self._mark(repair)
            kept, saved = await self._save(repair.planned, combined)
            await self._emit(replace(combined, text=kept))
            await self._emit(saved)
        elif isinstance(event, (Failed, Cancelled, NotRun)):
            await self._emit(repair.first)
            await self._emit(repair.saved)
        else:
            await self._emit(event)
