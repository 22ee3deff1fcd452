"""The model table: its file's schema, lookup by id, alias and dated snapshot, and the listings."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from app.core.models import (
    EFFORT_LEVELS,
    FIELDS,
    ModelStatus,
    ModelTable,
    Thinking,
    is_known,
    lookup,
    model_table,
)
from app.paths import resource

RAW = json.loads(resource("models.json").read_text(encoding="utf-8"))
REQUIRED = ("claude-haiku-5-5", "claude-sonnet-5-5", "claude-opus-5-5", "claude-haiku-4-5",
            "claude-3-5-haiku", "claude-3-haiku", "claude-sonnet-4-5", "claude-sonnet-4",
            "claude-opus-4-5", "claude-opus-4-1")


def test_the_file_is_dated_and_names_its_sources() -> None:
    assert date.fromisoformat(RAW["checked"]) <= date.today()
    assert all(url.startswith("https://platform.claude.com/docs/")
               for key, url in RAW["sources"].items() if key != "third-party")
    assert set(REQUIRED) <= set(RAW["models"])


@pytest.mark.parametrize("model_id", sorted(RAW["models"]))
def test_every_model_has_every_field_with_a_valid_value(model_id: str) -> None:
    raw = RAW["models"][model_id]
    assert sorted(raw) == sorted(FIELDS)
    if raw["released"] is not None:
        date.fromisoformat(raw["released"])
    assert raw["status"] in {s.value for s in ModelStatus}
    assert raw["role"] in {"execute", "review", "draft"}
    assert raw["thinking"] in {t.value for t in Thinking}
    assert set(raw["effort"]) <= set(EFFORT_LEVELS)
    assert raw["default_effort"] is None or raw["default_effort"] in raw["effort"]
    assert 0 < raw["input"] <= raw["output"]
    assert 0 < raw["cache_read"] < 1 < raw["cache_write_5m"] < raw["cache_write_1h"]
    assert 0 < raw["batch_discount"] < 1
    assert raw["min_cache_tokens"] > 0 and 0 < raw["max_output"] < raw["context_window"]
    assert raw["tokenizer_ratio"] >= 1
    assert isinstance(raw["structured_output"], bool)
    assert set(raw["secondary"]) <= set(FIELDS), "secondary names a field that does not exist"
    assert raw["sources"], "every model says where its facts come from"


def test_aliases_and_snapshots_resolve_to_their_model() -> None:
    assert lookup("claude-haiku-4-5-20251001") is lookup("claude-haiku-4-5")
    assert lookup("claude-3-5-haiku-latest") is lookup("claude-3-5-haiku")
    assert lookup("claude-sonnet-4-0") is lookup("claude-sonnet-4")
    # A snapshot the table does not list still belongs to its family.
    info = lookup("claude-haiku-5-5-20261007")
    assert info is not None and info.id == "claude-haiku-5-5"


def test_an_unknown_model_is_not_known() -> None:
    for model in ("local-llama", "claude-haiku-9-9", "", "claude-haiku-4-5x"):
        assert lookup(model) is None
        assert not is_known(model)
    assert is_known("claude-haiku-5-5")


def test_listings_separate_current_legacy_and_retired() -> None:
    table = model_table()
    current = {m.id for m in table.current()}
    legacy = {m.id for m in table.legacy()}
    assert {"claude-haiku-5-5", "claude-sonnet-5-5", "claude-opus-5-5"} <= current
    assert "claude-haiku-4-5" in legacy and not current & legacy
    retired = set(table.models) - current - legacy
    assert all(table.models[m].status is ModelStatus.RETIRED for m in retired)
    assert all(not m.legacy for m in table.current()) and all(m.legacy for m in table.legacy())


def test_the_execution_models_as_documented() -> None:
    new, old = lookup("claude-haiku-5-5"), lookup("claude-haiku-4-5")
    assert new is not None and old is not None
    assert new.thinking is Thinking.ADAPTIVE and new.supports_effort and new.released
    assert new.long_prompt is not None and new.long_prompt.over_tokens == 100_000
    assert new.tokenizer_ratio == pytest.approx(1.3 * old.tokenizer_ratio)
    assert old.thinking is Thinking.BUDGET and not old.supports_effort and old.legacy


def test_a_table_missing_a_field_is_refused(tmp_path: Path) -> None:
    raw = dict(RAW["models"]["claude-haiku-5-5"])
    del raw["max_output"]
    path = tmp_path / "models.json"
    path.write_text(json.dumps({"checked": "2026-12-03", "models": {"m": raw}}))
    with pytest.raises(ValueError, match="'m' lacks max_output"):
        ModelTable.load(path)


def test_a_name_given_to_two_models_is_refused(tmp_path: Path) -> None:
    one = dict(RAW["models"]["claude-haiku-5-5"], aliases=["shared"])
    path = tmp_path / "models.json"
    path.write_text(json.dumps({"checked": "2026-12-03", "models": {"a": one, "b": one}}))
    with pytest.raises(ValueError, match="'shared' names two models"):
        ModelTable.load(path)


def test_structured_output_is_known_for_the_drafting_models() -> None:
    assert lookup("claude-opus-5-5").structured_output  # type: ignore[union-attr]
    assert lookup("claude-opus-4-5").structured_output  # type: ignore[union-attr]
    assert not lookup("claude-opus-4-1").structured_output  # type: ignore[union-attr]
