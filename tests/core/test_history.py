"""Card history: versions recorded in .history/<slug>/, listed newest last, malformed files skipped."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.core.card import CardMeta, body_sha256, parse_card
from app.core.history import (
    GITIGNORE_TEXT,
    find_by_body_hash,
    history_folder,
    list_versions,
    record_version,
    versions_folder,
)
from app.core.plan import load_plan
from app.core.store import CardStore
from app.engine.generate import GenerateOptions, Generation
from app.errors import StoreError
from tests.fakes.scripted_provider import ScriptedProvider
from tests.helpers.card_files import BODY, card_meta
from tests.helpers.plans import write_plan

EDITED = BODY.replace("It is small.", "It is tiny.")


def meta(body: str = BODY, **fields: object) -> CardMeta:
    return card_meta("User Model", body, **fields)


def test_record_writes_a_full_card_file_and_a_gitignore(tmp_path: Path) -> None:
    folder = tmp_path / "guide.cards"
    path = record_version(folder, "user-model", meta(), BODY, "generated")
    assert path.parent == versions_folder(folder, "user-model") == folder / ".history" / "user-model"
    assert (folder / ".history" / ".gitignore").read_text(encoding="utf-8") == GITIGNORE_TEXT
    stamp, kind, sha = path.name.removesuffix(".md").split("-")
    assert kind == "generated" and sha == body_sha256(BODY)[:12] and stamp.endswith("Z")
    assert parse_card(path.read_text(encoding="utf-8")) == (meta(), BODY)
    assert not list(path.parent.glob(".*.tmp"))


def test_versions_are_listed_oldest_first_with_kind_hash_meta_and_body(tmp_path: Path) -> None:
    record_version(tmp_path, "user-model", meta(), BODY, "generated")
    record_version(tmp_path, "user-model", meta(), EDITED, "edited")
    record_version(tmp_path, "user-model", meta(), BODY, "restored")
    versions = list_versions(tmp_path, "user-model")
    assert [v.kind for v in versions] == ["generated", "edited", "restored"]
    assert [v.body for v in versions] == [BODY, EDITED, BODY]
    assert versions[1].body_sha256 == body_sha256(EDITED)
    assert versions[1].meta.body_sha256 == body_sha256(BODY)  # the card's meta, as it was
    created = [v.created for v in versions]
    assert created == sorted(created) and len(set(created)) == 3
    assert all(c.endswith("Z") and "T" in c for c in created)


def test_the_same_body_and_kind_twice_in_a_row_is_recorded_once(tmp_path: Path) -> None:
    first = record_version(tmp_path, "card", meta(), BODY, "edited")
    again = record_version(tmp_path, "card", meta(), BODY + "\n\n", "edited")  # same normalized body
    assert again == first
    record_version(tmp_path, "card", meta(), BODY, "restored")  # another kind is a new version
    record_version(tmp_path, "card", meta(), EDITED, "edited")
    record_version(tmp_path, "card", meta(), BODY, "edited")  # not the newest: recorded
    assert [v.kind for v in list_versions(tmp_path, "card")] == [
        "edited", "restored", "edited", "edited"
    ]


def test_find_by_body_hash_returns_the_newest_match_or_none(tmp_path: Path) -> None:
    record_version(tmp_path, "card", meta(), BODY, "generated")
    record_version(tmp_path, "card", meta(), EDITED, "edited")
    newest = record_version(tmp_path, "card", meta(), BODY, "restored")
    found = find_by_body_hash(tmp_path, "card", body_sha256(BODY))
    assert found is not None and found.path == newest and found.body == BODY
    assert find_by_body_hash(tmp_path, "card", "0" * 64) is None
    assert find_by_body_hash(tmp_path, "other", body_sha256(BODY)) is None


def test_malformed_and_foreign_files_are_skipped_never_raised(tmp_path: Path) -> None:
    good = record_version(tmp_path, "card", meta(), BODY, "generated")
    folder = good.parent
    stamp = good.name.split("-", 1)[0]
    sha = body_sha256(BODY)[:12]
    (folder / f"{stamp}-edited-{sha}.md").write_text("no front matter\n", encoding="utf-8")
    (folder / f"{stamp}-bogus-{sha}.md").write_text(good.read_text(encoding="utf-8"), encoding="utf-8")
    (folder / f"{stamp}-restored-{'f' * 12}.md").write_text(
        good.read_text(encoding="utf-8"), encoding="utf-8"
    )  # body does not match the hash in its name
    (folder / f"{stamp}-repaired-{sha}.md").write_bytes(b"---\ncomponent: \xff\n---\n")
    (folder / "notes.txt").write_text("hello", encoding="utf-8")
    (folder / ".20260101T000000.000000Z-edited-x.md.tmp").write_text("partial", encoding="utf-8")
    (folder / f"{stamp}-edited-{'a' * 12}.md").mkdir()
    assert [v.path for v in list_versions(tmp_path, "card")] == [good]
    assert list_versions(tmp_path, "never-recorded") == []


def test_a_new_version_sorts_after_the_newest_even_when_the_clock_is_behind(tmp_path: Path) -> None:
    folder = versions_folder(tmp_path, "card")
    folder.mkdir(parents=True)
    future = folder / f"29991231T235959.999999Z-generated-{body_sha256(BODY)[:12]}.md"
    future.write_text(
        (record_version(tmp_path, "tmp", meta(), BODY, "generated")).read_text(encoding="utf-8"),
        encoding="utf-8",
    )
    record_version(tmp_path, "card", meta(), EDITED, "edited")
    versions = list_versions(tmp_path, "card")
    assert [v.kind for v in versions] == ["generated", "edited"]
    assert versions[-1].created > versions[0].created


@pytest.mark.parametrize("slug", ["", ".", "..", "../x", "a/b", "a\\b", ".hidden"])
def test_a_slug_never_leaves_the_history_folder(tmp_path: Path, slug: str) -> None:
    with pytest.raises(StoreError):
        record_version(tmp_path, slug, meta(), BODY, "edited")
    with pytest.raises(StoreError):
        list_versions(tmp_path, slug)
    assert not history_folder(tmp_path).exists()


def test_an_unknown_kind_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        record_version(tmp_path, "card", meta(), BODY, "partial")  # type: ignore[arg-type]


def test_a_write_error_is_one_store_error_line(tmp_path: Path) -> None:
    (tmp_path / ".history").write_text("a file where the folder should be", encoding="utf-8")
    with pytest.raises(StoreError, match="cannot record a version of card"):
        record_version(tmp_path, "card", meta(), BODY, "edited")


def test_the_card_store_ignores_history(tmp_path: Path) -> None:
    plan_path = write_plan(tmp_path, 1)
    plan = load_plan(plan_path)
    store = CardStore(plan_path)
    record_version(store.folder, "component-01", meta(), BODY, "generated")
    snapshot = store.load(plan)
    assert snapshot.cards == {} and snapshot.orphans == () and snapshot.problems == ()


async def test_generation_records_every_saved_card_as_generated(tmp_path: Path) -> None:
    plan_path = write_plan(tmp_path, 2)
    plan = load_plan(plan_path)
    provider = ScriptedProvider()
    generation = Generation(plan_path, plan, provider, GenerateOptions(), lambda _e: None)
    await generation.run()
    folder = CardStore(plan_path).folder
    for stem in ("component-01", "component-02"):
        card_meta, body = parse_card((folder / f"{stem}.md").read_text(encoding="utf-8"))
        versions = list_versions(folder, stem)
        assert [v.kind for v in versions] == ["generated"]
        assert versions[0].body == body and versions[0].meta == card_meta
    assert (folder / ".history" / ".gitignore").read_text(encoding="utf-8") == "*\n"
