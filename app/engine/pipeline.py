"""A run that takes more cards while it runs: each card is reviewed as soon as it is written.

``OpenRunner`` is the same ``Runner`` (retries, stall watchdog, adaptive limit, cancel, events),
started with the jobs known so far; ``submit`` adds one while it runs and ``close`` says that no
more will come. ``run()`` ends when it is closed and every card has ended, or when it is
cancelled or stopped (a job submitted then is refused).
"""

from __future__ import annotations

import asyncio
from typing import Any

from app.engine.card_run import CardRun, Job
from app.engine.events import Queued
from app.engine.runner import Runner


class OpenRunner(Runner):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """As ``Runner``: provider, the jobs known so far, options, the event sink."""
        super().__init__(*args, **kwargs)
        self._more = asyncio.Event()
        self._closed = False
        self._live = False
        """run() has started its first cards: a job submitted now is queued and started here."""

    @property
    def accepting(self) -> bool:
        return not (self._closed or self._halted)

    async def submit(self, job: Job) -> bool:
        """Add a job to the run; False (nothing sent) once it is closed, cancelled or stopped."""
        if not self.accepting:
            return False
        card = CardRun(job)
        self._cards.append(card)
        if self._live:
            # Before that, run() itself queues and starts every card in the list.
            await self._emit(Queued(card.component))
            if self._halted:
                await self._finish(card, self._interrupted_event(card))
                return False
            self._start_card(card)
            self._more.set()
        return True

    def close(self) -> None:
        """No more jobs: run() returns once the cards it has are done."""
        self._closed = True
        self._more.set()

    def _interrupt_all(self) -> None:
        # Runs on the loop (cancel() hands it over from any thread): wake the wait for more jobs.
        super()._interrupt_all()
        self._more.set()

    async def _wait_for_cards(self) -> None:
        self._live = True
        while True:
            pending = [task for task in self._tasks() if not task.done()]
            if pending:
                await asyncio.wait(pending)
                continue
            if not self.accepting:
                return
            self._more.clear()
            await self._more.wait()
