"""Today's models from the command line, over real HTTP against the stand-in: Claude Haiku 5.5 by
default, thinking that never eats a card, refusals, the shared context cached once, and the
account's rate limits kept for the next run and for ``estimate``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.core.pricing import TokenUsage, usage_cost_usd
from app.paths import rate_limits_file
from tests.fakes import cards
from tests.fakes.messages_api import FakeMessagesAPI
from tests.fakes.model_rules import THINKING_TOKENS
from tests.fakes.rate_limit_headers import Limits
from tests.helpers.card_files import stored_cards as stored
from tests.helpers.cli import Result, run_cli
from tests.helpers.plans import component_names, write_plan
from tests.helpers.server_thread import KEY, StandIn, message_requests

LONG_CONTEXT = "The service keeps every secret out of its logs and compares them in constant time. " * 40
"""About 830 stand-in tokens: over the 5.x models' 512-token minimum cacheable prefix."""
SAMPLING = {"temperature", "top_p", "top_k"}


@pytest.fixture
def api(stand_in: StandIn) -> FakeMessagesAPI:
    # Headers and message_start come 0.2 s after a request: requests sent together would each
    # write the cache before any of them could read it.
    return stand_in(api_key=KEY, ttfb_s=0.2, rate_limits=Limits(50, 80_000, 40_000))


def messages(api: FakeMessagesAPI) -> list:
    records = message_requests(api)
    # Whatever the test, no request ever carries a sampling parameter.
    assert not any(SAMPLING & set(r.params) for r in records)
    return records


def test_a_plan_without_a_model_runs_on_haiku_5_5_thinking_at_low_effort(
    api: FakeMessagesAPI, tmp_path: Path
) -> None:
    plan = write_plan(tmp_path, 3)
    assert "model:" not in plan.read_text(encoding="utf-8")
    result = run_cli("generate", plan)
    assert result.code == 0, result.err
    records = messages(api)
    assert {(r.model, r.thinking, r.effort, r.max_tokens) for r in records} == {
        ("claude-haiku-5-5", "adaptive", "low", 1024 + 2000)
    }
    assert all(r.thinking_tokens == THINKING_TOKENS["low"] for r in records)
    for name, (meta, body) in stored(plan).items():
        assert meta.model == "claude-haiku-5-5" and "THINKING-7f3a" not in body
        assert body == cards.good_card(name, "typescript")
        assert meta.output_tokens > THINKING_TOKENS["low"]  # thinking is paid for as output


def test_effort_high_thinks_past_the_cards_budget_and_every_card_is_still_complete(
    api: FakeMessagesAPI, tmp_path: Path
) -> None:
    plan = write_plan(tmp_path, 4, extra_front_matter="effort: high\nmax_tokens: 1024")
    result = run_cli("generate", plan)
    assert result.code == 0, result.err
    assert "4/4 done" in result.err
    records = messages(api)
    # High effort thinks 1,200 tokens: alone more than max_tokens 1024, so without the headroom
    # (8,000 at high) every card would stop at max_tokens (tests/fakes/test_model_behaviour.py).
    assert all(r.thinking_tokens == THINKING_TOKENS["high"] > 1024 for r in records)
    assert {r.max_tokens for r in records} == {1024 + 8000}
    assert sorted(stored(plan)) == component_names(4)
    assert all(meta.output_tokens > 1024 for meta, _ in stored(plan).values())


def generate_with_component_02_getting(
    api: FakeMessagesAPI, folder: Path, step: str, n: int
) -> tuple[Path, Result]:
    """A run of ``n`` cards whose second one gets ``step``: it exits 1."""
    api.script("Component 02", step)
    plan = write_plan(folder, n)
    result = run_cli("generate", plan)
    assert result.code == 1
    return plan, result


def test_a_card_cut_at_max_tokens_fails_as_truncated_naming_both_budgets(
    api: FakeMessagesAPI, tmp_path: Path
) -> None:
    _, result = generate_with_component_02_getting(api, tmp_path, "max_tokens", 2)
    assert ("cardsmith: failed: Component 02: answer cut off at max_tokens (1024 for the card + 2000"
            " for thinking); raise max_tokens in the plan") in result.err.splitlines()


def test_a_refused_card_fails_alone_is_not_retried_and_is_counted_apart(
    api: FakeMessagesAPI, tmp_path: Path
) -> None:
    plan, result = generate_with_component_02_getting(api, tmp_path, "refusal", 4)
    assert len(api.requests_for("Component 02")) == 1
    assert sorted(stored(plan)) == ["Component 01", "Component 03", "Component 04"]
    lines = result.err.splitlines()
    assert [line for line in lines if line.startswith("cardsmith: failed:")] == [
        "cardsmith: failed: Component 02: declined by the model's safety classifier (not retried:"
        " reword the component's instruction or choose another model)"
    ]
    summary = lines[-1]
    assert summary.startswith("3/4 done · 1 refused · ") and " failed" not in summary
    messages(api)


def test_eight_cards_at_concurrency_8_write_the_shared_context_once_and_read_it_seven_times(
    api: FakeMessagesAPI, tmp_path: Path
) -> None:
    plan = write_plan(tmp_path, 8, concurrency=8, context=LONG_CONTEXT)
    result = run_cli("generate", plan)
    assert result.code == 0, result.err
    records = messages(api)
    assert len(records) == 8
    writes = [r for r in records if r.cache_write]
    reads = [r for r in records if r.cache_read]
    assert len(writes) == 1 and len(reads) == 7
    assert writes[0].t < min(r.t for r in reads)  # the others waited for the first response
    prefix = writes[0].cache_write
    assert {r.cache_read for r in reads} == {prefix}
    assert "cache: 1 write, 7 reads, saved $" in result.err
    for meta, _ in stored(plan).values():
        assert meta.cache_read_tokens + meta.cache_write_tokens == prefix
        usage = TokenUsage(meta.input_tokens, meta.output_tokens, cache_read_tokens=meta.cache_read_tokens,
                           cache_write_5m_tokens=meta.cache_write_tokens)
        assert meta.cost_usd == usage_cost_usd("claude-haiku-5-5", usage)
        # $0.10 per million uncached, 1.25x for the write, 0.1x for reads; $0.50 per million out.
        by_hand = (meta.input_tokens * 0.10 + meta.cache_write_tokens * 0.125
                   + meta.cache_read_tokens * 0.01 + meta.output_tokens * 0.50) / 1e6
        assert meta.cost_usd == pytest.approx(by_hand, abs=1e-9)


def test_without_the_cache_every_request_goes_at_once_unmarked(api: FakeMessagesAPI, tmp_path: Path) -> None:
    plan = write_plan(tmp_path, 8, concurrency=8, context=LONG_CONTEXT)
    result = run_cli("generate", plan, "--no-cache")
    assert result.code == 0, result.err
    records = messages(api)
    assert not any(r.cache_write or r.cache_read for r in records)
    assert max(r.open_streams for r in records) == 8  # nobody waited for a first response
    assert "cache:" not in result.err


def test_a_context_below_the_minimum_is_neither_marked_nor_waited_for(
    api: FakeMessagesAPI, tmp_path: Path
) -> None:
    plan = write_plan(tmp_path, 6, concurrency=6)  # "Shared context for every card."
    assert run_cli("generate", plan).code == 0
    records = messages(api)
    assert not any(r.cache_write or r.cache_read for r in records)
    assert max(r.open_streams for r in records) == 6


def test_estimate_shows_what_the_cache_saves(tmp_path: Path) -> None:
    plan = write_plan(tmp_path, 8, context=LONG_CONTEXT)
    result = run_cli("estimate", plan)
    assert result.code == 0, result.err
    line = next(x for x in result.out.splitlines() if x.startswith("cache:"))
    assert "is written once and read by 7 cards: saves ~$" in line
    short = run_cli("estimate", write_plan(tmp_path / "short", 8))
    assert "is under claude-haiku-5-5's minimum of 512 tokens: not cached" in short.out


def test_the_accounts_limits_are_kept_and_used_by_estimate_and_the_next_run(
    api: FakeMessagesAPI, tmp_path: Path
) -> None:
    plan = write_plan(tmp_path, 4)
    before = run_cli("estimate", plan)
    assert "time: unknown until a run on claude-haiku-5-5 has seen this account's rate limits" in before.out
    assert run_cli("generate", plan).code == 0
    kept = json.loads(rate_limits_file().read_text(encoding="utf-8"))
    entry = kept["models"]["claude-haiku-5-5"]
    assert (entry["requests_per_min"], entry["input_tokens_per_min"], entry["output_tokens_per_min"]) == (
        50, 80_000, 40_000
    )
    assert entry["seconds_per_card"] > 0 and entry["output_tokens_per_card"] > 0
    text = rate_limits_file().read_text(encoding="utf-8")
    assert KEY not in text and "Shared context" not in text and "Component" not in text

    # A smaller account: 6,100 output tokens a minute fit two requests of 3,024 reserved tokens.
    api.rate_limit_book.limits = Limits(50, 80_000, 6_100)
    api.records.clear()
    assert run_cli("generate", plan, "--force").code == 0
    after = run_cli("estimate", write_plan(tmp_path / "next", 8))
    time_line = next(x for x in after.out.splitlines() if x.startswith("time:"))
    assert "at concurrency 2" in time_line and "6,100 output tokens per minute" in time_line
    api.records.clear()
    result = run_cli("generate", write_plan(tmp_path / "next", 8), "--concurrency", "4")
    assert result.code == 0, result.err
    assert ("concurrency now 2 (within the account's rate limits: 6,100 output tokens per minute,"
            " 3,024 reserved per request)") in result.err
    first_wave = sorted(messages(api), key=lambda r: r.t)[:3]
    assert max(r.open_streams for r in first_wave) <= 2


def test_lint_warns_when_effort_has_no_effect_on_the_model(tmp_path: Path) -> None:
    plan = write_plan(tmp_path, 1, extra_front_matter="model: claude-haiku-4-5\neffort: high")
    result = run_cli("lint", plan)
    assert result.code == 0
    assert "effort has no effect on claude-haiku-4-5" in result.out + result.err


def test_an_explicit_legacy_model_is_sent_neither_thinking_nor_effort(
    api: FakeMessagesAPI, tmp_path: Path
) -> None:
    plan = write_plan(tmp_path, 2)
    result = run_cli("generate", plan, "--model", "claude-haiku-4-5")
    assert result.code == 0, result.err
    assert {(r.model, r.thinking, r.effort, r.max_tokens) for r in messages(api)} == {
        ("claude-haiku-4-5", "", "", 1024)
    }


def test_a_prompt_over_100k_tokens_is_priced_whole_at_the_long_prompt_band(
    api: FakeMessagesAPI, tmp_path: Path
) -> None:
    huge = "Every invoice is settled in integer cents and audited monthly by finance. " * 4300
    plan = write_plan(tmp_path, 2, context=huge)  # ~105,000 Haiku 5.5 tokens in the stand-in
    result = run_cli("generate", plan)
    assert result.code == 0, result.err
    records = messages(api)
    assert [bool(r.cache_write) for r in sorted(records, key=lambda r: r.t)] == [True, False]
    for meta, _ in stored(plan).values():
        prompt = meta.input_tokens + meta.cache_read_tokens + meta.cache_write_tokens
        assert prompt > 100_000
        # Over 100,000 prompt tokens the whole request costs $0.50 / $2.50 per million, and the
        # cache multipliers apply to that price (a write 1.25x, a read 0.1x).
        by_hand = (meta.input_tokens * 0.50 + meta.cache_write_tokens * 0.625
                   + meta.cache_read_tokens * 0.05 + meta.output_tokens * 2.50) / 1e6
        assert meta.cost_usd == pytest.approx(by_hand, abs=1e-9)
