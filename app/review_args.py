"""The ``review`` subcommand's arguments: defined apart from the command, so that every other
command starts without importing the reviewing code."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.engine.roles import ROLE_DEFAULTS, Role


def add_review_parser(sub: Any) -> None:
    """The ``review`` subcommand on the command line's parser."""
    rev = sub.add_parser("review", help="a stronger model checks each card that has no current review")
    rev.add_argument("plan", type=Path, metavar="PLAN")
    rev.add_argument("--only", action="append", default=[], metavar="NAME",
                     help="only this component (repeatable)")
    rev.add_argument("--force", action="store_true", help="review cards whose review is current too")
    rev.add_argument("--fix", action="store_true",
                     help="send revise/fail cards back to the execution model with the notes, then"
                          " review them again (locked and edited cards are only listed)")
    rev.add_argument("--model", metavar="ID", help="reviewer model id (default: the plan's"
                     f" review_model, else {ROLE_DEFAULTS[Role.REVIEW].model})")
    rev.add_argument("--concurrency", type=int, metavar="N", help="parallel requests, 1..16")
    rev.add_argument("--stall-timeout", type=float, default=60.0, metavar="SECONDS",
                     help="retry a stream that sends nothing for this long (default 60)")
    rev.add_argument("--max-attempts", type=int, default=4, metavar="N",
                     help="requests per card at most, retries included (default 4)")
    rev.add_argument("--json", action="store_true", help="the report as JSON on stdout")
    rev.add_argument("--debug", action="store_true", help="show tracebacks")
