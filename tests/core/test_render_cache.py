"""The render cache (app/core/render_cache.py): what is written reads back, anything else is no cache."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from app.core import render_cache
from app.core.render_cache import (
    RenderCache,
    cache_file,
    card_digest,
    highlight_file,
    load_highlight,
    load_render_cache,
    renderer_stamp,
    save_highlight,
    save_render_cache,
)


def a_cache() -> RenderCache:
    return RenderCache("stamp 1", {card_digest("# A\n"): "<h1>A</h1>"})


def test_a_saved_cache_reads_back(tmp_path: Path) -> None:
    plan = tmp_path / "plan.md"
    assert save_render_cache(plan, a_cache())
    assert load_render_cache(plan) == a_cache()
    assert cache_file(plan).parent.parent == Path(os.environ["CARDSMITH_CACHE_DIR"])


def test_a_plan_is_one_file_however_its_path_is_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    save_render_cache(Path("plan.md"), a_cache())
    assert load_render_cache(tmp_path / "plan.md") == a_cache()
    assert load_render_cache(tmp_path / "other.md") is None


@pytest.mark.parametrize(
    "content",
    [
        b"{not json",
        b"\xff\xfe",
        b"[]",
        json.dumps({"format": 99, "stamp": "s", "fragments": {}}).encode(),
        json.dumps({"format": 1, "stamp": "s", "fragments": {"k": 3}}).encode(),
        json.dumps({"format": 1, "stamp": 2, "fragments": {}}).encode(),
        json.dumps({"format": 1, "fragments": {}}).encode(),
    ],
    ids=["damaged", "not utf-8", "a list", "another format", "a number for html", "a number for stamp", "no stamp"],
)
def test_anything_unreadable_is_no_cache(tmp_path: Path, content: bytes) -> None:
    plan = tmp_path / "plan.md"
    save_render_cache(plan, a_cache())
    cache_file(plan).write_bytes(content)
    assert load_render_cache(plan) is None


def test_a_cache_too_large_is_not_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(render_cache, "MAX_FILE_BYTES", 100)
    plan = tmp_path / "plan.md"
    big = RenderCache("s", {card_digest("x"): "<p>" + "x" * 200 + "</p>"})
    assert not save_render_cache(plan, big)
    assert not cache_file(plan).exists()


def test_a_folder_that_cannot_be_written_costs_only_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a file"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("CARDSMITH_CACHE_DIR", str(blocker))
    assert not save_render_cache(tmp_path / "plan.md", a_cache())
    assert load_render_cache(tmp_path / "plan.md") is None


def test_the_least_recently_written_plans_go_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(render_cache, "MAX_PLANS", 3)
    plans = [tmp_path / f"plan-{n}.md" for n in range(5)]
    for age, plan in enumerate(plans):
        save_render_cache(plan, a_cache())
        os.utime(cache_file(plan), (1_000_000 + age, 1_000_000 + age))
    save_render_cache(plans[0], a_cache())  # written again: now the most recent
    kept = [plan.name for plan in plans if load_render_cache(plan) is not None]
    assert kept == ["plan-0.md", "plan-3.md", "plan-4.md"]


def test_the_shells_colours_are_kept_once_for_every_plan(tmp_path: Path) -> None:
    assert load_highlight() is None
    save_highlight(".highlight .k { color: red }")
    assert load_highlight() == ".highlight .k { color: red }"
    os.utime(highlight_file(), (1_000_000, 1_000_000))
    save_highlight(".highlight .k { color: red }")  # unchanged: not written again
    assert highlight_file().stat().st_mtime == 1_000_000
    save_highlight(".highlight .k { color: blue }")
    assert load_highlight() == ".highlight .k { color: blue }"


def test_the_stamp_names_what_the_html_depends_on(monkeypatch: pytest.MonkeyPatch) -> None:
    import markdown
    import pygments

    stamp = renderer_stamp()
    assert markdown.__version__ in stamp and pygments.__version__ in stamp
    monkeypatch.setattr(render_cache, "RENDER_FORMAT", render_cache.RENDER_FORMAT + 1)
    assert renderer_stamp() != stamp
