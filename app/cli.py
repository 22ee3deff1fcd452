"""The command line: generate, review, draft, lint, export, estimate, history and models, over the
core and engine of the window."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence, TextIO

from app import __version__
from app.commands import SUBCOMMANDS  # noqa: F401  (its old home: kept importable from here)
from app.core.targets import SITE_TARGETS
from app.errors import CardsmithError, PlanError, UsageError
from app.provider_cli import (
    add_models_command,
    add_provider_options,
    cmd_models,
    model_help,
    provider_choice,
    warn_unknown_model,
)
from app.review_args import add_review_parser

if TYPE_CHECKING:
    from app.core.plan import Plan

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so every usage error is one line and exit 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message}")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="cardsmith",
        description="Turn a plan into example cards with a fast model, several requests at once.",
        epilog="Without a command, `cardsmith [PLAN]` opens the window.",
    )
    parser.add_argument("--version", action="version", version=f"cardsmith {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    gen = sub.add_parser("generate", help="send missing, failed and stale cards to the model")
    gen.add_argument("plan", type=Path, metavar="PLAN")
    gen.add_argument("--only", action="append", default=[], metavar="NAME",
                     help="only this component (repeatable)")
    gen.add_argument("--force", action="store_true",
                     help="regenerate every card that is not locked, edited ones included")
    gen.add_argument("--concurrency", type=int, metavar="N", help="parallel requests, 1..16")
    gen.add_argument("--model", metavar="ID", help=model_help())
    add_provider_options(gen)
    gen.add_argument("--stall-timeout", type=float, metavar="SECONDS",
                     help="retry a stream that sends nothing for this long (default 60; 300 for"
                          " openai-compatible, whose first token waits for the model to load)")
    gen.add_argument("--max-attempts", type=int, default=4, metavar="N",
                     help="requests per card at most, retries included (default 4)")
    gen.add_argument("--repairs", type=int, default=1, metavar="N",
                     help="follow-up requests per card that breaks the contract (default 1, 0 = off)")
    gen.add_argument("--no-cache", action="store_true",
                     help="send the shared context without a prompt-cache marker, all requests at once")
    gen.add_argument("--review", action="store_true",
                     help="review each card as soon as it is written (the reviewer model)")
    gen.add_argument("--review-model", metavar="ID", help="reviewer model id with --review")
    gen.add_argument("--batch", action="store_true",
                     help="send the cards as a Message Batch (half price, results within 24 h)")
    gen.add_argument("--detach", action="store_true", help="with --batch: submit, print the id and exit")
    gen.add_argument("--batch-repairs", action="store_true",
                     help="with --batch: send repairs as a follow-up batch instead of live requests")
    gen.add_argument("--debug", action="store_true", help="show tracebacks")
    add_review_parser(sub)

    bat = sub.add_parser("batch", help="the plan's pending Message Batch: status, or --cancel")
    bat.add_argument("plan", type=Path, metavar="PLAN")
    bat.add_argument("--cancel", action="store_true", help="cancel it (what finished is still stored)")
    bat.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    bat.add_argument("--debug", action="store_true", help="show tracebacks")

    lint = sub.add_parser("lint", help="plan errors and card-contract findings")
    lint.add_argument("plan", type=Path, metavar="PLAN")
    lint.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    lint.add_argument("--debug", action="store_true", help="show tracebacks")

    exp = sub.add_parser("export", help="write the cards as a bundle")
    exp.add_argument("plan", type=Path, metavar="PLAN")
    exp.add_argument("--out", type=Path, required=True, metavar="DIR")
    exp.add_argument("--format", choices=("folder", "single", "html", "zip", *SITE_TARGETS),
                     help="default: the plan's target, else folder")
    exp.add_argument("--no-front-matter", action="store_true",
                     help="card files without their YAML front matter (folder, zip)")
    exp.add_argument("--write-config", action="store_true",
                     help="mkdocs: also write mkdocs.yml beside DIR, with DIR as the docs folder")
    exp.add_argument("--reviewed-only", action="store_true",
                     help="leave out every card whose current review is not a pass")
    exp.add_argument("--debug", action="store_true", help="show tracebacks")

    est = sub.add_parser("estimate", help="tokens and cost before generating")
    est.add_argument("plan", type=Path, metavar="PLAN")
    est.add_argument("--exact", action="store_true",
                     help="ask the API's free token-counting endpoint (needs a key; falls back to the"
                          " offline count for a provider that cannot count)")
    add_provider_options(est)
    est.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    est.add_argument("--debug", action="store_true", help="show tracebacks")

    hist = sub.add_parser("history", help="the recorded versions of one card")
    hist.add_argument("plan", type=Path, metavar="PLAN")
    hist.add_argument("name", metavar="NAME", help="the component whose card it is")
    hist.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    hist.add_argument("--debug", action="store_true", help="show tracebacks")

    from app.draft_args import add_draft_parser

    add_draft_parser(sub)
    add_models_command(sub)
    return parser


def main(argv: Sequence[str] | None = None, *, stdout: TextIO | None = None,
         stderr: TextIO | None = None) -> int:
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    args_list = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args_list
    if debug:
        import logging

        logging.basicConfig(level=logging.DEBUG, stream=err,
                            format="%(asctime)s %(name)s %(levelname)s: %(message)s")
    try:
        parser = build_parser()
        if not args_list:
            parser.print_help(out)
            return EXIT_OK
        args = parser.parse_args(args_list)
        if args.command is None:
            parser.print_help(out)
            return EXIT_OK
        handler = _HANDLERS[args.command]
        return handler(args, out, err)
    except SystemExit as exc:  # --help and --version
        return int(exc.code or 0)
    except CardsmithError as exc:
        if debug:
            import traceback

            traceback.print_exc(file=err)
        print(f"cardsmith: error: {exc.message}", file=err)
        return exc.exit_code
    except KeyboardInterrupt:
        print("cardsmith: interrupted", file=err)
        return EXIT_INTERRUPTED
    except Exception as exc:  # a bug: still one line unless --debug
        if debug:
            import traceback

            traceback.print_exc(file=err)
        else:
            print(f"cardsmith: internal error: {type(exc).__name__}: {exc} (run with --debug"
                  " for details)", file=err)
        return EXIT_FAILED


def load_checked_plan(path: Path, err: TextIO) -> "Plan":
    """Load a plan; print each warning, and raise PlanError (exit 2) after listing every error."""
    from app.core.plan import load_plan

    plan = load_plan(path)
    for issue in plan.warnings:
        print(f"cardsmith: warning: {path}:{issue.line}: {issue.message}", file=err)
    if plan.errors:
        *earlier, last = plan.errors
        for issue in earlier:
            print(f"cardsmith: error: {path}:{issue.line}: {issue.message}", file=err)
        raise PlanError(f"{path}:{last.line}: {last.message}")
    return plan


def _cmd_lint(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from app.core.lint_report import lint_plan_and_cards

    report = lint_plan_and_cards(args.plan)
    _print_report(report, args.json, out)
    return report.exit_code


def _print_report(report: Any, as_json: bool, out: TextIO) -> None:
    """A report object with ``lines()`` and ``to_json()``: text, or JSON on stdout."""
    if as_json:
        json.dump(report.to_json(), out, indent=2, ensure_ascii=False)
        out.write("\n")
    else:
        for line in report.lines():
            print(line, file=out)


def _cmd_export(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from app.core.export import export_bundle
    from app.core.store import CardStore

    plan = load_checked_plan(args.plan, err)
    fmt = args.format or plan.settings.target or "folder"
    if args.no_front_matter and fmt in SITE_TARGETS:
        raise UsageError(
            f"--no-front-matter does not apply to --format {fmt}: the site needs the front matter"
        )
    if args.write_config and fmt != "mkdocs":
        raise UsageError(f"--write-config applies to --format mkdocs only, not {fmt}")
    store = CardStore(args.plan)
    snapshot = store.load(plan)
    for problem in snapshot.problems:
        print(f"warning: {problem}", file=err)
    missing = len(plan.components) - len(snapshot.cards)
    if args.reviewed_only:
        from app.core.review import only_passed

        snapshot, left_out = only_passed(snapshot)
        noun = "card" if left_out == 1 else "cards"
        print(f"left out {left_out} {noun} whose current review is not a pass (--reviewed-only)", file=err)
    if not snapshot.cards:
        raise UsageError(f"no cards to export: {store.folder} holds none for this plan")
    result = export_bundle(plan, snapshot, args.out, fmt=fmt, front_matter=not args.no_front_matter,
                           write_config=args.write_config)
    note = f" ({missing} components have no card yet)" if missing else ""
    print(f"exported {len(snapshot.cards)} cards to {result.out_dir} as {fmt}{note}: "
          f"{len(result.written)} written, {len(result.unchanged)} unchanged, "
          f"{len(result.removed)} removed", file=out)
    if result.config is not None:
        print(f"wrote {result.config}: build the site with `mkdocs build -f {result.config}`", file=out)
    elif fmt == "mkdocs":
        from app.core.bundle import bundle_entries
        from app.core.export_sites import mkdocs_nav, nav_prefix

        print("add these pages to the nav of your mkdocs.yml (or export again with --write-config):",
              file=out)
        out.write(mkdocs_nav(plan, bundle_entries(plan, snapshot), nav_prefix(args.out)))
    return EXIT_OK


def _cmd_estimate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from app.core.estimate import estimate_plan

    from app.terminal import provider_config

    plan = load_checked_plan(args.plan, err)
    config = provider_config(plan, provider_choice(args))
    warn_unknown_model(config, err)
    exact_counts: dict[str, int] | None = None
    unavailable = ""
    if args.exact:
        from app.terminal import count_exact

        exact_counts = count_exact(plan, config)
        if exact_counts is None:
            unavailable = "this provider cannot count tokens"
    estimate = estimate_plan(args.plan, plan, exact_input_tokens=exact_counts,
                             exact_unavailable=unavailable, model=config.model, local=config.local)
    from app.core.planner import estimate_json, forecast

    ahead = forecast(args.plan, plan, estimate)
    if args.json:
        json.dump(estimate_json(estimate, ahead), out, indent=2, ensure_ascii=False)
        out.write("\n")
        return EXIT_OK
    for line in estimate.lines() + ahead.lines():
        print(line, file=out)
    return EXIT_OK


def _cmd_generate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from app.terminal import run_generate

    _check_run_options(args)
    if (args.detach or args.batch_repairs) and not args.batch:
        raise UsageError("--detach and --batch-repairs go with --batch")
    if args.batch and args.review:
        raise UsageError("--review goes with live runs: review a batch's cards with `cardsmith review` once they are in")
    plan = load_checked_plan(args.plan, err)
    if args.batch:
        from app.batch_cli import run_batch_generate

        return run_batch_generate(args, plan, out, err)
    return run_generate(args, plan, out, err)


def _check_run_options(args: argparse.Namespace) -> None:
    from app.core.ranges import CONCURRENCY_RANGE, REPAIRS_RANGE

    if args.concurrency is not None:
        _check_range("--concurrency", args.concurrency, CONCURRENCY_RANGE)
    if args.max_attempts < 1:
        raise UsageError(f"--max-attempts must be at least 1, not {args.max_attempts}")
    if getattr(args, "repairs", None) is not None:
        _check_range("--repairs", args.repairs, REPAIRS_RANGE)
    if args.stall_timeout is not None and not args.stall_timeout > 0:
        raise UsageError(f"--stall-timeout must be positive, not {args.stall_timeout}")


def _cmd_review(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from app.review_terminal import run_review

    _check_run_options(args)
    plan = load_checked_plan(args.plan, err)
    report, code = run_review(args, plan, err)
    if report is not None:
        _print_report(report, args.json, out)
    return code


def _cmd_batch(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from app.batch_cli import run_batch_command

    return run_batch_command(args, load_checked_plan(args.plan, err), out, err)


def _check_range(option: str, value: int, bounds: tuple[int, int]) -> None:
    low, high = bounds
    if not low <= value <= high:
        raise UsageError(f"{option} must be between {low} and {high}, not {value}")


def _cmd_history(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from app.core.history_report import card_history

    plan = load_checked_plan(args.plan, err)
    report = card_history(args.plan, plan, args.name)
    _print_report(report, args.json, out)
    return EXIT_OK


def _cmd_draft(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from app.draft_command import run_draft

    return run_draft(args, out, err)


_HANDLERS = {
    "generate": _cmd_generate,
    "review": _cmd_review,
    "lint": _cmd_lint,
    "export": _cmd_export,
    "estimate": _cmd_estimate,
    "history": _cmd_history,
    "draft": _cmd_draft,
    "models": cmd_models,
    "batch": _cmd_batch,
}
