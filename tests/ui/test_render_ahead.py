"""A plan's first open: the render-ahead helper renders its cards in a process of its own and
writes the render cache the window reads (docs/architecture.md#start-up)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from app.commands import RENDER_AHEAD
from app.core.plan import load_plan
from app.core.render import highlight_css
from app.core.render_cache import card_digest, cache_file, load_highlight, load_render_cache, renderer_stamp
from app.core.store import CardStore
from app.ui import render_ahead
from app.ui.launch import _window_class
from app.ui.preview_markup import card_fragment
from tests.helpers.cli import copy_example

REPO = Path(__file__).resolve().parents[2]


def preview_fragments(plan: Path) -> dict[str, str]:
    """What the preview renders for the plan's stored cards when it opens."""
    parsed = load_plan(plan)
    cards = CardStore(plan).load(parsed).cards
    return {card_digest(cards[c.key].body): card_fragment(cards[c.key].body)
            for c in parsed.components if c.key in cards}


def test_the_helper_writes_what_the_preview_would_show(tmp_path: Path) -> None:
    plan = copy_example(tmp_path)
    proc = subprocess.run([sys.executable, "-m", "app", RENDER_AHEAD, str(plan)], cwd=REPO,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-2000:]
    cache = load_render_cache(plan)
    assert cache is not None
    assert cache.fragments == preview_fragments(plan) and len(cache.fragments) == 6
    assert cache.stamp == renderer_stamp() and load_highlight() == highlight_css()


def test_the_window_takes_the_helpers_cache_instead_of_rendering(tmp_path: Path) -> None:
    plan = copy_example(tmp_path)
    helper = render_ahead.start(plan)
    assert helper is not None
    helper.wait(60)  # as fast as it usually is: done by the time the window's code has loaded
    window_class, cache = _window_class(plan, None, helper)
    assert window_class.__name__ == "MainWindow"
    assert cache is not None and cache.fragments == preview_fragments(plan)
    assert helper.returncode == 0


def test_a_helper_that_fails_leaves_the_rendering_to_the_window(tmp_path: Path) -> None:
    plan = tmp_path / "plan.md"
    plan.mkdir()  # no plan can be read there
    helper = render_ahead.start(plan)
    assert helper is not None
    assert render_ahead.collect(helper, plan, timeout_s=30) is None
    assert helper.returncode == 1 and not cache_file(plan).exists()


def test_a_late_helper_is_not_waited_for(tmp_path: Path) -> None:
    slow = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"], stdout=subprocess.PIPE)
    try:
        began = time.monotonic()
        assert render_ahead.collect(slow, tmp_path / "plan.md", timeout_s=0.05) is None
        assert time.monotonic() - began < 5
    finally:
        slow.kill()
        slow.wait()
        slow.stdout.close()  # type: ignore[union-attr]
