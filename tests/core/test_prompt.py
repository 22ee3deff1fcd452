"""The request builder: the contract's numbers, the context, and a hash that tracks the answer's inputs."""

from __future__ import annotations

from dataclasses import replace

from app.core.contract import width_budget
from app.core.plan import Plan
from app.core.prompt import build_request, fence_tag
from app.core.thinking import HEADROOM_BY_EFFORT
from tests.helpers.plans import make_plan


def _plan(**settings: object) -> Plan:
    return make_plan("User Model", title="T", context="Shared strategy: tokens are opaque.",
                     instruction="Store identity apart from credentials.", **settings)


def test_system_prompt_carries_the_contract_numbers_lint_uses() -> None:
    plan = _plan(max_code_lines=12, column_px=480, language="python")
    request = build_request(plan, plan.components[0])
    assert "at most 12 lines" in request.system
    assert f"No code line longer than {width_budget(480)} characters" in request.system
    assert "480 px column" in request.system
    assert "```py" in request.system
    assert "Code language: python" in request.system
    assert "Shared strategy: tokens are opaque." in request.system
    # The component's name is in its own message, not in the prefix every component shares.
    assert "User Model" not in request.system
    assert "# User Model" in request.messages[0][1]


def test_user_message_names_the_component_first() -> None:
    plan = _plan()
    request = build_request(plan, plan.components[0])
    (role, content), = request.messages
    assert role == "user"
    assert content.splitlines()[0] == "Component: User Model"
    assert "Store identity apart from credentials." in content
    assert request.model == "claude-haiku-5-5"
    # Thinking on at the plan's effort: the card keeps its own 1024 tokens, headroom on top.
    assert (request.thinking, request.effort) == ("adaptive", "low")
    assert request.card_max_tokens == 1024 and request.max_tokens == 1024 + HEADROOM_BY_EFFORT["low"]


def test_hash_changes_with_everything_that_shapes_the_answer() -> None:
    plan = _plan()
    component = plan.components[0]
    base = build_request(plan, component).sha256()
    variants = [
        replace(plan, context="Other context."),
        replace(plan, settings=replace(plan.settings, model="claude-sonnet-4-5")),
        replace(plan, settings=replace(plan.settings, max_code_lines=10)),
        replace(plan, settings=replace(plan.settings, language="python")),
        replace(plan, settings=replace(plan.settings, max_tokens=2048)),
        replace(plan, settings=replace(plan.settings, column_px=600)),
    ]
    hashes = {build_request(v, v.components[0]).sha256() for v in variants}
    assert base not in hashes and len(hashes) == len(variants)
    changed = replace(component, instruction="Something else.")
    assert build_request(plan, changed).sha256() != base
    assert build_request(plan, component, model="claude-3-haiku").sha256() != base


def test_hash_ignores_what_does_not_reach_the_model() -> None:
    plan = _plan()
    base = build_request(plan, plan.components[0]).sha256()
    for other in (
        replace(plan, settings=replace(plan.settings, concurrency=8)),
        replace(plan, settings=replace(plan.settings, title="Renamed")),
    ):
        assert build_request(other, other.components[0]).sha256() == base
    moved = replace(plan.components[0], line=99)
    assert build_request(plan, moved).sha256() == base


def test_fence_tag_prefers_a_common_alias() -> None:
    assert fence_tag("typescript") == "typescript"
    assert fence_tag("TS") == "typescript"
    assert fence_tag("python") == "python"
    assert fence_tag("golang") == "go"
    assert fence_tag("cobol") == "cobol"
