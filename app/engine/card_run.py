"""One card's part in a run: the job the caller gave, the runner's bookkeeping for it, and what a
complete stream means for it."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from app.core.prompt import CardRequest
from app.engine.events import Done, Failed, TerminalEvent
from app.engine.provider import FaultKind, StopReason, StreamEnd

REFUSAL_REASON = (
    "declined by the model's safety classifier (not retried: reword the component's instruction"
    " or choose another model)"
)


@dataclass(frozen=True)
class Job:
    """One card to generate: the component's name and its provider-neutral request."""

    component: str
    request: CardRequest


@dataclass(eq=False)
class CardRun:
    """The runner's bookkeeping for one job."""

    job: Job
    attempts: int = 0
    """Attempts of the current request (the first one, or the current follow-up)."""
    earlier_attempts: int = 0
    """Attempts of the requests before the current one."""
    request: CardRequest | None = None
    """The request being sent now; None = the job's own."""
    first_started: float | None = None
    terminal: TerminalEvent | None = None
    finishing: bool = False
    """Set once the terminal event is decided, so that cancel no longer interrupts the card."""
    interrupted: bool = False
    task: asyncio.Task[None] | None = field(default=None, repr=False)

    @property
    def component(self) -> str:
        return self.job.component

    @property
    def current_request(self) -> CardRequest:
        return self.request if self.request is not None else self.job.request

    @property
    def total_attempts(self) -> int:
        return self.earlier_attempts + self.attempts

    def follow_with(self, request: CardRequest) -> None:
        """The next request of the card's conversation starts counting its own attempts."""
        self.earlier_attempts += self.attempts
        self.attempts, self.request = 0, request


def completed(card: CardRun, text: str, end: StreamEnd, *, cost_usd: float | None, now: float) -> TerminalEvent:
    """A complete stream's verdict: Done, unless the answer was cut at max_tokens or refused, which
    is never a complete card (and retrying the same request would not change that)."""
    request = card.current_request
    if end.stop_reason is StopReason.MAX_TOKENS:
        budget = f"{request.card_max_tokens}"
        if request.headroom:
            budget += f" for the card + {request.headroom} for thinking"
        reason = f"answer cut off at max_tokens ({budget}); raise max_tokens in the plan"
        return Failed(card.component, FaultKind.TRUNCATED, reason, card.attempts)
    if end.stop_reason is StopReason.REFUSAL:
        return Failed(card.component, FaultKind.REFUSED, REFUSAL_REASON, card.attempts)
    first = card.first_started if card.first_started is not None else now
    return Done(
        component=card.component,
        # Asked to answer through a tool, the model's call to it is the answer (any text around
        # it is narration).
        text=end.tool_input if end.tool_input is not None else text,
        stop_reason=end.stop_reason,
        input_tokens=end.input_tokens,
        output_tokens=end.output_tokens,
        cache_read_tokens=end.cache_read_tokens,
        cache_write_tokens=end.cache_write_tokens,
        model=end.model or request.model,
        cost_usd=cost_usd,
        duration_s=max(now - first, 0.0),
        attempts=card.attempts,
    )
