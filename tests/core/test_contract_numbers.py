"""One source of numbers: the prompt promises exactly the limits lint enforces, for any settings."""

from __future__ import annotations

import re

import pytest

from app.core.contract import WHY_HEADING, width_budget
from app.core.lint import lint_card
from app.core.plan import Component, Plan
from app.core.prompt import build_request, fence_tag
from tests.helpers.plans import make_plan

COMBOS = [
    (15, 400, "typescript"),
    (8, 320, "python"),
    (30, 640, "go"),
    (12, 480, "rust"),
    (5, 200, "bash"),
]


def _plan(max_code_lines: int, column_px: int, language: str) -> tuple[Plan, Component]:
    plan = make_plan("Token Store", title="T", context="ctx", instruction="Keep tokens opaque.",
                     language=language, max_code_lines=max_code_lines, column_px=column_px)
    return plan, plan.components[0]


def _card(name: str, language: str, code: list[str]) -> str:
    body = "\n".join(code)
    return (
        f"# {name}\n\nThis card shows one thing. It is short.\n\n```{fence_tag(language)}\n"
        f"{body}\n```\n\n## {WHY_HEADING}\nIt is small. It is clear.\n"
    )


@pytest.mark.parametrize(("max_lines", "column_px", "language"), COMBOS)
def test_the_prompt_states_the_numbers_of_the_contract_lint_uses(
    max_lines: int, column_px: int, language: str
) -> None:
    plan, component = _plan(max_lines, column_px, language)
    contract = plan.contract_for(component)
    system = build_request(plan, component).system
    assert (contract.max_code_lines, contract.column_px) == (max_lines, column_px)
    assert contract.width_budget == width_budget(column_px)
    assert set(re.findall(r"at most (\d+) lines", system)) == {str(max_lines)}
    assert re.findall(r"longer than (\d+) characters", system) == [str(contract.width_budget)]
    assert re.findall(r"in a (\d+) px column", system) == [str(column_px)]
    sentences = re.findall(r"(\d+) or (\d+) sentences", system)
    assert set(sentences) == {(str(contract.min_sentences), str(contract.max_sentences))}


@pytest.mark.parametrize(("max_lines", "column_px", "language"), COMBOS)
def test_lint_flags_exactly_one_past_the_prompts_numbers(
    max_lines: int, column_px: int, language: str
) -> None:
    plan, component = _plan(max_lines, column_px, language)
    contract = plan.contract_for(component)
    budget = int(re.findall(r"longer than (\d+) characters", build_request(plan, component).system)[0])

    def rules(code: list[str]) -> set[str]:
        return {f.rule for f in lint_card(_card(component.name, language, code), contract)}

    assert "code-lines" not in rules(["x"] * max_lines)
    assert "code-lines" in rules(["x"] * (max_lines + 1))
    assert "line-width" not in rules(["x" * budget])
    assert "line-width" in rules(["x" * (budget + 1)])
