"""The Markdown structure of a card body: its fences, headings and prose lines, as CommonMark sees them."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from app.core.card import normalize_line_endings
from app.core.fences import FenceOpening, fence_opening

TAB_WIDTH = 4
"""Tab stops in the preview's code blocks (``tab-size: 4``)."""

_ATX = re.compile(r"^ {0,3}(?P<hashes>#{1,6})(?:[ \t]+(?P<text>.*))?$")
_ATX_CLOSING = re.compile(r"(?:^|[ \t]+)#+[ \t]*$")

_WRAPPED_ANSWER = re.compile(
    r"\A\s*(?P<fence>`{3,}|~{3,})[ \t]*(?:markdown|md)[ \t]*\r?\n"
    r"(?P<inner>.*?)\r?\n[ \t]*(?P=fence)[ \t]*\s*\Z",
    re.DOTALL | re.IGNORECASE,
)


@dataclass
class Fence:
    open_line: int
    tag: str
    close_line: int | None = None
    code: list[tuple[int, str]] = field(default_factory=list)
    """(body line, text) of every line between the fences."""

    @property
    def lines(self) -> range:
        end = self.close_line if self.close_line is not None else self.open_line + len(self.code)
        return range(self.open_line, end + 1)

    def counted_code(self) -> list[tuple[int, str]]:
        """Code lines without the blank lines at the end, which the preview does not show."""
        code = list(self.code)
        while code and not code[-1][1].strip():
            code.pop()
        return code


@dataclass(frozen=True)
class Heading:
    line: int
    level: int
    text: str


@dataclass
class Document:
    lines: list[str]
    fences: list[Fence]
    headings: dict[int, Heading]
    prose: dict[int, str]
    """Non-blank lines outside fences that are not headings."""

    def heading_after(self, line: int) -> Heading | None:
        return next((h for n, h in sorted(self.headings.items()) if n > line), None)


def unwrap_markdown_fence(text: str) -> str:
    """An answer wrapped as a whole in a ```markdown (or ```md) fence loses that fence."""
    match = _WRAPPED_ANSWER.match(text)
    if match is None:
        return text
    return match.group("inner") + "\n"


def display_width(line: str, tab_width: int = TAB_WIDTH) -> int:
    """Columns a code line takes in a monospace font: wide East Asian characters take two."""
    if line.isascii():
        # Same answer (no ASCII character is wide or combining), without a Unicode lookup per
        # character: a megabyte-long answer is linted on the event loop's thread.
        return len(line.expandtabs(tab_width))
    width = 0
    for char in line.expandtabs(tab_width):
        if unicodedata.combining(char):
            continue
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width


def parse_heading(line: str) -> tuple[int, str] | None:
    """An ATX heading's (level, text), closing #s stripped; None when the line is no heading."""
    match = _ATX.match(line)
    if match is None:
        return None
    text = _ATX_CLOSING.sub("", match.group("text") or "")
    return len(match.group("hashes")), text.strip()


def scan_markdown(body: str) -> Document:
    """Split a card body into fences, headings and prose, keyed by 1-based body line."""
    lines = normalize_line_endings(body.removeprefix("\ufeff")).split("\n")
    fences: list[Fence] = []
    headings: dict[int, Heading] = {}
    prose: dict[int, str] = {}
    index = 0
    while index < len(lines):
        line = lines[index]
        opening = fence_opening(line)
        if opening is not None:
            index = _scan_fence(lines, index, opening, fences)
            continue
        heading = parse_heading(line)
        if heading is not None:
            headings[index + 1] = Heading(index + 1, heading[0], heading[1])
        elif line.strip():
            prose[index + 1] = line
        index += 1
    return Document(lines, fences, headings, prose)


def _scan_fence(lines: list[str], index: int, opening: FenceOpening, fences: list[Fence]) -> int:
    """Record the fence opening at ``index``; returns the index just after its closing line."""
    fence = Fence(open_line=index + 1, tag=opening.tag)
    fences.append(fence)
    index += 1
    while index < len(lines):
        if opening.closed_by(lines[index]):
            fence.close_line = index + 1
            return index + 1
        # Content lines lose up to the opening fence's indentation, as in CommonMark.
        text = lines[index]
        strip = len(text) - len(text.lstrip(" "))
        fence.code.append((index + 1, text[min(strip, opening.indent) :]))
        index += 1
    return index
