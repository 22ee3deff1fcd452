"""Cards in the window: edit in place, approve (lock), unlock, revert, F8, orphans, and what a
run may never overwrite."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor

from app.core.card import body_sha256, parse_card, serialize_card
from app.core.history import list_versions
from app.core.states import CardState
from tests.helpers.cli import copy_example
from tests.helpers.window import (
    EXAMPLE_CARDS,
    MakeWindow,
    StandIn,
    article_text,
    card_file,
    open_card,
    read_card,
    type_at_end_of_line,
)

def test_an_edit_is_linted_previewed_written_and_kept_in_history(
    qtbot: Any, tmp_path: Path, make_window: MakeWindow
) -> None:
    plan = copy_example(tmp_path)
    window = make_window(plan)
    meta_before, body_before = read_card(plan, "user-model")
    editor = open_card(window, "user model")
    assert editor.state == "done" and editor.findings == ()
    assert not editor.revert_button.isEnabled() and editor.lock_button.isEnabled()

    type_at_end_of_line(qtbot, editor, 3, " It stays small. It never changes.")
    assert editor.dirty and editor.state == "edited"
    # Re-linted as you type: four sentences where two or three belong.
    assert editor.findings_list.count() == 0  # debounced: not linted on every key
    qtbot.waitUntil(lambda: editor.findings_list.count() > 0, timeout=3000)
    assert {f.rule for f in editor.findings} == {"explanation-sentences"}
    assert "explanation-sentences" in editor.findings_list.item(0).text()
    qtbot.waitUntil(lambda: "It never changes." in article_text(window, qtbot, "user model"),
                    timeout=5000)

    # Written once typing stops: same generated hash, so the card reads as edited everywhere.
    qtbot.waitUntil(lambda: not editor.dirty, timeout=5000)
    meta, body = read_card(plan, "user-model")
    assert "It stays small. It never changes." in body
    assert meta.body_sha256 == meta_before.body_sha256 != body_sha256(body)
    assert [f.rule for f in meta.findings] == ["explanation-sentences"]
    assert window.session.states["user model"] == "edited"
    assert window.outline.state_of("user model") == "edited"
    assert window.panel.state_of("User Model") == "edited"
    assert editor.revert_button.isEnabled()
    versions = list_versions(plan.parent / EXAMPLE_CARDS, "user-model")
    assert [v.kind for v in versions] == ["generated", "edited"]
    assert versions[0].body == body_before and versions[1].body == body


def test_focus_out_writes_at_once(
    qtbot: Any, tmp_path: Path, make_window: MakeWindow
) -> None:
    plan = copy_example(tmp_path)
    window = make_window(plan)
    editor = open_card(window, "session token")
    editor.text.setFocus()
    qtbot.waitUntil(editor.text.hasFocus, timeout=3000)
    type_at_end_of_line(qtbot, editor, 1, "s")
    window.editor.setFocus()
    qtbot.waitUntil(lambda: not editor.dirty, timeout=1000)  # well before the 800 ms debounce
    assert read_card(plan, "session-token")[1].startswith("# Session Tokens\n")
    # The heading no longer names the component.
    assert "heading" in {f.rule for f in editor.findings}


def test_lock_makes_the_card_read_only_and_unlock_gives_it_back(
    qtbot: Any, tmp_path: Path, make_window: MakeWindow
) -> None:
    plan = copy_example(tmp_path)
    window = make_window(plan)
    _meta, body = read_card(plan, "login-handler")
    editor = open_card(window, "login handler")
    editor.lock_button.click()
    meta, locked_body = read_card(plan, "login-handler")
    assert meta.locked and locked_body == body
    assert "locked: true" in card_file(plan, "login-handler").read_text(encoding="utf-8")
    assert editor.state == "locked" and editor.text.isReadOnly()
    assert editor.lock_button.text() == "Unlock" and not editor.revert_button.isEnabled()
    assert window.session.states["login handler"] == "locked"
    assert window.outline.state_of("login handler") == "locked"
    qtbot.keyClicks(editor.text, "nope")
    assert editor.body() == body and not editor.dirty

    editor.lock_button.click()
    assert not read_card(plan, "login-handler")[0].locked
    assert editor.state == "done" and not editor.text.isReadOnly()
    assert window.outline.state_of("login handler") == "done"


def test_revert_goes_back_to_the_generated_body(
    qtbot: Any, tmp_path: Path, make_window: MakeWindow
) -> None:
    plan = copy_example(tmp_path)
    window = make_window(plan)
    _meta, generated = read_card(plan, "password-hashing")
    editor = open_card(window, "password hashing")
    type_at_end_of_line(qtbot, editor, 1, " (scrypt)")
    editor.flush()
    assert read_card(plan, "password-hashing")[1] != generated
    assert editor.state == "edited" and editor.revert_button.isEnabled()

    asked: list[str] = []
    editor.confirm = lambda title, text: asked.append(text) or False  # type: ignore[func-returns-value]
    editor.revert_button.click()
    assert asked and read_card(plan, "password-hashing")[1] != generated  # "no" keeps the edit

    editor.confirm = lambda title, text: True
    editor.revert_button.click()
    meta, body = read_card(plan, "password-hashing")
    assert body == generated and meta.body_sha256 == body_sha256(generated)
    assert editor.body() == generated and editor.state == "done" and not editor.dirty
    assert not editor.revert_button.isEnabled()
    assert window.session.states["password hashing"] == "done"
    qtbot.waitUntil(lambda: "(scrypt)" not in article_text(window, qtbot, "password hashing"),
                    timeout=5000)
    kinds = [v.kind for v in list_versions(plan.parent / EXAMPLE_CARDS, "password-hashing")]
    assert kinds == ["generated", "edited", "restored"]


def test_edited_and_locked_cards_survive_generate_all(
    qtbot: Any, tmp_path: Path, make_window: MakeWindow, stand_in: StandIn
) -> None:
    api = stand_in()
    plan = copy_example(tmp_path)
    card_file(plan, "rate-limiter").unlink()
    window = make_window(plan, api)
    assert window.session.states["rate limiter"] == "missing"

    editor = open_card(window, "session token")
    editor.lock_button.click()
    editor = open_card(window, "user model")
    type_at_end_of_line(qtbot, editor, 1, "!")
    assert editor.dirty  # still typing when the run starts: the run must see the edit
    window.generate_all()
    assert read_card(plan, "user-model")[1].startswith("# User Model!\n")
    kept = {stem: card_file(plan, stem).read_bytes() for stem in ("user-model", "session-token")}

    # The missing card, opened while it is being generated: read-only until it arrives.
    editor = open_card(window, "rate limiter")
    assert editor.card is None and editor.state == "queued" and editor.text.isReadOnly()
    qtbot.waitUntil(lambda: window.controller.running, timeout=5000)
    qtbot.waitUntil(lambda: not window.controller.running, timeout=30000)
    assert [r.component for r in api.records] == ["Rate Limiter"]
    assert {stem: card_file(plan, stem).read_bytes() for stem in kept} == kept
    assert window.session.states["user model"] == "edited" and window.session.states["session token"] == "locked"
    # The card that was generated shows up in the editor that was waiting for it.
    qtbot.waitUntil(lambda: editor.card is not None, timeout=3000)
    assert editor.body() == read_card(plan, "rate-limiter")[1] and editor.state == "done"
    assert [v.kind for v in list_versions(plan.parent / EXAMPLE_CARDS, "rate-limiter")] == ["generated"]

    # Regenerate selected: the edited card only after a yes, the locked one never.
    api.records.clear()
    window.confirm = lambda title, text: True
    window.regenerate(["User Model", "Session Token"])
    editor = open_card(window, "user model")  # its card is being replaced: hands off meanwhile
    assert editor.state == "queued" and editor.text.isReadOnly()
    assert not editor.lock_button.isEnabled() and not editor.revert_button.isEnabled()
    qtbot.waitUntil(lambda: not window.controller.running and bool(api.records), timeout=30000)
    assert [r.component for r in api.records] == ["User Model"]
    assert card_file(plan, "session-token").read_bytes() == kept["session-token"]
    assert window.session.states["user model"] == "done"
    qtbot.waitUntil(lambda: not editor.text.isReadOnly(), timeout=3000)
    assert editor.body() == read_card(plan, "user-model")[1] and editor.state == "done"
    assert not editor.body().startswith("# User Model!")


def test_f8_cycles_through_the_cards_with_findings(
    qtbot: Any, tmp_path: Path, make_window: MakeWindow
) -> None:
    plan = copy_example(tmp_path)
    for stem in ("password-hashing", "refresh-rotation"):
        path = card_file(plan, stem)
        meta, body = parse_card(path.read_text(encoding="utf-8"))
        cut = body.split("## Why this works")[0]  # no why section: an error
        path.write_text(serialize_card(meta, cut), encoding="utf-8")
    window = make_window(plan)
    window.editor.setFocus()
    seen = []
    for _ in range(3):
        qtbot.keyClick(window.editor, Qt.Key.Key_F8)
        seen.append(window.cards.editor.key)
    assert seen == ["password hashing", "refresh rotation", "password hashing"]
    assert window.outline.selected_key() == "password hashing"
    assert window.middle.currentWidget() is window.cards.page
    assert "why-section" in {f.rule for f in window.cards.editor.findings}

    # From the card text too, and backwards.
    window.cards.editor.text.setFocus()
    qtbot.keyClick(window.cards.editor.text, Qt.Key.Key_F8, Qt.KeyboardModifier.ShiftModifier)
    assert window.cards.editor.key == "refresh rotation"
    assert window.outline.selected_key() == "refresh rotation"
    assert window.editor.current_line() == window.session.plan.component("Refresh Rotation").line

    # Fixing a card in the editor takes it out of the cycle at once.
    editor = window.cards.editor
    editor.text.moveCursor(QTextCursor.MoveOperation.End)
    editor.text.insertPlainText("\n## Why this works\nIt rotates. It revokes.\n")  # as a paste
    qtbot.keyClick(editor.text, Qt.Key.Key_F8)
    qtbot.keyClick(editor.text, Qt.Key.Key_F8)
    assert window.cards.editor.key == "password hashing"


def test_an_orphan_card_can_be_reattached(
    qtbot: Any, tmp_path: Path, make_window: MakeWindow
) -> None:
    plan = copy_example(tmp_path)
    text = plan.read_text(encoding="utf-8").replace("## Rate Limiter\n", "## Login Throttle\n")
    plan.write_text(text, encoding="utf-8")
    window = make_window(plan)
    orphans = window.cards.orphans
    assert window.session.states["login throttle"] == "missing"
    assert not orphans.isHidden() and orphans.list.count() == 1
    assert "Rate Limiter" in orphans.list.item(0).text()

    offered: list[list[str]] = []

    def choose(orphan: str, names: list[str]) -> str:
        offered.append(names)
        return "Login Throttle"

    window.cards.choose_component = choose
    orphans.reattach_button.click()
    assert offered == [["Login Throttle"]]  # only components without a card
    meta, _body = read_card(plan, "rate-limiter")
    assert meta.component == "Login Throttle"
    assert window.session.snapshot is not None and window.session.snapshot.orphans == ()
    assert orphans.isHidden()
    assert window.session.states["login throttle"] == "stale"  # its request changed with the name


def test_undo_in_the_card_text_undoes_the_card_not_the_plan(
    qtbot: Any, tmp_path: Path, make_window: MakeWindow
) -> None:
    plan = copy_example(tmp_path)
    window = make_window(plan)
    qtbot.keyClicks(window.editor, "x")  # something the plan editor could undo
    plan_text = window.plan_text()
    editor = open_card(window, "rate limiter")
    before = editor.body()
    editor.text.setFocus()
    qtbot.waitUntil(editor.text.hasFocus, timeout=3000)
    type_at_end_of_line(qtbot, editor, 1, "zz")
    qtbot.keyClick(editor.text, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert editor.body() == before
    assert window.plan_text() == plan_text


def test_pending_edits_are_written_when_the_tab_changes_or_the_window_closes(
    qtbot: Any, tmp_path: Path, make_window: MakeWindow
) -> None:
    plan = copy_example(tmp_path)
    window = make_window(plan)
    window.middle.setCurrentWidget(window.cards.page)
    editor = open_card(window, "refresh rotation")
    type_at_end_of_line(qtbot, editor, 1, "s")
    window.middle.setCurrentIndex(0)  # the Run tab
    assert not editor.dirty
    assert read_card(plan, "refresh-rotation")[1].startswith("# Refresh Rotations\n")

    window.middle.setCurrentWidget(window.cards.page)
    type_at_end_of_line(qtbot, editor, 1, "!")
    window.close()
    assert not window.isVisible()
    assert read_card(plan, "refresh-rotation")[1].startswith("# Refresh Rotations!\n")


def test_opening_another_plan_writes_the_pending_edit_to_the_first_one(
    qtbot: Any, tmp_path: Path, make_window: MakeWindow
) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = copy_example(tmp_path / "a")
    second = copy_example(tmp_path / "b")
    second_bytes = card_file(second, "user-model").read_bytes()
    window = make_window(first)
    editor = open_card(window, "user model")
    type_at_end_of_line(qtbot, editor, 1, "!")
    assert window.open_plan(second)
    assert read_card(first, "user-model")[1].startswith("# User Model!\n")
    assert card_file(second, "user-model").read_bytes() == second_bytes
    assert window.session.states["user model"] == "done" and editor.state == "done"
    assert editor.body() == read_card(second, "user-model")[1]


def test_a_card_being_repaired_is_read_only_in_the_card_tab(
    qtbot: Any, tmp_path: Path, make_window: MakeWindow, stand_in: StandIn
) -> None:
    api = stand_in()
    # A contract-breaking answer, then a repair whose stream holds until the run is cancelled.
    api.script("User Model", "broken", "stall")
    plan = copy_example(tmp_path)
    window = make_window(plan, api)
    open_card(window, "session token")
    window.regenerate(["User Model"])
    qtbot.waitUntil(lambda: window.outline.state_of("user model") == "repairing", timeout=10000)
    assert window.session.state("user model") is CardState.REPAIRING

    # Selected while it is being repaired: the run will write it, so the writer may not.
    editor = open_card(window, "user model")
    assert editor.card is not None and editor.busy and editor.text.isReadOnly()
    assert editor.state == "repairing" and "read-only" in editor.state_label.text()
    assert not editor.lock_button.isEnabled() and not editor.revert_button.isEnabled()
    qtbot.keyClicks(editor.text, "nope")
    assert not editor.dirty

    qtbot.keyClick(window.editor, Qt.Key.Key_Escape)  # cancel: the stored card is the writer's again
    qtbot.waitUntil(lambda: not window.controller.running, timeout=10000)
    assert window.session.state("user model") is CardState.DONE
    assert not editor.busy and not editor.text.isReadOnly()


def test_a_syntax_error_typed_in_the_card_tab_is_a_finding_and_f8_stops_at_it(
    qtbot: Any, tmp_path: Path, make_window: MakeWindow
) -> None:
    plan = copy_example(tmp_path)
    window = make_window(plan)
    assert window.cards.next_finding(1) is None  # the example's cards are clean

    editor = open_card(window, "session token")
    line = editor.body().split("\n").index("  const token = randomUUID();") + 1
    type_at_end_of_line(qtbot, editor, line, " sessions.set(token,")
    qtbot.waitUntil(lambda: any(f.rule == "syntax" for f in editor.findings), timeout=5000)
    assert any("[syntax]" in editor.findings_list.item(i).text() for i in range(editor.findings_list.count()))
    editor.flush()
    meta, body = read_card(plan, "session-token")
    assert "sessions.set(token,\n" in body and "syntax" in {f.rule for f in meta.findings}

    # From another card, F8 stops at the broken one, and its findings still show the syntax error.
    open_card(window, "user model")
    window.editor.setFocus()
    qtbot.keyClick(window.editor, Qt.Key.Key_F8)
    assert window.cards.editor.key == "session token"
    assert "syntax" in {f.rule for f in window.cards.editor.findings}
    assert window.middle.currentWidget() is window.cards.page
