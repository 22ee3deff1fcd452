"""Markdown a docs site reads as written: ``{``, ``}`` and ``<`` outside code escaped.

MDX (Docusaurus 3 parses every ``.md`` as MDX) reads a bare ``{`` as the start of a JavaScript
expression and a bare ``<`` as a JSX tag, anywhere outside fenced code and code spans; a line that
starts with ``import``/``export`` is read as an ES module statement. Escaped as below, the same
characters render as written in MDX, in CommonMark sites and in Python-Markdown (MkDocs, the
preview), which would otherwise take ``Map<string, User>`` for an HTML tag. See docs/site-exports.md.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass

from app.core.fences import fenced_lines

UNSAFE_CHARS = "{}<"

# What MDX and Python-Markdown both read as an escape: a backslash before one of these.
_SHARED_ESCAPES = frozenset("\\`*_{}[]()>#+-.!")
_REPLACEMENTS = {"{": "\\{", "}": "\\}", "<": "&lt;"}

# Lines that start a new block: a code span never continues across them. Splitting too often only
# escapes a character inside a rare multi-line code span; splitting too rarely would let one through.
_BLOCK_START = re.compile(r"^ {0,3}(?:#{1,6}(?:[ \t]|$)|>|[-+*](?:[ \t]|$)|\d{1,9}[.)](?:[ \t]|$))")
_ESM_LINE = re.compile(r"^( {0,3})(import|export)(?=[ \t])")


@dataclass(frozen=True)
class UnsafeChar:
    line: int
    """1-based line of the Markdown."""
    column: int
    """0-based position in that line."""
    char: str


def mdx_safe(markdown: str) -> str:
    """``markdown`` with every ``{``, ``}`` and ``<`` outside code escaped; code is unchanged."""
    lines = markdown.split("\n")
    out = list(lines)
    for start, end in _prose_runs(lines, _fenced(lines)):
        pieces = []
        for kind, text in _tokens("\n".join(lines[start:end])):
            pieces.append(_escape(text) if kind == "unsafe" else text)
        out[start:end] = "".join(pieces).split("\n")
    for index, _fence in fenced_lines(out):
        if _fence is None:
            out[index] = _ESM_LINE.sub(_reference_first_letter, out[index])
    return "\n".join(out)


def unsafe_chars(lines: list[str], code_lines: set[int]) -> list[UnsafeChar]:
    """Every ``{``, ``}`` and ``<`` that MDX would read as code, outside ``code_lines`` (1-based)."""
    found: list[UnsafeChar] = []
    for start, end in _prose_runs(lines, {n - 1 for n in code_lines}):
        offset = 0
        line = start
        for kind, text in _tokens("\n".join(lines[start:end])):
            if kind == "unsafe" and text in UNSAFE_CHARS:
                found.append(UnsafeChar(line + 1, offset, text))
            breaks = text.count("\n")
            if breaks:
                line += breaks
                offset = len(text) - text.rfind("\n") - 1
            else:
                offset += len(text)
    return found


def _reference_first_letter(match: re.Match[str]) -> str:
    indent, word = match.group(1), match.group(2)
    return f"{indent}&#{ord(word[0])};{word[1:]}"


def _escape(text: str) -> str:
    if text == "\\<":
        # Python-Markdown shows this backslash, MDX would take it as an escape: keep it visible.
        return "\\\\&lt;"
    return _REPLACEMENTS[text]


def _fenced(lines: list[str]) -> set[int]:
    return {index for index, fence in fenced_lines(lines) if fence is not None}


def _prose_runs(lines: list[str], code: set[int]) -> Iterator[tuple[int, int]]:
    """(start, end) indexes of runs of lines within which a code span may continue."""
    start: int | None = None
    for index, line in enumerate(lines):
        breaks_run = index in code or not line.strip() or _BLOCK_START.match(line) is not None
        if start is not None and breaks_run:
            yield start, index
            start = None
        if start is None and index not in code and line.strip():
            start = index
    if start is not None:
        yield start, len(lines)


def _tokens(text: str) -> Iterator[tuple[str, str]]:
    """``(kind, text)`` pieces covering ``text``: "code" spans, "unsafe" characters (or a
    backslash with its ``<``) and "text"; code spans follow CommonMark, as MDX reads them."""
    runs = _backtick_runs(text)
    plain_from = 0
    index = 0
    length = len(text)
    while index < length:
        char = text[index]
        if char == "\\" and index + 1 < length:
            following = text[index + 1]
            if following == "<":
                yield "text", text[plain_from:index]
                yield "unsafe", "\\<"
                index += 2
                plain_from = index
            else:
                index += 2 if following in _SHARED_ESCAPES else 1
            continue
        if char == "`":
            size = _run_length(text, index)
            close = _closing_run(runs, size, index + size)
            if close is None:
                index += size
                continue
            yield "text", text[plain_from:index]
            yield "code", text[index : close + size]
            index = plain_from = close + size
            continue
        if char in UNSAFE_CHARS:
            yield "text", text[plain_from:index]
            yield "unsafe", char
            plain_from = index + 1
        index += 1
    yield "text", text[plain_from:]


def _run_length(text: str, index: int) -> int:
    end = index
    while end < len(text) and text[end] == "`":
        end += 1
    return end - index


def _backtick_runs(text: str) -> dict[int, list[int]]:
    """Run length -> sorted start positions of every maximal run of backticks."""
    runs: dict[int, list[int]] = {}
    for match in re.finditer(r"`+", text):
        runs.setdefault(len(match.group()), []).append(match.start())
    return runs


def _closing_run(runs: dict[int, list[int]], size: int, after: int) -> int | None:
    """Start of the first run of exactly ``size`` backticks at or after ``after``."""
    starts = runs.get(size, [])
    position = bisect.bisect_left(starts, after)
    return starts[position] if position < len(starts) else None
