"""The card store: folder naming, loading and matching, states, and atomic, confined writes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.core.card import CardMeta, body_sha256, parse_card
from app.core.states import CardState
from app.core.store import CardStore, StoredCard, StoreSnapshot, card_state, cards_folder
from app.errors import StoreError
from tests.helpers.card_files import BODY, card_meta, write_card_file
from tests.helpers.plans import make_plan


def tree(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under ``folder`` with its bytes and mtime: any write shows up."""
    return {
        str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def store(tmp_path: Path) -> CardStore:
    plan_path = tmp_path / "guide.md"
    plan_path.write_text("## User Model\n", encoding="utf-8")
    return CardStore(plan_path)


# --- folder naming ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("plan_name", "folder_name"),
    [
        ("guide.md", "guide.cards"),
        ("guide.plan.md", "guide.cards"),
        ("Guide.Plan.MD", "Guide.cards"),
        ("notes.txt", "notes.cards"),
        ("guide", "guide.cards"),
        ("my.guide.md", "my.guide.cards"),
    ],
)
def test_cards_folder_sits_beside_the_plan(tmp_path: Path, plan_name: str, folder_name: str) -> None:
    assert cards_folder(tmp_path / plan_name) == tmp_path / folder_name


def test_store_uses_cards_folder(store: CardStore, tmp_path: Path) -> None:
    assert store.folder == tmp_path / "guide.cards"


# --- loading ------------------------------------------------------------------------------------


def test_load_without_folder_assigns_slugs_and_creates_nothing(store: CardStore, tmp_path: Path) -> None:
    before = sorted(p.name for p in tmp_path.iterdir())
    snap = store.load(make_plan("User Model", "Session Token"))
    assert snap.cards == {} and snap.orphans == () and snap.problems == ()
    assert snap.slugs == {"user model": "user-model", "session token": "session-token"}
    assert snap.folder == store.folder
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_cards_match_by_component_field_not_file_name(store: CardStore) -> None:
    write_card_file(store.folder, "whatever", "USER model")
    plan = make_plan("User Model")
    snap = store.load(plan)
    card = snap.card(plan.components[0])
    assert card is not None
    assert card.path.name == "whatever.md"
    assert card.body == BODY
    # An existing card keeps its file name: rewriting never renames or duplicates it.
    assert snap.slugs["user model"] == "whatever"


def test_cards_of_components_that_left_the_plan_are_orphans(store: CardStore) -> None:
    write_card_file(store.folder, "user-model", "User Model")
    write_card_file(store.folder, "old-thing", "Old Thing")
    snap = store.load(make_plan("User Model"))
    assert list(snap.cards) == ["user model"]
    assert [o.meta.component for o in snap.orphans] == ["Old Thing"]
    assert snap.problems == ()


def test_malformed_cards_are_problems_left_alone_and_their_names_taken(store: CardStore) -> None:
    store.folder.mkdir()
    bad = store.folder / "user-model.md"
    bad.write_text("no front matter here\n", encoding="utf-8")
    binary = store.folder / "session-token.md"
    binary.write_bytes(b"---\ncomponent: \xff\xfe\n---\n")
    before = tree(store.folder)
    snap = store.load(make_plan("User Model", "Session Token"))
    assert snap.cards == {}
    assert len(snap.problems) == 2
    assert snap.problems[0].startswith("guide.cards/session-token.md: not UTF-8")
    assert snap.problems[1].startswith("guide.cards/user-model.md: ")
    assert "\n" not in "".join(snap.problems)
    # The broken files keep their names: new cards go elsewhere.
    assert snap.slugs == {"user model": "user-model-2", "session token": "session-token-2"}
    assert tree(store.folder) == before


def test_two_files_claiming_one_component_keep_the_newest(store: CardStore) -> None:
    write_card_file(store.folder, "a", "User Model", generated_at="2026-01-01T00:00:00Z")
    write_card_file(store.folder, "b", "user model", generated_at="2026-03-01T00:00:00Z")
    snap = store.load(make_plan("User Model"))
    assert snap.cards["user model"].path.name == "b.md"
    assert len(snap.problems) == 1
    assert snap.problems[0].startswith("guide.cards/a.md: ")
    assert "b.md" in snap.problems[0]


def test_hidden_tmp_history_and_subfolders_are_ignored(store: CardStore) -> None:
    write_card_file(store.folder, "user-model", "User Model")
    write_card_file(store.folder, ".hidden", "Hidden")
    write_card_file(store.folder / ".history", "user-model", "User Model")
    write_card_file(store.folder / "sub", "nested", "Nested")
    (store.folder / ".user-model.md.tmp").write_text("half a card", encoding="utf-8")
    (store.folder / "notes.txt").write_text("not a card", encoding="utf-8")
    snap = store.load(make_plan("User Model", "Nested"))
    assert list(snap.cards) == ["user model"]
    assert snap.orphans == () and snap.problems == ()


def test_load_writes_nothing(store: CardStore) -> None:
    write_card_file(store.folder, "user-model", "User Model")
    write_card_file(store.folder, "orphan", "Orphan")
    (store.folder / "broken.md").write_text("---\ncomponent: [\n", encoding="utf-8")
    (store.folder / ".x.md.tmp").write_text("leftover", encoding="utf-8")
    before = tree(store.folder)
    store.load(make_plan("User Model", "New One"))
    assert tree(store.folder) == before


def test_components_whose_names_slug_alike_get_distinct_slugs(store: CardStore) -> None:
    write_card_file(store.folder, "user-model", "Someone Else")
    snap = store.load(make_plan("User Model", "user-model", "USER_MODEL"))
    slugs = list(snap.slugs.values())
    assert slugs == ["user-model-2", "user-model-3", "user-model-4"]


def test_hostile_component_names_get_safe_slugs(store: CardStore) -> None:
    names = ["../x", "/etc/passwd", "C:\\x", "CON", "nul.txt", ".", "..", "🚀", "evil\u202etxt.exe", "z" * 300]
    snap = store.load(make_plan(*names))
    slugs = list(snap.slugs.values())
    assert len({s.casefold() for s in slugs}) == len(names)
    for slug in slugs:
        assert (store.folder / f"{slug}.md").resolve().parent == store.folder.resolve()
        assert not slug.startswith(".")
        assert slug.split(".")[0].casefold() not in {"con", "nul"}


# --- states -------------------------------------------------------------------------------------


def stored(meta: CardMeta, body: str = BODY) -> StoredCard:
    return StoredCard(path=Path("x.md"), meta=meta, body=body)


def test_card_states() -> None:
    req = "r" * 64
    assert card_state(None, req) is CardState.MISSING
    assert card_state(stored(card_meta("A")), req) is CardState.DONE
    assert card_state(stored(card_meta("A")), "q" * 64) is CardState.STALE
    edited = stored(card_meta("A"), BODY + "\nMore.\n")
    assert edited.edited
    assert card_state(edited, req) is CardState.EDITED
    assert card_state(edited, "q" * 64) is CardState.EDITED  # edited wins over stale
    locked_and_edited = stored(card_meta("A", locked=True), BODY + "x\n")
    assert card_state(locked_and_edited, "q" * 64) is CardState.LOCKED


def test_line_endings_alone_do_not_make_a_card_edited() -> None:
    card = stored(card_meta("A"), BODY.replace("\n", "\r\n") + "\n\n")
    assert not card.edited


# --- writing ------------------------------------------------------------------------------------


def test_write_card_creates_the_folder_and_round_trips(store: CardStore) -> None:
    plan = make_plan("User Model", "Session Token")
    snap = store.load(plan)
    meta = card_meta("Session Token", cost_usd=0.00123)
    path = store.write_card(snap, meta, BODY)
    assert path == store.folder / "session-token.md"
    assert sorted(p.name for p in store.folder.iterdir()) == ["session-token.md"]  # no tmp left
    again = store.load(plan)
    card = again.card(plan.components[1])
    assert card is not None
    assert card.meta == meta
    assert card_state(card, "r" * 64) is CardState.DONE


def test_write_card_replaces_the_existing_file_of_a_component(store: CardStore) -> None:
    write_card_file(store.folder, "mine", "User Model")
    plan = make_plan("User Model")
    snap = store.load(plan)
    new_body = BODY.replace("Explains User Model.", "Keeps users.")
    assert new_body != BODY
    path = store.write_card(snap, card_meta("user model", new_body), new_body)
    assert path.name == "mine.md"
    assert sorted(p.name for p in store.folder.iterdir()) == ["mine.md"]
    assert parse_card(path.read_text(encoding="utf-8"))[1] == new_body


def test_write_card_refuses_paths_outside_the_folder(store: CardStore, tmp_path: Path) -> None:
    snap = StoreSnapshot(folder=store.folder, cards={}, slugs={"user model": "../escaped"})
    with pytest.raises(StoreError, match="outside the card folder"):
        store.write_card(snap, card_meta("User Model"), BODY)
    assert not (tmp_path / "escaped.md").exists()


def test_write_card_refuses_a_symlink_leading_out(store: CardStore, tmp_path: Path) -> None:
    store.folder.mkdir()
    target = tmp_path / "outside.md"
    target.write_text("precious", encoding="utf-8")
    try:
        os.symlink(target, store.folder / "user-model.md")
    except OSError:
        pytest.skip("no symlinks here")
    snap = StoreSnapshot(folder=store.folder, cards={}, slugs={"user model": "user-model"})
    with pytest.raises(StoreError):
        store.write_card(snap, card_meta("User Model"), BODY)
    assert target.read_text(encoding="utf-8") == "precious"


def test_write_card_for_an_unknown_component_is_refused(store: CardStore) -> None:
    snap = store.load(make_plan("User Model"))
    with pytest.raises(StoreError, match="Nobody"):
        store.write_card(snap, card_meta("Nobody"), BODY)
    assert not store.folder.exists()


def test_lock_and_edit_rewrite_in_place(store: CardStore) -> None:
    plan = make_plan("User Model")
    store.write_card(store.load(plan), card_meta("User Model"), BODY)
    card = store.load(plan).cards["user model"]

    locked = store.set_locked(card, True)
    assert locked.meta.locked and not locked.edited
    reloaded = store.load(plan).cards["user model"]
    assert reloaded.meta.locked
    assert card_state(reloaded, "r" * 64) is CardState.LOCKED

    unlocked = store.set_locked(reloaded, False)
    edited = store.save_body(unlocked, BODY + "\nOne more line.\n")
    assert edited.edited
    reloaded = store.load(plan).cards["user model"]
    assert reloaded.edited
    assert reloaded.meta.body_sha256 == body_sha256(BODY)  # still the generated hash
    assert card_state(reloaded, "r" * 64) is CardState.EDITED

    reverted = store.save_body(reloaded, BODY)
    assert not reverted.edited
    assert sorted(p.name for p in store.folder.iterdir()) == ["user-model.md"]


def test_reattach_gives_an_orphan_to_a_component(store: CardStore) -> None:
    write_card_file(store.folder, "old-name", "Old Name")
    plan = make_plan("New Name")
    snap = store.load(plan)
    card = store.reattach(snap, snap.orphans[0], plan.components[0])
    assert card.meta.component == "New Name"
    again = store.load(plan)
    assert again.cards["new name"].path.name == "old-name.md"
    assert again.orphans == ()
    with pytest.raises(StoreError, match="already has a card"):
        store.reattach(again, again.cards["new name"], plan.components[0])


def test_cleanup_tmp_removes_only_leftovers(store: CardStore) -> None:
    write_card_file(store.folder, "user-model", "User Model")
    (store.folder / ".user-model.md.tmp").write_text("half", encoding="utf-8")
    removed = store.cleanup_tmp()
    assert [p.name for p in removed] == [".user-model.md.tmp"]
    assert sorted(p.name for p in store.folder.iterdir()) == ["user-model.md"]


def test_cleanup_tmp_without_folder(store: CardStore) -> None:
    assert store.cleanup_tmp() == []
