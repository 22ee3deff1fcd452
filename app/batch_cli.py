"""`cardsmith generate --batch` and `cardsmith batch` in a terminal: submit, watch, detach, cancel.

Progress goes to stderr as plain lines (a batch changes every few seconds at most); a detached
batch's id goes to stdout, so a script can keep it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import time
from collections import Counter
from pathlib import Path
from typing import TextIO

from app.core.plan import Plan, load_plan
from app.core.states import CardState
from app.engine import events as ev
from app.engine.batch import BatchGeneration, BatchOptions, BatchOutcome
from app.engine.batch_client import make_batch_client
from app.engine.batch_events import (
    BatchPolled, BatchResultKept, BatchResultStale, BatchSubmitFailed, BatchSubmitted,
)
from app.engine.batch_progress import BatchProgress
from app.engine.batch_control import PendingStatus, check_pending
from app.engine.batch_state import load_state, state_path
from app.engine.generate import CardSaved, GenerateOptions, PlannedCard
from app.engine.provider import FaultKind, ProviderError
from app.errors import CardsmithError
from app.terminal import USAGE_STOPS, open_provider, provider_config

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
RESUME_HINT = "`cardsmith generate --batch {plan}` resumes it"
HEARTBEAT_S = 60.0


class _BatchReporter:
    """Events to lines: submissions, each poll that says something new, failures, stored stale."""

    def __init__(self, err: TextIO) -> None:
        self.err = err
        self.progress = BatchProgress()
        self._last_poll: dict[str, tuple[object, float]] = {}
        self._errors: dict[str, int] = {}
        """Lint errors of each card as last written (a repair batch may write it again)."""

    def on_event(self, event: object) -> None:
        self.progress.apply(event)
        if isinstance(event, BatchSubmitted):
            what = "repair requests" if event.repairs else "cards"
            self._line(f"batch {event.batch_id} {event.how}: {len(event.components)} {what}")
        elif isinstance(event, BatchPolled):
            # A line when something changed, else one a minute: the API counts a batch's requests
            # only when it ends, so an hour-long batch would otherwise print nothing.
            seen, now = (event.status, event.counts), time.monotonic()
            last = self._last_poll.get(event.batch_id)
            if last is None or last[0] != seen or now - last[1] >= HEARTBEAT_S:
                self._last_poll[event.batch_id] = (seen, now)
                self._line(self.progress.batches[event.batch_id].label())
        elif isinstance(event, BatchResultStale):
            self._line(f"  {event.component}: stored stale (the plan changed while it was in the batch)")
        elif isinstance(event, BatchResultKept):
            self._line(f"  {event.component}: {event.reason}")
        elif isinstance(event, CardSaved):
            errors = sum(1 for f in event.findings if f.severity == "error")
            self._errors[event.component] = errors
            if errors:
                self._line(f"  {event.component}: {errors} lint errors (cardsmith lint for details)")
        elif isinstance(event, ev.Repairing):
            self._line(f"  {event.component}: repair {event.round} ({len(event.findings)} lint errors)")
        elif isinstance(event, BatchSubmitFailed):
            self._line(f"cardsmith: batch not created: {event.reason}")

    @property
    def saved_with_errors(self) -> int:
        return sum(1 for n in self._errors.values() if n)

    def _line(self, text: str) -> None:
        print(text, file=self.err, flush=True)


def run_batch_generate(args: argparse.Namespace, plan: Plan, out: TextIO, err: TextIO) -> int:
    from app.provider_cli import provider_choice, warn_unknown_model

    config = provider_config(plan, provider_choice(args))
    warn_unknown_model(config, err)
    options = GenerateOptions(
        only=tuple(args.only), force=args.force, concurrency=args.concurrency, model=config.model,
        stall_timeout_s=args.stall_timeout or config.stall_timeout_s, max_attempts=args.max_attempts,
        repairs=args.repairs, cache=not args.no_cache,
    )
    reporter = _BatchReporter(err)
    plan_path: Path = args.plan
    batch_options = BatchOptions(detach=args.detach, batch_repairs=args.batch_repairs)
    client = make_batch_client(config)
    provider = None if args.batch_repairs or args.repairs == 0 else open_provider(config)
    generation = BatchGeneration(plan_path, plan, client, options, reporter.on_event, batch_options=batch_options,
                                 provider=provider, reload_plan=lambda: _reload(plan_path))
    generation.prepare()

    async def main() -> BatchOutcome:
        loop = asyncio.get_running_loop()
        try:
            loop.add_signal_handler(signal.SIGINT, generation.cancel)  # Ctrl+C detaches
        except (NotImplementedError, RuntimeError):
            pass
        try:
            return await generation.run()
        finally:
            await client.aclose()
            if provider is not None:
                await provider.aclose()

    outcome = asyncio.run(main())
    return _summarize(outcome, reporter, plan_path, generation.planned, out, err)


def _summarize(outcome: BatchOutcome, reporter: _BatchReporter, plan: Path, planned: list[PlannedCard],
               out: TextIO, err: TextIO) -> int:
    progress = reporter.progress
    if outcome.nothing_to_do:
        kept = Counter(p.state.value for p in planned)
        detail = ", ".join(f"{n} {s}" for s, n in sorted(kept.items()))
        print(f"nothing to generate: every card is up to date ({detail})", file=err)
        return EXIT_OK
    if progress.submit_failed is not None:
        if progress.maybe_created:
            print("cardsmith: error: the create call's answer was lost, so a batch may exist; the next"
                  " `generate --batch` looks it up before sending anything again", file=err)
        return EXIT_USAGE if progress.submit_fault in USAGE_STOPS else EXIT_FAILED
    if outcome.detached:
        for batch_id in outcome.pending:
            print(batch_id, file=out)
        ids = ", ".join(outcome.pending) or "none"
        hint = RESUME_HINT.format(plan=plan)
        if progress.interrupted:
            print(f"cardsmith: detached: batch {ids} goes on; {hint}", file=err)
            return EXIT_INTERRUPTED
        print(f"submitted: batch {ids} goes on; {hint}", file=err)
        return EXIT_OK
    unstored = (CardState.FAILED, CardState.NOT_RUN, CardState.CANCELLED)
    failed = [c for c in progress.cards.cards.values() if c.state in unstored]
    for (state, reason), n in Counter((c.state, c.reason) for c in failed).items():
        names = [c.name for c in failed if (c.state, c.reason) == (state, reason)]
        shown = ", ".join(names[:3]) + (f" and {n - 3} more" if n > 3 else "")
        print(f"cardsmith: {state.value}: {shown}" + (f": {reason}" if reason else ""), file=err)
    print(progress.summary(), file=err)
    if outcome.stopped:
        print(f"cardsmith: error: {outcome.stopped}", file=err)
        if outcome.stopped_kind is FaultKind.NOT_FOUND:
            print(f"cardsmith: if the batch was deleted or its results expired (29 days), remove"
                  f" {state_path(plan)} to start over; check ANTHROPIC_BASE_URL first", file=err)
        return EXIT_USAGE if outcome.stopped_kind in USAGE_STOPS else EXIT_FAILED
    return EXIT_FAILED if failed or reporter.saved_with_errors else EXIT_OK


def _reload(plan_path: Path) -> Plan | None:
    """The plan as on disk now, unless it cannot be read or has errors (then the one we have)."""
    try:
        plan = load_plan(plan_path)
    except CardsmithError:
        return None
    return None if plan.errors else plan


def run_batch_command(args: argparse.Namespace, plan: Plan, out: TextIO, err: TextIO) -> int:
    """`cardsmith batch PLAN [--cancel] [--json]`: the pending batches' status, or cancel them."""
    if load_state(args.plan) is None:
        rows: list[PendingStatus] = []
    else:
        client = make_batch_client(provider_config(plan))

        async def main() -> list[PendingStatus]:
            try:
                return await check_pending(client, args.plan, cancel=args.cancel)
            finally:
                await client.aclose()

        try:
            rows = asyncio.run(main())
        except ProviderError as exc:
            code = EXIT_USAGE if exc.kind is FaultKind.AUTH else EXIT_FAILED
            raise CardsmithError(f"batch status: {exc.message}", exit_code=code) from exc
    if args.json:
        json.dump({"plan": str(args.plan), "batches": [r.to_json() for r in rows]}, out, indent=2,
                  ensure_ascii=False)
        out.write("\n")
    elif not rows:
        print(f"no pending batch for {args.plan}", file=out)
    for row in rows if not args.json else ():
        print(_row_line(row, args.cancel), file=out)
    return EXIT_OK


def _row_line(row: PendingStatus, cancelled: bool) -> str:
    what = "repair requests" if row.repairs else "cards"
    if row.id is None:
        return (f"batch not confirmed: {row.requests} {what}; its create call started at"
                f" {row.create_started_at or 'an unknown time'} and its id was never written: the next"
                " `generate --batch` looks it up (list endpoint) before sending anything again")
    verb = "cancel requested; now " if cancelled and row.cancel else ""
    return (f"batch {row.id}: {row.requests} {what} · {verb}{row.status} · {row.counts.text()}"
            f" · created {row.created_at}")
