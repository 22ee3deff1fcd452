"""Fix with the notes: a card the reviewer sent back goes to its execution model with the notes.

The fix request is the card's own request one turn further (its answer, then the notes), the shape
of a lint repair. The new card is kept only if it lints no worse than the one it replaces, and only
if that card is still on disk as it was reviewed; locked and edited cards are never replaced. A kept
fix is reported with ``CardSaved``, so that a ``ReviewPipeline`` reviews it once more at once.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from pathlib import Path

from app.core.card import CardMeta, body_sha256, normalize_body
from app.core.lint import error_count, lint_card, unwrap_markdown_fence
from app.core.plan import Component, Plan
from app.core.pricing import usage_cost_usd
from app.core.prompt import build_request
from app.core.review import ReviewStatus, review_status
from app.core.review_prompt import build_fix_request
from app.core.review_store import store_fix
from app.core.store import CardStore, StoredCard, StoreSnapshot
from app.engine.card_run import Job
from app.engine.events import Done, Event, RunTotals
from app.engine.generate import CardSaved, utc_now_iso
from app.engine.provider import Provider
from app.engine.review_events import FixSkipped, Sink, deliver
from app.engine.roles import Role, request_settings
from app.engine.runner import Runner, RunOptions
from app.errors import StoreError

FIXABLE = frozenset({ReviewStatus.REVISE, ReviewStatus.FAIL})


@dataclass(frozen=True)
class FixPlan:
    to_fix: tuple[tuple[Component, StoredCard], ...]
    skipped: tuple[tuple[str, str], ...]
    """(component, why) for cards sent back that are never replaced: locked or edited."""


def plan_fixes(plan: Plan, snapshot: StoreSnapshot, components: list[Component]) -> FixPlan:
    """The cards among ``components`` whose current verdict is revise or fail."""
    to_fix: list[tuple[Component, StoredCard]] = []
    skipped: list[tuple[str, str]] = []
    for component in components:
        card = snapshot.card(component)
        if card is None or review_status(card.meta.review, card.body) not in FIXABLE:
            continue
        if card.meta.locked:
            skipped.append((component.name, "locked: approved cards are never replaced"))
        elif card.edited:
            skipped.append((component.name, "edited: the writer's text is never replaced"))
        else:
            to_fix.append((component, card))
    return FixPlan(tuple(to_fix), tuple(skipped))


class Fixer:
    """Sends each card of a ``FixPlan`` back with its notes; ``run()`` once."""

    def __init__(
        self,
        plan_path: Path,
        plan: Plan,
        provider: Provider,
        fixes: FixPlan,
        options: RunOptions,
        on_event: Sink,
        *,
        model: str | None = None,
    ) -> None:
        self.plan = plan
        self.store = CardStore(Path(plan_path))
        self.fixes = fixes
        self._on_event = on_event
        settings = request_settings(Role.EXECUTE, plan.settings, model=model)
        self._cards = {component.name: (component, card) for component, card in fixes.to_fix}
        jobs = [
            Job(component.name, build_fix_request(
                # The prefix is marked for the cache only when another fix would read it.
                build_request(plan, component, model=settings.model, max_tokens=settings.max_tokens,
                              cache=len(fixes.to_fix) > 1),
                card.body,
                card.meta.review,  # type: ignore[arg-type]  # plan_fixes keeps reviewed cards only
            ))
            for component, card in fixes.to_fix
        ]
        # A marked prefix is written by the first fix; the others wait for its response to read it.
        options = replace(options, first_alone=any(job.request.cache_system for job in jobs))
        self._runner = Runner(provider, jobs, options, self._forward, cost_fn=usage_cost_usd)

    async def run(self) -> RunTotals:
        for name, why in self.fixes.skipped:
            await self._emit(FixSkipped(name, why))
        return await self._runner.run()

    def cancel(self) -> None:
        self._runner.cancel()

    async def _forward(self, event: Event) -> None:
        if not isinstance(event, Done):
            await self._emit(event)
            return
        component, card = self._cards[event.component]
        body = normalize_body(unwrap_markdown_fence(event.text))
        contract = self.plan.contract_for(component)
        findings = tuple(lint_card(body, contract))
        before = error_count(lint_card(card.body, contract))
        await self._emit(event)
        if not body.strip() or error_count(findings) > before:
            why = f"the fix lints worse ({error_count(findings)} errors, the card has {before}); kept the card"
            await self._emit(FixSkipped(component.name, why))
            return
        meta = CardMeta(
            component=component.name,
            model=event.model,
            input_tokens=event.input_tokens,
            output_tokens=event.output_tokens,
            cache_read_tokens=event.cache_read_tokens,
            cache_write_tokens=event.cache_write_tokens,
            cost_usd=event.cost_usd,
            duration_s=round(event.duration_s, 3),
            request_sha256=card.meta.request_sha256,  # a fix, like a repair, keeps staleness as it was
            body_sha256=body_sha256(body),
            generated_at=utc_now_iso(),
            findings=findings,
        )
        try:
            written = await asyncio.to_thread(store_fix, self.store, card, meta, body)
        except StoreError as exc:
            await self._emit(FixSkipped(component.name, exc.message))
            return
        await self._emit(CardSaved(component.name, written, findings, repaired=True))

    async def _emit(self, event: object) -> None:
        await deliver(self._on_event, event)
