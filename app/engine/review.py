"""A review run: a stronger model reads finished cards and gives each a verdict, stored with it.

The same runner as generation sends the requests (concurrency, retries, stall watchdog, adaptive
limit, cancel); this module decides which cards to send, builds their requests, checks each
answer against the schema (a malformed one is asked again once, then it is a failed review) and
stores the verdict bound to the body that was read. The command line and the window both use it;
``generate --review`` feeds it the cards a generation writes while that generation still runs.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from app.core.card import Finding, body_sha256
from app.core.plan import Component, Plan
from app.core.pricing import usage_cost_usd
from app.core.prompt import CardRequest
from app.core.review import CardReview, ReviewStatus, review_status
from app.core.review_prompt import build_review_request
from app.core.review_schema import MalformedReview, parse_review_answer
from app.core.review_store import store_review
from app.core.store import CardStore, StoredCard, StoreSnapshot
from app.engine.card_run import Job
from app.engine.events import Done, Event, Failed, RunTotals
from app.engine.follow_ups import FollowUp
from app.engine.generate import select_components, utc_now_iso
from app.engine.pipeline import OpenRunner
from app.engine.provider import Provider
from app.engine.review_events import ReviewEvent, ReviewFailed, ReviewSaved, Sink, deliver
from app.engine.roles import Role, request_settings
from app.engine.runner import RunOptions
from app.errors import StoreError

log = logging.getLogger(__name__)

MALFORMED_RULE = "review-answer"
"""The id a malformed answer is reported under when the reviewer is asked again."""


@dataclass(frozen=True)
class ReviewOptions:
    only: tuple[str, ...] = ()
    force: bool = False
    """Review cards whose review is current too."""
    model: str | None = None
    """None: the plan's ``review_model``, else the review role's default."""
    max_tokens: int | None = None
    concurrency: int | None = None
    """None: the plan's ``concurrency``."""
    stall_timeout_s: float = 60.0
    max_attempts: int = 4
    seed: int | None = None
    malformed_retries: int = 1
    """How many times a reviewer whose answer broke the schema is asked again."""


@dataclass(frozen=True)
class PlannedReview:
    component: Component
    card: StoredCard | None
    """None: the component has no card to review."""
    status: ReviewStatus
    send: bool


def plan_reviews(plan: Plan, snapshot: StoreSnapshot, options: ReviewOptions) -> list[PlannedReview]:
    """Every card without a current review is sent; ``force`` sends current ones too."""
    planned: list[PlannedReview] = []
    for component in select_components(plan, options.only):
        card = snapshot.card(component)
        status = review_status(card.meta.review, card.body) if card else ReviewStatus.NONE
        send = card is not None and bool(card.body.strip()) and (options.force or status.needs_review)
        planned.append(PlannedReview(component, card, status, send))
    return planned


class Reviewer:
    """Reviews cards of one plan; ``run()`` once. ``submit`` adds a card while it runs (a
    pipeline); ``close`` says no more will come; ``cancel`` from anywhere."""

    def __init__(
        self,
        plan_path: Path,
        plan: Plan,
        provider: Provider,
        options: ReviewOptions,
        on_event: Sink,
    ) -> None:
        self.plan = plan
        self.provider = provider
        self.options = options
        self.store = CardStore(Path(plan_path))
        self.settings = request_settings(
            Role.REVIEW, plan.settings, model=options.model, max_tokens=options.max_tokens
        )
        self._on_event = on_event
        self._cards: dict[str, tuple[StoredCard, CardRequest]] = {}
        self._runner = OpenRunner(
            provider,
            (),
            RunOptions(
                concurrency=options.concurrency or plan.settings.concurrency,
                max_attempts=options.max_attempts,
                stall_timeout_s=options.stall_timeout_s,
                seed=options.seed,
            ),
            self._forward,
            cost_fn=usage_cost_usd,
            follow_up=self._ask_again if options.malformed_retries > 0 else None,
        )

    @property
    def model(self) -> str:
        return self.settings.model

    def request_for(self, component: Component, card: StoredCard) -> CardRequest:
        return build_review_request(
            self.plan, component, card.body, model=self.settings.model, max_tokens=self.settings.max_tokens
        )

    async def run(self, cards: Iterable[StoredCard] = (), *, keep_open: bool = False) -> RunTotals:
        """Review ``cards``; with ``keep_open``, also every card submitted until ``close()``."""
        for card in cards:
            await self.submit(card)
        if not keep_open:
            self._runner.close()
        return await self._runner.run()

    async def submit(self, card: StoredCard) -> bool:
        """Review ``card`` (as written: the body it holds now); False when the run takes no more."""
        component = self.plan.component(card.meta.component)
        if component is None or not card.body.strip():
            return False
        request = self.request_for(component, card)
        self._cards[component.name] = (card, request)
        return await self._runner.submit(Job(component.name, request))

    def close(self) -> None:
        self._runner.close()

    def cancel(self) -> None:
        self._runner.cancel()

    # -- answers ----------------------------------------------------------------------------------

    def _ask_again(self, job: Job, request: CardRequest, answer: str, done_so_far: int) -> FollowUp | None:
        """The same request once more when the answer broke the schema (a fresh request: the
        broken answer would only anchor the next one)."""
        if done_so_far >= self.options.malformed_retries or job.component not in self._cards:
            return None
        card, _ = self._cards[job.component]
        try:
            parse_review_answer(answer, body_lines=_lines(card.body))
        except MalformedReview as exc:
            log.info("card %r: malformed review (%s); asking again", job.component, exc)
            return FollowUp(job.request, (Finding(MALFORMED_RULE, "error", str(exc)),))
        return None

    async def _forward(self, event: Event) -> None:
        if isinstance(event, Done):
            await self._emit(await self._saved(event))
        elif isinstance(event, Failed):
            await self._emit(ReviewFailed(event.component, event.reason))
        else:
            await self._emit(ReviewEvent(event))

    async def _saved(self, done: Done) -> ReviewSaved | ReviewFailed:
        card, _request = self._cards[done.component]
        spent = (done.input_tokens, done.output_tokens, done.cost_usd)
        asked = len(done.answers) or 1
        try:
            answer = parse_review_answer(done.text, body_lines=_lines(card.body))
        except MalformedReview as exc:
            times = "" if asked == 1 else f" (asked {asked} times)"
            return ReviewFailed(done.component, f"malformed review: {exc}{times}", *spent)
        review = CardReview(
            model=done.model or self.settings.model,
            verdict=answer.verdict,
            body_sha256=body_sha256(card.body),
            notes=answer.notes,
            summary=answer.summary,
            input_tokens=done.input_tokens,
            output_tokens=done.output_tokens,
            cost_usd=done.cost_usd,
            reviewed_at=utc_now_iso(),
        )
        try:
            # Off the event loop: a window keeps streaming while the file is written.
            written = await asyncio.to_thread(store_review, self.store, card, review)
        except StoreError as exc:
            return ReviewFailed(done.component, exc.message, *spent)
        return ReviewSaved(done.component, written, review)

    async def _emit(self, event: object) -> None:
        await deliver(self._on_event, event)


def _lines(body: str) -> int:
    return len(body.rstrip("\n").split("\n"))
