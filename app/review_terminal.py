"""`cardsmith review` and `generate --review` in a terminal: the reviewer's provider, the runs on
asyncio, progress on stderr, the report on stdout, and the exit code."""

from __future__ import annotations

import argparse
import asyncio
import signal
from typing import Any, Callable, Coroutine, TextIO

from app.core.plan import Plan
from app.core.review import ReviewStatus
from app.core.review_report import ReviewReport, review_report
from app.core.store import CardStore
from app.engine.fix import Fixer, plan_fixes
from app.engine.generate import select_components
from app.engine.provider import Provider
from app.engine.provider_config import ProviderChoice, resolve_provider_config
from app.engine.review import ReviewOptions, Reviewer, plan_reviews
from app.engine.review_events import FixSkipped, ReviewFailed, ReviewSaved
from app.engine.review_pipeline import ReviewPipeline
from app.engine.roles import Role
from app.engine.runner import RunOptions
from app.terminal import EXIT_FAILED, EXIT_USAGE, USAGE_STOPS, Reporter, open_provider, provider_config


class ReviewReporter(Reporter):
    """The generation reporter, plus a line per review outcome (and per card ``--fix`` skips)."""

    def __init__(self, err: TextIO, total: int = 0) -> None:
        super().__init__(err, total)
        self.failed: dict[str, str] = {}
        self.not_fixed: dict[str, str] = {}

    def __enter__(self) -> ReviewReporter:
        # `review --fix` draws a second live display after the first: its rows start afresh.
        self._tasks.clear()
        super().__enter__()
        return self

    def on_event(self, event: object) -> None:
        super().on_event(event)
        if isinstance(event, FixSkipped):
            self.not_fixed[event.component] = event.reason
            self._line(f"  {event.component}: not fixed: {event.reason}")
        elif isinstance(event, ReviewFailed):
            self.failed[event.component] = event.reason
            self._line(f"  {event.component}: review failed: {event.reason}")
        elif isinstance(event, ReviewSaved):
            self.failed.pop(event.component, None)
            self.not_fixed.pop(event.component, None)
            if not self.live:
                row = self.progress.cards[event.component].review
                self._line(f"  {event.component}: {row.outcome() if row else event.status.value}")


def review_options(args: argparse.Namespace, plan: Plan, model: str | None) -> ReviewOptions:
    """The reviewer's settings: ``model`` (an option), the plan's ``review_model``, the role's default."""
    config = resolve_provider_config(ProviderChoice(model=model), role=Role.REVIEW, plan=plan.settings)
    return ReviewOptions(
        only=tuple(getattr(args, "only", ()) or ()),
        force=bool(getattr(args, "force", False)),
        model=config.model,
        concurrency=args.concurrency,
        stall_timeout_s=args.stall_timeout or config.stall_timeout_s,
        max_attempts=args.max_attempts,
    )


def reviewer_for(args: argparse.Namespace, plan: Plan, options: ReviewOptions, sink: Any) -> Reviewer:
    """A reviewer with its provider (its key read now; KeyMissingError, exit 2, without one)."""
    config = resolve_provider_config(ProviderChoice(model=options.model), role=Role.REVIEW, plan=plan.settings)
    return Reviewer(args.plan, plan, open_provider(config), options, sink)


def run_async(main: Callable[[], Coroutine[Any, Any, Any]], cancel: Callable[[], None]) -> tuple[Any, bool]:
    """Run ``main()`` on a fresh loop; Ctrl+C calls ``cancel`` (finished work is kept).
    Returns its result and whether it was interrupted."""
    interrupted = False

    async def wrapped() -> Any:
        def on_sigint() -> None:
            nonlocal interrupted
            interrupted = True
            cancel()

        try:
            asyncio.get_running_loop().add_signal_handler(signal.SIGINT, on_sigint)
        except (NotImplementedError, RuntimeError):  # Windows, or not the main thread
            pass
        return await main()

    return asyncio.run(wrapped()), interrupted


def run_review(args: argparse.Namespace, plan: Plan, err: TextIO) -> tuple[ReviewReport | None, int]:
    """Review (and with ``--fix`` fix) the plan's cards; the report to print (None when the run
    stopped: its one line is on ``err``) and the exit code."""
    options = review_options(args, plan, args.model)
    store = CardStore(args.plan)
    store.cleanup_tmp()
    snapshot = store.load(plan)
    for problem in snapshot.problems:
        print(f"cardsmith: warning: {problem}", file=err)
    planned = plan_reviews(plan, snapshot, options)
    components = select_components(plan, options.only)
    to_send = [p.card for p in planned if p.send and p.card is not None]
    fixable = plan_fixes(plan, snapshot, components) if args.fix else None
    reporter = ReviewReporter(err, total=len(to_send))
    interrupted = False
    if to_send:
        reviewer = reviewer_for(args, plan, options, reporter.on_event)
        with reporter:
            _, interrupted = run_async(
                lambda: _closing(reviewer.run(to_send), reviewer.provider), reviewer.cancel
            )
    elif not (fixable and (fixable.to_fix or fixable.skipped)):
        current = ", ".join(f"{n} {s}" for s, n in _counts(planned).items())
        print(f"nothing to review: every card has a current review ({current})", file=err)
    sent = {c.meta.component for c in to_send}
    if args.fix and not interrupted and not _stopped(reporter):
        fixes = plan_fixes(plan, store.load(plan), components)
        if fixes.to_fix or fixes.skipped:
            interrupted, reviewed_again = _fix(args, plan, options, fixes, reporter, err)
            sent |= set(reviewed_again)
    report = _report(args, plan, store, components, options, reporter, sent)
    report.interrupted = interrupted
    stopped = reporter.progress.review_stopped
    if stopped is not None:
        print(f"cardsmith: error: {stopped.reason}", file=err)
        return None, EXIT_USAGE if stopped.kind in USAGE_STOPS else EXIT_FAILED
    return report, report.exit_code


def _fix(args: argparse.Namespace, plan: Plan, options: ReviewOptions, fixes: Any,
         reporter: ReviewReporter, err: TextIO) -> tuple[bool, list[str]]:
    """Send the revise/fail cards back with their notes, reviewing each fix as it is written;
    whether it was interrupted, and the components whose fix was reviewed."""
    cards = "1 card" if len(fixes.to_fix) == 1 else f"{len(fixes.to_fix)} cards"
    print(f"fixing {cards} with the reviewer's notes", file=err)
    pipeline = ReviewPipeline(reviewer_for(args, plan, options, reporter.on_event), reporter.on_event)
    run_options = RunOptions(
        concurrency=options.concurrency or plan.settings.concurrency,
        max_attempts=options.max_attempts,
        stall_timeout_s=options.stall_timeout_s,
    )
    executor = open_provider(provider_config(plan))
    fixer = Fixer(args.plan, plan, executor, fixes, run_options, pipeline.on_writer_event)
    reporter.total += len(fixes.to_fix)
    with reporter:
        _, interrupted = run_async(
            lambda: _closing(pipeline.run(fixer), executor, pipeline.reviewer.provider), pipeline.cancel
        )
    return interrupted, pipeline.submitted


async def _closing(work: Coroutine[Any, Any, Any], *providers: Provider) -> Any:
    """Await ``work``, then close the providers it used."""
    try:
        return await work
    finally:
        for provider in providers:
            await provider.aclose()


def _stopped(reporter: ReviewReporter) -> bool:
    return reporter.progress.review_stopped is not None


def _counts(planned: list[Any]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for p in planned:
        if p.card is not None:
            counts[p.status.label] = counts.get(p.status.label, 0) + 1
    return counts


def _report(args: argparse.Namespace, plan: Plan, store: CardStore, components: list[Any],
            options: ReviewOptions, reporter: ReviewReporter, sent: set[str]) -> ReviewReport:
    report = review_report(args.plan, plan, store.load(plan), components, options.model or "", sent)
    reviews = reporter.progress.reviews
    report.failed = dict(reporter.failed)
    report.not_fixed = dict(reporter.not_fixed)
    report.cost_usd = reviews.cost_usd + reporter.progress.cost_usd
    report.cost_complete = reviews.cost_complete and reporter.progress.cost_complete
    return report


def review_exit(code: int, reporter: Reporter, pipeline: ReviewPipeline, err: TextIO) -> int:
    """``generate --review``: the generation's exit code, made 1 (or 2) by the reviews."""
    progress = reporter.progress
    stopped = progress.review_stopped
    if stopped is not None:
        print(f"cardsmith: error: review: {stopped.reason}", file=err)
        return max(code, EXIT_USAGE if stopped.kind in USAGE_STOPS else EXIT_FAILED)
    rows = [progress.cards[name].review for name in pipeline.submitted if name in progress.cards]
    not_passed = [r for r in rows if r is None or r.status is not ReviewStatus.PASS]
    for name in pipeline.submitted:
        row = progress.cards[name].review if name in progress.cards else None
        if row is not None and row.status is not ReviewStatus.PASS:
            print(f"cardsmith: review: {name}: {row.outcome()}", file=err)
    return max(code, EXIT_FAILED) if not_passed and code in (0, EXIT_FAILED) else code
