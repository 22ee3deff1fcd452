"""``PLAN.cards/.batch.json``: the batches a plan has pending, written so that a kill costs nothing.

It is written (atomically) before a batch is created, saying which requests are about to be
sent, and again the moment the API returns the batch's id. A run that finds it resumes those
batches instead of paying for them again; an entry without an id is one whose create call may
or may not have reached the API (formats.md, "The batch state file").
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.core.fsutil import atomic_write
from app.core.states import CardState
from app.core.store import cards_folder
from app.errors import StoreError

if TYPE_CHECKING:  # a live run reads this file before its first request; the client is batch work
    from app.engine.batch_client import BatchCounts, BatchInfo
    from app.engine.generate import PlannedCard

STATE_NAME = ".batch.json"
FORMAT = 1
CARDS = "cards"
REPAIRS = "repairs"
"""Entry kinds: the cards' own requests, or repair requests for cards already written."""


@dataclass
class PendingItem:
    component: str
    request_sha256: str
    """The component's request hash when sent: the card is stored with it (stale if the plan
    has changed since)."""
    card_sha256: str | None
    """``body_sha256`` of the card on disk when sent (None: there was none). A result replaces
    the card only if it is still that card."""


@dataclass
class PendingBatch:
    kind: str
    requests: dict[str, PendingItem]
    """custom_id -> what it answers."""
    round: int = 0
    """0 for the cards' own requests; n for the n-th repair."""
    id: str | None = None
    create_started_at: str | None = None
    """Local UTC time just before the create call; set and without an id: the call may have made
    a batch that only the list endpoint can find."""
    created_at: str | None = None
    status: str | None = None
    counts: dict[str, int] | None = None
    cancel: dict[str, Any] | None = None
    """What ``cardsmith batch --cancel`` got back: ``requested_at``, ``status``, ``counts``."""

    def note(self, info: BatchInfo) -> None:
        self.id, self.created_at, self.status = info.id, info.created_at, info.status.value
        self.counts = asdict(info.counts)

    @property
    def last_counts(self) -> BatchCounts:
        from app.engine.batch_client import BatchCounts

        return BatchCounts(**(self.counts or {"processing": len(self.requests)}))


@dataclass
class BatchState:
    batches: list[PendingBatch] = field(default_factory=list)
    force: bool = False
    """Sent with ``--force``: a result may replace a card that was edited when it was sent."""

    def in_batch(self) -> dict[str, str]:
        """Casefolded component name -> the request hash it was sent with, for every card whose
        result has not been stored yet."""
        return {
            item.component.casefold(): item.request_sha256
            for batch in self.batches
            for item in batch.requests.values()
        }

    @property
    def ids(self) -> list[str]:
        return [b.id for b in self.batches if b.id]


def state_path(plan_path: Path) -> Path:
    return cards_folder(plan_path) / STATE_NAME


def load_state(plan_path: Path) -> BatchState | None:
    """The plan's pending batches; None when there are none. A damaged file is a one-line error:
    guessing could pay for a batch twice."""
    path = state_path(plan_path)
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StoreError(f"cannot read {_label(path)}: {exc.strerror or exc}") from exc
    try:
        data = json.loads(raw)
        if data.get("format") != FORMAT:
            raise ValueError(f"format {data.get('format')!r}, expected {FORMAT}")
        state = BatchState(
            batches=[_batch(b) for b in data["batches"]],
            force=bool(data.get("force", False)),
        )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise StoreError(
            f"{_label(path)} is damaged ({exc}); `cardsmith batch PLAN` shows what it still knows"
        ) from exc
    return state if state.batches else None


def save_state(plan_path: Path, state: BatchState) -> None:
    """Write the state atomically; with no batch left, remove the file."""
    path = state_path(plan_path)
    try:
        if not state.batches:
            path.unlink(missing_ok=True)
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        data = {"format": FORMAT, "force": state.force, "batches": [_plain(b) for b in state.batches]}
        # Compact: ten thousand requests are a few MB, written three times around a create call.
        atomic_write(path, json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n")
    except OSError as exc:
        raise StoreError(f"cannot write {_label(path)}: {exc.strerror or exc}") from exc


def held_in_batch(planned: list[PlannedCard], state: BatchState | None) -> list[PlannedCard]:
    """What a live run plans, with the cards of a pending batch not sent again: their answers are
    paid for and on their way (a card whose request changed since is sent: the batch's answer
    to the old request will be kept in its history)."""
    pending = state.in_batch() if state is not None else {}
    return [
        replace(p, state=CardState.IN_BATCH, send=False)
        if pending.get(p.component.key) == p.request.sha256() else p
        for p in planned
    ]


def _plain(batch: PendingBatch) -> dict[str, Any]:
    # Field by field: dataclasses.asdict deep-copies every value, which is slow for 10,000 items.
    data = {k: v for k, v in vars(batch).items() if k != "requests"}
    data["requests"] = {cid: vars(item) for cid, item in batch.requests.items()}
    return data


def _batch(data: dict[str, Any]) -> PendingBatch:
    requests = {str(cid): PendingItem(**item) for cid, item in data["requests"].items()}
    fields = {k: data.get(k) for k in ("id", "create_started_at", "created_at", "status", "counts", "cancel")}
    return PendingBatch(kind=str(data["kind"]), requests=requests, round=int(data.get("round", 0)), **fields)


def _label(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"
