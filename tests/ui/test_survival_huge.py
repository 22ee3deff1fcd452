"""Huge output: a 3 MB card shows the "too large to preview" notice, never a blank or stale page,
and the window keeps answering meanwhile.

A QTimer heartbeat ticks every 20 ms while the huge card is set; the largest gap between ticks is a
hang guard (2 s, generous on a shared 2-core machine), not a performance target. Lives under
tests/ui for the one QApplication/qasync setup of tests/ui/conftest.py.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QTimer

from app.ui.preview import PreviewCard, PreviewView
from tests.fakes.cards import good_card
from tests.fakes.messages_api import Step
from tests.helpers.plans import write_plan
from tests.helpers.webpage import run_js
from tests.helpers.window import MakeWindow, StandIn

pytestmark = pytest.mark.gui

HANG_GUARD_S = 2.0
ARTICLE_JS = """(function (key) {
  var a = document.querySelector('#cards > article[data-key="' + key + '"]');
  if (!a) { return null; }
  var n = a.querySelector('.notice');
  return {notice: n ? n.textContent : null, length: a.textContent.length, text: a.textContent.slice(0, 2000)};
})(%r)"""


def huge_card(name: str, size: int = 3_000_000) -> str:
    """A card of ``size`` bytes: a real heading and fence, and megabytes of code lines."""
    line = "const value = compute(previous, next);  // x\n"
    code = line * (size // len(line))
    return f"# {name}\n\nA card that went on and on. It never stopped.\n\n```typescript\n{code}```\n"


class Heartbeat:
    """Records the largest gap between 20 ms ticks of a QTimer on the GUI thread."""

    def __init__(self) -> None:
        self.timer = QTimer()
        self.timer.setInterval(20)
        self.timer.timeout.connect(self._tick)
        self.ticks = 0
        self.max_gap_s = 0.0
        self._last = 0.0

    def _tick(self) -> None:
        now = time.monotonic()
        self.max_gap_s = max(self.max_gap_s, now - self._last)
        self._last = now
        self.ticks += 1

    def __enter__(self) -> "Heartbeat":
        self._last = time.monotonic()
        self.timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._tick()  # a hang right before the end counts too
        self.timer.stop()


def article(qtbot: Any, view: PreviewView, key: str) -> Any:
    return run_js(qtbot, view.page(), ARTICLE_JS % key)


@pytest.fixture
def preview(qtbot: Any) -> Iterator[PreviewView]:
    view = PreviewView()
    qtbot.addWidget(view)
    view.resize(PreviewView.COLUMN_PX, 600)
    view.show()
    qtbot.waitUntil(lambda: view.is_loaded, timeout=20000)
    yield view


def test_a_3_mb_card_replaces_the_old_text_with_the_notice_while_the_loop_keeps_ticking(
    qtbot: Any, preview: PreviewView
) -> None:
    preview.set_cards([PreviewCard("a", "A", good_card("A", "python"), "done"),
                       PreviewCard("big", "Big", good_card("Big", "typescript"), "done")])
    preview.flush()
    before = article(qtbot, preview, "big")
    assert before["notice"] is None and "Why this works" in before["text"]

    body = huge_card("Big")
    assert len(body.encode("utf-8")) >= 3_000_000
    with Heartbeat() as beat:
        preview.update_card(PreviewCard("big", "Big", body, "done"))
        qtbot.waitUntil(lambda: (article(qtbot, preview, "big") or {}).get("notice") is not None, timeout=20000)
        qtbot.wait(200)
    after = article(qtbot, preview, "big")
    assert "too large to preview" in after["notice"]
    assert "Why this works" not in after["text"] and "compute(previous" not in after["text"]
    assert after["length"] < 2000  # the notice, not the megabytes, and not an empty article
    assert article(qtbot, preview, "a")["notice"] is None  # the other card is untouched
    assert beat.ticks > 5 and beat.max_gap_s < HANG_GUARD_S, beat.max_gap_s


def test_a_run_that_streams_a_3_mb_card_shows_the_notice_and_the_window_stays_responsive(
    qtbot: Any, tmp_path: Path, make_window: MakeWindow, stand_in: StandIn
) -> None:
    api = stand_in(mode="good", chunk_chars=64 * 1024)
    plan = write_plan(tmp_path, 2)
    huge = huge_card("Component 01")
    api.script("Component 01", *[Step("good", text=huge)] * 4)  # the repair gets megabytes too
    window = make_window(plan, api)
    with Heartbeat() as beat:
        window.generate_all()
        qtbot.waitUntil(lambda: window.controller.running, timeout=5000)
        qtbot.waitUntil(lambda: not window.controller.running, timeout=60000)
        window.preview.flush()
        qtbot.waitUntil(
            lambda: (article(qtbot, window.preview, "component 01") or {}).get("notice") is not None,
            timeout=20000,
        )
    shown = article(qtbot, window.preview, "component 01")
    assert "too large to preview" in shown["notice"] and shown["length"] < 2000
    assert article(qtbot, window.preview, "component 02")["notice"] is None
    card_file = next((tmp_path / "guide.cards").glob("component-01*.md"))
    assert card_file.stat().st_size >= 3_000_000  # stored whole: only the preview declines it
    assert beat.max_gap_s < HANG_GUARD_S, beat.max_gap_s
