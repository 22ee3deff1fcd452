"""``cardsmith export --format docusaurus|mkdocs|hugo|starlight`` and the plan's ``target``, as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.core.export_sites import CATEGORY_NAME
from tests.helpers.cli import run_cli
from tests.helpers.sites import hostile_example


def with_target(plan_path: Path, target: str) -> Path:
    text = plan_path.read_text(encoding="utf-8")
    plan_path.write_text(text.replace("---\n", f"---\ntarget: {target}\n", 1), encoding="utf-8")
    return plan_path


@pytest.mark.parametrize("fmt", ["docusaurus", "mkdocs", "hugo", "starlight"])
def test_each_format_from_the_command_line(tmp_path: Path, fmt: str) -> None:
    plan = hostile_example(tmp_path)
    result = run_cli("export", plan, "--out", tmp_path / fmt, "--format", fmt)
    assert result.code == 0, result.err
    assert result.out.startswith(f"exported 6 cards to {tmp_path / fmt} as {fmt}: ")
    assert (tmp_path / fmt / "user-model.md").is_file()


def test_the_plans_target_is_the_default_format_and_makes_mdx_unsafe_an_error(tmp_path: Path) -> None:
    plan = hostile_example(tmp_path)
    linted = run_cli("lint", plan, "--json")
    before = [f for c in json.loads(linted.out)["cards"] for f in c["findings"] if f["rule"] == "mdx-unsafe"]
    assert [f["severity"] for f in before] == ["warning"] and linted.code == 0

    with_target(plan, "docusaurus")
    linted = run_cli("lint", plan, "--json")
    after = [f for c in json.loads(linted.out)["cards"] for f in c["findings"] if f["rule"] == "mdx-unsafe"]
    assert [f["severity"] for f in after] == ["error"] and linted.code == 1

    exported = run_cli("export", plan, "--out", tmp_path / "site")
    assert exported.code == 0 and " as docusaurus: " in exported.out
    assert (tmp_path / "site" / CATEGORY_NAME).is_file()
    exported = run_cli("export", plan, "--out", tmp_path / "folder", "--format", "folder")
    assert exported.code == 0 and (tmp_path / "folder" / "bundle.json").is_file()


def test_mkdocs_prints_the_nav_or_writes_the_config(tmp_path: Path) -> None:
    plan = hostile_example(tmp_path)
    printed = run_cli("export", plan, "--out", tmp_path / "docs" / "examples", "--format", "mkdocs")
    assert printed.code == 0
    assert "nav:\n- Auth service examples:\n  - examples/index.md\n  - User Model: examples/user-model.md\n" in printed.out
    written = run_cli("export", plan, "--out", tmp_path / "site" / "docs", "--format", "mkdocs", "--write-config")
    assert written.code == 0
    assert f"wrote {(tmp_path / 'site' / 'mkdocs.yml').resolve()}: build the site with" in written.out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "hugo", "--no-front-matter"],
         "cardsmith: error: --no-front-matter does not apply to --format hugo: the site needs the front matter\n"),
        (["--format", "starlight", "--write-config"],
         "cardsmith: error: --write-config applies to --format mkdocs only, not starlight\n"),
        (["--format", "gatsby"], None),
    ],
)  # fmt: skip
def test_mistakes_are_one_line_and_write_nothing(tmp_path: Path, args: list[str], message: str | None) -> None:
    plan = hostile_example(tmp_path)
    result = run_cli("export", plan, "--out", tmp_path / "out", *args)
    assert result.code == 2 and len(result.err.splitlines()) == 1
    assert message is None or result.err == message
    assert not (tmp_path / "out").exists()


def test_a_foreign_mkdocs_yml_is_refused_in_one_line(tmp_path: Path) -> None:
    plan = hostile_example(tmp_path)
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "mkdocs.yml").write_text("site_name: Ours\n", encoding="utf-8")
    result = run_cli("export", plan, "--out", tmp_path / "site" / "docs", "--format", "mkdocs", "--write-config")
    assert result.code == 2
    assert result.err.endswith("mkdocs.yml in " + str((tmp_path / "site").resolve()) + ": it was not written by a Cardsmith export\n")
    assert (tmp_path / "site" / "mkdocs.yml").read_text(encoding="utf-8") == "site_name: Ours\n"
    assert not (tmp_path / "site" / "docs").exists()
