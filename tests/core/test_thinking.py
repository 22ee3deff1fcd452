"""Thinking and effort: the plan's keys, what each model is sent, the headroom, and lint's warnings."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace

import pytest

from app.core.models import model_table
from app.core.plan import Component, Plan, PlanSettings, parse_plan
from app.core.prompt import PROMPT_VERSION, CardRequest, build_repair_request, build_request
from app.core.card import Finding
from app.core.ranges import MAX_TOKENS_RANGE
from app.core.thinking import EFFORT_LEVELS, HEADROOM_BY_EFFORT, thinking_request

CONTEXT = "Shared strategy: tokens are opaque. " * 3


def _plan(context: str = CONTEXT, **settings: object) -> Plan:
    return Plan(
        settings=PlanSettings(title="T", **settings),  # type: ignore[arg-type]
        context=context,
        components=(Component("User Model", "Store identity apart from credentials.", 5),),
    )


def test_the_keys_parse_with_their_lines_and_yaml_off_is_off() -> None:
    plan = parse_plan("---\neffort: High\n---\n## A\nx\n")
    assert plan.issues == () and plan.settings.effort == "high"
    for raw, mode in (("off", "off"), ("false", "off"), ("adaptive", "adaptive"), ("on", "adaptive")):
        assert parse_plan(f"---\nthinking: {raw}\n---\n## A\nx\n").settings.thinking == mode
    bad = parse_plan("---\ntitle: t\neffort: extreme\nthinking: sometimes\n---\n## A\nx\n")
    assert [(i.line, i.severity) for i in bad.issues] == [(3, "error"), (4, "error")]
    assert "effort must be one of low, medium, high, xhigh, max, not 'extreme'" in bad.issues[0].message
    assert bad.settings.effort == PlanSettings().effort  # a bad value keeps the default


def test_lint_warns_at_the_key_when_the_model_ignores_it() -> None:
    plan = parse_plan("---\nmodel: claude-haiku-4-5\neffort: high\nthinking: adaptive\n---\n## A\nx\n")
    warnings = [(i.line, i.message) for i in plan.warnings]
    assert warnings == [
        (3, "effort has no effect on claude-haiku-4-5: it has no adaptive thinking, so effort is not sent"),
        (4, "thinking has no effect on claude-haiku-4-5: it has no adaptive thinking, so thinking is not sent"),
    ]
    opus = parse_plan("---\nmodel: claude-opus-5-5\nthinking: off\n---\n## A\nx\n")
    assert [i.message for i in opus.warnings] == [
        "thinking: off has no effect on claude-opus-5-5: its thinking is always on"
    ]
    off = parse_plan("---\nthinking: off\neffort: max\n---\n## A\nx\n")
    assert [(i.line, i.message) for i in off.warnings] == [
        (3, "effort has no effect with thinking: off: it is not sent")
    ]
    # Defaults never warn, whatever the model; neither does a model the table does not know.
    assert parse_plan("---\nmodel: claude-haiku-4-5\n---\n## A\nx\n").warnings == ()
    assert parse_plan("---\nmodel: local-llama\neffort: high\n---\n## A\nx\n").warnings == ()


def test_each_model_is_sent_only_what_it_takes() -> None:
    assert thinking_request("claude-haiku-5-5", "adaptive", "high") == thinking_request(
        "claude-haiku-5-5", "adaptive", "high"
    )
    haiku = thinking_request("claude-haiku-5-5", "adaptive", "high")
    assert (haiku.thinking, haiku.effort, haiku.headroom) == ("adaptive", "high", HEADROOM_BY_EFFORT["high"])
    off = thinking_request("claude-haiku-5-5", "off", "high")
    assert (off.thinking, off.effort, off.headroom) == ("disabled", None, 0)
    always = thinking_request("claude-opus-5-5", "off", "low")  # its thinking cannot be turned off
    assert (always.thinking, always.effort) == ("adaptive", "low") and always.headroom > 0
    for model in ("claude-haiku-4-5", "claude-haiku-4-5-20251001", "claude-3-haiku", "local-llama"):
        assert thinking_request(model, "adaptive", "max") == thinking_request(model, "off", "low")
        assert thinking_request(model, "adaptive", "max").thinking is None


def test_the_headroom_grows_with_effort_and_fits_every_adaptive_model() -> None:
    levels = [HEADROOM_BY_EFFORT[level] for level in EFFORT_LEVELS]
    assert levels == sorted(levels) and len(set(levels)) == len(levels)
    for info in model_table().models.values():
        if info.thinking.value == "adaptive":
            assert MAX_TOKENS_RANGE[1] + max(levels) <= info.max_output, info.id


def test_a_request_without_the_new_fields_hashes_as_before() -> None:
    request = CardRequest("A", "claude-haiku-4-5", "system", (("user", "Component: A"),), 1024)
    canonical = json.dumps(
        {"v": PROMPT_VERSION, "model": "claude-haiku-4-5", "system": "system",
         "messages": [["user", "Component: A"]], "max_tokens": 1024},
        ensure_ascii=False, sort_keys=True, separators=(",", ":"),
    )
    assert request.sha256() == hashlib.sha256(canonical.encode()).hexdigest()
    # The cache marker does not change the answer, so it does not change the hash.
    assert replace(request, cache_system=True).sha256() == request.sha256()
    assert replace(request, effort="low").sha256() != request.sha256()
    assert replace(request, thinking="adaptive").sha256() != request.sha256()


def test_effort_and_thinking_change_a_5x_cards_hash_but_not_a_legacy_ones() -> None:
    plan = _plan()
    component = plan.components[0]
    base = build_request(plan, component).sha256()
    assert build_request(plan, component, effort="high").sha256() != base
    assert build_request(plan, component, thinking="off").sha256() != base
    legacy = build_request(plan, component, model="claude-haiku-4-5")
    assert legacy.sha256() == build_request(plan, component, model="claude-haiku-4-5", effort="max").sha256()
    assert (legacy.thinking, legacy.effort, legacy.max_tokens) == (None, None, 1024)


@pytest.mark.parametrize(("model", "words"), [("claude-haiku-5-5", 300), ("claude-haiku-4-5", 3000)])
def test_the_shared_prefix_is_marked_only_from_the_models_minimum(model: str, words: int) -> None:
    info = model_table().get(model)
    assert info is not None
    short, long = _plan("short context"), _plan("word " * words)
    assert not build_request(short, short.components[0], model=model).cache_system
    marked = build_request(long, long.components[0], model=model)
    assert marked.cache_system
    assert not build_request(long, long.components[0], model=model, cache=False).cache_system
    assert not build_request(long, long.components[0], model="local-llama").cache_system
    # Every component's system prompt is the same text: one prefix for the whole plan.
    two = replace(long, components=(*long.components, Component("Session Token", "Open one.", 9)))
    systems = {build_request(two, c, model=model).system for c in two.components}
    assert len(systems) == 1


def test_a_repair_keeps_the_settings_and_ends_with_the_users_turn() -> None:
    plan = _plan(effort="high")
    request = build_request(plan, plan.components[0])
    repair = build_repair_request(request, "# User Model\nbroken", [Finding("code-block", "error", "no code")])
    assert [role for role, _ in repair.messages] == ["user", "assistant", "user"]
    assert (repair.thinking, repair.effort, repair.max_tokens, repair.cache_system) == (
        request.thinking, request.effort, request.max_tokens, request.cache_system
    )
