"""A plan's first open: its cards are rendered by a helper process, on another core, while the
window's process loads Qt (docs/architecture.md#start-up). Qt-free.

A plan without a render cache would load Markdown and Pygments (~45 ms) and render every card
before the window's first frame. Instead the launcher starts ``cardsmith --render-ahead PLAN``
first thing; the helper renders the plan's cards as the preview shows them on opening and
writes the plan's render cache, which the window reads when it makes its preview. A helper that
fails or is late costs nothing but its head start: the window renders what it does not find.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from app.commands import RENDER_AHEAD
from app.core.render_cache import RenderCache, load_render_cache

if TYPE_CHECKING:
    from subprocess import Popen

WAIT_S = 0.05
"""How long the window's start-up thread waits for the helper once it has imported the window's
code (the helper is usually done by then: it needs ~0.15 s, the window ~0.2 s to get there).
Longer would cost more than rendering in the window (~50 ms); the helper's cache then serves
the next open."""


def start(plan: Path) -> Popen[bytes] | None:
    """The helper rendering ``plan``'s cards, or None where one would not help (a single core)."""
    if (os.cpu_count() or 1) < 2:
        return None
    import subprocess  # here: a plan opened before needs no helper

    frozen = getattr(sys, "frozen", False)  # the packaged app: its executable is `cardsmith`
    command = [sys.executable, *([] if frozen else ["-m", "app"]), RENDER_AHEAD, str(plan)]
    try:
        # Its stdout is a pipe it never writes to: the pipe's end says at once that it has exited.
        return subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL)
    except OSError:
        return None


def collect(helper: Popen[bytes], plan: Path, timeout_s: float = WAIT_S) -> RenderCache | None:
    """The cache the helper wrote, once it has finished (None: it failed, or is still at work)."""
    import subprocess

    if os.name == "posix" and helper.stdout is not None:
        # Popen.wait polls with growing sleeps (tens of ms late); the pipe's end is not late.
        import select

        if not select.select([helper.stdout], [], [], timeout_s)[0]:
            return None
        timeout_s = 1.0  # it has closed its end: it is exiting
    try:
        code = helper.wait(timeout_s)
    except subprocess.TimeoutExpired:
        return None
    finally:
        if helper.stdout is not None and helper.returncode is not None:
            helper.stdout.close()
    return load_render_cache(plan) if code == 0 else None


def main(plan: str) -> int:
    """The helper: render the plan's stored cards and write its render cache (exit 1 if not)."""
    from app.core.plan import load_plan
    from app.core.render import highlight_css
    from app.core.render_cache import card_digest, renderer_stamp, save_highlight, save_render_cache
    from app.core.store import CardStore
    from app.ui.preview_markup import card_fragment

    path = Path(plan)
    try:
        parsed = load_plan(path)
        snapshot = CardStore(path).load(parsed)
    except Exception:  # the window reports the plan's problems itself
        return 1
    fragments = {}
    for component in parsed.components:
        card = snapshot.cards.get(component.key)
        if card is not None and card.body.strip():  # as opened: no card is being written
            fragments[card_digest(card.body)] = card_fragment(card.body)
    save_highlight(highlight_css())
    return 0 if save_render_cache(path, RenderCache(renderer_stamp(), fragments)) else 1
