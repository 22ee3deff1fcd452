"""CommonMark fenced code blocks, one scanner for the whole app.

The plan parser (a ``## `` line inside a fence is not a component), card parsing and lint,
export (headings inside code are not demoted), the editor's highlighter and the live preview
(a fence still streaming is shown as code) must agree on where code starts and ends, so they all
ask this module.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

MAX_INDENT = 3
"""CommonMark: a fence may be indented by up to three spaces; four make an indented code block."""


@dataclass(frozen=True)
class FenceOpening:
    char: str
    """The fence character: a backtick or a tilde."""
    length: int
    """How many of them (three or more); the closing fence needs at least as many."""
    indent: int
    """Spaces before the fence; content lines lose up to this many."""
    info: str
    """The info string after the fence, stripped (``typescript title="x"``)."""

    @property
    def tag(self) -> str:
        """The info string's first word: the code's language as written."""
        return self.info.split()[0] if self.info else ""

    def closed_by(self, line: str) -> bool:
        return closes_fence(line, self.char, self.length)


def _unindent(line: str) -> tuple[str, int] | None:
    rest = line.lstrip(" ")
    indent = len(line) - len(rest)
    return (rest, indent) if indent <= MAX_INDENT else None


def fence_opening(line: str) -> FenceOpening | None:
    """The fence a line opens, or None when it opens none."""
    unindented = _unindent(line)
    if unindented is None:
        return None
    rest, indent = unindented
    if rest[:3] not in ("```", "~~~"):
        return None
    char = rest[0]
    length = len(rest) - len(rest.lstrip(char))
    info = rest[length:]
    if char == "`" and "`" in info:
        return None  # CommonMark: a backtick fence's info string may not hold backticks
    return FenceOpening(char, length, indent, info.strip())


def closes_fence(line: str, char: str, length: int) -> bool:
    """Whether ``line`` closes a fence opened with ``length`` ``char``s."""
    unindented = _unindent(line)
    if unindented is None:
        return False
    rest, _indent = unindented
    if not rest.startswith(char * 3):
        return False
    run = len(rest) - len(rest.lstrip(char))
    return run >= length and not rest[run:].strip(" \t")


def fenced_lines(lines: list[str]) -> Iterator[tuple[int, FenceOpening | None]]:
    """Each line's index with the fence it lies in (its opening and closing lines included), or
    None for a line outside code."""
    open_fence: FenceOpening | None = None
    for index, line in enumerate(lines):
        if open_fence is None:
            open_fence = fence_opening(line)
            yield index, open_fence
        else:
            yield index, open_fence
            if open_fence.closed_by(line):
                open_fence = None


def unclosed_fence(text: str) -> FenceOpening | None:
    """The fence still open at the end of ``text`` (a card that is still streaming), if any."""
    open_fence: FenceOpening | None = None
    for line in text.split("\n"):
        if open_fence is None:
            open_fence = fence_opening(line)
        elif open_fence.closed_by(line):
            open_fence = None
    return open_fence


def close_open_fence(text: str) -> str:
    """``text`` with a closing fence added when a fence is still open, for display only: a card
    that is still streaming shows its code as code, not as a paragraph of backticks."""
    open_fence = unclosed_fence(text)
    if open_fence is None:
        return text
    separator = "" if text.endswith("\n") else "\n"
    return f"{text}{separator}{' ' * open_fence.indent}{open_fence.char * open_fence.length}\n"
