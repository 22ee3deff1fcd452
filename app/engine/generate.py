"""One generation run over a plan: decide what to send, run it, lint, repair and store each card.

Both the command line and the window call this; neither has its own copy of these rules.
"""

from __future__ import annotations

import asyncio
import datetime as _dt
import inspect
import logging
from dataclasses import replace
from pathlib import Path
from typing import Awaitable, Callable

from app.core.card import CardMeta, Finding, body_sha256, normalize_body
from app.core.plan import Component, Plan
from app.core.pricing import TokenUsage, usage_cost_usd
from app.core.prompt import CardRequest, build_repair_request
from app.core.store import CardStore, StoredCard, StoreSnapshot
from app.engine.events import CardSaved, Done, Event, RunTotals  # noqa: F401  (CardSaved re-exported)
from app.engine.provider import Provider, is_local
from app.engine.card_run import Job
from app.engine.follow_ups import FollowUp
from app.engine.rate_budget import keep_seen_limits, run_start
from app.engine.runner import Runner, RunOptions
from app.engine.send_plan import (  # noqa: F401  (re-exported: the run's callers plan with them)
    GenerateOptions,
    PlannedCard,
    plan_generation,
    select_components,
)
from app.errors import StoreError

log = logging.getLogger(__name__)

GenerationEvent = Event | CardSaved


def utc_now_iso() -> str:
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def _no_cost(model: str, usage: TokenUsage) -> float:
    """A local model server's price: its cards store cost 0 (docs/formats.md, the card file)."""
    return 0.0


EventSink = Callable[[GenerationEvent], Awaitable[None] | None]


class Generation:
    """A run over one plan. ``run()`` once; ``cancel()`` from anywhere on the same loop."""

    def __init__(
        self,
        plan_path: Path,
        plan: Plan,
        provider: Provider | None,
        options: GenerateOptions,
        on_event: EventSink,
    ) -> None:
        self.plan_path = Path(plan_path)
        self.plan = plan
        self.provider = provider
        self.options = options
        self._on_event = on_event
        self.store = CardStore(self.plan_path)
        self.snapshot: StoreSnapshot | None = None
        self.planned: list[PlannedCard] = []
        self._runner: Runner | None = None
        self._cancel_requested = False

    def prepare(self) -> list[PlannedCard]:
        """Clean up after a killed run and decide what to send; touches nothing else on disk."""
        self.store.cleanup_tmp()
        self.snapshot = self.store.load(self.plan)
        self.planned = plan_generation(self.plan, self.snapshot, self.options)
        return self.planned

    async def run(self) -> RunTotals:
        if self.provider is None:
            raise RuntimeError("Generation.run() needs a provider")
        if self.snapshot is None:
            self.prepare()
        by_name = {p.component.name: p for p in self.planned}
        sent = [p for p in self.planned if p.send]
        jobs = [Job(p.component.name, p.request) for p in sent]
        concurrency = self.options.concurrency or self.plan.settings.concurrency
        start = run_start([p.request for p in sent], concurrency)
        run_options = RunOptions(
            concurrency=concurrency,
            max_attempts=self.options.max_attempts,
            stall_timeout_s=self.options.stall_timeout_s,
            seed=self.options.seed,
            start_concurrency=start.value if start.reason else None,
            start_reason=start.reason,
            # Below the model's minimum nothing is marked, and no request waits for another.
            first_alone=any(p.request.cache_system for p in sent),
        )
        done: list[Done] = []

        async def forward(event: Event) -> None:
            if isinstance(event, Done):
                done.append(event)
                kept, saved = await self._save(by_name[event.component], event)
                await self._emit(replace(event, text=kept) if kept != event.text else event)
                await self._emit(saved)
            else:
                await self._emit(event)

        follow_up = self._follow_up if self.options.repairs > 0 else None
        cost_fn = _no_cost if is_local(self.provider) else usage_cost_usd
        self._runner = Runner(
            self.provider, jobs, run_options, forward, cost_fn=cost_fn, follow_up=follow_up
        )
        if self._cancel_requested:
            self._runner.cancel()
        try:
            return await self._runner.run()
        finally:
            await self._keep_limits(done)

    async def _keep_limits(self, done: list[Done]) -> None:
        """The account's limits this run saw, kept for the next run and ``estimate``."""
        assert self.provider is not None
        try:
            await asyncio.to_thread(keep_seen_limits, self.provider, done)
        except Exception:  # a convenience: never worth a run's result
            log.warning("keeping the rate limits failed", exc_info=True)

    def cancel(self) -> None:
        self._cancel_requested = True
        if self._runner is not None:
            self._runner.cancel()

    async def _emit(self, event: GenerationEvent) -> None:
        result = self._on_event(event)
        if inspect.isawaitable(result):
            await result

    def _lint(self, component: Component, answer: str) -> tuple[str, tuple[Finding, ...]]:
        """The body an answer is stored as, and its findings."""
        # The lint (and the history below) load at the first answer, not with the engine: a run
        # sends its first requests without them, and a caller may warm them up meanwhile.
        from app.core.lint import lint_card, unwrap_markdown_fence

        body = normalize_body(unwrap_markdown_fence(answer))
        contract = self.plan.contract_for(component)
        return body, tuple(lint_card(body, contract))

    def _follow_up(self, job: Job, request: CardRequest, answer: str, done_so_far: int) -> FollowUp | None:
        """A repair request when the answer has error-level findings; warnings never cause one."""
        planned = next((p for p in self.planned if p.component.name == job.component), None)
        if planned is None or done_so_far >= self.options.repairs or not answer.strip():
            return None
        _, findings = self._lint(planned.component, answer)
        errors = tuple(f for f in findings if f.severity == "error")
        if not errors:
            return None
        return FollowUp(build_repair_request(request, answer, errors), errors)

    def _pick(self, component: Component, done: Done) -> tuple[int, list[tuple[str, tuple[Finding, ...]]]]:
        """Index of the answer to keep: a repair only wins with fewer errors (a tie keeps the
        earlier one, which the writer's request produced directly)."""
        from app.core.lint import error_count

        linted = [self._lint(component, answer) for answer in (done.answers or (done.text,))]
        best = 0
        for i in range(1, len(linted)):
            if error_count(linted[i][1]) < error_count(linted[best][1]):
                best = i
        return best, linted

    async def _save(self, planned: PlannedCard, done: Done) -> tuple[str, CardSaved]:
        """Store the best answer; returns its raw text and the ``CardSaved`` event."""
        assert self.snapshot is not None
        best, linted = self._pick(planned.component, done)
        body, findings = linted[best]
        meta = CardMeta(
            component=planned.component.name,
            model=done.model or planned.request.model,
            input_tokens=done.input_tokens,
            output_tokens=done.output_tokens,
            cache_read_tokens=done.cache_read_tokens,
            cache_write_tokens=done.cache_write_tokens,
            cost_usd=done.cost_usd,
            duration_s=round(done.duration_s, 3),
            # The card answers the component's own request, repaired or not: staleness must not
            # depend on whether a repair was needed.
            request_sha256=planned.request.sha256(),
            body_sha256=body_sha256(body),
            generated_at=utc_now_iso(),
            locked=False,
            findings=findings,
        )
        versions: list[tuple[CardMeta, str, str]] = []
        if best > 0:
            first_body, first_findings = linted[0]
            first_meta = replace(meta, body_sha256=body_sha256(first_body), findings=first_findings)
            versions.append((first_meta, first_body, "generated"))
        versions.append((meta, body, "repaired" if best > 0 else "generated"))
        # Disk writes leave the event loop so that eight streams keep flowing in the window.
        stored = await asyncio.to_thread(self._write, meta, body, versions)
        answers = done.answers or (done.text,)
        return answers[best], CardSaved(planned.component.name, stored, findings, repaired=best > 0)

    def _write(self, meta: CardMeta, body: str, versions: list[tuple[CardMeta, str, str]]) -> StoredCard:
        from app.core.history import find_by_body_hash, record_version

        assert self.snapshot is not None
        previous = self.snapshot.cards.get(meta.component.casefold())
        path = self.store.write_card(self.snapshot, meta, body)
        try:
            if previous is not None:
                # The card being replaced (an edit made in any editor, or a card generated before
                # history existed) stays restorable: history keeps every version, not only ours.
                kind = "edited" if previous.edited else "generated"
                if find_by_body_hash(self.store.folder, path.stem, body_sha256(previous.body)) is None:
                    record_version(self.store.folder, path.stem, previous.meta, previous.body, kind)
            for version_meta, version_body, kind in versions:
                record_version(self.store.folder, path.stem, version_meta, version_body, kind)  # type: ignore[arg-type]
        except StoreError as exc:
            # History is a convenience: a card that was written must not fail over its copy.
            log.warning("%s", exc.message)
        return StoredCard(path, meta, body)  # body came normalized from _lint

