"""The account's rate limits: read from headers, kept per model in the data dir, and turned into a
start concurrency and a predicted run time."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.core.rate_limits import RateLimits, SeenLimits, limits_from_headers, load_seen, save_seen
from app.core.run_budget import PlannedRun, counted_input_tokens, predict_seconds, start_concurrency
from app.paths import rate_limits_file

HEADERS = {
    "anthropic-ratelimit-requests-limit": "50",
    "anthropic-ratelimit-requests-remaining": "49",
    "anthropic-ratelimit-input-tokens-limit": "50000",
    "anthropic-ratelimit-output-tokens-limit": "10000",
    "anthropic-ratelimit-output-tokens-reset": "2026-12-03T12:00:00Z",
}


def seen(requests: int = 1000, input_tokens: int = 10**7, output_tokens: int = 10**7, *,
         seconds: float | None = 3.0, out: int = 400) -> SeenLimits:
    return SeenLimits(RateLimits(requests, input_tokens, output_tokens), "2026-12-03T12:00:00Z", seconds, out)


def run(cards: int, max_tokens: int = 1024, input_tokens: int = 100) -> PlannedRun:
    return PlannedRun(cards, max_tokens, input_tokens)


def test_limits_come_from_the_headers_and_nothing_else() -> None:
    assert limits_from_headers(HEADERS) == RateLimits(50, 50_000, 10_000)
    assert limits_from_headers({}) is None
    assert limits_from_headers({"anthropic-ratelimit-requests-limit": "lots"}) is None
    assert RateLimits(50, None, 10_000).describe() == "50 requests, 10,000 output tokens per minute"


def test_kept_per_model_of_the_table_only_and_read_back_by_alias(tmp_path: Path) -> None:
    path = tmp_path / "limits.json"
    assert save_seen("claude-haiku-4-5-20251001", seen(50), path)
    assert not save_seen("sk-ant-looks-like-a-key", seen(), path)  # only ids the table knows
    assert load_seen("claude-haiku-4-5", path) == seen(50)
    assert load_seen("claude-haiku-5-5", path) is None
    assert list(json.loads(path.read_text())["models"]) == ["claude-haiku-4-5"]
    assert rate_limits_file().name == "rate-limits.json"


@pytest.mark.parametrize("text", ["not json", "[]", '{"models": {"claude-haiku-5-5": "x"}}'])
def test_a_damaged_file_means_nothing_seen(tmp_path: Path, text: str) -> None:
    path = tmp_path / "limits.json"
    path.write_text(text, encoding="utf-8")
    assert load_seen("claude-haiku-5-5", path) is None
    assert save_seen("claude-haiku-5-5", seen(), path)  # and it is replaced by a good one
    assert load_seen("claude-haiku-5-5", path) == seen()


def test_nothing_seen_or_roomy_limits_start_at_the_plans_concurrency() -> None:
    assert start_concurrency(None, 8, run(20, 3000)).value == 8
    roomy = start_concurrency(seen(), 8, run(20, 3000))
    assert (roomy.value, roomy.reason) == (8, "")
    # Never above the plan's, however much room there is.
    assert start_concurrency(seen(), 2, run(20, 3000)).value == 2


def test_output_reserved_from_max_tokens_bounds_requests_at_once() -> None:
    start = start_concurrency(seen(output_tokens=10_000), 8, run(4, 3024))
    assert start.value == 3
    assert start.reason == "within the account's rate limits: 10,000 output tokens per minute, 3,024 reserved per request"


def test_a_run_bigger_than_a_minutes_worth_is_slowed_to_what_refills() -> None:
    # 60 cards of 400 output tokens = 24,000 tokens against 8,000 a minute: at concurrency c the
    # run lasts ceil(60/c) x 3 s and must last at least 2 minutes (60 x (24,000 / 8,000 - 1) s).
    start = start_concurrency(seen(output_tokens=8_000), 16, run(60))
    assert start.value == 1
    assert "8,000 output tokens per minute for a run that needs 24,000" in start.reason
    assert predict_seconds(seen(output_tokens=8_000), run(60), 16) == pytest.approx(120.0)
    # A small run fits in the minute's bucket: no slowing, and waves of the last run's card time.
    assert start_concurrency(seen(output_tokens=8_000), 4, run(8)).value == 4
    assert predict_seconds(seen(output_tokens=8_000), run(8), 4) == pytest.approx(6.0)


def test_cache_reads_do_not_count_toward_the_input_limit() -> None:
    # 12 prompts of 9,030 tokens sharing a 9,000-token prefix: one writes it, eleven read it.
    assert counted_input_tokens([9030] * 12, 9000, cached=True) == 9030 + 11 * 30
    assert counted_input_tokens([9030] * 12, 9000, cached=False) == 12 * 9030
    limits = seen(input_tokens=50_000)
    uncached = start_concurrency(limits, 4, run(12, input_tokens=12 * 9030))
    cached = start_concurrency(limits, 4, run(12, input_tokens=9030 + 11 * 30))
    assert uncached.value < 4 and "50,000 input tokens per minute" in uncached.reason
    assert (cached.value, cached.reason) == (4, "")


def test_a_prediction_needs_a_run_seen() -> None:
    assert predict_seconds(None, run(5), 4) is None
    assert predict_seconds(seen(seconds=None), run(5), 4) is None
    assert predict_seconds(seen(), run(0), 4) == 0.0
