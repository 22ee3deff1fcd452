"""The ``draft`` subcommand's arguments: defined apart from the command, so that every other command
starts without importing the drafting code."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.engine.roles import ROLE_DEFAULTS, Role


def add_draft_parser(sub: Any) -> None:
    """The ``draft`` subcommand on the command line's parser."""
    p = sub.add_parser("draft", help="draft a plan from a brief with a strong model")
    p.add_argument("brief", metavar="BRIEF", help="a text or Markdown file saying what the guide is"
                   " about, for whom, and what is decided; - reads standard input")
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument("--out", type=Path, metavar="PLAN", help="the new plan to write")
    target.add_argument("--into", type=Path, metavar="PLAN",
                        help="add proposed new components at the end of this plan (nothing else changes)")
    p.add_argument("--model", metavar="ID", help="drafting model (default: the plan's draft_model,"
                   f" else {ROLE_DEFAULTS[Role.DRAFT].model})")
    p.add_argument("--language", metavar="LANG", help="the code language (default: what the brief implies)")
    p.add_argument("--components", type=int, metavar="N", help="how many components to ask for")
    p.add_argument("--force", action="store_true", help="replace an existing --out plan")
    p.add_argument("--dry-run", action="store_true", help="show the estimated tokens and cost; send nothing")
    p.add_argument("--debug", action="store_true", help="show tracebacks")
