"""The command line's provider options (``--provider``, ``--base-url``) and ``cardsmith models``."""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from app.errors import CardsmithError, UsageError

if TYPE_CHECKING:  # the engine is imported when a command runs, not when the parser is built
    from app.engine.provider_config import ProviderChoice, ProviderConfig

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def add_provider_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--provider", metavar="KIND",
                        help="anthropic or openai-compatible (default: the plan's provider, else"
                             " CARDSMITH_PROVIDER, else anthropic)")
    parser.add_argument("--base-url", metavar="URL",
                        help="the provider's server, e.g. http://localhost:11434/v1 (default: the"
                             " plan's base_url, else the environment, else the provider's own)")


def provider_choice(args: argparse.Namespace) -> ProviderChoice:
    """What ``--provider``, ``--base-url`` and ``--model`` (where the command has it) say."""
    from app.core.plan_settings import base_url_problem
    from app.engine.provider_config import ProviderChoice, parse_kind

    base_url = (getattr(args, "base_url", None) or "").strip() or None
    problem = base_url_problem(base_url) if base_url else None
    if problem:
        raise UsageError(f"--base-url {problem}")
    provider = getattr(args, "provider", None)
    return ProviderChoice(
        kind=parse_kind(provider) if provider else None,
        model=getattr(args, "model", None) or None,
        base_url=base_url,
    )


def model_help() -> str:
    """``--model``'s help: the model table's current models, then its legacy ones, marked."""
    from app.core.models import offered_models
    from app.core.plan_model import PlanSettings

    labels = ", ".join(label for _, label in offered_models())
    return (f"model id (default: the plan's, else {PlanSettings().model}); known: {labels};"
            " another id runs with its cost shown as unknown")


def warn_unknown_model(config: ProviderConfig, err: TextIO) -> None:
    """One line when the model is not in the model table (its cost will read "unknown"); none for
    a local model server, whose cards cost nothing."""
    from app.core.pricing import unknown_model_warning

    warning = None if config.local else unknown_model_warning(config.model)
    if warning:
        print(f"cardsmith: warning: {warning}", file=err)


def add_models_command(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    models = sub.add_parser("models", help="the models the provider's server serves")
    models.add_argument("plan", type=Path, metavar="PLAN", nargs="?",
                        help="read provider and base_url from this plan's front matter")
    add_provider_options(models)
    models.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    models.add_argument("--debug", action="store_true", help="show tracebacks")


def cmd_models(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """List the server's models (``GET /v1/models``); for Anthropic, the models Cardsmith knows."""
    from app.cli import load_checked_plan
    from app.engine.provider import FaultKind, ProviderError
    from app.engine.provider_config import resolve_provider_config, server_models

    settings = load_checked_plan(args.plan, err).settings if args.plan is not None else None
    config = resolve_provider_config(provider_choice(args), plan=settings)
    try:
        ids = asyncio.run(server_models(config))
    except ProviderError as exc:
        code = EXIT_FAILED if exc.kind in (FaultKind.UNREACHABLE, FaultKind.TIMEOUT) else EXIT_USAGE
        raise CardsmithError(exc.message, exit_code=code) from exc
    if ids is None:
        return _known_models(config, args.json, out, err)
    if args.json:
        json.dump({"provider": str(config.kind), "base_url": config.base_url, "models": ids}, out, indent=2)
        out.write("\n")
    else:
        for model_id in ids:
            print(model_id, file=out)
    wanted = "" if config.model in ids or _same_model(config.model, ids) else (
        f"; {config.model} is not among them")
    print(f"{len(ids)} models at {config.base_url}{wanted}", file=err)
    return EXIT_OK


def _same_model(model: str, ids: list[str]) -> bool:
    """Ollama serves ``llama3.2`` as ``llama3.2:latest``."""
    return f"{model}:latest" in ids


def _known_models(config: ProviderConfig, as_json: bool, out: TextIO, err: TextIO) -> int:
    from app.core.models import model_table

    table = model_table()
    current = table.current()
    if as_json:
        json.dump({"provider": str(config.kind), "models": [m.id for m in current]}, out, indent=2)
        out.write("\n")
    else:
        for info in current:
            print(f"{info.id}  ({info.role})", file=out)
    print(f"{len(current)} current models in resources/models.json (checked {table.checked.isoformat()});"
          " a model server's own list: --provider openai-compatible", file=err)
    return EXIT_OK
