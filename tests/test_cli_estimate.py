"""`cardsmith estimate --exact`: the provider's free token count, or the offline count when the
provider cannot count tokens, said so in the output."""

from __future__ import annotations

from pathlib import Path
from typing import Any, AsyncIterator

import pytest

from app.core.plan import load_plan
from app.core.prompt import CardRequest, build_request
from app.engine.provider import StreamChunk
from tests.fakes.model_rules import count_tokens
from tests.helpers.cli import run_cli
from tests.helpers.plans import write_plan
from tests.helpers.server_thread import StandIn


def input_line(out: str) -> str:
    return next(line for line in out.splitlines() if line.startswith("input tokens"))


def test_exact_counts_come_from_the_token_counting_endpoint(tmp_path: Path, api: StandIn) -> None:
    plan_path = write_plan(tmp_path, 3)
    result = run_cli("estimate", plan_path, "--exact")
    assert result.code == 0, result.err
    plan = load_plan(plan_path)
    # The stand-in counts the system prompt and messages with the model's tokenizer.
    requests = [build_request(plan, c) for c in plan.components]
    expected = sum(count_tokens(r.model, r.system + r.messages[0][1]) for r in requests)
    assert input_line(result.out) == f"input tokens (exact): {expected:,}"
    assert [r.path for r in api.records] == ["/v1/messages/count_tokens"] * 3
    assert "unavailable" not in result.out


class NoCounting:
    """A provider without ``count_tokens`` (a local server's, say)."""

    name = "local"

    def stream(self, request: CardRequest) -> AsyncIterator[StreamChunk]:
        raise AssertionError("estimate never streams")

    async def aclose(self) -> None:
        pass


def test_a_provider_that_cannot_count_falls_back_to_the_offline_count(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, api: StandIn
) -> None:
    import app.terminal

    made: list[Any] = []
    monkeypatch.setattr(app.terminal, "make_provider", lambda config: made.append(config) or NoCounting())
    plan_path = write_plan(tmp_path, 3)
    offline = run_cli("estimate", plan_path)
    result = run_cli("estimate", plan_path, "--exact")
    assert result.code == 0, result.err
    assert len(made) == 1 and api.records == []
    assert input_line(result.out) == input_line(offline.out)
    assert input_line(result.out).startswith("input tokens (estimated)")
    assert "exact counts unavailable: this provider cannot count tokens" in result.out


def test_exact_without_a_key_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)  # and the test keyring holds none
    result = run_cli("estimate", write_plan(tmp_path, 1), "--exact")
    assert result.code == 2
    assert result.err.strip().splitlines() == [
        "cardsmith: error: no API key: set ANTHROPIC_API_KEY in the environment"
        " (or store one from the window's Settings) (no key is stored in the system keyring)"
    ]
