"""The outline: status filter, quiet programmatic selection, user selection, in-place state updates."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt

from app.core.states import CardState
from app.ui.outline import FILTERS, STATE_COLUMN, OutlineRow, OutlineView, state_colour

# The offscreen platform cannot propagate a top-level widget's size hints: harmless.
pytestmark = pytest.mark.qt_log_ignore(r"^This plugin does not support (raise|propagateSizeHints)\(\)")

ROWS = [
    OutlineRow("user model", "User Model", 7, CardState.DONE),
    OutlineRow("session token", "Session Token", 12, CardState.MISSING),
    OutlineRow("rate limiter", "Rate Limiter", 20, CardState.STALE),
    OutlineRow("audit log", "Audit Log", 28, CardState.STREAMING),
    OutlineRow("cache", "Cache", 33, CardState.FAILED),
]


@pytest.fixture
def outline(qtbot: Any) -> OutlineView:
    view = OutlineView()
    qtbot.addWidget(view)
    view.resize(300, 400)
    view.set_components(list(ROWS))
    return view


def _click(qtbot: Any, view: OutlineView, key: str) -> None:
    item = view._items[key]
    rect = view.tree.visualItemRect(item)
    qtbot.mouseClick(view.tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def test_rows_show_names_and_states(outline: OutlineView) -> None:
    assert outline.visible_keys() == [row.key for row in ROWS]
    item = outline._items["cache"]
    assert (item.text(0), item.text(STATE_COLUMN)) == ("Cache", "failed")
    assert not item.icon(STATE_COLUMN).isNull()


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("Missing", ["session token"]),
        ("Done", ["user model"]),
        ("Stale", ["rate limiter"]),
        ("Queued/Running", ["audit log"]),
        ("Failed", ["cache"]),
        ("Locked", []),
        ("All", [row.key for row in ROWS]),
    ],
)
def test_filter_shows_only_matching_states(outline: OutlineView, label: str, expected: list[str]) -> None:
    outline.set_filter(label)
    assert outline.visible_keys() == expected


def test_set_state_updates_one_row_and_respects_the_filter(outline: OutlineView) -> None:
    outline.set_filter("Missing")
    outline.set_state("session token", CardState.QUEUED)
    item = outline._items["session token"]
    assert item.text(STATE_COLUMN) == "queued"
    assert outline.state_of("session token") is CardState.QUEUED
    assert outline.visible_keys() == []
    outline.set_state("user model", CardState.MISSING)
    assert outline.visible_keys() == ["user model"]
    assert item is outline._items["session token"]  # updated in place, not rebuilt
    assert state_colour(CardState.QUEUED) != state_colour(CardState.FAILED)
    outline.set_state("no such key", CardState.DONE)  # ignored


@pytest.mark.parametrize("state", [
    CardState.QUEUED, CardState.THINKING, CardState.STREAMING, CardState.RETRYING,
    CardState.REPAIRING, CardState.REVIEWING,
])
def test_every_state_a_run_is_in_shows_under_queued_running(outline: OutlineView, state: CardState) -> None:
    outline.set_filter("Queued/Running")
    outline.set_state("cache", state)
    assert outline.visible_keys() == ["audit log", "cache"]
    assert outline._items["cache"].text(STATE_COLUMN) == state.value


def test_every_state_has_its_word_a_colour_and_one_filter_besides_all(outline: OutlineView) -> None:
    filters = [(label, shows) for label, shows in FILTERS if shows is not None]
    for state in CardState:
        outline.set_state("cache", state)
        assert outline._items["cache"].text(STATE_COLUMN) == state.value
        assert state_colour(state).isValid()
        assert len([label for label, shows in filters if shows(state)]) == 1, state
    # What is moving reads apart from what failed and from what is finished.
    for moving in (CardState.THINKING, CardState.STREAMING, CardState.REVIEWING):
        assert state_colour(moving) not in (state_colour(CardState.FAILED), state_colour(CardState.DONE))


def test_select_emits_nothing(outline: OutlineView, qtbot: Any) -> None:
    with qtbot.assertNotEmitted(outline.component_selected):
        outline.select("rate limiter")
        outline.select("cache")
    assert outline.selected_key() == "cache"
    outline.select("gone")
    assert outline.selected_key() is None


def test_user_click_emits_the_key_once(outline: OutlineView, qtbot: Any) -> None:
    outline.show()
    qtbot.waitExposed(outline)
    seen: list[str] = []
    outline.component_selected.connect(seen.append)
    _click(qtbot, outline, "rate limiter")
    assert seen == ["rate limiter"]
    _click(qtbot, outline, "rate limiter")  # clicking the current row again still jumps there
    assert seen == ["rate limiter", "rate limiter"]
    outline.tree.setFocus()
    qtbot.keyClick(outline.tree, Qt.Key.Key_Down)
    assert seen[-1] == "audit log"


def test_selection_survives_set_components_when_the_key_remains(outline: OutlineView, qtbot: Any) -> None:
    outline.select("cache")
    with qtbot.assertNotEmitted(outline.component_selected):
        outline.set_components([OutlineRow("cache", "Cache", 5, CardState.DONE), ROWS[0]])
    assert outline.selected_key() == "cache"
    assert outline.state_of("cache") is CardState.DONE
    outline.set_components([ROWS[0]])
    assert outline.selected_key() is None
    assert outline.visible_keys() == ["user model"]
