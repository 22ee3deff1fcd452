"""The Card tab's editor on its own: a card a run is working on is read-only, an edit keeps its
syntax finding, Revert while typing, a write that fails."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import QTextCursor

from app.core.card import parse_card
from app.core.contract import CardContract
from app.core.history import list_versions
from app.core.lint import RULE_SYNTAX
from app.core.states import CardState
from app.core.store import CardStore, StoredCard
from app.ui.card_editor import CardContext, CardEditor
from tests.fakes.cards import good_card
from tests.helpers.card_files import one_card_store, put_card

NAME = "User Model"
KEY = "user model"
STEM = "user-model"
BODY = good_card(NAME, "typescript")


@pytest.fixture
def store(tmp_path: Path) -> CardStore:
    return one_card_store(tmp_path, NAME)


@pytest.fixture
def editor(qtbot: Any) -> CardEditor:
    widget = CardEditor()
    qtbot.addWidget(widget)
    return widget


def context(store: CardStore, card: StoredCard | None, state: CardState = CardState.DONE) -> CardContext:
    return CardContext(key=KEY, name=NAME, contract=CardContract(NAME, "typescript"),
                       fresh_state=CardState.DONE, card=card, store=store, state=state)


def type_at_end(qtbot: Any, editor: CardEditor, text: str) -> None:
    editor.text.moveCursor(QTextCursor.MoveOperation.End)
    qtbot.keyClicks(editor.text, text)


@pytest.mark.parametrize("state", [
    CardState.QUEUED, CardState.THINKING, CardState.STREAMING, CardState.RETRYING,
    CardState.REPAIRING, CardState.REVIEWING,
])
def test_a_card_a_run_is_working_on_is_read_only(
    qtbot: Any, editor: CardEditor, store: CardStore, state: CardState
) -> None:
    card = put_card(store, NAME, STEM, BODY)
    before = card.path.read_bytes()
    editor.show_card(context(store, card, state))

    assert editor.busy and editor.state == state
    assert editor.text.isReadOnly()
    assert not editor.lock_button.isEnabled() and not editor.revert_button.isEnabled()
    assert "read-only" in editor.state_label.text()
    editor.toggle_lock()
    assert card.path.read_bytes() == before

    editor.show_card(context(store, card, CardState.DONE))  # the run gave it back
    assert not editor.busy and not editor.text.isReadOnly() and editor.lock_button.isEnabled()


def test_an_edit_keeps_its_syntax_finding_in_the_list_and_in_the_file(
    qtbot: Any, editor: CardEditor, store: CardStore
) -> None:
    card = put_card(store, NAME, STEM, BODY)
    editor.show_card(context(store, card))
    assert editor.findings == ()
    broken = BODY.replace("\n```\n", "\n}}\n```\n", 1)
    assert broken != BODY
    written: list[StoredCard] = []
    editor.card_written.connect(lambda _key, stored: written.append(stored))

    editor.text.setPlainText(broken)  # as a paste
    qtbot.waitUntil(lambda: RULE_SYNTAX in {f.rule for f in editor.findings}, timeout=3000)
    assert any(RULE_SYNTAX in editor.findings_list.item(i).text()
               for i in range(editor.findings_list.count()))
    qtbot.waitUntil(lambda: bool(written), timeout=5000)  # written once typing stops

    meta, body = parse_card(card.path.read_text(encoding="utf-8"))
    assert body == broken and RULE_SYNTAX in {f.rule for f in meta.findings}
    assert editor.state == CardState.EDITED


def test_revert_while_typing_on_an_unedited_card_goes_back_at_once(
    qtbot: Any, editor: CardEditor, store: CardStore
) -> None:
    card = put_card(store, NAME, STEM, BODY)
    editor.show_card(context(store, card))
    type_at_end(qtbot, editor, "A note.")
    assert editor.dirty and editor.revert_button.isEnabled()
    editor.confirm = lambda title, text: True

    editor.revert_button.click()

    assert parse_card(card.path.read_text(encoding="utf-8"))[1] == BODY
    assert editor.body() == BODY and not editor.dirty and editor.state == CardState.DONE
    assert not editor.revert_button.isEnabled()
    assert [v.kind for v in list_versions(store.folder, STEM)] == ["generated", "edited", "restored"]


def test_a_write_that_fails_says_so_in_one_line_and_keeps_the_text(
    qtbot: Any, editor: CardEditor, store: CardStore
) -> None:
    card = put_card(store, NAME, STEM, BODY)
    editor.show_card(context(store, card))
    card.path.unlink()
    card.path.mkdir()  # the card's file name is taken by a folder: the write must fail
    type_at_end(qtbot, editor, "A note.")

    with qtbot.waitSignal(editor.problem, timeout=1000) as problem:
        editor.flush()

    [message] = problem.args
    assert "\n" not in message and STEM in message
    assert editor.dirty and editor.body().endswith("A note.\n")
    assert "not saved yet" in editor.state_label.text()
