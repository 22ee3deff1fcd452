"""The export dialog's last choice per plan: kept in its own file, checked when read, never a key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.export_choices import MAX_EXPORT_CHOICES, ExportChoice, load_export_choice, save_export_choice
from app.settings import SettingsError


def test_saved_and_read_back_per_plan(tmp_path: Path) -> None:
    store = tmp_path / "choices.json"
    save_export_choice(Path("/a/guide.md"), ExportChoice("mkdocs", "/a/site/docs", write_config=True), store)
    save_export_choice(Path("/b/guide.md"), ExportChoice("zip", "/b/out", front_matter=False), store)
    assert load_export_choice(Path("/a/guide.md"), store) == ExportChoice("mkdocs", "/a/site/docs", True, True)
    assert load_export_choice(Path("/b/guide.md"), store) == ExportChoice("zip", "/b/out", False, False)
    assert load_export_choice(Path("/c/guide.md"), store) is None


def test_only_the_most_recent_plans_are_kept(tmp_path: Path) -> None:
    store = tmp_path / "choices.json"
    for n in range(MAX_EXPORT_CHOICES + 3):
        save_export_choice(Path(f"/p{n}.md"), ExportChoice("folder", f"/out{n}"), store)
    save_export_choice(Path("/p3.md"), ExportChoice("hugo", "/again"), store)  # used again: most recent
    plans = json.loads(store.read_text(encoding="utf-8"))["plans"]
    assert len(plans) == MAX_EXPORT_CHOICES
    assert "/p0.md" not in plans and list(plans)[-1] == "/p3.md"


@pytest.mark.parametrize(
    "content",
    ["not json", "[]", '{"plans": []}', '{"plans": {"/g.md": {"format": "pdf", "folder": "/o"}}}',
     '{"plans": {"/g.md": {"format": "hugo", "folder": 3}}}', '{"plans": {"/g.md": "hugo"}}'],
)  # fmt: skip
def test_a_broken_file_is_no_choice(tmp_path: Path, content: str) -> None:
    store = tmp_path / "choices.json"
    store.write_text(content, encoding="utf-8")
    assert load_export_choice(Path("/g.md"), store) is None


def test_a_key_is_never_written(tmp_path: Path) -> None:
    store = tmp_path / "choices.json"
    with pytest.raises(SettingsError, match="looks like an API key"):
        save_export_choice(Path("/g.md"), ExportChoice("folder", "/out/sk-ant-api03-abcdefghijklmnopqrstu"), store)
    assert not store.exists()
