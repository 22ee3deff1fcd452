"""The price table: per-model prices, dated snapshots, and "unknown" for unpriced models."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.core.pricing import PriceTable, default_prices, format_cost


def test_bundled_table_prices_haiku_and_is_dated() -> None:
    table = default_prices()
    assert table.checked[:4].isdigit()
    assert table.cost_usd("claude-haiku-4-5", 1_000_000, 0) == pytest.approx(1.0)
    assert table.cost_usd("claude-haiku-4-5", 0, 1_000_000) == pytest.approx(5.0)


def test_dated_snapshot_costs_like_its_family() -> None:
    table = default_prices()
    assert table.cost_usd("claude-haiku-4-5-20251001", 1000, 1000) == table.cost_usd(
        "claude-haiku-4-5", 1000, 1000
    )


def test_unknown_model_has_no_price(tmp_path: Path) -> None:
    path = tmp_path / "prices.json"
    path.write_text(json.dumps({"checked": "2026-01-01", "models": {"m": {"input": 2, "output": 4}}}))
    table = PriceTable.load(path)
    assert table.cost_usd("m", 500_000, 250_000) == pytest.approx(2.0)
    assert table.cost_usd("local-llama", 10, 10) is None
    assert format_cost(None) == "unknown"
    assert format_cost(0.01234) == "$0.0123"
