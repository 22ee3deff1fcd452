"""`cardsmith draft`: a writer's brief becomes a new plan, or new components of an existing one,
written by the drafting model; progress on stderr. A plan is never overwritten without --force,
never half-written, and a draft that cannot be used is kept beside it, not lost."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from pathlib import Path
from typing import Any, Awaitable, Callable, TextIO, TypeVar

from app.core.draft_plan import unclosed_fence_issue
from app.core.draft_prompt import estimate_draft
from app.core.fsutil import atomic_write
from app.core.plan import Plan, parse_plan, plan_title_from_path
from app.core.plan_model import quote
from app.core.pricing import format_cost, unknown_model_warning
from app.core.ranges import DRAFT_COMPONENTS_RANGE
from app.core.textfile import decode_text, split_lines
from app.engine import events as ev
from app.engine.draft import DraftResult, DraftSpec, Drafting, progress_text
from app.engine.progress import RunProgress
from app.engine.provider_config import ProviderChoice, resolve_provider_config
from app.engine.roles import Role
from app.errors import CardsmithError, PlanError, UsageError

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
REJECTED_SUFFIX = ".rejected.md"
T = TypeVar("T")


def read_brief(source: str, stdin: TextIO | None = None) -> str:
    """The brief's text from a file, or from standard input for ``-``; never empty."""
    if source == "-":
        stream = stdin or sys.stdin
        raw = getattr(stream, "buffer", None)
        text = raw.read().decode("utf-8", errors="replace") if raw is not None else stream.read()
    else:
        path = Path(source)
        try:
            text, _bad = decode_text(path.read_bytes())
        except OSError as exc:
            raise UsageError(f"cannot read the brief '{path}': {exc.strerror or exc}") from exc
    if not text.strip():
        raise UsageError("the brief is empty: say what the guide is about, for whom, and what is decided")
    return text


def _check_options(args: argparse.Namespace) -> None:
    if args.components is not None:
        low, high = DRAFT_COMPONENTS_RANGE
        if not low <= args.components <= high:
            raise UsageError(f"--components must be between {low} and {high}, not {args.components}")
    if args.language is not None and not args.language.strip():
        raise UsageError("--language must not be empty")
    if args.out is not None:
        out: Path = args.out
        if out.is_dir():
            raise UsageError(f"'{out}' is a folder: give the new plan's file name")
        if not out.parent.is_dir():
            raise UsageError(f"the folder of '{out}' does not exist")
        if out.exists() and not args.force:
            raise UsageError(f"'{out}' already exists and is kept: nothing was sent (--force replaces"
                             " it; --into adds components to it)")


def _load_into(path: Path, err: TextIO) -> tuple[Plan, bytes]:
    """The plan additions go into, and the exact bytes it was parsed from."""
    from app.cli import load_checked_plan

    load_checked_plan(path, err)  # one line per error, exit 2, like every command that reads a plan
    original = path.read_bytes()
    plan = parse_plan(original, default_title=plan_title_from_path(path))
    if plan.errors:
        raise PlanError(f"{path} changed while it was read: run the command again")
    open_fence = unclosed_fence_issue(plan, split_lines(decode_text(original)[0]))
    if open_fence is not None:
        raise PlanError(f"{path}:{open_fence.line}: a code fence is never closed, so components added"
                        " after it would be code: close it first")
    return plan, original


def run_draft(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    _check_options(args)
    brief = read_brief(args.brief)
    existing, original = (_load_into(args.into, err) if args.into is not None else (None, b""))
    target: Path = args.into if args.into is not None else args.out
    config = resolve_provider_config(ProviderChoice(model=args.model), role=Role.DRAFT,
                                     plan=existing.settings if existing is not None else None)
    spec = DraftSpec(brief, model=config.model, language=args.language, components=args.components,
                     fallback_title=plan_title_from_path(target), existing=existing, existing_bytes=original)
    warning = unknown_model_warning(config.model)
    if warning:
        print(f"cardsmith: warning: {warning}", file=err)
    if args.dry_run:
        for line in estimate_draft(spec.request(), components=args.components).lines():
            print(line, file=out)
        return EXIT_OK
    from app.terminal import open_provider

    provider = open_provider(config)
    reporter = DraftReporter(err, config.model)
    drafting = Drafting(spec, provider, reporter.on_event)

    async def work() -> DraftResult:
        try:
            return await drafting.run()
        finally:
            await provider.aclose()

    with reporter:
        result, interrupted = run_interruptible(work, drafting.cancel)
    if interrupted or result.cancelled:
        print(f"cardsmith: interrupted: nothing was written ({target} is as it was)", file=err)
        return EXIT_INTERRUPTED
    return _conclude(spec, result, target, args.force, out, err)


def run_interruptible(work: Callable[[], Awaitable[T]], cancel: Callable[[], None]) -> tuple[T, bool]:
    """``asyncio.run(work())``, where Ctrl+C calls ``cancel()`` and the work ends on its own;
    returns its result and whether Ctrl+C was pressed."""
    pressed: list[bool] = []

    async def guarded() -> T:
        def on_sigint() -> None:
            pressed.append(True)
            cancel()

        try:
            asyncio.get_running_loop().add_signal_handler(signal.SIGINT, on_sigint)
        except (NotImplementedError, RuntimeError):  # Windows, or a thread that is not the main one
            pass
        return await work()

    return asyncio.run(guarded()), bool(pressed)


def _conclude(spec: DraftSpec, result: DraftResult, target: Path, force: bool, out: TextIO, err: TextIO) -> int:
    if result.failure:
        kept = f"; what arrived is in {_keep_beside(target, result.raw, out)}" if result.raw.strip() else ""
        print(f"cardsmith: error: the draft failed: {result.failure}{kept}", file=err)
        from app.terminal import USAGE_STOPS

        return EXIT_USAGE if result.failure_kind in USAGE_STOPS else EXIT_FAILED
    if result.errors or result.draft is None:
        rejected = _keep_beside(target, result.raw, out)
        for error in result.errors:
            print(f"cardsmith: error: draft {error}", file=err)
        after = "after one follow-up" if result.answers > 1 else "and no follow-up was allowed"
        print(f"cardsmith: error: the draft still has {len(result.errors)} plan error(s) {after}:"
              f" {target} was not written; the model's answer is in {rejected}", file=err)
        return EXIT_FAILED
    for note in result.notes:
        print(f"cardsmith: note: {note}", file=err)
    added = len(result.draft.components)
    if spec.existing is not None:
        if not added:
            print(f"no new components were proposed: {target} is unchanged", file=out)
        elif target.read_bytes() != spec.existing_bytes:
            kept = _keep_beside(target, result.text, out)
            raise CardsmithError(f"{target} changed while drafting: nothing was added; the proposed"
                                 f" components are in {kept}", exit_code=EXIT_FAILED)
        else:
            _write(target, spec.existing_bytes + result.text.encode("utf-8"), out, result.text)
            first = len(spec.existing.components) + 1
            print(f"added {added} proposed components to {target} (components {first}-{first + added - 1},"
                  " at its end): keep, edit or delete them", file=out)
    else:
        if target.exists() and not force:
            kept = _keep_beside(target, result.text, out)
            raise CardsmithError(f"{target} appeared while drafting and is kept: the draft is in {kept}",
                                 exit_code=EXIT_FAILED)
        _write(target, result.text, out, result.text)
        d = result.draft
        print(f"wrote {target}: {quote(d.title)}, {added} components, language {d.language},"
              f" cards by {spec.execution_model}", file=out)
    fixed = ", fixed by one follow-up" if result.fixed else ""
    print(f"drafted by {result.model or spec.model}: {result.input_tokens:,} input + {result.output_tokens:,}"
          f" output tokens, {format_cost(result.cost_usd)}, {result.duration_s:.1f} s{fixed}", file=err)
    return EXIT_OK


def _write(path: Path, data: bytes | str, out: TextIO, text: str) -> None:
    try:
        atomic_write(path, data)
    except OSError as exc:
        out.write(text)  # the last place left to keep a paid-for draft
        raise CardsmithError(f"cannot write '{path}': {exc.strerror or exc}; the draft was printed on"
                             " standard output instead", exit_code=EXIT_FAILED) from exc


def _keep_beside(target: Path, text: str, out: TextIO) -> Path:
    """Write ``text`` to ``PLAN.rejected.md`` (numbered if that exists) and return where it went."""
    path = target.with_name(target.name + REJECTED_SUFFIX)
    number = 2
    while path.exists():
        path = target.with_name(f"{target.name}.rejected-{number}.md")
        number += 1
    _write(path, text, out, text)
    return path


class DraftReporter:
    """A draft's progress on stderr: one live line (state, tokens, elapsed) on a terminal, plain
    lines in a log."""

    def __init__(self, err: TextIO, model: str) -> None:
        from rich.console import Console

        self.console = Console(file=err, highlight=False, soft_wrap=True)
        self.model = model
        self.progress = RunProgress()
        self._live: Any = None
        self._task: Any = None
        self._said_thinking = False

    def __enter__(self) -> "DraftReporter":
        if self.console.is_terminal:
            from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

            self._live = Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                                  console=self.console, transient=True)
            self._live.start()
            self._task = self._live.add_task(f"drafting with {self.model}")
        else:
            self._say(f"drafting with {self.model}…")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._live is not None:
            self._live.stop()

    def on_event(self, event: object) -> None:
        card = self.progress.apply(event)
        if isinstance(event, ev.Repairing):
            count = len(event.findings)
            self._say(f"the draft has {count} error(s); asking {self.model} to fix them:")
            for finding in event.findings:
                self._say(f"  line {finding.line}: {finding.message}" if finding.line else f"  {finding.message}")
        elif isinstance(event, ev.Retrying):
            self._say(f"retrying {event.attempt + 1}/{event.max_attempts} · {event.reason} · waiting {event.wait_s:.1f} s")
        elif isinstance(event, ev.Thinking) and self._live is None and not self._said_thinking:
            self._said_thinking = True
            self._say("thinking…")
        elif isinstance(event, ev.Done):
            self._say(f"draft received: {event.output_tokens:,} output tokens in {event.duration_s:.1f} s")
        if card is not None and self._live is not None:
            self._live.update(self._task, description=f"drafting with {self.model} · {progress_text(card)}")

    def _say(self, text: str) -> None:
        self.console.print(text, markup=False)
