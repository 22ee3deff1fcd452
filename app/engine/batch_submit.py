"""Creating batches so that nothing is paid twice: the state is written before each create call
and the id right after it; a create whose answer was lost is found again through the list
endpoint (adopted) instead of being sent a second time."""

from __future__ import annotations

import asyncio
import datetime as _dt
import logging
import os
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from app.core.batch_ids import assign_custom_ids
from app.core.prompt import CardRequest
from app.engine.batch_client import BatchClient, BatchInfo, BatchRequest, parse_time
from app.engine.batch_events import BatchEvent, BatchSubmitFailed, BatchSubmitted
from app.engine.batch_state import BatchState, PendingBatch, PendingItem, save_state
from app.engine.provider import FaultKind, ProviderError

log = logging.getLogger(__name__)

ADOPT_SKEW = _dt.timedelta(minutes=10)
"""How far before our create call an orphan may look created: the API's clock is not ours."""
_PAUSE_ENV = "CARDSMITH_TEST_PAUSE_AFTER_BATCH_CREATE"
"""Test-only: seconds to wait between a create call's answer and writing its id (a kill aimed at
the one moment that can orphan a batch). Unset in normal use."""
# A create that failed with one of these never made a batch: the API refused it outright.
_REFUSED = frozenset({
    FaultKind.BAD_REQUEST, FaultKind.AUTH, FaultKind.NOT_FOUND, FaultKind.SPEND_LIMIT,
    FaultKind.RATE_LIMITED, FaultKind.UNREACHABLE,
})


@dataclass(frozen=True)
class BatchLimits:
    """The API's limits per batch (100,000 requests, 256 MB), with room to spare for the bytes
    (the size is counted from the request's text, not its exact JSON)."""

    max_requests: int = 100_000
    max_bytes: int = 200_000_000


@dataclass(frozen=True)
class Outgoing:
    """A card's request about to go into a batch."""

    component: str
    request: CardRequest
    request_sha256: str
    card_sha256: str | None


Emit = Callable[[BatchEvent], Awaitable[None]]


def request_bytes(custom_id: str, request: CardRequest) -> int:
    text = request.system + "".join(content for _, content in request.messages)
    return len(custom_id) + len(text.encode("utf-8")) + 400


def new_batches(outgoing: Sequence[Outgoing], kind: str, round_: int, limits: BatchLimits) -> list[PendingBatch]:
    """The requests split into as few batches as the limits allow, each with its id map."""
    ids = assign_custom_ids(o.component for o in outgoing)
    batches: list[PendingBatch] = []
    current: dict[str, PendingItem] = {}
    size = 0
    for o in outgoing:
        cid = ids[o.component]
        weight = request_bytes(cid, o.request)
        if current and (len(current) >= limits.max_requests or size + weight > limits.max_bytes):
            batches.append(PendingBatch(kind=kind, requests=current, round=round_))
            current, size = {}, 0
        current[cid] = PendingItem(o.component, o.request_sha256, o.card_sha256)
        size += weight
    if current:
        batches.append(PendingBatch(kind=kind, requests=current, round=round_))
    return batches


class Submitter:
    """Creates the state's batches that have no id yet, writing the state around each call."""

    def __init__(self, client: BatchClient, plan_path: Path, state: BatchState, emit: Emit) -> None:
        self.client = client
        self.plan_path = plan_path
        self.state = state
        self.emit = emit

    async def create_all(self, batches: list[PendingBatch], requests: Mapping[str, CardRequest]) -> bool:
        """Add ``batches`` to the state and create them one by one; False after a failed create
        (the event says whether a batch may exist anyway)."""
        self.state.batches.extend(batches)
        if len(batches) > 1:
            save_state(self.plan_path, self.state)  # every request hash is on disk before any create
        for batch in batches:
            if not await self._create(batch, requests):
                return False
        return True

    async def _create(self, batch: PendingBatch, requests: Mapping[str, CardRequest]) -> bool:
        batch.create_started_at = utc_now().isoformat().replace("+00:00", "Z")
        save_state(self.plan_path, self.state)
        try:
            info = await self.client.create([BatchRequest(cid, requests[cid]) for cid in batch.requests])
        except ProviderError as exc:
            refused = exc.kind in _REFUSED
            if refused:
                # Nothing was made: forget the entry so that the next run plans these cards afresh.
                self.state.batches.remove(batch)
                save_state(self.plan_path, self.state)
            await self.emit(BatchSubmitFailed(exc.message, maybe_created=not refused, kind=exc.kind))
            return False
        await _maybe_pause()
        batch.note(info)
        save_state(self.plan_path, self.state)
        await self.emit(BatchSubmitted(info.id, _components(batch), "created", batch.kind != "cards"))
        return True

    async def adopt_orphans(self) -> list[PendingBatch]:
        """Look up the batches whose create call may have been made without its id being written;
        adopt each that the list shows; return those that never reached the API."""
        waiting = [b for b in self.state.batches if b.id is None and b.create_started_at]
        never_sent = [b for b in self.state.batches if b.id is None and not b.create_started_at]
        if waiting:
            earliest = min(parse_time(b.create_started_at) or utc_now() for b in waiting)
            listed = await self.client.list_since(earliest - ADOPT_SKEW)
            known = set(self.state.ids)
            for batch in waiting:
                found = _orphan_for(batch, listed, known)
                if found is None:
                    never_sent.append(batch)
                    continue
                known.add(found.id)
                batch.note(found)
                log.info("adopted batch %s (%d requests)", found.id, len(batch.requests))
                await self.emit(BatchSubmitted(found.id, _components(batch), "adopted", batch.kind != "cards"))
        for batch in never_sent:
            self.state.batches.remove(batch)
        save_state(self.plan_path, self.state)
        return never_sent


def _orphan_for(batch: PendingBatch, listed: list[BatchInfo], known: set[str]) -> BatchInfo | None:
    """The listed batch made by ``batch``'s create call: not tracked yet, created no earlier than
    the call (less the clock skew), with as many requests; the closest in time if several."""
    started = parse_time(batch.create_started_at)
    if started is None:
        return None
    fits = []
    for info in listed:
        created = parse_time(info.created_at)
        if info.id in known or created is None or info.counts.total != len(batch.requests):
            continue
        if created >= started - ADOPT_SKEW:
            fits.append((abs((created - started).total_seconds()), info))
    return min(fits, key=lambda pair: pair[0])[1] if fits else None


def _components(batch: PendingBatch) -> tuple[str, ...]:
    return tuple(item.component for item in batch.requests.values())


def utc_now() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc)


async def _maybe_pause() -> None:
    seconds = os.environ.get(_PAUSE_ENV)
    if seconds:
        await asyncio.sleep(float(seconds))
