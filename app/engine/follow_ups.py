"""Follow-up requests in a card's conversation (repairs): asked for after each complete answer.

A callback looks at each answer and returns the next request, or None. Follow-ups go through the
runner's own attempt loop (same retries, same concurrency limit), and the card still ends with
one terminal ``Done`` whose tokens and cost cover every answer.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from dataclasses import dataclass
from typing import Awaitable, Callable

from app.core.card import Finding
from app.core.prompt import CardRequest
from app.engine.card_run import CardRun, Job
from app.engine.events import Done, Event, Repairing, TerminalEvent

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FollowUp:
    """A further request in the card's conversation (a repair), and the findings that caused it."""

    request: CardRequest
    findings: tuple[Finding, ...] = ()


FollowUpFn = Callable[[Job, CardRequest, str, int], "Awaitable[FollowUp | None] | FollowUp | None"]
"""(job, the request just answered, its answer, follow-ups done so far) -> the next request."""


class FollowUps:
    """Sends a card's follow-ups while ``ask`` wants them; ``send`` is the runner's attempt loop."""

    def __init__(
        self,
        ask: FollowUpFn,
        send: Callable[[CardRun], Awaitable[TerminalEvent]],
        emit: Callable[[Event], Awaitable[None]],
        clock: Callable[[], float],
    ) -> None:
        self._ask = ask
        self._send = send
        self._emit = emit
        self._clock = clock

    async def run(self, card: CardRun, first: Done) -> Done:
        """The card stays done whatever its follow-ups do, since its first answer is complete (a
        failed or cancelled follow-up just ends them)."""
        answers: list[Done] = [first]
        while True:
            follow = await self._next(card, answers[-1].text, len(answers) - 1)
            if follow is None:
                break
            card.follow_with(follow.request)
            await self._emit(Repairing(card.component, len(answers), tuple(follow.findings)))
            try:
                event = await self._send(card)
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    task.uncancel()
                break
            if not isinstance(event, Done):
                log.info("card %r: follow-up %d ended without an answer", card.component, len(answers))
                break
            answers.append(event)
        return combined(card, answers, self._clock())

    async def _next(self, card: CardRun, answer: str, done_so_far: int) -> FollowUp | None:
        try:
            result = self._ask(card.job, card.current_request, answer, done_so_far)
            if inspect.isawaitable(result):
                result = await result
        except Exception:
            # A bug in the reviewer must not cost the writer a finished card.
            log.exception("the follow-up callback failed for card %r", card.component)
            return None
        return result


def combined(card: CardRun, answers: list[Done], now: float) -> Done:
    """One terminal Done for every answer of the card: tokens and cost are the sums."""
    if len(answers) == 1:
        return answers[0]
    costs = [a.cost_usd for a in answers]
    follow_costs = costs[1:]
    first = card.first_started if card.first_started is not None else now
    return Done(
        component=card.component,
        text=answers[-1].text,
        stop_reason=answers[-1].stop_reason,
        input_tokens=sum(a.input_tokens for a in answers),
        output_tokens=sum(a.output_tokens for a in answers),
        cache_read_tokens=sum(a.cache_read_tokens for a in answers),
        cache_write_tokens=sum(a.cache_write_tokens for a in answers),
        model=answers[-1].model,
        cost_usd=None if any(c is None for c in costs) else sum(c for c in costs if c is not None),
        duration_s=max(now - first, 0.0),
        attempts=card.total_attempts,
        answers=tuple(a.text for a in answers),
        follow_up_cost_usd=None if None in follow_costs else sum(c for c in follow_costs if c is not None),
    )
