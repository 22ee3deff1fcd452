"""Reviews pipelined behind a run that writes cards: each card is reviewed as soon as it is
written, while the others are still being written (``generate --review``, ``review --fix``)."""

from __future__ import annotations

import asyncio
from typing import Protocol

from app.engine.events import RunTotals
from app.engine.events import CardSaved
from app.engine.review import Reviewer
from app.engine.review_events import Sink, deliver


class CardWriter(Protocol):
    """A run that writes cards and reports each one with ``CardSaved`` (a ``Generation``, a ``Fixer``)."""

    async def run(self) -> RunTotals: ...

    def cancel(self) -> None: ...


class ReviewPipeline:
    """Give ``on_writer_event`` to the writer as its event sink, then ``await run(writer)``."""

    def __init__(self, reviewer: Reviewer, sink: Sink) -> None:
        self.reviewer = reviewer
        self._sink = sink
        self._writer: CardWriter | None = None
        self.review_totals: RunTotals | None = None
        self.submitted: list[str] = []
        """Components handed to the reviewer, in the order their cards were written."""

    async def on_writer_event(self, event: object) -> None:
        await self._emit(event)
        if isinstance(event, CardSaved) and await self.reviewer.submit(event.card):
            self.submitted.append(event.component)

    async def run(self, writer: CardWriter) -> RunTotals:
        """The writer's totals; the reviews' are in ``review_totals`` once every review ended."""
        self._writer = writer
        reviews = asyncio.create_task(self.reviewer.run(keep_open=True), name="cardsmith reviews")
        try:
            totals = await writer.run()
        except BaseException:
            self.reviewer.cancel()
            raise
        finally:
            self.reviewer.close()
            self.review_totals = await reviews
        return totals

    def cancel(self) -> None:
        """Stop the writer and the reviews; finished cards and stored reviews are kept."""
        if self._writer is not None:
            self._writer.cancel()
        self.reviewer.cancel()

    async def _emit(self, event: object) -> None:
        await deliver(self._sink, event)
