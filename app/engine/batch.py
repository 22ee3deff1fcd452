"""A generation run as Message Batches: the cards a live run would send, at the batch price.

``BatchGeneration`` is a ``Generation``: the same send rule (``plan_generation``), the same
requests, and the same lint, repair choice and card writing (``_save``), with ``batch: true``
and the request hash the card was sent with. What differs is the transport: batches are created
(state written first, see ``batch_submit``), polled with backoff, and their results applied in
any order; repairs go live, or as a follow-up batch. Stopping (``--detach``, Ctrl+C, the window
closing) never cancels a batch: the next run resumes it from ``PLAN.cards/.batch.json``.
"""

from __future__ import annotations

import asyncio
import datetime as _dt
import logging
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

from app.core.card import CardMeta, body_sha256, normalize_body
from app.core.lint import unwrap_markdown_fence
from app.core.plan import Plan
from app.core.prompt import CardRequest, build_request
from app.core.states import CardState
from app.core.store import StoredCard, card_state
from app.engine.batch_client import BatchClient, BatchResult
from app.engine.batch_events import BatchDetached, BatchPolled, BatchResultKept, BatchResultStale, BatchSubmitted
from app.engine.batch_repairs import LiveRepairs, Repair
from app.engine.batch_results import (
    MISSING_REASON, after, as_done, batch_seconds, give_slug, keep_in_history, kept_reason, removed_component,
    result_event, with_orphans,
)
from app.engine.batch_state import CARDS, REPAIRS, BatchState, PendingBatch, PendingItem, load_state, save_state
from app.engine.batch_submit import BatchLimits, Outgoing, Submitter, new_batches, utc_now
from app.engine.events import Done, NotRun, Repairing
from app.engine.generate import EventSink, GenerateOptions, Generation, PlannedCard
from app.engine.provider import RUN_STOPPING_FAULTS, FaultKind, Provider, ProviderError
from app.engine.runner import RunOptions

log = logging.getLogger(__name__)

WRITERS = 8
"""Results applied at once: card writes fsync, so a few in flight overlap the waits."""


@dataclass(frozen=True)
class PollSchedule:
    """Seconds between polls: a few at first, then longer, up to a minute."""

    first_s: float = 2.0
    factor: float = 1.5
    max_s: float = 60.0

    @classmethod
    def from_env(cls) -> PollSchedule:
        # Test-only: a fixed, short interval (a real batch takes minutes; a stand-in's, moments).
        fixed = os.environ.get("CARDSMITH_TEST_BATCH_POLL_S")
        return cls(float(fixed), 1.0, float(fixed)) if fixed else cls()


@dataclass(frozen=True)
class BatchOptions:
    detach: bool = False
    """Submit (or adopt) and return; the batch goes on."""
    batch_repairs: bool = False
    """Repairs go as a follow-up batch instead of live requests."""
    limits: BatchLimits = BatchLimits()
    poll: PollSchedule = field(default_factory=PollSchedule.from_env)


@dataclass
class BatchOutcome:
    created: int = 0
    """Batches this run created (adopted and resumed ones not counted)."""
    nothing_to_do: bool = False
    detached: bool = False
    stopped: str | None = None
    """Why the run stopped early (the API refused the key, a batch is not found), one line."""
    stopped_kind: FaultKind | None = None
    pending: tuple[str, ...] = ()
    """Batch ids still pending when the run returned."""


class BatchGeneration(Generation):
    """``prepare()`` then ``run()`` once; ``cancel()`` detaches (the batches go on)."""

    def __init__(
        self,
        plan_path: Path,
        plan: Plan,
        batches: BatchClient,
        options: GenerateOptions,
        on_event: EventSink,
        *,
        batch_options: BatchOptions | None = None,
        provider: Provider | None = None,
        reload_plan: Callable[[], Plan | None] | None = None,
    ) -> None:
        super().__init__(plan_path, plan, provider, options, on_event)
        self.batches = batches
        self.batch_options = batch_options or BatchOptions()
        self._reload_plan = reload_plan
        self._hash_for: dict[str, str] = {}
        """Casefolded component -> the request hash its card is written with (``_write``)."""
        self._task: asyncio.Task[object] | None = None
        self._by_key: dict[str, PlannedCard] = {}
        self.outcome = BatchOutcome()

    # -- the run ---------------------------------------------------------------------------------

    async def run(self) -> BatchOutcome:  # type: ignore[override]
        self._task = asyncio.current_task()
        if self.snapshot is None:
            self.prepare()
        try:
            state = load_state(self.plan_path) or BatchState(force=self.options.force)
            submitter = Submitter(self.batches, self.plan_path, state, self._emit)
            if not await self._submit(state, submitter):
                return self._finish(state)
            if self.batch_options.detach or self._cancel_requested:
                return await self._detach(state, interrupted=self._cancel_requested)
            await self._watch(state, submitter)
        except asyncio.CancelledError:
            if not self._cancel_requested:
                raise
            return await self._detach(load_state(self.plan_path) or BatchState(), interrupted=True)
        except ProviderError as exc:
            self.outcome.stopped, self.outcome.stopped_kind = exc.message, exc.kind
        return self._finish(load_state(self.plan_path) or BatchState())

    def cancel(self) -> None:
        """Stop watching (the batches go on); live repairs under way are cancelled."""
        super().cancel()
        if self._task is not None and not self._task.done():
            self._task.cancel()

    def _finish(self, state: BatchState) -> BatchOutcome:
        self.outcome.pending = tuple(state.ids)
        return self.outcome

    async def _detach(self, state: BatchState, *, interrupted: bool) -> BatchOutcome:
        self.outcome.detached = True
        await self._emit(BatchDetached(tuple(state.ids), interrupted=interrupted))
        return self._finish(state)

    async def _submit(self, state: BatchState, submitter: Submitter) -> bool:
        """Resume what the state knows (adopting orphans), then send what is left to send: every
        card of the send rule when nothing was pending, else only cards whose create never
        happened. False when a create failed."""
        resuming = bool(state.batches)
        for batch in state.batches:
            if batch.id:
                await self._emit(BatchSubmitted(batch.id, _names(batch), "resumed", batch.kind == REPAIRS))
        unsent = await submitter.adopt_orphans() if resuming else []
        if resuming and not any(b.kind == CARDS for b in unsent):
            return True
        in_batch = state.in_batch()
        outgoing = [
            Outgoing(p.component.name, p.request, p.request.sha256(), self._card_sha(p.component.key))
            for p in self.planned
            if p.send and p.component.key not in in_batch
        ]
        if not outgoing:
            self.outcome.nothing_to_do = not state.batches
            return True
        batches = new_batches(outgoing, CARDS, 0, self.batch_options.limits)
        requests = _requests_by_id(batches, {o.component: o.request for o in outgoing})
        created = await submitter.create_all(batches, requests)
        self.outcome.created += sum(1 for b in batches if b.id)
        return created

    async def _watch(self, state: BatchState, submitter: Submitter) -> None:
        """Poll every pending batch until all have ended and their results are stored."""
        schedule = self.batch_options.poll
        wait = schedule.first_s
        while state.batches:
            for batch in [b for b in state.batches if b.id]:
                try:
                    info = await self.batches.retrieve(batch.id)  # type: ignore[arg-type]
                except ProviderError as exc:
                    if exc.kind in RUN_STOPPING_FAULTS:
                        raise
                    log.info("polling %s failed: %s", batch.id, exc.message)
                    continue
                batch.note(info)
                created = batch.created_at
                await self._emit(BatchPolled(info.id, info.status.value, info.counts,
                                             batch_seconds(created, utc_now())))
                if info.ended:
                    wait = schedule.first_s
                    await self._collect(state, batch, submitter)
            if not any(b.id for b in state.batches):
                return
            await asyncio.sleep(wait)
            wait = min(schedule.max_s, wait * schedule.factor)

    # -- results ---------------------------------------------------------------------------------

    async def _collect(self, state: BatchState, batch: PendingBatch, submitter: Submitter) -> None:
        """Store an ended batch's results, then take it off the state and send the repairs."""
        self._refresh()
        now = utc_now()
        seen: set[str] = set()
        repairs: list[Repair] = []
        slots = asyncio.Semaphore(WRITERS)  # 10,000 results never make 10,000 tasks at once
        tasks: set[asyncio.Task[None]] = set()

        async def apply(item: PendingItem, result: BatchResult) -> None:
            try:
                repair = await self._apply(state, batch, item, result, now)
            finally:
                slots.release()
            if repair is not None:
                repairs.append(repair)

        async for result in self.batches.results(batch.id):  # type: ignore[arg-type]
            item = batch.requests.get(result.custom_id)
            if item is None or result.custom_id in seen:
                log.warning("batch %s: result for an unknown id %r ignored", batch.id, result.custom_id)
                continue
            seen.add(result.custom_id)
            await slots.acquire()
            task = asyncio.create_task(apply(item, result))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        if tasks:
            await asyncio.gather(*tasks)
        for cid, item in batch.requests.items():
            if cid not in seen:
                await self._emit(NotRun(item.component, MISSING_REASON))
        state.batches.remove(batch)
        if repairs and self.batch_options.batch_repairs:
            await self._repair_in_batch(repairs, batch.round + 1, submitter)
        else:
            save_state(self.plan_path, state)
            if repairs:
                await self._repair_live(repairs)

    async def _apply(
        self, state: BatchState, batch: PendingBatch, item: PendingItem, result: BatchResult, now: _dt.datetime
    ) -> Repair | None:
        """Store one result; returns the repair the card needs, if any (its events deferred)."""
        assert self.snapshot is not None
        planned = self._planned_for(item.component)
        name, key = planned.component.name, planned.component.key
        event = result_event(name, result, batch_seconds(batch.created_at, now))
        existing = self.snapshot.cards.get(key)
        if not isinstance(event, Done):
            # A repair that did not come back leaves its card as written (its tokens told already).
            await self._emit(as_done(existing, counted=True) if batch.kind == REPAIRS and existing else event)
            return None
        body = normalize_body(unwrap_markdown_fence(event.text))
        if existing is not None and body_sha256(existing.body) == body_sha256(body) and (
            existing.meta.request_sha256 == item.request_sha256
        ):
            await self._emit(as_done(existing))  # stored by a run that was stopped before it ended
            return None
        why = kept_reason(existing, item, state.force)
        if why is not None:
            assert existing is not None
            await asyncio.to_thread(keep_in_history, self.store.folder, existing, item, event, body)
            await self._emit(BatchResultKept(name, f"kept the card ({why}); the batch's answer is in its history",
                                             card_state(existing, planned.request.sha256())))
            return None
        done = after(existing, event) if batch.kind == REPAIRS and existing is not None else event
        self._hash_for[key] = item.request_sha256
        give_slug(self.snapshot, name)
        kept, saved = await self._save(planned, done)
        stale = item.request_sha256 != planned.request.sha256()
        errors = tuple(f for f in saved.findings if f.severity == "error")
        # Progress counts each request once: a repair's event carries only the repair's tokens.
        told = replace(event, text=kept)
        if errors and self.options.repairs > batch.round and not stale:
            return Repair(planned, saved.card, errors, told, saved, batch.round + 1)
        await self._emit(told)
        await self._emit(saved)
        if stale:
            await self._emit(BatchResultStale(name))
        return None

    async def _repair_in_batch(self, repairs: list[Repair], round_: int, submitter: Submitter) -> None:
        outgoing: list[Outgoing] = []
        for r in repairs:
            await self._emit(r.first)
            await self._emit(r.saved)
            await self._emit(Repairing(r.planned.component.name, round_, r.errors))
            outgoing.append(Outgoing(r.planned.component.name, r.request(), r.card.meta.request_sha256,
                                     body_sha256(r.card.body)))
        batches = new_batches(outgoing, REPAIRS, round_, self.batch_options.limits)
        requests = _requests_by_id(batches, {o.component: o.request for o in outgoing})
        await submitter.create_all(batches, requests)
        self.outcome.created += sum(1 for b in batches if b.id)

    async def _repair_live(self, repairs: list[Repair]) -> None:
        if self.provider is None or self._cancel_requested:
            for r in repairs:  # no live API at hand: the cards stay as the batch wrote them
                await self._emit(r.first)
                await self._emit(r.saved)
            return

        def mark(repair: Repair) -> None:
            self._hash_for[repair.planned.component.key] = repair.card.meta.request_sha256

        options = RunOptions(
            concurrency=self.options.concurrency or self.plan.settings.concurrency,
            max_attempts=self.options.max_attempts,
            stall_timeout_s=self.options.stall_timeout_s,
            seed=self.options.seed,
        )
        live = LiveRepairs(repairs, self.provider, options, save=self._save, follow_up=self._follow_up,
                           emit=self._emit, mark=mark)
        self._runner = live.runner
        await live.run()

    # -- the live path's card writing, with the batch's marks --------------------------------------

    def _write(self, meta: CardMeta, body: str, versions: list[tuple[CardMeta, str, str]]) -> StoredCard:
        sent_with = self._hash_for.get(meta.component.casefold(), meta.request_sha256)
        meta = replace(meta, request_sha256=sent_with, batch=True)
        versions = [(replace(m, request_sha256=sent_with, batch=True), b, k) for m, b, k in versions]
        return super()._write(meta, body, versions)

    # -- the plan and the folder as they are now -----------------------------------------------

    def _refresh(self) -> None:
        """Read the plan again (the writer may have changed it while the batch ran) and the card
        folder, orphans included."""
        fresh = self._reload_plan() if self._reload_plan is not None else None
        if fresh is not None:
            self.plan = fresh
        self.prepare()
        assert self.snapshot is not None
        self.snapshot = with_orphans(self.snapshot)
        self._by_key = {p.component.key: p for p in self.planned}

    def _planned_for(self, name: str) -> PlannedCard:
        found = self._by_key.get(name.casefold())
        if found is not None:
            return found
        component = removed_component(name)
        return PlannedCard(component, build_request(self.plan, component), CardState.MISSING, True)

    def _card_sha(self, key: str) -> str | None:
        assert self.snapshot is not None
        card = self.snapshot.cards.get(key)
        return body_sha256(card.body) if card is not None else None


def _names(batch: PendingBatch) -> tuple[str, ...]:
    return tuple(item.component for item in batch.requests.values())


def _requests_by_id(batches: list[PendingBatch], by_name: dict[str, CardRequest]) -> dict[str, CardRequest]:
    return {cid: by_name[item.component] for b in batches for cid, item in b.requests.items()}


def _now_text() -> str:
    return utc_now().replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")

