"""`cardsmith history`: generate, edit, regenerate with --force and restore each show as a version."""

from __future__ import annotations

import json
from pathlib import Path

from app.core.card import body_sha256
from app.core.history import list_versions, record_version
from app.core.plan import load_plan
from app.core.store import CardStore, StoredCard
from tests.fakes.messages_api import FakeMessagesAPI
from tests.helpers.cli import run_cli
from tests.helpers.plans import write_plan

NAME = "Component 01"


def the_card(plan: Path) -> StoredCard:
    return CardStore(plan).load(load_plan(plan)).cards[NAME.casefold()]


def history(plan: Path, *extra: str) -> list[str]:
    result = run_cli("history", plan, NAME, *extra)
    assert result.code == 0, result.err
    return result.out.splitlines()


def kinds(lines: list[str]) -> list[str]:
    return [line.split()[3] for line in lines]


def current_rows(lines: list[str]) -> list[int]:
    return [int(line.split()[0]) for line in lines if line.endswith("← current")]


def test_generate_edit_force_and_restore_each_show_in_history(
    api: FakeMessagesAPI, tmp_path: Path
) -> None:
    plan = write_plan(tmp_path, 2)
    assert run_cli("generate", plan).code == 0

    lines = history(plan)
    assert len(lines) == 1 and kinds(lines) == ["generated"]
    first = the_card(plan)
    row = lines[0].split()
    assert row[0] == "1" and row[4] == first.meta.model
    assert f"in {first.meta.input_tokens} / out {first.meta.output_tokens} tok" in lines[0]
    assert f"request {first.meta.request_sha256[:8]}" in lines[0]
    assert f"body {body_sha256(first.body)[:8]}" in lines[0]
    assert current_rows(lines) == [1]

    # An edit, as the card editor writes it.
    store = CardStore(plan)
    edited = store.save_body(first, first.body + "\nMy own note.\n")
    record_version(store.folder, edited.path.stem, edited.meta, edited.body, "edited")
    lines = history(plan)
    assert kinds(lines) == ["generated", "edited"] and current_rows(lines) == [2]
    assert "no request" in lines[1]  # an edit spent no tokens

    forced = run_cli("generate", plan, "--force", "--only", NAME)
    assert forced.code == 0, forced.err
    lines = history(plan)
    assert kinds(lines) == ["generated", "edited", "generated"] and current_rows(lines) == [3]
    assert "My own note." not in the_card(plan).body

    # Restore the first version through the store, as the window does.
    versions = list_versions(store.folder, edited.path.stem)
    card = the_card(plan)
    restored = store.save_body(card, versions[0].body)
    record_version(store.folder, restored.path.stem, restored.meta, restored.body, "restored")
    lines = history(plan)
    assert kinds(lines) == ["generated", "edited", "generated", "restored"]
    assert current_rows(lines) == [4]  # only the newest version holding the card's text
    assert [line.split()[0] for line in lines] == ["1", "2", "3", "4"]

    data = json.loads(run_cli("history", plan, NAME.upper(), "--json").out)
    assert data["component"] == NAME and data["card"] == str(restored.path)
    assert [v["kind"] for v in data["versions"]] == ["generated", "edited", "generated", "restored"]
    assert [v["current"] for v in data["versions"]] == [False, False, False, True]
    assert data["versions"][0]["body_sha256"] == body_sha256(first.body)
    assert data["versions"][0]["output_tokens"] == first.meta.output_tokens


def test_unknown_name_is_one_line_and_exit_2(tmp_path: Path) -> None:
    plan = write_plan(tmp_path, 2)
    result = run_cli("history", plan, "Nope")
    assert result.code == 2 and result.out == ""
    assert result.err.strip().splitlines() == [
        "cardsmith: error: unknown component 'Nope' (the plan has: Component 01, Component 02)"
    ]


def test_a_card_without_history_says_so_and_exits_0(tmp_path: Path) -> None:
    plan = write_plan(tmp_path, 2)
    result = run_cli("history", plan, "component 02")
    assert result.code == 0, result.err
    assert result.out.strip() == "no versions recorded for 'Component 02'"
    data = json.loads(run_cli("history", plan, "Component 02", "--json").out)
    assert data["versions"] == [] and data["card"] is None


def test_an_edit_made_in_another_editor_is_kept_when_force_replaces_it(
    api: FakeMessagesAPI, tmp_path: Path
) -> None:
    plan = write_plan(tmp_path, 1)
    assert run_cli("generate", plan).code == 0
    card = the_card(plan)
    card.path.write_text(card.path.read_text(encoding="utf-8") + "A note typed in vim.\n",
                         encoding="utf-8")
    assert run_cli("generate", plan, "--force").code == 0
    lines = history(plan)
    assert kinds(lines) == ["generated", "edited", "generated"]
    versions = list_versions(CardStore(plan).folder, card.path.stem)
    assert "A note typed in vim." in versions[1].body
