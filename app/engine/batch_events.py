"""Events of a batch run, beside the per-card events (``Done``, ``Failed``, ``Cancelled``, ``NotRun``,
``Repairing``) and ``CardSaved`` that a batch run sends exactly as a live run does.

Plain values only, like every engine event: the terminal and the window fold them into a
``BatchProgress``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from app.core.states import CardState
from app.engine.batch_client import BatchCounts
from app.engine.provider import FaultKind

How = Literal["created", "adopted", "resumed"]


@dataclass(frozen=True)
class BatchSubmitted:
    """A batch holds these cards' requests: just created, found through the list endpoint after a
    kill (adopted), or known from the state file (resumed)."""

    batch_id: str
    components: tuple[str, ...]
    how: How
    repairs: bool = False
    """The batch holds repair requests for cards already written."""


@dataclass(frozen=True)
class BatchPolled:
    """What the API said of a batch on a poll; ``elapsed_s`` since the batch was created."""

    batch_id: str
    status: str
    counts: BatchCounts
    elapsed_s: float


@dataclass(frozen=True)
class BatchResultStale:
    """The card was stored from a result whose request no longer matches the plan (it changed
    while the batch ran): the card is stale, and the next run sends it again."""

    component: str


@dataclass(frozen=True)
class BatchResultKept:
    """The card changed since it was sent (edited, locked, or written by another run): it was not
    overwritten; the result is kept in the card's history."""

    component: str
    reason: str
    state: CardState
    """The kept card's state in the folder (edited, locked, done, stale)."""


@dataclass(frozen=True)
class BatchDetached:
    """The run stopped watching; the batches go on and the next run (or the window) resumes them."""

    batch_ids: tuple[str, ...]
    interrupted: bool = False
    """Ctrl+C (or the window closing), rather than ``--detach``."""


@dataclass(frozen=True)
class BatchSubmitFailed:
    """A create call failed. ``maybe_created``: the answer never came back, so the batch may exist;
    the next run looks for it before sending again."""

    reason: str
    maybe_created: bool
    kind: FaultKind = FaultKind.OTHER


BatchEvent = BatchSubmitted | BatchPolled | BatchResultStale | BatchResultKept | BatchDetached | BatchSubmitFailed
