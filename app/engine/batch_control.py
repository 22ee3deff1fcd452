"""A plan's pending batches as the API sees them now, and cancelling them: what `cardsmith batch`
shows and what a window's "Cancel batch" does. Cancelling keeps the state: the next run stores
what finished before the cancel and marks the rest cancelled (sent again by the run after)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from app.engine.batch_client import BatchClient, BatchCounts
from app.engine.batch_state import REPAIRS, load_state, save_state
from app.engine.batch_submit import utc_now

UNCONFIRMED = "unconfirmed"
"""The status of an entry whose create call may have happened but whose id was never written."""


@dataclass(frozen=True)
class PendingStatus:
    requests: int
    repairs: bool
    id: str | None
    status: str
    """in_progress, canceling, ended, or ``UNCONFIRMED``."""
    counts: BatchCounts
    created_at: str | None
    create_started_at: str | None
    cancel: dict[str, Any] | None
    """What a cancel got back: ``requested_at``, ``status``, ``counts``."""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


async def check_pending(client: BatchClient, plan_path: Path, *, cancel: bool = False) -> list[PendingStatus]:
    """Every pending batch of the plan, asked of the API now (none: []); with ``cancel``, each one
    still running is cancelled and what came back is written into the state file."""
    state = load_state(plan_path)
    if state is None:
        return []
    rows: list[PendingStatus] = []
    for batch in state.batches:
        if batch.id:
            info = await client.retrieve(batch.id)
            if cancel and not info.ended:
                info = await client.cancel(batch.id)
                batch.cancel = {"requested_at": utc_now().isoformat().replace("+00:00", "Z"),
                                "status": info.status.value, "counts": asdict(info.counts)}
            batch.note(info)
        rows.append(PendingStatus(
            requests=len(batch.requests),
            repairs=batch.kind == REPAIRS,
            id=batch.id,
            status=(batch.status or UNCONFIRMED) if batch.id else UNCONFIRMED,
            counts=batch.last_counts,
            created_at=batch.created_at,
            create_started_at=batch.create_started_at,
            cancel=batch.cancel,
        ))
    if cancel:
        save_state(plan_path, state)
    return rows
