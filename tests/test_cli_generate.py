"""`cardsmith generate` end to end: the real SDK, over real HTTP, against the local stand-in."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.core.card import parse_card
from app.core.plan import load_plan
from app.core.store import CardStore
from tests.fakes.messages_api import FakeMessagesAPI, Step, unreachable_base_url
from tests.helpers.card_files import card_files
from tests.helpers.cli import REPO, one_error_line, run_cli, tree_digest
from tests.helpers.plans import component_names, write_plan
from tests.helpers.server_thread import KEY, message_requests
from tests.helpers.waits import wait_until


def sent(api: FakeMessagesAPI) -> list[str]:
    return [r.component for r in message_requests(api)]


def test_twelve_components_give_twelve_clean_cards_and_a_rerun_sends_nothing(
    api: FakeMessagesAPI, tmp_path: Path
) -> None:
    plan = write_plan(tmp_path / "docs", 12)
    result = run_cli("generate", plan)
    assert result.code == 0, result.err
    assert sorted(sent(api)) == component_names(12)
    files = card_files(plan)
    assert len(files) == 12
    for f in files:
        meta, body = parse_card(f.read_text(encoding="utf-8"))
        assert body.startswith(f"# {meta.component}\n") and meta.findings == ()
        assert meta.output_tokens > 0 and meta.cost_usd is not None and meta.request_sha256
    assert "12/12 done" in result.err and "speed-up" in result.err
    assert run_cli("lint", plan).code == 0

    before = tree_digest(plan.parent)
    again = run_cli("generate", plan)
    assert again.code == 0 and "nothing to generate" in again.err
    assert len(sent(api)) == 12
    assert tree_digest(plan.parent) == before


def test_changed_context_regenerates_stale_cards_but_not_edited_or_locked(
    api: FakeMessagesAPI, tmp_path: Path
) -> None:
    plan = write_plan(tmp_path, 5, context="First context.")
    assert run_cli("generate", plan).code == 0
    store = CardStore(plan)
    snapshot = store.load(load_plan(plan))
    cards = {c.meta.component: c for c in snapshot.cards.values()}
    edited = store.save_body(cards["Component 02"], cards["Component 02"].body + "\nMy own note.\n")
    locked = store.set_locked(cards["Component 04"], True)
    kept = {p: p.read_bytes() for p in (edited.path, locked.path)}

    write_plan(tmp_path, 5, context="Second context, changed.")
    api.records.clear()
    result = run_cli("generate", plan)
    assert result.code == 0, result.err
    assert sorted(sent(api)) == ["Component 01", "Component 03", "Component 05"]
    assert {p: p.read_bytes() for p in kept} == kept

    api.records.clear()
    forced = run_cli("generate", plan, "--force")
    assert forced.code == 0, forced.err
    assert "Component 04" not in sent(api) and "Component 02" in sent(api)
    assert locked.path.read_bytes() == kept[locked.path]


def test_peak_open_streams_equals_the_concurrency(api: FakeMessagesAPI, tmp_path: Path) -> None:
    api.ttft_s, api.tokens_per_s = 0.05, 600.0
    plan = write_plan(tmp_path, 24)
    result = run_cli("generate", plan, "--concurrency", "8")
    assert result.code == 0, result.err
    assert api.peak_open_streams == 8
    assert max(r.open_streams for r in api.records) == 8


@pytest.mark.parametrize(
    "fault", ["http_429", "http_529", "http_500", "error_event", "drop", "stall", "no_stop"]
)
def test_each_transient_fault_is_retried_and_the_card_completes(
    api: FakeMessagesAPI, tmp_path: Path, fault: str
) -> None:
    api.retry_after_s = 0.1
    api.script("Component 02", fault)
    plan = write_plan(tmp_path, 3)
    result = run_cli("generate", plan, "--stall-timeout", "0.5")
    assert result.code == 0, result.err
    assert [r.step for r in api.requests_for("Component 02")] == [fault, "good"]
    assert len(card_files(plan)) == 3
    assert "retrying 2/4" in result.err


@pytest.mark.parametrize(
    ("fault", "words"),
    [
        ("http_400", "invalid_request_error"),
        ("spend_limit", "spend limit"),
        ("max_tokens", "max_tokens"),
        ("refusal", "declined by the model's safety classifier"),
    ],
)
def test_permanent_card_faults_fail_that_card_only(
    api: FakeMessagesAPI, tmp_path: Path, fault: str, words: str
) -> None:
    api.script("Component 01", fault)
    plan = write_plan(tmp_path, 3)
    result = run_cli("generate", plan)
    assert result.code == 1
    assert len(api.requests_for("Component 01")) == 1
    names = sorted(parse_card(f.read_text(encoding="utf-8"))[0].component for f in card_files(plan))
    assert names == ["Component 02", "Component 03"]
    failure = [line for line in result.err.splitlines() if line.startswith("cardsmith: failed:")]
    assert len(failure) == 1 and "Component 01" in failure[0] and words in failure[0].lower()


def test_max_attempts_counts_every_request(api: FakeMessagesAPI, tmp_path: Path) -> None:
    api.script("Component 01", Step("http_529"), Step("http_529"), Step("http_529"))
    plan = write_plan(tmp_path, 1)
    result = run_cli("generate", plan, "--max-attempts", "2")
    assert result.code == 1
    assert len(api.requests_for("Component 01")) == 2
    assert card_files(plan) == []


def test_refused_key_stops_the_run_with_exit_2_and_touches_nothing(
    api: FakeMessagesAPI, tmp_path: Path
) -> None:
    api.valid_keys = {"sk-some-other-key"}
    plan = write_plan(tmp_path, 6)
    before = tree_digest(tmp_path)
    result = run_cli("generate", plan)
    assert result.code == 2
    line = one_error_line(result.err)
    assert "key" in line.lower() and "401" in line
    assert tree_digest(tmp_path) == before
    assert len(sent(api)) <= 4


def test_forbidden_key_is_a_key_problem_too(api: FakeMessagesAPI, tmp_path: Path) -> None:
    api.script_all("http_403")
    plan = write_plan(tmp_path, 6)
    result = run_cli("generate", plan)
    assert result.code == 2 and "403" in one_error_line(result.err)
    assert card_files(plan) == []


def test_unknown_model_is_one_line_naming_the_model(api: FakeMessagesAPI, tmp_path: Path) -> None:
    api.script_all("http_404")
    plan = write_plan(tmp_path, 6)
    before = tree_digest(tmp_path)
    result = run_cli("generate", plan, "--model", "claude-nope-9")
    assert result.code == 2
    warning, *rest = result.err.splitlines()
    # The model table does not know it: one warning line first, then the API's 404 in one line.
    assert warning == (
        "cardsmith: warning: model 'claude-nope-9' is not in the model table (checked 2026-12-03):"
        " its cost is shown as unknown"
    )
    assert "claude-nope-9" in one_error_line("\n".join(rest))
    assert tree_digest(tmp_path) == before


def test_unreachable_host_is_one_line_without_a_retry_storm(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ANTHROPIC_BASE_URL", unreachable_base_url())
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    plan = write_plan(tmp_path, 8)
    before = tree_digest(tmp_path)
    started = time.monotonic()
    result = run_cli("generate", plan)
    assert result.code == 1
    line = one_error_line(result.err)
    assert "reach" in line.lower() or "connect" in line.lower()
    assert "retrying" not in result.err
    assert tree_digest(tmp_path) == before
    assert time.monotonic() - started < 30  # a guard against a hang, not a timing target


def test_no_key_is_exit_2_and_nothing_changes(tmp_path: Path) -> None:
    plan = write_plan(tmp_path, 2)
    before = tree_digest(tmp_path)
    result = run_cli("generate", plan)
    assert result.code == 2
    assert "ANTHROPIC_API_KEY" in one_error_line(result.err)
    assert tree_digest(tmp_path) == before


def test_unknown_only_name_is_exit_2_before_anything_is_sent(
    api: FakeMessagesAPI, tmp_path: Path
) -> None:
    plan = write_plan(tmp_path, 2)
    result = run_cli("generate", plan, "--only", "Nope")
    assert result.code == 2 and "Nope" in one_error_line(result.err)
    assert sent(api) == []
    only = run_cli("generate", plan, "--only", "component 02")
    assert only.code == 0 and sent(api) == ["Component 02"]


def test_hostile_card_is_stored_as_text_and_flagged_by_lint(
    api: FakeMessagesAPI, tmp_path: Path
) -> None:
    api.script("Component 01", "hostile", "hostile")  # the repair is no better: kept as it was
    plan = write_plan(tmp_path, 1)
    result = run_cli("generate", plan)
    assert result.code == 1 and "lint errors" in result.err
    assert len(api.requests_for("Component 01")) == 2
    lint = run_cli("lint", plan)
    assert lint.code == 1 and "raw-html" in lint.out


def test_wrapped_answer_is_unwrapped_before_it_is_stored(api: FakeMessagesAPI, tmp_path: Path) -> None:
    api.script("Component 01", "wrapped")
    plan = write_plan(tmp_path, 1)
    assert run_cli("generate", plan).code == 0
    (card,) = card_files(plan)
    _, body = parse_card(card.read_text(encoding="utf-8"))
    assert body.startswith("# Component 01\n")


def test_ctrl_c_keeps_finished_cards_and_exits_130(api: FakeMessagesAPI, tmp_path: Path) -> None:
    api.tokens_per_s = 150.0  # a card takes about a second to stream
    plan = write_plan(tmp_path, 8, concurrency=2)
    proc = subprocess.Popen(  # the environment points it at the stand-in
        [sys.executable, "-m", "app", "generate", str(plan)], cwd=REPO,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    assert wait_until(lambda: bool(card_files(plan)), alive=lambda: proc.poll() is None), "no card finished"
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    kept = card_files(plan)
    assert 1 <= len(kept) < 8
    for f in kept:
        meta, body = parse_card(f.read_text(encoding="utf-8"))
        assert body.startswith(f"# {meta.component}\n") and "## Why this works" in body
    assert not list(CardStore(plan).folder.glob(".*.tmp"))
