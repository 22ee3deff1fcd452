"""The offline commands as a user runs them: lint, export, estimate, --version, bad input."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from app import __version__
from tests.helpers.cli import copy_example, run_cli, run_process, tree_digest


@pytest.fixture
def example(tmp_path: Path) -> Path:
    work = tmp_path / "work"
    work.mkdir()
    return copy_example(work)


def test_version_and_help_from_the_real_entry_point() -> None:
    version = run_process("--version")
    assert version.code == 0 and version.out.strip() == f"cardsmith {__version__}"
    help_ = run_process("--help")
    assert help_.code == 0
    for command in ("generate", "lint", "export", "estimate"):
        assert command in help_.out


def test_lint_of_the_example_is_clean(example: Path) -> None:
    result = run_cli("lint", example)
    assert result.code == 0, result.out + result.err
    assert result.out.strip().splitlines()[-1] == (
        "6 cards: 0 errors, 0 warnings · 0 missing · 0 orphans"
    )


def test_lint_json_lists_every_card(example: Path) -> None:
    result = run_cli("lint", example, "--json")
    data = json.loads(result.out)
    assert result.code == 0 and data["exit_code"] == 0
    assert [c["component"] for c in data["cards"]] == [
        "User Model", "Password Hashing", "Session Token", "Login Handler", "Refresh Rotation",
        "Rate Limiter",
    ]
    assert all(c["state"] == "done" and c["findings"] == [] for c in data["cards"])


def test_lint_reports_a_broken_card_with_its_line_and_exit_1(example: Path) -> None:
    card = example.parent / "auth-service.cards" / "user-model.md"
    text = card.read_text(encoding="utf-8")
    card.write_text(text.replace("## Why this works", "## Why it works"), encoding="utf-8")
    result = run_cli("lint", example)
    assert result.code == 1
    assert any(
        line.startswith("auth-service.cards/user-model.md") and "why-section" in line
        for line in result.out.splitlines()
    ), result.out


@pytest.mark.parametrize(
    ("plan_text", "line", "words"),
    [
        ("---\ntitle: x\n\n## A\nbody\n", 1, "never closed"),
        ("---\nconcurrency: 40\n---\n## A\nbody\n", 2, "concurrency"),
        ("## A\none\n\n## a\ntwo\n", 4, "duplicate"),
        ("just context, no components\n", 1, "no components"),
    ],
)
def test_bad_plan_gives_exit_2_and_one_line_naming_the_line(
    tmp_path: Path, plan_text: str, line: int, words: str
) -> None:
    plan = tmp_path / "bad.md"
    plan.write_text(plan_text, encoding="utf-8")
    for command in (["export", plan, "--out", tmp_path / "out"], ["estimate", plan]):
        result = run_cli(*command)
        assert result.code == 2
        lines = result.err.strip().splitlines()
        assert len(lines) == 1, result.err
        assert f"bad.md:{line}:" in lines[0] and words in lines[0]
        assert "Traceback" not in result.err
    assert not (tmp_path / "out").exists()


def test_undecodable_plan_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    plan = tmp_path / "latin1.md"
    plan.write_bytes("## Caf\xe9\nbody\n".encode("latin-1"))
    result = run_process("lint", plan)
    assert result.code == 2
    assert "Traceback" not in result.out + result.err
    assert "latin1.md:1:" in result.out


def test_missing_plan_and_bad_usage_are_one_line(tmp_path: Path) -> None:
    missing = run_cli("lint", tmp_path / "nope.md")
    assert missing.code == 2 and "nope.md" in missing.err and len(missing.err.splitlines()) == 1
    unknown = run_cli("frobnicate")
    assert unknown.code == 2 and len(unknown.err.splitlines()) == 1
    no_out = run_cli("export", tmp_path / "x.md")
    assert no_out.code == 2 and "--out" in no_out.err


@pytest.mark.parametrize("fmt", ["folder", "single", "html", "zip"])
def test_export_twice_is_byte_identical(example: Path, tmp_path: Path, fmt: str) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    assert run_cli("export", example, "--out", first, "--format", fmt).code == 0
    assert run_cli("export", example, "--out", second, "--format", fmt).code == 0
    a, b = tree_digest(first), tree_digest(second)
    assert a and a == b
    again = run_cli("export", example, "--out", first, "--format", fmt)
    assert again.code == 0 and tree_digest(first) == a


def test_folder_export_holds_index_cards_and_manifest(example: Path, tmp_path: Path) -> None:
    out = tmp_path / "bundle"
    result = run_cli("export", example, "--out", out)
    assert result.code == 0, result.err
    bundle = json.loads((out / "bundle.json").read_text(encoding="utf-8"))
    files = [c["file"] for c in bundle["cards"]]
    assert len(files) == 6 and all((out / f).is_file() for f in files)
    index = (out / "index.md").read_text(encoding="utf-8")
    for f in files:
        assert f"]({f})" in index


def test_zip_export_is_sorted_and_dated_1980(example: Path, tmp_path: Path) -> None:
    out = tmp_path / "z"
    assert run_cli("export", example, "--out", out, "--format", "zip").code == 0
    (archive,) = out.glob("*.zip")
    with zipfile.ZipFile(archive) as zf:
        names = zf.namelist()
        assert names == sorted(names) and "index.md" in names
        assert {i.date_time for i in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_export_refuses_to_overwrite_a_foreign_file(example: Path, tmp_path: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "index.md").write_text("my own notes\n", encoding="utf-8")
    result = run_cli("export", example, "--out", out)
    assert result.code == 2 and "index.md" in result.err
    assert [p.name for p in out.iterdir()] == ["index.md"]
    assert (out / "index.md").read_text(encoding="utf-8") == "my own notes\n"


def test_estimate_is_offline_and_counts_what_would_be_sent(example: Path) -> None:
    result = run_cli("estimate", example)
    assert result.code == 0, result.err
    assert result.out.startswith("0 of 6 cards would be sent")
    (example.parent / "auth-service.cards" / "rate-limiter.md").unlink()
    result = run_cli("estimate", example)
    assert result.out.startswith("1 of 6 cards would be sent to claude-haiku-5-5")
    assert "cost: ~$" in result.out


def test_no_command_changes_the_plan_or_its_cards(example: Path, tmp_path: Path) -> None:
    folder = example.parent
    before = tree_digest(folder)
    for argv in (
        ["lint", example], ["lint", example, "--json"], ["estimate", example],
        ["export", example, "--out", tmp_path / "e1"],
        ["export", example, "--out", tmp_path / "e2", "--format", "html"],
        ["generate", example],  # nothing to send: needs no key, writes nothing
    ):
        run_cli(*argv)
    assert tree_digest(folder) == before
