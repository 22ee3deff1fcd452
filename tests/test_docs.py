"""docs/formats.md states what the code does: its tables are read here and checked against it."""

from __future__ import annotations

import re
from pathlib import Path

from app.core.lint_rules import RULE_SEVERITIES
from app.core.plan_model import PlanSettings
from app.core.ranges import PLAN_INT_RANGES

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _table_rows(text: str, header: str) -> list[list[str]]:
    """The rows of the Markdown table whose header line starts with ``header``."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows


def _code(cell: str) -> str:
    match = re.fullmatch(r"`([^`]+)`", cell)
    assert match, f"expected a `code` cell, got {cell!r}"
    return match.group(1)


def test_the_lint_rule_table_matches_the_rules() -> None:
    rows = _table_rows((DOCS / "formats.md").read_text(encoding="utf-8"), "| id | severity |")
    documented = {_code(row[0]): row[1] for row in rows}
    assert documented == dict(RULE_SEVERITIES)


def test_the_front_matter_table_matches_the_defaults_and_ranges() -> None:
    rows = _table_rows((DOCS / "formats.md").read_text(encoding="utf-8"), "| key | type | default |")
    documented = {_code(row[0]): row for row in rows}
    defaults = PlanSettings()
    for key, (low, high) in PLAN_INT_RANGES.items():
        assert documented[key][2] == str(getattr(defaults, key)), key
        assert documented[key][3] == f"{low}..{high}", key
    for key in ("language", "model", "effort", "thinking"):
        assert _code(documented[key][2]) == getattr(defaults, key), key


def test_the_headroom_table_matches_the_code() -> None:
    from app.core.thinking import HEADROOM_BY_EFFORT

    rows = _table_rows((DOCS / "formats.md").read_text(encoding="utf-8"), "| effort | low |")
    header = ["low", "medium", "high", "xhigh", "max"]
    assert [int(cell.replace(",", "")) for cell in rows[0][1:]] == [HEADROOM_BY_EFFORT[e] for e in header]
