"""`cardsmith draft` end to end: the real SDK, over real HTTP, against the local stand-in."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

import pytest

from app.core.plan import load_plan
from app.engine.roles import ROLE_DEFAULTS, Role
from tests.fakes.messages_api import FakeMessagesAPI, RequestRecord
from tests.helpers.cli import REPO, run_cli, run_process
from tests.helpers.plans import write_plan
from tests.helpers.server_thread import KEY, StandInThread
from tests.test_boundaries import BLOCK_QT

BRIEF = "# Auth service examples\n\nFor backend developers. Decided: argon2id, opaque session tokens.\n"
MARKDOWN_MODEL = "claude-opus-4-1"
"""A drafting model without structured output in the model table: it is asked for plan Markdown."""


@pytest.fixture
def brief(tmp_path: Path) -> Path:
    path = tmp_path / "brief.md"
    path.write_text(BRIEF, encoding="utf-8")
    return path


def drafts(api: FakeMessagesAPI) -> list[RequestRecord]:
    return [r for r in api.records if r.component == "draft"]


def test_a_brief_becomes_a_plan_that_lint_reads(api: FakeMessagesAPI, brief: Path, tmp_path: Path) -> None:
    plan = tmp_path / "guide.md"
    result = run_cli("draft", brief, "--out", plan, "--language", "go")
    assert result.code == 0, result.err
    parsed = load_plan(plan)
    assert parsed.ok and len(parsed.components) >= 3
    assert (parsed.settings.title, parsed.settings.language) == ("Auth service examples", "go")
    assert parsed.settings.model == ROLE_DEFAULTS[Role.EXECUTE].model
    lint = run_cli("lint", plan)
    assert lint.code == 0 and f"{len(parsed.components)} missing" in lint.out
    (record,) = drafts(api)
    assert record.model == "claude-opus-5-5" == ROLE_DEFAULTS[Role.DRAFT].model
    (body,) = api.drafts.bodies
    assert body["output_config"]["format"]["type"] == "json_schema"
    assert f"wrote {plan}" in result.out and "drafted by claude-opus-5-5" in result.err
    assert "$" in result.err and not list(tmp_path.glob("*.rejected*"))


def test_a_model_without_structured_output_drafts_markdown(api: FakeMessagesAPI, brief: Path, tmp_path: Path) -> None:
    plan = tmp_path / "guide.md"
    assert run_cli("draft", brief, "--out", plan, "--model", MARKDOWN_MODEL, "--components", "4").code == 0
    assert [r.model for r in drafts(api)] == [MARKDOWN_MODEL]
    assert "output_config" not in api.drafts.bodies[0]
    assert len(load_plan(plan).components) == 4


def test_an_existing_plan_is_kept_without_force(api: FakeMessagesAPI, brief: Path, tmp_path: Path) -> None:
    plan = write_plan(tmp_path, 2)
    before = plan.read_bytes()
    result = run_cli("draft", brief, "--out", plan)
    assert result.code == 2 and "already exists" in result.err and "--force" in result.err
    assert result.err.count("\n") == 1 and plan.read_bytes() == before and not drafts(api)
    forced = run_cli("draft", brief, "--out", plan, "--force")
    assert forced.code == 0 and plan.read_bytes() != before and load_plan(plan).ok


@pytest.mark.parametrize("model", ["claude-opus-5-5", MARKDOWN_MODEL])
def test_a_broken_draft_is_fixed_by_one_follow_up(
    api: FakeMessagesAPI, brief: Path, tmp_path: Path, model: str
) -> None:
    api.drafts.mode = "broken_then_fixed"
    plan = tmp_path / "guide.md"
    result = run_cli("draft", brief, "--out", plan, "--model", model)
    assert result.code == 0, result.err
    assert [r.step for r in drafts(api)] == ["draft_broken", "draft_fixed"]
    first, follow_up = api.drafts.bodies
    assert follow_up["messages"][:1] == first["messages"] and follow_up["messages"][1]["role"] == "assistant"
    assert "fixed by one follow-up" in result.err and "error(s); asking" in result.err
    assert load_plan(plan).ok


def test_a_twice_broken_draft_writes_no_plan_and_keeps_the_answer(
    api: FakeMessagesAPI, brief: Path, tmp_path: Path
) -> None:
    api.drafts.mode = "broken"
    plan = tmp_path / "guide.md"
    result = run_cli("draft", brief, "--out", plan, "--model", MARKDOWN_MODEL)
    assert result.code == 1
    assert not plan.exists()
    rejected = tmp_path / "guide.md.rejected.md"
    kept = rejected.read_text(encoding="utf-8")
    assert kept.startswith("---\ntitle: Auth service examples\n") and "```typescript\nconst token = sign(user);" in kept
    assert len(drafts(api)) == 2
    assert "never closed" in result.err and "was not written" in result.err and str(rejected) in result.err
    assert "Traceback" not in result.err


def test_into_adds_components_and_keeps_every_existing_byte(
    api: FakeMessagesAPI, brief: Path, tmp_path: Path
) -> None:
    plan = write_plan(tmp_path, 3, extra_front_matter="draft_model: claude-sonnet-5-5")
    plan.write_bytes(plan.read_bytes().replace(b"\n", b"\r\n"))
    before = plan.read_bytes()
    old = load_plan(plan)
    result = run_cli("draft", brief, "--into", plan)
    assert result.code == 0, result.err
    after = plan.read_bytes()
    assert after.startswith(before) and b"\n" not in after.replace(b"\r\n", b"")
    new = load_plan(plan)
    assert new.ok and new.components[:3] == old.components and len(new.components) == 6
    assert [r.model for r in drafts(api)] == ["claude-sonnet-5-5"]  # the plan's draft_model
    assert "<plan>" in api.drafts.bodies[0]["messages"][0]["content"]
    assert "is already in the plan: left out" in result.err and "added 3 proposed components" in result.out


def test_into_refuses_a_plan_whose_fence_is_never_closed(api: FakeMessagesAPI, brief: Path, tmp_path: Path) -> None:
    plan = write_plan(tmp_path, 2, context="Context.\n```ts\nconst a = 1;")
    before = plan.read_bytes()
    result = run_cli("draft", brief, "--into", plan)
    assert result.code == 2 and "never closed" in result.err
    assert plan.read_bytes() == before and not drafts(api)


def test_messy_names_are_numbered_and_said(api: FakeMessagesAPI, brief: Path, tmp_path: Path) -> None:
    api.drafts.mode = "messy"
    plan = tmp_path / "guide.md"
    result = run_cli("draft", brief, "--out", plan)
    assert result.code == 0, result.err
    names = [c.name for c in load_plan(plan).components]
    assert names[:3] == ["User Model", "User Model (2)", "Component 3"]
    assert "renamed 'User Model (2)'" in result.err and "had no name" in result.err
    assert len(drafts(api)) == 1


def test_a_brief_on_standard_input(api: FakeMessagesAPI, tmp_path: Path) -> None:
    plan = tmp_path / "guide.md"
    env = dict(os.environ, ANTHROPIC_BASE_URL=api.base_url, ANTHROPIC_API_KEY=KEY)
    proc = subprocess.run([sys.executable, "-m", "app", "draft", "-", "--out", str(plan)], input=BRIEF,
                          capture_output=True, text=True, env=env, cwd=REPO, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "# Auth service examples" in api.drafts.bodies[0]["messages"][0]["content"]
    assert load_plan(plan).settings.title == "Auth service examples"


def test_dry_run_prices_the_draft_and_sends_nothing(brief: Path, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)  # no key needed for an estimate
    result = run_cli("draft", brief, "--out", tmp_path / "guide.md", "--dry-run", "--components", "8")
    assert result.code == 0, result.err
    assert "claude-opus-5-5" in result.out and "structured output" in result.out
    assert "typical, at most $" in result.out and not (tmp_path / "guide.md").exists()


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["draft", "missing.md", "--out", "x.md"], "cannot read the brief"),
        (["draft", "empty.md", "--out", "x.md"], "the brief is empty"),
        (["draft", "brief.md", "--out", "x.md", "--into", "y.md"], "not allowed with argument"),
        (["draft", "brief.md"], "one of the arguments --out --into is required"),
        (["draft", "brief.md", "--out", "x.md", "--components", "0"], "--components must be between"),
        (["draft", "brief.md", "--out", "nowhere/x.md"], "does not exist"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(
    api: FakeMessagesAPI, brief: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    argv: list[str], expected: str,
) -> None:
    (tmp_path / "empty.md").write_text("  \n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = run_cli(*argv)
    assert result.code == 2 and expected in result.err, result.err
    assert result.err.count("\n") == 1 and not drafts(api)


def test_ctrl_c_writes_nothing_and_exits_130(api: FakeMessagesAPI, brief: Path, tmp_path: Path) -> None:
    api.tokens_per_s = 20.0  # the draft takes many seconds to stream
    plan = tmp_path / "guide.md"
    command = [sys.executable, "-m", "app", "draft", str(brief), "--out", str(plan)]
    with subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          env=dict(os.environ, ANTHROPIC_BASE_URL=api.base_url, ANTHROPIC_API_KEY=KEY)) as proc:
        assert until(lambda: api.open_streams > 0 and bool(drafts(api))), "the draft was never streaming"
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "nothing was written" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == [brief]


def until(condition: Callable[[], bool], seconds: float = 60) -> bool:
    """Poll ``condition`` until it holds or ``seconds`` pass; whether it held."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_the_drafting_modules_import_without_qt() -> None:
    for module in ("app.draft_command", "app.engine.draft", "app.core.draft_live"):
        code = BLOCK_QT + f"\nimport {module}\n"
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
        assert result.returncode == 0, result.stderr


def test_a_refused_key_is_exit_2(brief: Path, tmp_path: Path) -> None:
    with StandInThread(valid_keys={"the-right-one"}) as fake:
        result = run_process("draft", brief, "--out", tmp_path / "guide.md",
                             env={"ANTHROPIC_BASE_URL": fake.base_url, "ANTHROPIC_API_KEY": "wrong"})
    assert result.code == 2 and "API key refused" in result.err
    assert not (tmp_path / "guide.md").exists() and not list(tmp_path.glob("*.rejected*"))
