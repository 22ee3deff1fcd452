"""One table of the ranges a setting may take, wherever it is set: plan front matter, the
Settings dialog, the run panel's spin box and the command line all check against it."""

from __future__ import annotations

from typing import Final

MAX_CODE_LINES_RANGE: Final = (1, 100)
COLUMN_RANGE: Final = (200, 2000)
CONCURRENCY_RANGE: Final = (1, 16)
MAX_TOKENS_RANGE: Final = (64, 64000)
STALL_TIMEOUT_RANGE: Final = (1.0, 3600.0)
MAX_ATTEMPTS_RANGE: Final = (1, 20)
REPAIRS_RANGE: Final = (0, 5)
DRAFT_COMPONENTS_RANGE: Final = (1, 100)

PLAN_INT_RANGES: Final[dict[str, tuple[int, int]]] = {
    "max_code_lines": MAX_CODE_LINES_RANGE,
    "column_px": COLUMN_RANGE,
    "concurrency": CONCURRENCY_RANGE,
    "max_tokens": MAX_TOKENS_RANGE,
}
"""The integer settings of a plan's front matter, (low, high) inclusive."""
