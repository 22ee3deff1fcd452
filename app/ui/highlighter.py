"""Markdown highlighting for the plan editor, following the plan parser's rules for fences and headings."""

from __future__ import annotations

import re
from dataclasses import dataclass

from PySide6.QtGui import (
    QColor,
    QFont,
    QGuiApplication,
    QPalette,
    QSyntaxHighlighter,
    QTextCharFormat,
    QTextDocument,
)

# The parser's own fence rules, so that a "## " line inside a fence never looks like a component
# here while the parser ignores it (or the other way round).
from app.core.fences import closes_fence, fence_opening
from app.core.plan import heading_name

# Block states. -1 is Qt's "never highlighted"; fences encode their char and length so that a
# closing fence must match the opening one, exactly as in the parser.
STATE_BODY = 0
STATE_FRONT_MATTER = 1
_FENCE_BASE = 16

_ATX_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]|$)")
_FRONT_MATTER_KEY = re.compile(r"^([ \t]*)([^\s:#][^:#]*?)[ \t]*:(?:[ \t]|$)")
_FRONT_MATTER_COMMENT = re.compile(r"(?:^|[ \t])(#.*)$")
_INLINE_CODE = re.compile(r"(`+)(?!`)(.+?)(?<!`)\1(?!`)")
_STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_EMPHASIS = re.compile(r"(?<![*\w])([*_])(?=[^\s*_])(.+?)(?<=[^\s*_])\1(?![*\w])")
# Inline patterns backtrack; a pathological megabyte line must not freeze typing.
_MAX_INLINE_CHARS = 5000
_LINK = re.compile(r"!?\[[^\]\n]*\]\([^)\s]*(?:\s+\"[^\"]*\")?\)|<(?:https?|mailto):[^>\s]+>")


def fence_state(char: str, length: int) -> int:
    """The block state of a line inside a fence opened with ``length`` ``char``s."""
    return _FENCE_BASE + length * 2 + (1 if char == "~" else 0)


def _fence_of(state: int) -> tuple[str, int] | None:
    if state < _FENCE_BASE:
        return None
    offset = state - _FENCE_BASE
    return ("~" if offset % 2 else "`"), offset // 2


@dataclass(frozen=True)
class _Palette:
    component: QColor
    heading: QColor
    code: QColor
    code_background: QColor
    key: QColor
    muted: QColor
    link: QColor


def _is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Base).lightness() < 128


def _colours(palette: QPalette) -> _Palette:
    """Colours derived from the widget palette, so light and dark themes both read well."""
    dark = _is_dark(palette)
    base = palette.color(QPalette.ColorRole.Base)
    text = palette.color(QPalette.ColorRole.Text)
    # A faint tint of the text colour over the base: visible in both themes, never loud.
    tint = QColor(
        round(base.red() * 0.92 + text.red() * 0.08),
        round(base.green() * 0.92 + text.green() * 0.08),
        round(base.blue() * 0.92 + text.blue() * 0.08),
    )
    return _Palette(
        component=QColor("#58a6ff" if dark else "#0b57d0"),
        heading=QColor("#d2a8ff" if dark else "#7b3fa0"),
        code=QColor("#e3b07a" if dark else "#9a4d00"),
        code_background=tint,
        key=QColor("#7ee787" if dark else "#1a7f37"),
        muted=palette.color(QPalette.ColorRole.PlaceholderText),
        link=palette.color(QPalette.ColorRole.Link),
    )


class MarkdownHighlighter(QSyntaxHighlighter):
    """Front matter, headings (``## `` components stand out), fences, inline code, emphasis, links.

    Work is per line only: the multi-line constructs (front matter, fences) travel in the block
    state, so editing one line of a 10,000-line plan re-highlights just the lines whose state changes.
    """

    def __init__(self, document: QTextDocument, palette: QPalette | None = None) -> None:
        super().__init__(document)
        self._formats: dict[str, QTextCharFormat] = {}
        self._build_formats(palette or QGuiApplication.palette())

    def set_palette(self, palette: QPalette) -> None:
        """Re-colour for a new theme."""
        self._build_formats(palette)
        self.rehighlight()

    def format_for(self, name: str) -> QTextCharFormat:
        """The format used for one kind of span (``component``, ``heading``, ``code``, ...)."""
        return QTextCharFormat(self._formats[name])

    def _build_formats(self, palette: QPalette) -> None:
        c = _colours(palette)
        component = QTextCharFormat()
        component.setForeground(c.component)
        component.setFontWeight(QFont.Weight.Bold)
        heading = QTextCharFormat()
        heading.setForeground(c.heading)
        heading.setFontWeight(QFont.Weight.Bold)
        code = QTextCharFormat()
        code.setForeground(c.code)
        code.setBackground(c.code_background)
        fence = QTextCharFormat(code)
        fence.setForeground(c.muted)
        key = QTextCharFormat()
        key.setForeground(c.key)
        muted = QTextCharFormat()
        muted.setForeground(c.muted)
        strong = QTextCharFormat()
        strong.setFontWeight(QFont.Weight.Bold)
        emphasis = QTextCharFormat()
        emphasis.setFontItalic(True)
        link = QTextCharFormat()
        link.setForeground(c.link)
        link.setFontUnderline(True)
        self._formats = {
            "component": component,
            "heading": heading,
            "code": code,
            "fence": fence,
            "key": key,
            "muted": muted,
            "strong": strong,
            "emphasis": emphasis,
            "link": link,
        }

    # --- per line ---------------------------------------------------------------------------

    def highlightBlock(self, text: str) -> None:  # noqa: N802 - Qt's name
        previous = self.previousBlockState()
        if not self.currentBlock().previous().isValid():
            previous = -1
            if text.removeprefix("\ufeff").rstrip(" \t") == "---":
                self.setFormat(0, len(text), self._formats["muted"])
                self.setCurrentBlockState(STATE_FRONT_MATTER)
                return
        if previous == STATE_FRONT_MATTER:
            self._front_matter_line(text)
            return
        fence = _fence_of(previous)
        if fence is not None:
            self._fenced_line(text, fence)
            return
        self.setCurrentBlockState(STATE_BODY)
        self._body_line(text)

    def _front_matter_line(self, text: str) -> None:
        if text.rstrip(" \t") in ("---", "..."):
            self.setFormat(0, len(text), self._formats["muted"])
            self.setCurrentBlockState(STATE_BODY)
            return
        self.setCurrentBlockState(STATE_FRONT_MATTER)
        match = _FRONT_MATTER_KEY.match(text)
        if match is not None:
            self.setFormat(match.start(2), match.end(2) - match.start(2), self._formats["key"])
        comment = _FRONT_MATTER_COMMENT.search(text)
        if comment is not None:
            self.setFormat(comment.start(1), len(text) - comment.start(1), self._formats["muted"])

    def _fenced_line(self, text: str, fence: tuple[str, int]) -> None:
        if closes_fence(text, *fence):
            self.setFormat(0, len(text), self._formats["fence"])
            self.setCurrentBlockState(STATE_BODY)
            return
        self.setFormat(0, len(text), self._formats["code"])
        self.setCurrentBlockState(fence_state(*fence))

    def _body_line(self, text: str) -> None:
        first = text[:1]
        if first in ("`", "~", " "):
            fence = fence_opening(text)
            if fence is not None:
                self.setFormat(0, len(text), self._formats["fence"])
                self.setCurrentBlockState(fence_state(fence.char, fence.length))
                return
        if first in ("#", " "):
            heading = _ATX_HEADING.match(text)
            if heading is not None:
                kind = "component" if heading_name(text) is not None else "heading"
                self.setFormat(0, len(text), self._formats[kind])
                return
        if text:
            self._inline(text)

    def _inline(self, text: str) -> None:
        if len(text) > _MAX_INLINE_CHARS:
            return
        # Cheap pre-checks: most prose lines hold none of these characters.
        code_spans: list[tuple[int, int]] = []
        if "`" in text:
            for match in _INLINE_CODE.finditer(text):
                code_spans.append(match.span())
                self.setFormat(match.start(), match.end() - match.start(), self._formats["code"])

        def outside_code(start: int) -> bool:
            return all(not a <= start < b for a, b in code_spans)

        spans: list[tuple[int, int, QTextCharFormat]] = []
        if "*" in text or "_" in text:
            for pattern, name in ((_STRONG, "strong"), (_EMPHASIS, "emphasis")):
                spans.extend(
                    (m.start(), m.end(), self._formats[name])
                    for m in pattern.finditer(text)
                    if outside_code(m.start())
                )
        if "[" in text or "<" in text:
            spans.extend(
                (m.start(), m.end(), self._formats["link"])
                for m in _LINK.finditer(text)
                if outside_code(m.start())
            )
        if spans:
            self._apply_overlapping(spans)

    def _apply_overlapping(self, spans: list[tuple[int, int, QTextCharFormat]]) -> None:
        """Set spans that may overlap (a bold link), merging formats segment by segment."""
        cuts = sorted({edge for start, end, _fmt in spans for edge in (start, end)})
        for start, end in zip(cuts, cuts[1:]):
            covering = [fmt for a, b, fmt in spans if a <= start and end <= b]
            if not covering:
                continue
            merged = QTextCharFormat(covering[0])
            for fmt in covering[1:]:
                merged.merge(fmt)
            self.setFormat(start, end - start, merged)
