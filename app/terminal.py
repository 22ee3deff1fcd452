"""`cardsmith generate` in a terminal: the provider, the run on asyncio, rich progress on stderr."""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import signal
from collections import Counter
from typing import TYPE_CHECKING, Awaitable, TextIO

from app import commands
from app.cli_warm_up import LaterWork
from app.core.plan import Plan
from app.core.states import CardState
from app.engine import events as ev
from app.engine.batch_state import held_in_batch, load_state
from app.engine.generate import CardSaved, GenerateOptions, Generation, PlannedCard
from app.engine.progress import RunProgress
from app.engine.provider import FaultKind, Provider, is_local
from app.engine.provider_config import (
    ProviderChoice,
    ProviderConfig,
    ProviderKind,
    make_provider,
    preload,
    provider_class,
    resolve_provider_config,
)

if TYPE_CHECKING:
    from rich.console import Console

    from app.engine.review_pipeline import ReviewPipeline

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
# A refused key and an unknown model are the user's to fix before anything can be sent (exit 2);
# an unreachable host is not a usage error (exit 1).
USAGE_STOPS = frozenset({FaultKind.AUTH, FaultKind.NOT_FOUND})


def provider_config(plan: Plan, choice: ProviderChoice | None = None) -> ProviderConfig:
    """The command line's provider: ``--provider``, ``--base-url`` and ``--model`` (``choice``),
    then the plan's front matter, then the environment."""
    return resolve_provider_config(choice or ProviderChoice(), plan=plan.settings)


def open_provider(config: ProviderConfig) -> Provider:
    """The provider, its key read (KeyMissingError without one) and its SDK imported up front."""
    provider = make_provider(config)
    preload(config.kind)
    if commands.whole_process:
        # What is loaded now (the SDK's thousands of modules above all) lives as long as the
        # process: the cyclic collector need not walk it again. A full collection over it costs
        # ~40 ms, and one used to fall between the first requests; after this one costs a few.
        gc.freeze()
    return provider


def count_exact(plan: Plan, config: ProviderConfig) -> dict[str, int] | None:
    """Exact input tokens per component from the provider; None when it cannot count them."""
    from app.engine.countcheck import count_input_tokens

    if not hasattr(provider_class(config.kind), "count_tokens"):
        return None
    provider = open_provider(config)

    async def run() -> dict[str, int] | None:
        try:
            return await count_input_tokens(provider, plan, concurrency=plan.settings.concurrency)
        finally:
            await provider.aclose()

    try:
        return asyncio.run(run())
    except Exception as exc:
        from app.engine.provider import ProviderError
        from app.errors import CardsmithError

        if isinstance(exc, ProviderError):
            raise CardsmithError(f"token counting failed: {exc.message}") from exc
        raise


class _Reporter:
    """Turns events into a live rich display on a terminal, or plain lines in a log."""

    def __init__(self, err: TextIO, total: int = 0) -> None:
        self._err = err
        self._console: Console | None = None
        # rich decides what a terminal is; a stream it could not take for one gets plain lines
        # from a console made at the first line, after the first requests are out.
        self.live = _may_be_terminal(err) and self.console.is_terminal
        self.progress = RunProgress()
        self.total = total
        self.saved_with_errors = 0
        self._rich = None
        self._tasks: dict[str, int] = {}
        self._overall: int | None = None

    @property
    def console(self) -> Console:
        if self._console is None:
            from rich.console import Console

            self._console = Console(file=self._err, highlight=False, soft_wrap=True)
        return self._console

    def __enter__(self) -> "_Reporter":
        if self.live:
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self._rich = Progress(
                TextColumn("{task.description}", justify="left"),
                BarColumn(bar_width=24),
                TextColumn("{task.fields[status]}"),
                TimeElapsedColumn(),
                console=self.console,
                refresh_per_second=8,
                transient=False,
            )
            self._rich.start()
            self._overall = self._rich.add_task("[b]overall", total=self.total, status="")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._rich is not None:
            self._rich.stop()

    def on_event(self, event: object) -> None:
        if isinstance(event, CardSaved):
            self.progress.apply(event)
            errors = sum(1 for f in event.findings if f.severity == "error")
            if errors:
                self.saved_with_errors += 1
                self._line(f"  {event.component}: {errors} lint errors (cardsmith lint for details)")
            return
        card = self.progress.apply(event)
        if isinstance(event, ev.ConcurrencyChanged):
            self._line(f"concurrency now {event.limit} ({event.reason})")
        if card is None:
            self._refresh_overall()
            return
        if self._rich is not None:
            self._update_rich(card.name, card)
        elif isinstance(event, (ev.Retrying, ev.Repairing, ev.Done, ev.Failed)):
            self._line(f"[{self.progress.done}/{self.total}] {card.name}: {card.label()}")
        self._refresh_overall()

    def _update_rich(self, name: str, card) -> None:  # type: ignore[no-untyped-def]
        assert self._rich is not None
        if name not in self._tasks:
            self._tasks[name] = self._rich.add_task(name[:28].ljust(28), total=100, status="")
        task = self._tasks[name]
        self._rich.update(task, completed=card.fraction * 100, status=card.label())
        # Finished rows leave the live display so that it shows what is running.
        self._rich.update(task, visible=not card.finished or card.state is CardState.FAILED)

    async def tick(self, interval_s: float = 0.2) -> None:
        """Redraw the rows of thinking cards, whose label counts the seconds ("thinking… 3.2 s")."""
        while True:
            await asyncio.sleep(interval_s)
            if self._rich is None:
                continue
            for card in self.progress.cards.values():
                if card.state is CardState.THINKING:
                    self._update_rich(card.name, card)

    def _refresh_overall(self) -> None:
        if self._rich is not None and self._overall is not None:
            p = self.progress
            self._rich.update(
                self._overall, completed=p.done,
                status=f"{p.done}/{self.total} · {p.tokens:,} tok · {p.cost_text()}",
            )

    def _line(self, text: str) -> None:
        self.console.print(text, markup=False)


def _may_be_terminal(stream: TextIO) -> bool:
    """False only where rich's Console would see no terminal either: the stream is no tty and
    neither TTY_COMPATIBLE nor FORCE_COLOR, which rich reads first, is set."""
    if "TTY_COMPATIBLE" in os.environ or "FORCE_COLOR" in os.environ:
        return True
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed stream: rich says no terminal
        return False


Reporter = _Reporter
"""The review command draws its progress with it too (``app/review_terminal.py``)."""


def run_generate(args: argparse.Namespace, plan: Plan, out: TextIO, err: TextIO) -> int:
    from app.provider_cli import provider_choice, warn_unknown_model

    config = provider_config(plan, provider_choice(args))
    options = GenerateOptions(
        only=tuple(args.only),
        force=args.force,
        concurrency=args.concurrency or config.concurrency,
        model=config.model,
        stall_timeout_s=args.stall_timeout or config.stall_timeout_s,
        max_attempts=args.max_attempts,
        repairs=args.repairs,
        cache=not args.no_cache,
    )
    warn_unknown_model(config, err)
    reviewing = bool(getattr(args, "review", False))
    reporter = _review_reporter(err) if reviewing else _Reporter(err)
    pipeline = None  # generate --review: each written card is reviewed at once (review_terminal.py)

    later_work = LaterWork(plan.settings.language)

    def forward(event: object) -> None | Awaitable[None]:
        later_work.on_event(event)
        return pipeline.on_writer_event(event) if pipeline is not None else reporter.on_event(event)

    generation = Generation(args.plan, plan, provider=None, options=options, on_event=forward)
    generation.prepare()
    planned = hold_batched(generation, err)
    to_send = [p for p in planned if p.send]
    if not to_send:
        kept = Counter(p.state.value for p in planned)
        detail = ", ".join(f"{n} {s}" for s, n in sorted(kept.items()))
        print(f"nothing to generate: every card is up to date ({detail})", file=err)
        return EXIT_OK
    provider = open_provider(config)
    generation.provider = provider
    if reviewing:
        pipeline = _review_pipeline(args, plan, reporter)
    reporter.total = len(to_send)
    reporter.progress.local = is_local(provider)
    if config.kind is not ProviderKind.ANTHROPIC:
        at_once = options.concurrency or plan.settings.concurrency
        print(f"{len(to_send)} cards to {config.model} at {config.base_url}"
              f" ({'local, ' if reporter.progress.local else ''}{at_once} at a time)", file=err)
    interrupted = False

    with reporter:

        async def main() -> ev.RunTotals:
            loop = asyncio.get_running_loop()

            def on_sigint() -> None:
                nonlocal interrupted
                interrupted = True
                (pipeline or generation).cancel()

            try:
                loop.add_signal_handler(signal.SIGINT, on_sigint)
            except (NotImplementedError, RuntimeError):  # Windows, or not the main thread
                pass
            ticker = asyncio.create_task(reporter.tick())
            try:
                return await (pipeline.run(generation) if pipeline else generation.run())
            finally:
                ticker.cancel()
                await provider.aclose()
                if pipeline is not None:
                    await pipeline.reviewer.provider.aclose()

        totals = asyncio.run(main())

    code = _summarize(totals, reporter, interrupted, err)
    if pipeline is None or interrupted:
        return code
    from app.review_terminal import review_exit

    return review_exit(code, reporter, pipeline, err)


def hold_batched(generation: Generation, err: TextIO) -> list[PlannedCard]:
    """A live run leaves the cards of a pending batch alone (they are paid for), and says so."""
    held = held_in_batch(generation.planned, load_state(generation.plan_path))
    n = sum(1 for p in held if p.state is CardState.IN_BATCH)
    if n:
        print(f"cardsmith: not sent again, already in a pending batch: {n} of the cards"
              f" (`cardsmith batch {generation.plan_path}` for its status)", file=err)
    generation.planned = held
    return held


def _review_reporter(err: TextIO) -> _Reporter:
    from app.review_terminal import ReviewReporter

    return ReviewReporter(err)


def _review_pipeline(args: argparse.Namespace, plan: Plan, reporter: _Reporter) -> "ReviewPipeline":
    """The reviewer behind ``generate --review`` (its key read now, like the generation's)."""
    from app.engine.review_pipeline import ReviewPipeline
    from app.review_terminal import review_options, reviewer_for

    options = review_options(args, plan, args.review_model)
    return ReviewPipeline(reviewer_for(args, plan, options, reporter.on_event), reporter.on_event)


def _summarize(totals: ev.RunTotals, reporter: _Reporter, interrupted: bool, err: TextIO) -> int:
    progress = reporter.progress
    failed = [c for c in progress.cards.values() if c.state is CardState.FAILED]
    for reason, n in Counter(c.reason for c in failed).items():
        names = [c.name for c in failed if c.reason == reason]
        shown = ", ".join(names[:3]) + (f" and {n - 3} more" if n > 3 else "")
        print(f"cardsmith: failed: {shown}: {reason}", file=err)
    if interrupted:
        print(progress.summary(), file=err)
        return EXIT_INTERRUPTED
    if totals.stopped:
        # One line says why nothing (more) was sent; a summary of zeros would only add noise.
        if totals.done:
            print(progress.summary(), file=err)
        print(f"cardsmith: error: {totals.stopped}", file=err)
        return EXIT_USAGE if progress.stopped_kind in USAGE_STOPS else EXIT_FAILED
    print(progress.summary(), file=err)
    if totals.failed or reporter.saved_with_errors:
        return EXIT_FAILED
    return EXIT_OK
