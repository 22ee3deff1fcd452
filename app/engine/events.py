"""Typed progress events of a generation run: what the window and the command line listen to.

Every card gets ``Queued`` first and exactly one terminal event (``Done``, ``Failed``,
``Cancelled`` or ``NotRun``); a run ends with exactly one ``RunFinished``. Events carry plain
values only (no SDK objects), so a later batch mode can produce the same events late and out of
order.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Union

from app.core.card import Finding
from app.core.store import StoredCard
from app.engine.provider import FaultKind, StopReason


@dataclass(frozen=True)
class Queued:
    """The card is part of the run and waits for a free slot."""

    component: str


@dataclass(frozen=True)
class Started:
    """A request for the card was sent (attempt n of max_attempts)."""

    component: str
    attempt: int
    max_attempts: int


@dataclass(frozen=True)
class Thinking:
    """The model is thinking before the first text of this attempt (at most once per attempt).

    Thinking text is never part of the card; the next ``Delta`` means the answer has begun."""

    component: str


@dataclass(frozen=True)
class Delta:
    """A new chunk of the answer; ``chars`` and ``output_tokens`` count the current attempt."""

    component: str
    text: str
    chars: int
    output_tokens: int
    """An estimate (chars / 4, rounded up) until the API reports the real usage in ``Done``."""


@dataclass(frozen=True)
class Retrying:
    """Attempt ``attempt`` failed with a transient fault; the next one starts after ``wait_s``."""

    component: str
    attempt: int
    max_attempts: int
    kind: FaultKind
    reason: str
    wait_s: float


@dataclass(frozen=True)
class Repairing:
    """The card's answer broke the contract; repair ``round`` (1-based) is about to be sent.

    The repair's own ``Started``/``Delta``/``Retrying`` events follow; the card still ends with
    exactly one terminal event, whose tokens and cost cover every request of the card.
    """

    component: str
    round: int
    findings: tuple[Finding, ...]
    """The error-level findings the repair request lists."""


@dataclass(frozen=True)
class Done:
    """The card's answer is complete (it still has to be linted and stored)."""

    component: str
    text: str
    stop_reason: StopReason
    input_tokens: int
    output_tokens: int
    model: str
    cost_usd: float | None
    """None when the model has no price in the price table ("unknown")."""
    duration_s: float
    """From the card's first ``Started`` to done, retries and waits included."""
    attempts: int
    answers: tuple[str, ...] = ()
    """Every complete answer in order, the first one and then each repair's; empty when the card
    needed no repair (``text`` is then the only answer). ``text`` is the last one."""
    cache_read_tokens: int = 0
    """Prompt tokens read from the prompt cache (``input_tokens`` excludes them)."""
    cache_write_tokens: int = 0
    """Prompt tokens written to the prompt cache (``input_tokens`` excludes them)."""
    follow_up_cost_usd: float | None = 0.0
    """The part of ``cost_usd`` the follow-ups (repairs) cost; None when unknown."""


@dataclass(frozen=True)
class Failed:
    """The card could not be generated; the reason is one line."""

    component: str
    kind: FaultKind
    reason: str
    attempts: int


@dataclass(frozen=True)
class Cancelled:
    """The writer cancelled the run before this card finished."""

    component: str


@dataclass(frozen=True)
class NotRun:
    """The run stopped (key refused, API unreachable) before this card finished."""

    component: str
    reason: str


@dataclass(frozen=True)
class ConcurrencyChanged:
    """The run lowered (after a 429) or raised (after successes) its number of parallel requests."""

    limit: int
    target: int
    reason: str


@dataclass(frozen=True)
class RunStopped:
    """The whole run stopped at once (401/403, or the API cannot be reached); one line."""

    kind: FaultKind
    reason: str


@dataclass(frozen=True)
class RunTotals:
    """The numbers of a finished run."""

    total: int
    done: int
    failed: int
    cancelled: int
    not_run: int
    input_tokens: int
    output_tokens: int
    cost_usd: float
    """Sum of the known costs of done cards."""
    cost_complete: bool
    """False when some done card's cost is unknown (a model without a price)."""
    wall_s: float
    cards_s: float
    """Sum of the done cards' durations."""
    speedup: float
    """cards_s / wall_s (0 when wall_s is 0)."""
    attempts: int
    """Every request sent, retries included."""
    stopped: str | None
    """The RunStopped reason, if the run stopped."""
    was_cancelled: bool
    """The writer cancelled the run (``cancelled`` above counts the cards it caught)."""
    refused: int = 0
    """Of ``failed``, the cards the model declined to write (a refusal, never retried)."""
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0


@dataclass(frozen=True)
class RunFinished:
    """Always the last event of a run, exactly once."""

    totals: RunTotals


CardEvent = Union[Queued, Started, Thinking, Delta, Retrying, Repairing, Done, Failed, Cancelled, NotRun]
TerminalEvent = Union[Done, Failed, Cancelled, NotRun]
RunEvent = Union[ConcurrencyChanged, RunStopped, RunFinished]
Event = Union[
    Queued,
    Started,
    Thinking,
    Delta,
    Retrying,
    Repairing,
    Done,
    Failed,
    Cancelled,
    NotRun,
    ConcurrencyChanged,
    RunStopped,
    RunFinished,
]

TERMINAL_EVENTS: tuple[type, ...] = (Done, Failed, Cancelled, NotRun)


def is_terminal(event: object) -> bool:
    """True for the one event that ends a card's part in a run."""
    return isinstance(event, TERMINAL_EVENTS)


@dataclass(frozen=True)
class CardSaved:
    """A finished card was linted and written to the card folder (follows its ``Done``)."""

    component: str
    card: StoredCard
    """The card as written: a window shows it without reading the file back."""
    findings: tuple[Finding, ...]
    repaired: bool = False
    """The stored body is a repair's answer (it linted better than the first one)."""

    @property
    def path(self) -> Path:
        return self.card.path
