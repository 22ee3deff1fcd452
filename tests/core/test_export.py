"""Export bundles: every format, determinism, refusal to overwrite foreign files, stale removal."""

from __future__ import annotations

import hashlib
import json
import re
import zipfile
from pathlib import Path
from urllib.parse import unquote

import pytest

from app.core.card import Finding, parse_card
from app.core.export import MANIFEST_NAME, ExportFormat, build_bundle, demote_headings, export_bundle
from app.core.plan import Plan
from app.core.store import CardStore, StoreSnapshot
from app.errors import ExportError
from tests.helpers.card_files import MODEL, card_body, store_card, write_card_file
from tests.helpers.plans import make_plan


def auth_guide(*names: str) -> Plan:
    return make_plan(*names, title="Auth Guide", context="Shared context for **all** cards.", model=MODEL)


def write_card(store: CardStore, plan: Plan, name: str, **fields: object) -> None:
    """A generated card of ``name`` with token counts and a cost, unless ``fields`` say otherwise."""
    costs: dict[str, object] = {"input_tokens": 100, "output_tokens": 50, "cost_usd": 0.0003}
    store_card(store, plan, name, card_body(name), **{**costs, **fields})


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Plan, StoreSnapshot]:
    """Three components, two with cards (one with findings and an unknown cost)."""
    plan = auth_guide("User Model", "Session Token", "Password Reset")
    store = CardStore(tmp_path / "guide.md")
    write_card(store, plan, "Session Token", generated_at="2026-02-03T04:05:06Z", input_tokens=10)
    write_card(
        store,
        plan,
        "User Model",
        cost_usd=None,
        findings=(Finding("code-lines", "error", "too many lines", 7),),
    )
    return plan, store.load(plan)


def files_of(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def mtimes(folder: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}


# --- folder ------------------------------------------------------------------------------------


def test_folder_bundle_files(setup: tuple[Plan, StoreSnapshot], tmp_path: Path) -> None:
    plan, snap = setup
    out = tmp_path / "out" / "nested"
    result = export_bundle(plan, snap, out)
    assert sorted(p.name for p in result.written) == ["bundle.json", "index.md", "session-token.md", "user-model.md"]
    assert result.removed == () and result.unchanged == ()
    assert sorted(p.name for p in out.iterdir()) == [
        MANIFEST_NAME,
        "bundle.json",
        "index.md",
        "session-token.md",
        "user-model.md",
    ]
    index = (out / "index.md").read_text(encoding="utf-8")
    assert index == (
        "# Auth Guide\n\nShared context for **all** cards.\n\n"
        "1. [User Model](user-model.md)\n2. [Session Token](session-token.md)\n"
    )
    meta, body = parse_card((out / "user-model.md").read_text(encoding="utf-8"))
    assert meta == snap.cards["user model"].meta
    assert body == card_body("User Model")


def test_index_links_all_resolve(setup: tuple[Plan, StoreSnapshot], tmp_path: Path) -> None:
    plan, snap = setup
    export_bundle(plan, snap, tmp_path / "out")
    links = re.findall(r"\]\(([^)]+)\)", (tmp_path / "out" / "index.md").read_text(encoding="utf-8"))
    assert len(links) == 2
    for link in links:
        assert (tmp_path / "out" / unquote(link)).is_file()


def test_bundle_json(setup: tuple[Plan, StoreSnapshot], tmp_path: Path) -> None:
    plan, snap = setup
    out = tmp_path / "out"
    export_bundle(plan, snap, out)
    raw = (out / "bundle.json").read_text(encoding="utf-8")
    assert raw.endswith("}\n")
    data = json.loads(raw)
    assert raw == json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    assert data["title"] == "Auth Guide"
    assert data["model"] == "claude-haiku-4-5"
    assert data["generated_at"] == "2026-02-03T04:05:06Z"
    assert [c["component"] for c in data["cards"]] == ["User Model", "Session Token"]
    for card in data["cards"]:
        assert card["sha256"] == hashlib.sha256((out / card["file"]).read_bytes()).hexdigest()
    first, second = data["cards"]
    assert first["cost_usd"] is None
    assert first["findings"] == [{"rule": "code-lines", "severity": "error", "message": "too many lines", "line": 7}]
    assert second["cost_usd"] == pytest.approx(0.0003)
    assert second["findings"] == []
    assert data["totals"] == {
        "cards": 2,
        "input_tokens": 110,
        "output_tokens": 100,
        "cost_usd": pytest.approx(0.0003),
        "cost_complete": False,
    }


def test_without_front_matter_cards_are_bare_bodies(setup: tuple[Plan, StoreSnapshot], tmp_path: Path) -> None:
    plan, snap = setup
    export_bundle(plan, snap, tmp_path / "out", front_matter=False)
    assert (tmp_path / "out" / "user-model.md").read_text(encoding="utf-8") == card_body("User Model")


def test_no_secrets_or_now_in_bundle(setup: tuple[Plan, StoreSnapshot], tmp_path: Path) -> None:
    plan, snap = setup
    export_bundle(plan, snap, tmp_path / "out")
    text = "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "out").iterdir())
    assert "sk-ant" not in text
    years = set(re.findall(r"\b(20\d\d)-\d\d-\d\d", text))
    assert years == {"2026"}  # only the cards' own timestamps


def test_a_card_named_index_does_not_replace_the_index(tmp_path: Path) -> None:
    plan = auth_guide("Index", "Other")
    store = CardStore(tmp_path / "guide.md")
    write_card(store, plan, "Index")
    write_card(store, plan, "Other")
    out = tmp_path / "out"
    export_bundle(plan, store.load(plan), out)
    assert (out / "index.md").read_text(encoding="utf-8").startswith("# Auth Guide\n")
    assert "[Index](index-2.md)" in (out / "index.md").read_text(encoding="utf-8")
    assert (out / "index-2.md").read_text(encoding="utf-8").endswith(card_body("Index"))


def test_card_files_with_unportable_names_get_slugs(tmp_path: Path) -> None:
    plan = auth_guide("User Model")
    write_card_file(tmp_path / "guide.cards", "My Card (final)", "User Model", card_body("User Model"))
    snap = CardStore(tmp_path / "guide.md").load(plan)
    files = build_bundle(plan, snap)
    assert sorted(files) == ["bundle.json", "index.md", "user-model.md"]


# --- other formats -----------------------------------------------------------------------------


def test_single_markdown_demotes_card_headings(setup: tuple[Plan, StoreSnapshot], tmp_path: Path) -> None:
    plan, snap = setup
    result = export_bundle(plan, snap, tmp_path / "out", fmt="single")
    assert [p.name for p in result.written] == ["auth-guide.md"]
    text = (tmp_path / "out" / "auth-guide.md").read_text(encoding="utf-8")
    assert text.startswith("# Auth Guide\n\nShared context for **all** cards.\n\n## User Model\n")
    assert text.count("\n# ") == 0
    assert text.count("## User Model\n") == 1 and text.count("## Session Token\n") == 1
    assert text.count("### Why this works\n") == 2
    assert text.count("// # not a heading\n") == 2
    assert "component:" not in text
    assert text.index("User Model") < text.index("Session Token")


def test_demote_headings_leaves_code_fences_alone() -> None:
    source = (
        "# A\n## B\n###### F\n#hashtag\n    # indented code\n"
        "```md\n# inside\n```\n~~~~\n# inside tilde\n```\n# still inside\n~~~~\n# after\n"
    )
    assert demote_headings(source) == (
        "## A\n### B\n###### F\n#hashtag\n    # indented code\n"
        "```md\n# inside\n```\n~~~~\n# inside tilde\n```\n# still inside\n~~~~\n## after\n"
    )


def test_html_export_is_a_script_free_page(setup: tuple[Plan, StoreSnapshot], tmp_path: Path) -> None:
    plan, snap = setup
    export_bundle(plan, snap, tmp_path / "out", fmt="html")
    html = (tmp_path / "out" / "auth-guide.html").read_text(encoding="utf-8")
    assert "<script" not in html.lower()
    assert "Auth Guide" in html
    assert html.index("User Model") < html.index("Session Token")
    assert "Password Reset" not in html


def test_zip_holds_the_folder_files_with_fixed_metadata(
    setup: tuple[Plan, StoreSnapshot], tmp_path: Path
) -> None:
    plan, snap = setup
    export_bundle(plan, snap, tmp_path / "folder")
    export_bundle(plan, snap, tmp_path / "zip", fmt="zip")
    assert sorted(p.name for p in (tmp_path / "zip").iterdir()) == [MANIFEST_NAME, "auth-guide.zip"]
    with zipfile.ZipFile(tmp_path / "zip" / "auth-guide.zip") as archive:
        infos = archive.infolist()
        names = [i.filename for i in infos]
        assert names == sorted(names) == ["bundle.json", "index.md", "session-token.md", "user-model.md"]
        for info in infos:
            assert info.date_time == (1980, 1, 1, 0, 0, 0)
            assert (info.external_attr >> 16) & 0o777 == 0o644
            assert info.compress_type == zipfile.ZIP_DEFLATED
            assert archive.read(info) == (tmp_path / "folder" / info.filename).read_bytes()


def test_unknown_format_is_refused(setup: tuple[Plan, StoreSnapshot], tmp_path: Path) -> None:
    plan, snap = setup
    bad: ExportFormat = "pdf"  # type: ignore[assignment]
    with pytest.raises(ExportError, match="unknown export format"):
        export_bundle(plan, snap, tmp_path / "out", fmt=bad)
    assert not (tmp_path / "out").exists()


# --- determinism ---------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["folder", "single", "html", "zip"])
def test_same_cards_give_identical_bytes(
    setup: tuple[Plan, StoreSnapshot], tmp_path: Path, fmt: ExportFormat
) -> None:
    plan, snap = setup
    export_bundle(plan, snap, tmp_path / "one", fmt=fmt)
    export_bundle(plan, snap, tmp_path / "two", fmt=fmt)
    assert files_of(tmp_path / "one") == files_of(tmp_path / "two")


def test_reexport_leaves_identical_files_untouched(setup: tuple[Plan, StoreSnapshot], tmp_path: Path) -> None:
    plan, snap = setup
    out = tmp_path / "out"
    export_bundle(plan, snap, out, fmt="zip")
    before, times = files_of(out), mtimes(out)
    result = export_bundle(plan, snap, out, fmt="zip")
    assert result.written == () and result.removed == ()
    assert [p.name for p in result.unchanged] == ["auth-guide.zip"]
    assert files_of(out) == before
    assert mtimes(out) == times


def test_reexport_updates_a_changed_card(setup: tuple[Plan, StoreSnapshot], tmp_path: Path) -> None:
    plan, snap = setup
    out = tmp_path / "out"
    export_bundle(plan, snap, out)
    store = CardStore(tmp_path / "guide.md")
    card = snap.cards["session token"]
    store.save_body(card, card.body + "\nEdited.\n")
    result = export_bundle(plan, store.load(plan), out)
    assert sorted(p.name for p in result.written) == ["bundle.json", "session-token.md"]
    assert sorted(p.name for p in result.unchanged) == ["index.md", "user-model.md"]
    assert (out / "session-token.md").read_text(encoding="utf-8").endswith("Edited.\n")
    assert json.loads((out / "bundle.json").read_text(encoding="utf-8"))["cards"][1]["edited"] is True


# --- never overwrite what is not ours --------------------------------------------------------------


def test_refuses_foreign_files_before_writing_anything(
    setup: tuple[Plan, StoreSnapshot], tmp_path: Path
) -> None:
    plan, snap = setup
    out = tmp_path / "out"
    out.mkdir()
    (out / "user-model.md").write_text("my own notes", encoding="utf-8")
    (out / "unrelated.txt").write_text("keep me", encoding="utf-8")
    before = files_of(out)
    with pytest.raises(ExportError) as info:
        export_bundle(plan, snap, out)
    assert str(info.value) == (
        f"refusing to overwrite 'user-model.md' in {out}: it was not written by a Cardsmith export"
    )
    assert files_of(out) == before
    assert sorted(p.name for p in out.iterdir()) == ["unrelated.txt", "user-model.md"]


def test_refuses_a_bundle_file_the_user_changed(setup: tuple[Plan, StoreSnapshot], tmp_path: Path) -> None:
    plan, snap = setup
    out = tmp_path / "out"
    export_bundle(plan, snap, out)
    (out / "index.md").write_text("# my edits\n", encoding="utf-8")
    store = CardStore(tmp_path / "guide.md")
    write_card(store, plan, "Password Reset")
    before = files_of(out)
    with pytest.raises(ExportError, match="'index.md'.*changed since the last export"):
        export_bundle(plan, store.load(plan), out)
    assert files_of(out) == before


def test_refuses_to_export_into_a_file(setup: tuple[Plan, StoreSnapshot], tmp_path: Path) -> None:
    plan, snap = setup
    target = tmp_path / "out"
    target.write_text("a file", encoding="utf-8")
    with pytest.raises(ExportError, match="is a file"):
        export_bundle(plan, snap, target)
    assert target.read_text(encoding="utf-8") == "a file"


def test_refuses_a_folder_where_a_bundle_file_goes(setup: tuple[Plan, StoreSnapshot], tmp_path: Path) -> None:
    plan, snap = setup
    out = tmp_path / "out"
    (out / "index.md").mkdir(parents=True)
    with pytest.raises(ExportError, match="'index.md'"):
        export_bundle(plan, snap, out)
    assert sorted(p.name for p in out.iterdir()) == ["index.md"]


# --- removal of an earlier bundle's files ------------------------------------------------------------


def test_files_that_left_the_bundle_are_removed(setup: tuple[Plan, StoreSnapshot], tmp_path: Path) -> None:
    plan, snap = setup
    out = tmp_path / "out"
    export_bundle(plan, snap, out)
    smaller = auth_guide("User Model", "Password Reset")
    result = export_bundle(smaller, CardStore(tmp_path / "guide.md").load(smaller), out)
    assert [p.name for p in result.removed] == ["session-token.md"]
    assert sorted(p.name for p in out.iterdir()) == [MANIFEST_NAME, "bundle.json", "index.md", "user-model.md"]
    manifest = json.loads((out / MANIFEST_NAME).read_text(encoding="utf-8"))
    assert sorted(manifest["files"]) == ["bundle.json", "index.md", "user-model.md"]


def test_stale_files_the_user_changed_are_kept(setup: tuple[Plan, StoreSnapshot], tmp_path: Path) -> None:
    plan, snap = setup
    out = tmp_path / "out"
    export_bundle(plan, snap, out)
    (out / "session-token.md").write_text("I improved this", encoding="utf-8")
    smaller = auth_guide("User Model")
    result = export_bundle(smaller, CardStore(tmp_path / "guide.md").load(smaller), out)
    assert result.removed == ()
    assert (out / "session-token.md").read_text(encoding="utf-8") == "I improved this"
    # It is the user's now: a later export that wants the name again refuses.
    with pytest.raises(ExportError, match="not written by a Cardsmith export"):
        export_bundle(plan, snap, out)


def test_switching_format_replaces_the_earlier_bundle(setup: tuple[Plan, StoreSnapshot], tmp_path: Path) -> None:
    plan, snap = setup
    out = tmp_path / "out"
    export_bundle(plan, snap, out)
    result = export_bundle(plan, snap, out, fmt="single")
    assert sorted(p.name for p in result.removed) == ["bundle.json", "index.md", "session-token.md", "user-model.md"]
    assert sorted(p.name for p in out.iterdir()) == [MANIFEST_NAME, "auth-guide.md"]


def test_a_hostile_manifest_cannot_remove_files_outside(
    setup: tuple[Plan, StoreSnapshot], tmp_path: Path
) -> None:
    plan, snap = setup
    out = tmp_path / "out"
    out.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("precious", encoding="utf-8")
    sha = hashlib.sha256(b"precious").hexdigest()
    (out / MANIFEST_NAME).write_text(
        json.dumps({"files": {"../victim.txt": sha, str(victim): sha}}), encoding="utf-8"
    )
    export_bundle(plan, snap, out)
    assert victim.read_text(encoding="utf-8") == "precious"


def test_an_interrupted_export_is_still_ours(setup: tuple[Plan, StoreSnapshot], tmp_path: Path) -> None:
    plan, snap = setup
    out = tmp_path / "out"
    files = build_bundle(plan, snap)
    out.mkdir()
    # As if killed after writing index.md: the manifest lists it as pending only.
    (out / "index.md").write_bytes(files["index.md"])
    pending = {"index.md": hashlib.sha256(files["index.md"]).hexdigest()}
    (out / MANIFEST_NAME).write_text(json.dumps({"files": {}, "pending": pending}), encoding="utf-8")
    result = export_bundle(plan, snap, out)
    assert [p.name for p in result.unchanged] == ["index.md"]
    assert files_of(out)["index.md"] == files["index.md"]
    assert "pending" not in json.loads((out / MANIFEST_NAME).read_text(encoding="utf-8"))


def test_no_tmp_files_are_left(setup: tuple[Plan, StoreSnapshot], tmp_path: Path) -> None:
    plan, snap = setup
    for fmt in ("folder", "single", "html", "zip"):
        export_bundle(plan, snap, tmp_path / "out", fmt=fmt)  # type: ignore[arg-type]
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.endswith(".tmp")]


def test_empty_plan_exports_an_index_only(tmp_path: Path) -> None:
    plan = auth_guide()
    snap = StoreSnapshot(folder=tmp_path / "guide.cards", cards={})
    export_bundle(plan, snap, tmp_path / "out")
    data = json.loads((tmp_path / "out" / "bundle.json").read_text(encoding="utf-8"))
    assert data["cards"] == [] and data["generated_at"] is None
    assert data["totals"]["cost_complete"] is True
    assert (tmp_path / "out" / "index.md").read_text(encoding="utf-8") == "# Auth Guide\n\nShared context for **all** cards.\n"
