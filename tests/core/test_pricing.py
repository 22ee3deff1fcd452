"""What a request costs: list prices, Haiku 5.5's long-prompt band, cache reads and writes, batches,
and "unknown" for a model the table does not know. Expected figures are the documented prices."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from app.core.models import ModelTable, model_table
from app.core.pricing import (
    TokenUsage,
    format_cost,
    unknown_model_warning,
    usage_cost_usd,
)
from app.paths import resource

HAIKU_5_5 = "claude-haiku-5-5"
M = 1_000_000


def test_list_prices_per_million_tokens() -> None:
    assert usage_cost_usd("claude-haiku-4-5", TokenUsage(M, 0)) == pytest.approx(1.0)
    assert usage_cost_usd("claude-haiku-4-5", TokenUsage(0, M)) == pytest.approx(5.0)
    assert usage_cost_usd(HAIKU_5_5, TokenUsage(M // 20, 0)) == pytest.approx(0.005)
    assert usage_cost_usd("claude-opus-5-5", TokenUsage(0, M)) == pytest.approx(20.0)


def test_a_dated_snapshot_costs_like_its_model() -> None:
    snapshot = usage_cost_usd("claude-haiku-4-5-20251001", TokenUsage(1000, 1000))
    assert snapshot is not None and snapshot == usage_cost_usd("claude-haiku-4-5", TokenUsage(1000, 1000))


def test_an_unknown_model_costs_unknown_with_one_line_of_warning() -> None:
    assert usage_cost_usd("local-llama", TokenUsage(10, 10)) is None
    assert usage_cost_usd("local-llama", TokenUsage(10, 10, cache_read_tokens=5)) is None
    warning = unknown_model_warning("local-llama")
    assert warning is not None and "\n" not in warning
    assert "'local-llama'" in warning and "unknown" in warning
    assert model_table().checked.isoformat() in warning
    assert unknown_model_warning(HAIKU_5_5) is None
    assert format_cost(None) == "unknown"


def test_the_long_prompt_band_starts_after_100000_prompt_tokens() -> None:
    at_limit = usage_cost_usd(HAIKU_5_5, TokenUsage(input_tokens=100_000, output_tokens=1_000))
    over = usage_cost_usd(HAIKU_5_5, TokenUsage(input_tokens=100_001, output_tokens=1_000))
    assert at_limit == pytest.approx((100_000 * 0.10 + 1_000 * 0.50) / M)
    # Over the limit the whole request, output included, is priced at $0.50 / $2.50.
    assert over == pytest.approx((100_001 * 0.50 + 1_000 * 2.50) / M)


def test_cached_tokens_count_toward_the_prompt_band() -> None:
    usage = TokenUsage(input_tokens=1_000, cache_read_tokens=99_000, cache_write_5m_tokens=1)
    assert usage.prompt_tokens == 100_001
    assert usage_cost_usd(HAIKU_5_5, usage) == pytest.approx(
        (1_000 * 0.50 + 99_000 * 0.05 + 1 * 0.625) / M
    )


@pytest.mark.parametrize(
    ("model", "read", "write_5m", "write_1h"),
    [
        ("claude-sonnet-4-5", 0.30, 3.75, 6.0),
        ("claude-haiku-4-5", 0.10, 1.25, 2.0),
        ("claude-opus-5-5", 0.20, 5.0, 8.0),
        (HAIKU_5_5, 0.01, 0.125, 0.20),
        ("claude-3-haiku", 0.03, 0.30, 0.50),
    ],
)
def test_cache_reads_and_writes_cost_their_documented_prices(
    model: str, read: float, write_5m: float, write_1h: float
) -> None:
    tenth = M // 10
    assert usage_cost_usd(model, TokenUsage(cache_read_tokens=tenth)) == pytest.approx(read / 10)
    assert usage_cost_usd(model, TokenUsage(cache_write_5m_tokens=tenth)) == pytest.approx(write_5m / 10)
    assert usage_cost_usd(model, TokenUsage(cache_write_1h_tokens=tenth)) == pytest.approx(write_1h / 10)


def test_a_batch_halves_every_price_cache_multipliers_included() -> None:
    mixed = TokenUsage(input_tokens=2_000, output_tokens=500, cache_read_tokens=9_000,
                  cache_write_5m_tokens=300, cache_write_1h_tokens=200)
    batched = replace(mixed, batch=True)
    for model in ("claude-sonnet-4-5", HAIKU_5_5, "claude-opus-5-5"):
        full, half = usage_cost_usd(model, mixed), usage_cost_usd(model, batched)
        assert full is not None and half == pytest.approx(full / 2, abs=1e-6)
    reads = TokenUsage(cache_read_tokens=M // 10, batch=True)
    assert usage_cost_usd(HAIKU_5_5, reads) == pytest.approx(0.0005)
    # Over the band a batch halves the long-prompt prices: $0.25 / $1.25.
    long = TokenUsage(input_tokens=200_000, output_tokens=M // 100, batch=True)
    assert usage_cost_usd(HAIKU_5_5, long) == pytest.approx((200_000 * 0.25 + 10_000 * 1.25) / M)


def test_a_table_of_ones_own(tmp_path: Path) -> None:
    raw = json.loads(resource("models.json").read_text(encoding="utf-8"))
    entry = dict(raw["models"]["claude-sonnet-4-5"], input=2.0, output=4.0, aliases=[])
    path = tmp_path / "models.json"
    path.write_text(json.dumps({"checked": "2026-01-01", "models": {"m": entry}}))
    table = ModelTable.load(path)
    assert usage_cost_usd("m", TokenUsage(500_000, 250_000), table) == pytest.approx(2.0)
    assert usage_cost_usd("claude-haiku-4-5", TokenUsage(1, 1), table) is None
    assert unknown_model_warning("claude-haiku-4-5", table) is not None
    assert format_cost(0.01234) == "$0.0123" and format_cost(12.345) == "$12.35"
    # Haiku 5.5's cards cost fractions of a tenth of a cent: two significant digits there.
    assert [format_cost(c) for c in (0.00013, 0.0000321, 0.0009, 0.001, 0.0)] == [
        "$0.00013", "$0.000032", "$0.00090", "$0.0010", "$0.0000"
    ]
