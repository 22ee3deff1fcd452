"""The session without a window: the one state rule, and what it says when (signals after the data)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import QTextDocument

from app.core.states import CardState
from app.settings import Settings
from app.ui.run_controller import RunController
from app.ui.session import Session, overlay_state
from tests.helpers.cli import copy_example
from tests.helpers.plans import write_plan

S = CardState


@pytest.mark.parametrize(
    ("stored", "run", "running", "expected"),
    [
        (S.DONE, None, False, S.DONE),  # not part of a run: the card folder's word
        (S.STALE, S.REPAIRING, True, S.REPAIRING),  # a run's word wins while it is on
        (S.MISSING, S.FAILED, True, S.FAILED),
        (S.STALE, S.FAILED, True, S.FAILED),
        (S.MISSING, S.DONE, True, S.MISSING),  # done: the saved card speaks (it follows at once)
        (S.EDITED, S.DONE, True, S.EDITED),  # ...and the writer may have edited it since
        (S.MISSING, S.CANCELLED, False, S.CANCELLED),  # after the run: nothing on disk says more
        (S.STALE, S.NOT_RUN, False, S.STALE),  # after the run: the card on disk does
        (S.DONE, S.STREAMING, False, S.DONE),  # a busy word never outlives its run
    ],
)
def test_the_state_rule(stored: CardState, run: CardState | None, running: bool, expected: CardState) -> None:
    assert overlay_state(stored, run, running=running) is expected


def make_session(qtbot: Any) -> Session:
    def no_provider(_config: Any) -> Any:
        raise AssertionError("this test never runs")

    controller = RunController(no_provider)
    session = Session(QTextDocument(), controller, Settings())
    controller.setParent(session)
    return session


def test_opening_says_plan_then_cards_then_opened(qtbot: Any, tmp_path: Path) -> None:
    session = make_session(qtbot)
    plan = copy_example(tmp_path)
    said: list[tuple[str, Any]] = []
    session.plan_changed.connect(lambda: said.append(("plan", len(session.plan.components))))
    session.cards_changed.connect(lambda: said.append(("cards", set(session.states.values()))))
    session.opened.connect(lambda path: said.append(("opened", path)))
    session.open(plan)
    assert said == [("plan", 6), ("cards", {S.DONE}), ("opened", plan)]
    assert session.text() == plan.read_text(encoding="utf-8") and not session.modified
    assert session.fresh_state("user model") is S.DONE

    # Another model is another request: every card is stale, and the views hear it.
    said.clear()
    session.settings_changed.connect(lambda settings: said.append(("settings", settings.model)))
    session.apply_settings(Settings(model="claude-opus-4-5"))
    assert said == [("settings", "claude-opus-4-5"), ("cards", {S.STALE})]
    assert session.fresh_state("user model") is S.STALE


def test_a_written_card_is_in_the_snapshot_before_its_signal(qtbot: Any, tmp_path: Path) -> None:
    session = make_session(qtbot)
    plan = copy_example(tmp_path)
    session.open(plan)
    card = session.stored_card("user model")
    assert card is not None
    edited = replace(card, body=card.body + "\nOne more line.\n")
    seen: list[tuple[str, Any, CardState]] = []
    session.card_changed.connect(
        lambda key: seen.append((key, session.stored_card(key), session.state(key))))
    session.store_card("user model", edited)
    assert seen == [("user model", edited, S.EDITED)]

    # A card of a plan the session has left (a late write) changes nothing.
    stray = replace(card, path=tmp_path / "other" / "auth-service.cards" / card.path.name)
    session.store_card("user model", stray)
    assert len(seen) == 1 and session.stored_card("user model") is edited


def test_typing_reparses_once_it_pauses_and_an_unsaved_plan_has_missing_cards(
    qtbot: Any, tmp_path: Path
) -> None:
    session = make_session(qtbot)
    session.open(write_plan(tmp_path, 2))
    session.buffer.setPlainText("## Only\nOne component.\n")
    assert [c.name for c in session.plan.components] == ["Component 01", "Component 02"]
    with qtbot.waitSignal(session.plan_changed, timeout=3000):
        pass
    assert [c.name for c in session.plan.components] == ["Only"]
    assert session.states == {"only": S.MISSING}

    untitled = make_session(qtbot)
    untitled.buffer.setPlainText("## Draft\nNot saved yet.\n")
    untitled.refresh()
    assert untitled.path is None and untitled.states == {"draft": S.MISSING}
