"""One generation run over a plan: decide what to send, run it, lint and store each finished card.

Both the command line and the window call this; neither has its own copy of these rules.
"""

from __future__ import annotations

import asyncio
import datetime as _dt
import inspect
import logging
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Awaitable, Callable

from app.core.card import CardMeta, Finding, body_sha256, normalize_body
from app.core.history import record_version
from app.core.lint import lint_card, unwrap_markdown_fence
from app.core.plan import Component, Plan
from app.core.pricing import cost_usd
from app.core.prompt import CardRequest, build_request
from app.core.store import CardState, CardStore, StoreSnapshot, card_state
from app.core.syntax import lint_syntax
from app.engine.events import Done, Event, RunTotals
from app.engine.provider import Provider
from app.engine.runner import Job, RunOptions, Runner
from app.errors import StoreError, UsageError

log = logging.getLogger(__name__)

SENT_STATES = frozenset({CardState.MISSING, CardState.STALE})


@dataclass(frozen=True)
class GenerateOptions:
    only: tuple[str, ...] = ()
    force: bool = False
    """Regenerate every card that is not locked, edited ones included."""
    concurrency: int | None = None
    """None: the plan's ``concurrency``."""
    model: str | None = None
    """None: the plan's ``model``."""
    max_tokens: int | None = None
    """None: the plan's ``max_tokens`` (the window's settings may override it)."""
    stall_timeout_s: float = 60.0
    max_attempts: int = 4
    seed: int | None = None


@dataclass(frozen=True)
class PlannedCard:
    component: Component
    request: CardRequest
    state: CardState
    send: bool


@dataclass(frozen=True)
class CardSaved:
    """A finished card was linted and written to the card folder (follows its ``Done``)."""

    component: str
    path: Path
    findings: tuple[Finding, ...]


GenerationEvent = Event | CardSaved


def select_components(plan: Plan, only: tuple[str, ...]) -> list[Component]:
    """The components a run considers; an unknown ``--only`` name is a usage error."""
    if not only:
        return list(plan.components)
    chosen: list[Component] = []
    for name in only:
        component = plan.component(name)
        if component is None:
            known = ", ".join(c.name for c in plan.components[:6])
            more = ", ..." if len(plan.components) > 6 else ""
            raise UsageError(f"unknown component '{name}' (the plan has: {known}{more})")
        if component not in chosen:
            chosen.append(component)
    return sorted(chosen, key=plan.components.index)


def plan_generation(
    plan: Plan, snapshot: StoreSnapshot, options: GenerateOptions
) -> list[PlannedCard]:
    planned: list[PlannedCard] = []
    for component in select_components(plan, options.only):
        request = build_request(plan, component, model=options.model)
        if options.max_tokens is not None:
            request = replace(request, max_tokens=options.max_tokens)
        state = card_state(snapshot.card(component), request.sha256())
        if state is CardState.LOCKED:
            send = False
        elif options.force:
            send = True
        else:
            send = state in SENT_STATES
        planned.append(PlannedCard(component, request, state, send))
    return planned


def utc_now_iso() -> str:
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


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
        jobs = [Job(p.component.name, p.request) for p in self.planned if p.send]
        run_options = RunOptions(
            concurrency=self.options.concurrency or self.plan.settings.concurrency,
            max_attempts=self.options.max_attempts,
            stall_timeout_s=self.options.stall_timeout_s,
            seed=self.options.seed,
        )

        async def forward(event: Event) -> None:
            if isinstance(event, Done):
                saved = await self._save(by_name[event.component], event)
                await self._emit(event)
                await self._emit(saved)
            else:
                await self._emit(event)

        self._runner = Runner(self.provider, jobs, run_options, forward, cost_fn=cost_usd)
        if self._cancel_requested:
            self._runner.cancel()
        return await self._runner.run()

    def cancel(self) -> None:
        self._cancel_requested = True
        if self._runner is not None:
            self._runner.cancel()

    async def _emit(self, event: GenerationEvent) -> None:
        result = self._on_event(event)
        if inspect.isawaitable(result):
            await result

    async def _save(self, planned: PlannedCard, done: Done) -> CardSaved:
        assert self.snapshot is not None
        body = normalize_body(unwrap_markdown_fence(done.text))
        findings = tuple(lint_card(body, self.plan.contract_for(planned.component), syntax_checker=lint_syntax))
        meta = CardMeta(
            component=planned.component.name,
            model=done.model or planned.request.model,
            input_tokens=done.input_tokens,
            output_tokens=done.output_tokens,
            cost_usd=done.cost_usd,
            duration_s=round(done.duration_s, 3),
            request_sha256=planned.request.sha256(),
            body_sha256=body_sha256(body),
            generated_at=utc_now_iso(),
            locked=False,
            findings=findings,
        )
        # Disk writes leave the event loop so that eight streams keep flowing in the window.
        path = await asyncio.to_thread(self._write, meta, body)
        return CardSaved(planned.component.name, path, findings)

    def _write(self, meta: CardMeta, body: str) -> Path:
        assert self.snapshot is not None
        path = self.store.write_card(self.snapshot, meta, body)
        try:
            record_version(self.store.folder, path.stem, meta, body, "generated")
        except StoreError as exc:
            # History is a convenience: a card that was written must not fail over its copy.
            log.warning("%s", exc.message)
        return path

