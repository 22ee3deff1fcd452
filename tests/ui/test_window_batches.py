"""Message Batches in the window, against the local stand-in over real HTTP: Send as batch (cards
"in batch", the panel's batch row), closing detaches, reopening the plan resumes the pending
batch and stores its results, Cancel batch, and a live run leaving batched cards alone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app.core.states import CardState
from app.engine.batch_state import state_path
from tests.helpers.plans import component_names, write_plan
from tests.helpers.window import MakeWindow, StandIn, type_at_end

KEY = "sk-ant-batch-window-key-000222"
NAMES = component_names(3)


@pytest.fixture(autouse=True)
def _fast_polling(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARDSMITH_TEST_BATCH_POLL_S", "0.05")


@pytest.fixture
def held(stand_in: StandIn) -> Any:
    """A stand-in whose batches stay in progress until the test finishes them."""
    return stand_in(api_key=KEY, batch_seconds=None)


def live_requests(api: Any) -> list[str]:
    return [r.component for r in api.records if r.path == "/v1/messages"]


def states(window: Any) -> dict[str, CardState]:
    return {c.name: window.session.state(c.key) for c in window.session.plan.components}


def in_batch(qtbot: Any, make_window: MakeWindow, api: Any, plan: Path) -> Any:
    """A window that sent the plan as one batch, still in progress."""
    window = make_window(plan)
    assert window.batches.send()
    qtbot.waitUntil(lambda: states(window) == {n: CardState.IN_BATCH for n in NAMES}, timeout=10000)
    qtbot.waitUntil(lambda: "in_progress" in window.panel.batch_label.text(), timeout=5000)
    assert len(api.batches.created) == 1 and api.batches.created[0].id in window.panel.batch_label.text()
    return window


def test_the_window_resumes_a_pending_batch_after_reopening(
    qtbot: Any, tmp_path: Path, make_window: MakeWindow, held: Any
) -> None:
    plan = write_plan(tmp_path, 3)
    first = in_batch(qtbot, make_window, held, plan)
    first.close()  # detaches: the batch goes on
    qtbot.waitUntil(lambda: not first.isVisible(), timeout=10000)
    assert state_path(plan).exists() and not list((tmp_path / "guide.cards").glob("*.md"))

    second = make_window(plan)
    qtbot.waitUntil(lambda: second.controller.running, timeout=5000)  # resumed on open
    assert states(second) == {n: CardState.IN_BATCH for n in NAMES}
    qtbot.waitUntil(lambda: held.batches.created[0].id in second.panel.batch_label.text(), timeout=5000)
    held.batches.finish()
    qtbot.waitUntil(lambda: not second.controller.running, timeout=20000)
    assert states(second) == {n: CardState.DONE for n in NAMES}
    assert not state_path(plan).exists() and len(held.batches.created) == 1
    assert live_requests(held) == []  # nothing was sent again, nothing live
    assert "3 done" in second.panel.batch_label.text()


def test_cancel_batch_cancels_it_at_the_api(qtbot: Any, tmp_path: Path, make_window: MakeWindow, held: Any) -> None:
    window = in_batch(qtbot, make_window, held, write_plan(tmp_path, 3))
    assert window.batches.cancel_batch()
    qtbot.waitUntil(lambda: not window.controller.running, timeout=20000)
    assert held.batches.created[0].cancel_requested is not None
    assert not state_path(tmp_path / "guide.md").exists()
    assert all(s in (CardState.CANCELLED, CardState.MISSING) for s in states(window).values())
    assert live_requests(held) == []


def test_a_live_run_leaves_cards_in_a_pending_batch_alone(
    qtbot: Any, tmp_path: Path, make_window: MakeWindow, held: Any
) -> None:
    plan = write_plan(tmp_path, 3)
    window = in_batch(qtbot, make_window, held, plan)
    window.runs.cancel()  # stop watching; the batch goes on
    qtbot.waitUntil(lambda: not window.controller.running, timeout=10000)
    assert states(window) == {n: CardState.IN_BATCH for n in NAMES}
    type_at_end(window, "## Component 04\nA fourth one.\n")
    qtbot.waitUntil(lambda: len(window.session.plan.components) == 4, timeout=3000)
    with qtbot.waitSignal(window.controller.run_finished, timeout=20000):
        window.generate_all()
    assert live_requests(held) == ["Component 04"]
    assert window.panel.batch_label.isHidden()  # a live run: the batch lines went
    assert window.session.state("component 04") is CardState.DONE
    assert states(window) == {**{n: CardState.IN_BATCH for n in NAMES}, "Component 04": CardState.DONE}
