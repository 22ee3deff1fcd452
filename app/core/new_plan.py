"""A new plan at a path that does not exist yet (``cardsmith new-guide.md``): may it be made there,
and the short template it starts from.

The template is the front matter at its defaults, each setting explained in a YAML comment (front
matter is never sent to the model), one line of shared context and one example component; it parses
without an error or a warning, so ``cardsmith lint`` passes it once saved (tests check both).
"""

from __future__ import annotations

from pathlib import Path

from app.core.plan import plan_title_from_path
from app.core.plan_model import PlanSettings
from app.core.ranges import PLAN_INT_RANGES

PLAN_SUFFIX = ".md"

_SETTINGS = {
    "language": "the code language of the cards",
    "model": "the model each card is asked of",
    "effort": "how much it thinks: low, medium, high, xhigh, max",
    "thinking": "adaptive, or off",
    "max_code_lines": "code lines per card",
    "column_px": "the width code must fit",
    "concurrency": "requests at once",
    "max_tokens": "the card's own token budget",
}
"""The front matter keys the template sets, at their defaults (``PlanSettings``), and what each does."""


def new_plan_refusal(path: Path) -> str | None:
    """Why no new plan can be started at ``path`` (one line), or None when it can: Save will write it.

    Refused: a folder, anything else that exists but is not a file, a folder that does not exist,
    and a name without ``.md`` (``cardsmith lnit guide.md`` is a mistyped command, not a new plan).
    """
    path = Path(path)
    if path.is_dir():
        return f"'{path}' is a folder, not a plan file"
    if path.exists() or path.is_symlink():
        return f"'{path}' is not a plan file"
    if path.suffix.lower() != PLAN_SUFFIX:
        return f"no plan file at '{path}' (a new plan's name ends in {PLAN_SUFFIX})"
    folder = path.parent
    if not folder.is_dir():
        return f"no folder '{folder}' for the new plan '{path.name}'"
    return None


def new_plan_text(path: Path | None = None) -> str:
    """The text a new plan starts from; ``path`` gives the title it will have by default."""
    defaults = PlanSettings()
    title = plan_title_from_path(Path(path)) if path is not None else defaults.title
    title = " ".join(title.split())  # a file name's line break would end the comment
    lines = ["---", "# Every card's settings, at their defaults.",
             f"# title: {title}".ljust(24) + " # default: the file's name"]
    for key, what in _SETTINGS.items():
        bounds = PLAN_INT_RANGES.get(key)
        note = f"{what}, {bounds[0]}..{bounds[1]}" if bounds else what
        lines.append(f"{key}: {getattr(defaults, key)}".ljust(25) + f"# {note}")
    lines += [
        "# Then: the shared context, and a '## Name' heading per card.",
        "---",
        "What every card shares: the product, its stack, its conventions.",
        "",
        "## Example Component",
        "Say in a sentence or two what this card should show.",
        "",
    ]
    return "\n".join(lines)
