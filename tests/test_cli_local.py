"""`cardsmith` with a local model server (the chat-completions stand-in over real HTTP): every card,
lint, repair and export as usual, cost 0, no Anthropic key, and not one request to Anthropic."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml

from app.core.plan import load_plan
from app.core.store import CardStore
from tests.fakes.chat_completions import ChatRecord, FakeChatCompletionsAPI
from tests.fakes.chat_thread import ChatStandInThread
from tests.fakes.messages_api import FakeMessagesAPI, Step, unreachable_base_url
from tests.helpers.cli import run_cli, run_process, tree_digest
from tests.helpers.plans import component_names, write_plan
from tests.helpers.server_thread import StandInThread

LOCAL_VARS = ("OPENAI_API_KEY", "CARDSMITH_PROVIDER", "CARDSMITH_OPENAI_BASE_URL", "ANTHROPIC_API_KEY")


@pytest.fixture
def anthropic(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeMessagesAPI]:
    """The Messages API stand-in where the Anthropic provider would go, with no key anywhere: a run
    that asked it anything would show up in its records."""
    for name in LOCAL_VARS:
        monkeypatch.delenv(name, raising=False)
    with StandInThread() as api:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", api.base_url)
        yield api


@pytest.fixture
def local() -> Iterator[FakeChatCompletionsAPI]:
    with ChatStandInThread(retry_after_s=0.05) as api:
        yield api


def local_plan(folder: Path, server: FakeChatCompletionsAPI | str, n: int = 4, extra: str = "") -> Path:
    url = server if isinstance(server, str) else server.v1_url
    front = f"provider: openai-compatible\nbase_url: {url}\nmodel: llama3.2" + (f"\n{extra}" if extra else "")
    return write_plan(folder, n, extra_front_matter=front)


def card_meta(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8").split("---\n")[1])  # type: ignore[no-any-return]


def chat_records(api: FakeChatCompletionsAPI) -> list[ChatRecord]:
    return [r for r in api.records if isinstance(r, ChatRecord) and r.path == "/v1/chat/completions"]


def test_a_local_plan_generates_lints_repairs_and_exports_with_no_cost(
    tmp_path: Path, anthropic: FakeMessagesAPI, local: FakeChatCompletionsAPI
) -> None:
    plan_path = local_plan(tmp_path, local)
    names = component_names(4)
    local.script(names[1], "broken_then_repair", "broken_then_repair")
    result = run_cli("generate", plan_path)
    assert result.code == 0, result.err
    assert "4/4 done" in result.err and "1 repaired" in result.err and "local, no cost" in result.err
    snapshot = CardStore(plan_path).load(load_plan(plan_path))
    assert sorted(card.meta.component for card in snapshot.cards.values()) == names
    for card in snapshot.cards.values():
        meta = card_meta(card.path)
        assert (meta["model"], meta["cost_usd"], meta["findings"]) == ("llama3.2", 0.0, [])
        assert meta["input_tokens"] > 0 and meta["output_tokens"] > 0
    records = chat_records(local)
    assert len(records) == 5 and all(r.include_usage and r.model == "llama3.2" and not r.bearer for r in records)
    assert [(r.step, r.messages, r.carried_answer) for r in local.requests_for(names[1])] == [
        ("broken", 1, False), ("repaired", 3, True)]
    assert run_cli("lint", plan_path).code == 0
    exported = run_cli("export", plan_path, "--out", tmp_path / "out", "--format", "zip")
    assert exported.code == 0, exported.err
    assert anthropic.records == []


def test_flags_send_any_plan_to_a_local_server_in_a_real_process(
    tmp_path: Path, anthropic: FakeMessagesAPI, local: FakeChatCompletionsAPI
) -> None:
    plan_path = tmp_path / "guide.md"  # no provider, base_url or concurrency of its own
    plan_path.write_text("---\nmodel: llama3.2\n---\nContext.\n\n" + "".join(
        f"## {name}\nShow pattern {name}.\n\n" for name in component_names(3)), encoding="utf-8")
    result = run_process("generate", plan_path, "--provider", "openai-compatible", "--base-url", local.v1_url)
    assert result.code == 0, result.err
    assert f"3 cards to llama3.2 at {local.v1_url} (local, 1 at a time)" in result.err
    assert max(r.open_streams for r in chat_records(local)) == 1  # a local server: one at a time
    assert run_process("lint", plan_path).code == 0
    assert len(chat_records(local)) == 3 and anthropic.records == []


def test_an_unknown_model_is_one_line_exit_2_and_changes_no_card(
    tmp_path: Path, anthropic: FakeMessagesAPI, local: FakeChatCompletionsAPI
) -> None:
    plan_path = local_plan(tmp_path, local, extra="concurrency: 2")
    assert run_cli("generate", plan_path).code == 0
    folder = CardStore(plan_path).folder
    before = tree_digest(folder)
    sent = len(chat_records(local))
    result = run_cli("generate", plan_path, "--force", "--model", "mistral")
    assert result.code == 2
    errors = [line for line in result.err.splitlines() if line.startswith("cardsmith: error")]
    assert errors == [
        f"cardsmith: error: model 'mistral' is not on the server at {local.v1_url}: model \"mistral\" not"
        " found, try pulling it first (run `ollama pull mistral`)"]
    assert "Traceback" not in result.err
    assert tree_digest(folder) == before
    assert len(chat_records(local)) - sent <= 2 and anthropic.records == []


def test_no_server_is_one_line_and_exit_1(tmp_path: Path, anthropic: FakeMessagesAPI) -> None:
    url = unreachable_base_url() + "/v1"
    plan_path = local_plan(tmp_path, url, n=3)
    result = run_cli("generate", plan_path)
    assert result.code == 1
    assert result.err.splitlines()[-1] == (
        f"cardsmith: error: no server at {url} (connection refused): is the model server running?"
        " check the plan's base_url")
    assert not CardStore(plan_path).folder.exists() or not any(CardStore(plan_path).folder.glob("*.md"))
    assert run_cli("models", plan_path).code == 1


def test_loading_503_is_retried_and_a_full_queue_halves_the_concurrency(
    tmp_path: Path, anthropic: FakeMessagesAPI
) -> None:
    with ChatStandInThread(loading_requests=1, max_open_streams_before_503=1, ttft_s=0.2) as local:
        plan_path = local_plan(tmp_path, local, n=6, extra="concurrency: 4")
        result = run_cli("generate", plan_path)
    assert result.code == 0, result.err
    assert "retrying 2/4 · server busy (503 unavailable_error): Loading model" in result.err
    assert "concurrency now 2 (server busy (503): 2 parallel requests)" in result.err
    steps = [r.step for r in chat_records(local)]
    assert steps[0] == "loading" and "busy_503" in steps and steps.count("good") == 6


def test_models_and_estimate_for_a_local_plan(
    tmp_path: Path, anthropic: FakeMessagesAPI, local: FakeChatCompletionsAPI
) -> None:
    plan_path = local_plan(tmp_path, local)
    models = run_cli("models", plan_path)
    assert models.code == 0 and models.out.splitlines() == ["llama3.2", "qwen2.5-coder:7b"]
    assert models.err.strip() == f"2 models at {local.v1_url}"
    estimate = run_cli("estimate", plan_path, "--exact")
    assert estimate.code == 0
    assert "4 of 4 cards would be sent to llama3.2" in estimate.out
    assert "cost: local, no cost (a local model server)" in estimate.out
    assert "exact counts unavailable: this provider cannot count tokens" in estimate.out
    assert chat_records(local) == [] and anthropic.records == []
    bad = run_cli("generate", plan_path, "--base-url", "localhost:11434")
    assert (bad.code, bad.err.strip()) == (
        2, "cardsmith: error: --base-url must be an http:// or https:// URL, not 'localhost:11434'")


def test_the_openai_key_is_sent_but_never_printed_or_written(
    tmp_path: Path, anthropic: FakeMessagesAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    canary = "sk-local-CANARY-0f1e2d3c4b5a6978"
    with ChatStandInThread(valid_keys={canary}) as local:
        plan_path = local_plan(tmp_path / "plan", local, n=2)
        local.script("Component 02", Step("http_400", message=f"rejected key {canary}"))
        result = run_process("generate", plan_path, "--debug", env={"OPENAI_API_KEY": canary})
    assert result.code == 1  # Component 02's request was rejected (400), with the key in its text
    assert all(r.bearer for r in chat_records(local)) and len(chat_records(local)) == 2
    assert "1/2 done" in result.err and "***" in result.err
    assert canary not in result.out + result.err
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert written and not any(canary in p.read_text(encoding="utf-8", errors="replace") for p in written)
