"""Hostile component names: every card and export file stays in its folder, with a unique, portable
name, and every link of index.md and every zip entry is a plain file name that exists."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from urllib.parse import unquote

from app.core.plan import load_plan
from app.core.slug import is_reserved_name, is_safe_slug, slugify
from app.core.store import CardStore
from tests.fakes.messages_api import FakeMessagesAPI
from tests.helpers.cli import run_cli
from tests.helpers.plans import write_plan
from tests.helpers.server_thread import message_requests

HOSTILE = [
    "../x",
    "../../../../../../tmp/escaped",
    "/etc/passwd",
    "C:\\x",
    "C:\\Windows\\System32\\drivers\\etc\\hosts",
    "CON",
    "con.md",
    "nul.txt",
    "LPT1",
    "COM9 .txt",
    ".",
    "..",
    "...",
    ".hidden",
    "index",
    "Index.md",
    "bundle.json",
    "\U0001f600\U0001f525",
    "\U0001f600\U0001f525\ufe0f",
    "\u202eexe.txt\u202c",
    "\u200f\u05e9\u05dc\u05d5\u05dd",
    "a" * 300,
    "a" * 299 + "b",
    "Hello World",
    "hello-world",
    "Hello, World!",
    "H\u00e9llo World",
    "x/../../y",
    "name with\ttab",
    "*?<>|\"",
]
FORMATS = ("folder", "single", "html", "zip")


def inside(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


def unique_casefolded(names: list[str]) -> bool:
    return len({n.casefold() for n in names}) == len(names)


def test_every_slug_is_portable_and_stays_in_its_folder() -> None:
    for name in HOSTILE:
        slug = slugify(name)
        assert is_safe_slug(slug), (name, slug)
        assert "/" not in slug and "\\" not in slug and ".." not in slug and not is_reserved_name(slug)


def test_hostile_names_give_confined_unique_files_in_every_export_format(
    api: FakeMessagesAPI, tmp_path: Path
) -> None:
    work = tmp_path / "deep" / "work"
    plan_path = write_plan(work, HOSTILE, title="../../CON", concurrency=8)
    plan = load_plan(plan_path)
    assert plan.ok, plan.issues
    names = [c.name for c in plan.components]
    assert len(names) == len(HOSTILE)

    result = run_cli("generate", plan_path)
    assert result.code == 0, result.err
    asked = sorted(r.component for r in message_requests(api))
    assert asked == sorted(names)

    store = CardStore(plan_path)
    cards = store.folder
    snapshot = store.load(plan)
    assert not snapshot.problems and not snapshot.orphans
    assert sorted(c.meta.component for c in snapshot.cards.values()) == sorted(names)
    card_files = [p for p in cards.iterdir() if p.is_file()]
    assert len(card_files) == len(names)
    assert unique_casefolded([p.name for p in card_files])
    for path in cards.rglob("*"):
        assert inside(path, cards), path
    for path in card_files:
        assert is_safe_slug(path.stem), path.name

    outs = {fmt: tmp_path / "exports" / fmt for fmt in FORMATS}
    for fmt, out in outs.items():
        exported = run_cli("export", plan_path, "--out", out, "--format", fmt)
        assert exported.code == 0, exported.err
        files = [p for p in out.rglob("*") if p.is_file()]
        assert files and all(inside(p, out) for p in files)
        assert all(p.parent == out for p in files), files  # a flat bundle
        assert unique_casefolded([p.name for p in files])
        assert all(p.name.startswith(".") or is_safe_slug(p.name.split(".")[0]) for p in files), files

    folder_out = outs["folder"]
    index = (folder_out / "index.md").read_text(encoding="utf-8")
    links = re.findall(r"\]\(([^)]*)\)", index)
    assert len(links) == len(names)
    for link in links:
        target = unquote(link)
        assert "/" not in target and "\\" not in target and not target.startswith("."), link
        assert (folder_out / target).is_file() and inside(folder_out / target, folder_out), link
    card_names = [p.name for p in folder_out.glob("*.md") if p.name != "index.md"]
    assert sorted(card_names) == sorted(unquote(link) for link in links)

    (archive,) = outs["zip"].glob("*.zip")
    with zipfile.ZipFile(archive) as bundle:
        entries = bundle.namelist()
    assert len(entries) == len(names) + 2  # the cards, index.md and the bundle's JSON
    assert unique_casefolded(entries)
    for entry in entries:
        assert "/" not in entry and "\\" not in entry and ".." not in entry and entry.strip() == entry
        assert not entry.startswith(".") and ":" not in entry, entry

    # Nothing was written anywhere else: the plan, its cards and the exports are all there is.
    allowed = [cards, *outs.values()]
    for path in tmp_path.rglob("*"):
        if path.is_file() and path != plan_path:
            assert any(inside(path, folder) for folder in allowed), path
