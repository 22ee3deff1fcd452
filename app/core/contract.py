"""The card contract's numbers, shared by the prompt, lint and the preview stylesheet.

One source of truth: the prompt tells the model exactly the limits that lint enforces, and the
width budget is derived from the same geometry that ``resources/preview.css`` fixes (a test
checks the stylesheet against these constants).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# Geometry of the preview column, mirrored in resources/preview.css.
CODE_FONT_PX = 13
"""Monospace font size of code blocks in the preview."""
CHAR_WIDTH_EM = 0.6
"""Advance width of one monospace character, in em (DejaVu Sans Mono is 0.602; the contract says 0.6)."""
BODY_PADDING_PX = 12
"""Left and right padding of the page body, each."""
PRE_PADDING_PX = 10
"""Left and right padding inside a code block, each."""
PRE_BORDER_PX = 1
"""Left and right border of a code block, each."""
SCROLLBAR_PX = 12
"""The preview always reserves a vertical scrollbar of this width (overflow-y: scroll)."""

HORIZONTAL_PADDING_PX = 2 * (BODY_PADDING_PX + PRE_PADDING_PX + PRE_BORDER_PX)

DEFAULT_COLUMN_PX = 400
DEFAULT_MAX_CODE_LINES = 15
MIN_SENTENCES = 2
MAX_SENTENCES = 3
WHY_HEADING = "Why this works"

# Canonical language name -> accepted fence tags (lower case). The canonical name is also a tag.
LANGUAGE_ALIASES: dict[str, tuple[str, ...]] = {
    "typescript": ("ts", "typescript"),
    "tsx": ("tsx",),
    "javascript": ("js", "javascript", "node", "mjs", "cjs"),
    "jsx": ("jsx",),
    "python": ("py", "python", "python3"),
    "go": ("go", "golang"),
    "rust": ("rs", "rust"),
    "java": ("java",),
    "csharp": ("cs", "csharp", "c#"),
    "c": ("c", "h"),
    "cpp": ("cpp", "c++", "cc", "cxx", "hpp"),
    "bash": ("sh", "bash", "shell", "zsh", "console"),
    "sql": ("sql", "postgresql", "postgres", "mysql", "sqlite"),
    "json": ("json", "jsonc"),
    "yaml": ("yaml", "yml"),
    "ruby": ("rb", "ruby"),
    "kotlin": ("kt", "kotlin"),
    "swift": ("swift",),
    "php": ("php",),
    "html": ("html",),
    "css": ("css",),
    "toml": ("toml",),
}

_TAG_TO_LANGUAGE = {tag: lang for lang, tags in LANGUAGE_ALIASES.items() for tag in tags}


def canonical_language(tag: str) -> str:
    """Map a fence tag or a plan's ``language`` to its canonical name (unknown names pass through)."""
    key = tag.strip().lower()
    return _TAG_TO_LANGUAGE.get(key, key)


def language_matches(fence_tag: str, plan_language: str) -> bool:
    return bool(fence_tag.strip()) and canonical_language(fence_tag) == canonical_language(plan_language)


def width_budget(column_px: int = DEFAULT_COLUMN_PX, font_px: int = CODE_FONT_PX) -> int:
    """Characters a code line may have without overflowing the preview column.

    floor((column_px - horizontal padding - scrollbar) / (font_px * 0.6)) (docs/formats.md#the-card-contract).
    """
    usable = column_px - HORIZONTAL_PADDING_PX - SCROLLBAR_PX
    return max(1, math.floor(usable / (font_px * CHAR_WIDTH_EM)))


@dataclass(frozen=True)
class CardContract:
    """The limits one component's card must keep; built from the plan's settings."""

    name: str
    language: str
    max_code_lines: int = DEFAULT_MAX_CODE_LINES
    column_px: int = DEFAULT_COLUMN_PX
    min_sentences: int = MIN_SENTENCES
    max_sentences: int = MAX_SENTENCES
    target: str | None = None
    """The site the card is published on; an MDX site (``app.core.targets``) tightens lint and the prompt."""

    @property
    def width_budget(self) -> int:
        return width_budget(self.column_px)
