"""File → "New plan from a brief…" in the window, against the local stand-in over real HTTP: the draft
grows in a new unsaved buffer, unsaved edits are asked about first, closing mid-draft cancels and
waits, the Settings' drafting model is the dialog's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.core.plan import parse_plan
from app.settings import Settings, save_settings
from tests.helpers.plans import write_plan
from tests.helpers.window import MakeWindow, StandIn, type_at_end

BRIEF = "# Auth service examples\nFor backend developers; argon2id and opaque tokens are decided."
KEY = "sk-ant-draft-window-key-000111"


def draft_requests(api: Any) -> list[Any]:
    return [r for r in api.records if r.component == "draft"]


def test_a_draft_grows_in_a_new_unsaved_plan(qtbot: Any, make_window: MakeWindow, stand_in: StandIn) -> None:
    api = stand_in(api_key=KEY, tokens_per_s=400.0)
    window = make_window(None)
    window.drafts.act_new.trigger()
    dialog = window.drafts.dialog
    assert dialog is not None and dialog.isVisible() and not dialog.isModal()
    dialog.brief.setPlainText(BRIEF)
    counts: list[int] = []
    window.session.plan_changed.connect(lambda: counts.append(len(window.session.plan.components)))
    with qtbot.waitSignal(window.drafts.finished, timeout=30000) as finished:
        assert dialog.start()
    result = finished.args[0]
    assert result.usable and window.session.text() == result.text
    assert window.session.path is None and window.session.modified  # nothing written yet
    assert parse_plan(window.session.text()).ok and len(window.session.plan.components) == 5
    assert counts == sorted(counts) and 0 < len(set(counts)) and counts[-1] == 5  # the plan grew
    assert len(window.outline.visible_keys()) == 5
    assert "Save (Ctrl+S)" in window.statusBar().currentMessage()
    assert [r.model for r in draft_requests(api)] == ["claude-opus-5-5"]
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=5000)


def test_unsaved_edits_are_asked_about_before_a_draft_replaces_them(
    qtbot: Any, tmp_path: Path, make_window: MakeWindow, stand_in: StandIn
) -> None:
    stand_in(api_key=KEY)
    plan = write_plan(tmp_path, 2)
    window = make_window(plan)
    type_at_end(window, "## Component 03\nA third one.\n")
    asked: list[str] = []
    window.ask_unsaved = lambda: asked.append("asked") or "cancel"  # type: ignore[method-assign]
    assert window.drafts.open_dialog() is None
    assert asked == ["asked"] and window.session.path == plan and "Component 03" in window.session.text()


def test_closing_mid_draft_cancels_and_waits(qtbot: Any, make_window: MakeWindow, stand_in: StandIn) -> None:
    api = stand_in(api_key=KEY, tokens_per_s=30.0)
    window = make_window(None)
    dialog = window.drafts.open_dialog()
    assert dialog is not None
    dialog.brief.setPlainText(BRIEF)
    assert dialog.start()
    qtbot.waitUntil(lambda: "## " in window.session.text(), timeout=20000)
    with qtbot.waitSignal(window.drafts.finished, timeout=10000) as finished:
        window.close()
        assert window.isVisible()  # still waiting for the draft to wind down
    assert finished.args[0].cancelled
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=10000)
    qtbot.waitUntil(lambda: api.open_streams == 0, timeout=5000)


def test_the_settings_drafting_model_is_the_dialogs(qtbot: Any, make_window: MakeWindow, stand_in: StandIn) -> None:
    api = stand_in(api_key=KEY, tokens_per_s=2000.0)
    save_settings(Settings(draft_model="claude-sonnet-5-5"))
    window = make_window(None)
    dialog = window.drafts.open_dialog()
    assert dialog is not None and dialog.model.currentText() == "claude-sonnet-5-5"
    dialog.brief.setPlainText(BRIEF)
    with qtbot.waitSignal(window.drafts.finished, timeout=30000) as finished:
        assert dialog.start()
    assert finished.args[0].usable
    assert [r.model for r in draft_requests(api)] == ["claude-sonnet-5-5"]
