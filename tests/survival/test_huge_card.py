"""Huge output without a window: a 3 MB answer lints to the same kind of findings without the
megabyte-sized work that froze the window (tests/ui/test_survival_huge.py has the GUI side)."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from app.core.card_markdown import display_width
from app.core.contract import CardContract
from app.core.lint import SYNTAX_CHECK_MAX_LINES, lint_card


def huge_card(name: str, line: str, size: int = 3_000_000) -> str:
    code = line * (size // len(line))
    return f"# {name}\n\nA card that went on and on. It never stopped.\n\n```typescript\n{code}```\n"


def test_a_3_mb_card_is_a_code_lines_error_and_skips_the_syntax_check() -> None:
    checked: list[int] = []

    def checker(code: str, language: str) -> list[tuple[int, str]]:
        checked.append(len(code))
        return [(1, "unexpected token")]

    body = huge_card("Huge", "const v = (;\n")
    findings = lint_card(body, CardContract(name="Huge", language="typescript"), syntax_checker=checker)
    assert any(f.rule == "code-lines" and f.severity == "error" for f in findings)
    assert checked == [] and not any(f.rule == "syntax" for f in findings)
    # Just under the cap the checker still runs.
    small = huge_card("Huge", "const v = (;\n", size=13 * SYNTAX_CHECK_MAX_LINES)
    findings = lint_card(small, CardContract(name="Huge", language="typescript"), syntax_checker=checker)
    assert len(checked) == 1 and any(f.rule == "syntax" for f in findings)


def _slow_width(line: str) -> int:
    width = 0
    for char in line.expandtabs(4):
        if unicodedata.combining(char):
            continue
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width


@given(st.text())
def test_display_width_fast_path_agrees_with_the_unicode_count(line: str) -> None:
    assert display_width(line, 4) == _slow_width(line)
