"""The Card tab's write rules against real card files: edit, lock, revert, restore, history."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.core.card import CardMeta, body_sha256, parse_card
from app.core.card_edit import EditSession, edit_state
from app.core.contract import CardContract
from app.core.history import list_versions, record_version
from app.core.lint import RULE_SYNTAX, lint_card
from app.core.states import CardState
from app.core.store import CardStore, StoredCard
from app.errors import StoreError
from tests.fakes.cards import good_card
from tests.helpers.card_files import one_card_store, put_card as put_generated

NAME = "User Model"
STEM = "user-model"
GENERATED = good_card(NAME, "typescript")
CONTRACT = CardContract(NAME, "typescript")


@pytest.fixture
def store(tmp_path: Path) -> CardStore:
    return one_card_store(tmp_path, NAME)


@pytest.fixture
def session(store: CardStore) -> EditSession:
    return EditSession(store, CONTRACT)


def put_card(store: CardStore, body: str = GENERATED, *, locked: bool = False) -> StoredCard:
    """A card file generated with ``GENERATED`` that now holds ``body``."""
    return put_generated(store, NAME, STEM, body, generated=GENERATED, locked=locked)


def on_disk(card: StoredCard) -> tuple[CardMeta, str]:
    return parse_card(card.path.read_text(encoding="utf-8"))


def kinds(store: CardStore) -> list[str]:
    return [v.kind for v in list_versions(store.folder, STEM)]


def test_an_edit_is_written_as_edited_with_its_findings_and_kept_in_history(
    store: CardStore, session: EditSession
) -> None:
    card = put_card(store)
    assert lint_card(card.body, CONTRACT) == []
    edited = GENERATED.replace(f"# {NAME}\n", f"# {NAME}\n\nIt is small. It never changes.\n", 1)

    written = session.save_edit(card, edited)

    assert written is not None and written.body == edited and written.edited
    meta, body = on_disk(card)
    assert body == edited
    assert meta.body_sha256 == body_sha256(GENERATED)  # still the generated hash: reads as edited
    assert meta.findings == written.meta.findings == tuple(lint_card(edited, CONTRACT))
    assert meta.findings  # the explanation now has too many sentences
    versions = list_versions(store.folder, STEM)
    assert [v.kind for v in versions] == ["generated", "edited"]
    assert versions[0].body == GENERATED and versions[1].body == edited
    assert edit_state(written, CardState.DONE) is CardState.EDITED


def test_an_edit_keeps_the_syntax_finding_of_its_code(store: CardStore, session: EditSession) -> None:
    card = put_card(store)
    broken = card.body.replace("\n```\n", "\n}}\n```\n", 1)
    assert broken != card.body

    written = session.save_edit(card, broken)

    assert written is not None
    stored_rules = {f.rule for f in on_disk(card)[0].findings}
    assert RULE_SYNTAX in stored_rules
    assert {f.rule for f in session.lint(broken)} == stored_rules


def test_the_same_text_or_a_locked_card_writes_nothing(store: CardStore, session: EditSession) -> None:
    card = put_card(store)
    before = card.path.read_bytes()
    assert session.save_edit(card, card.body) is None
    assert session.save_edit(card, card.body.replace("\n", "\r\n")) is None  # same text, normalized
    locked = put_card(store, locked=True)
    locked_bytes = locked.path.read_bytes()
    assert session.save_edit(locked, GENERATED + "\nMore.\n") is None
    assert session.restore(locked, "# Other\n") is None
    assert locked.path.read_bytes() == locked_bytes != before
    assert kinds(store) == []


def test_lock_and_unlock_keep_the_body_and_its_hashes(store: CardStore, session: EditSession) -> None:
    card = put_card(store)
    locked = session.set_locked(card, True)
    meta, body = on_disk(card)
    assert meta.locked and body == GENERATED and meta.body_sha256 == card.meta.body_sha256
    assert edit_state(locked, CardState.STALE) is CardState.LOCKED

    unlocked = session.set_locked(locked, False)
    assert not on_disk(card)[0].locked
    assert edit_state(unlocked, CardState.STALE) is CardState.STALE
    assert edit_state(unlocked, CardState.DONE) is CardState.DONE


def test_revert_goes_back_to_the_generated_body(store: CardStore, session: EditSession) -> None:
    card = put_card(store)
    assert session.generated_version(card) is None  # nothing to revert: not edited
    assert session.revert(card) is None
    edited = session.save_edit(card, GENERATED + "\nA note.\n")
    assert edited is not None
    assert session.generated_version(edited) is not None

    reverted = session.revert(edited)

    assert reverted is not None and reverted.body == GENERATED and not reverted.edited
    meta, body = on_disk(card)
    assert body == GENERATED and meta.body_sha256 == body_sha256(GENERATED)
    assert meta.findings == ()
    assert kinds(store) == ["generated", "edited", "restored"]
    assert session.generated_version(reverted) is None


def test_revert_without_the_generated_body_in_history_writes_nothing(
    store: CardStore, session: EditSession
) -> None:
    card = put_card(store, GENERATED + "\nChanged by hand.\n")  # edited outside the app
    assert card.edited
    before = card.path.read_bytes()
    assert session.generated_version(card) is None
    assert session.revert(card) is None
    assert card.path.read_bytes() == before and kinds(store) == []


def test_a_restore_keeps_the_body_it_replaces_when_history_never_saw_it(
    store: CardStore, session: EditSession
) -> None:
    card = put_card(store)
    record_version(store.folder, STEM, card.meta, card.body, "generated")
    by_hand = GENERATED + "\nChanged outside the app.\n"
    card = put_card(store, by_hand)

    restored = session.restore(card, GENERATED)

    assert restored is not None and on_disk(card)[1] == GENERATED
    versions = list_versions(store.folder, STEM)
    assert [v.kind for v in versions] == ["generated", "edited", "restored"]
    assert versions[1].body == by_hand  # nothing the writer had is lost


def test_a_failed_write_raises_one_line_and_leaves_no_half_written_file(
    store: CardStore, session: EditSession
) -> None:
    card = put_card(store)
    card.path.unlink()
    card.path.mkdir()  # the card's file name is taken by a folder: the write must fail

    with pytest.raises(StoreError) as failure:
        session.save_edit(card, GENERATED + "\nA note.\n")

    assert "\n" not in failure.value.message and STEM in failure.value.message
    assert card.path.is_dir()
    assert sorted(p.name for p in store.folder.iterdir()) == [".history", f"{STEM}.md"]
