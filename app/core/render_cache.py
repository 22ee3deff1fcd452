"""The preview's render cache: each card's HTML as last rendered, kept per plan between sessions.

Rendering a card needs Python-Markdown and Pygments (~45 ms to load and compile the first time,
then ~0.8 ms a card): a window reopening a plan shows its cards from here instead, and loads the
renderer after its first frame (docs/architecture.md#start-up). Entries are keyed by the SHA-256
of the card's text, so an edited card simply misses. What is read is sanitized again before it is
shown (``sanitize_html``): the file is as trusted as the folder it lives in, the preview no more.

Stale entries cannot be told from the file alone (knowing the renderer's version means loading
it), so the window checks ``renderer_stamp()`` once the renderer has loaded after the first frame
and renders again whatever came from a cache of another stamp (and reloads the shell if its
colours, kept apart in ``highlight.css``, changed). Losing a file only costs time: anything
unreadable or damaged is no cache. Format: docs/formats.md#settings-and-per-user-files.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from app.core.fsutil import atomic_write
from app.paths import cache_dir

log = logging.getLogger(__name__)

FORMAT = 1
RENDER_FORMAT = 1
"""Bump when ``render_card``'s output changes for the same text and library versions."""

MAX_FILE_BYTES = 64_000_000
"""A plan's cards above this much HTML are not cached (reading it back would cost what it saves)."""

MAX_PLANS = 200
"""Cache files kept; the least recently written go first."""


@dataclass
class RenderCache:
    """A plan's rendered cards: ``fragments`` maps ``card_digest(text)`` to that text's sanitized
    HTML, as rendered by renderer ``stamp``."""

    stamp: str
    fragments: dict[str, str] = field(default_factory=dict)


def card_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def renderer_stamp() -> str:
    """What the cached HTML depends on besides the card's text. Loads the renderer."""
    import markdown
    import nh3
    import pygments

    import app
    from app.core import render

    return (
        f"{RENDER_FORMAT} cardsmith {app.__version__} markdown {markdown.__version__} "
        f"pygments {pygments.__version__} nh3 {nh3.__version__} "
        f"styles {render.LIGHT_PYGMENTS_STYLE} {render.DARK_PYGMENTS_STYLE}"
    )


def cache_file(plan: Path) -> Path:
    key = hashlib.sha256(str(plan.resolve()).encode("utf-8")).hexdigest()
    return cache_dir() / "previews" / f"{key}.json"


def highlight_file() -> Path:
    """The preview shell's Pygments colours (``render.highlight_css()``), the same for every plan."""
    return cache_dir() / "previews" / "highlight.css"


def load_highlight() -> str | None:
    try:
        return highlight_file().read_text(encoding="utf-8")
    except (OSError, ValueError):
        return None


def save_highlight(css: str) -> None:
    """Keep the shell's colours for the next start (written only when they changed)."""
    if load_highlight() == css:
        return
    try:
        highlight_file().parent.mkdir(parents=True, exist_ok=True)
        atomic_write(highlight_file(), css)
    except OSError as exc:
        log.debug("preview colours not kept: %s", exc)


def load_render_cache(plan: Path) -> RenderCache | None:
    """The plan's cache, or None when there is none or it cannot be read as one."""
    path = cache_file(plan)
    try:
        data = json.loads(path.read_bytes())
        if data.get("format") != FORMAT:
            return None
        stamp, fragments = data["stamp"], data["fragments"]
        if not (isinstance(stamp, str) and isinstance(fragments, dict)):
            return None
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in fragments.items()):
            return None
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        log.debug("render cache %s ignored: %s", path.name, exc)
        return None
    return RenderCache(stamp, fragments)


def save_render_cache(plan: Path, cache: RenderCache) -> bool:
    """Write the plan's cache (atomically); False when it was not written (too large, or the
    folder cannot be written: the next start renders instead)."""
    text = json.dumps(
        {"format": FORMAT, "stamp": cache.stamp, "fragments": cache.fragments},
        ensure_ascii=False, sort_keys=True,
    )
    if len(text) > MAX_FILE_BYTES:
        return False
    path = cache_file(plan)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, text)
        _prune(path.parent)
    except OSError as exc:
        log.debug("render cache not written: %s", exc)
        return False
    return True


def _prune(folder: Path) -> None:
    files = [p for p in folder.glob("*.json") if p.is_file()]
    if len(files) <= MAX_PLANS:
        return
    files.sort(key=lambda p: p.stat().st_mtime)
    for old in files[: len(files) - MAX_PLANS]:
        try:
            os.remove(old)
        except OSError:
            pass
