"""The new plan's template (app/core/new_plan.py): the defaults, explained, and it lints clean."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import pytest
import yaml

from app.core.lint_report import lint_plan_and_cards
from app.core.new_plan import new_plan_refusal, new_plan_text
from app.core.plan import parse_plan
from app.core.plan_model import PlanSettings


@pytest.mark.parametrize("name", ["guide.md", "Release Notes.plan.md", "line\nbreak.md", "#: {x}.md"])
def test_the_template_lints_clean_once_saved(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text(new_plan_text(path), encoding="utf-8")
    report = lint_plan_and_cards(path)
    assert report.plan.issues == () and report.exit_code == 0
    assert [c.name for c in report.plan.components] == ["Example Component"]
    assert report.plan.context and "\n" not in report.plan.context  # one line of context


def test_the_front_matter_sets_every_default_but_the_title_and_explains_each() -> None:
    # Keys whose default is "not set" (a site target) stay out: writing them would set them.
    text = new_plan_text(Path("guide.md"))
    front = text.split("---\n")[1]
    values = yaml.safe_load(front)
    defaults = asdict(PlanSettings())
    assert values == {k: v for k, v in defaults.items() if k not in ("title", "given") and v is not None}
    for line in front.splitlines():
        assert "#" in line  # each key has its comment, and the rest is comments
    assert "# title: guide " in front
    assert parse_plan(new_plan_text()).issues == ()


def test_what_cannot_become_a_new_plan(tmp_path: Path) -> None:
    (tmp_path / "taken.md").mkdir()
    assert "is a folder" in (new_plan_refusal(tmp_path / "taken.md") or "")
    assert "no folder" in (new_plan_refusal(tmp_path / "nowhere" / "guide.md") or "")
    assert "ends in .md" in (new_plan_refusal(tmp_path / "guide.txt") or "")
    (tmp_path / "dangling.md").symlink_to(tmp_path / "gone.md")
    assert "not a plan file" in (new_plan_refusal(tmp_path / "dangling.md") or "")
    assert new_plan_refusal(tmp_path / "guide.md") is None
    assert new_plan_refusal(tmp_path / "GUIDE.MD") is None
