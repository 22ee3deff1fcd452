"""The mdx-unsafe rule, the plan's ``target`` that makes it an error, and the prompt line for MDX sites."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from app.core.contract import CardContract
from app.core.lint import MAX_FINDINGS_PER_RULE, RULE_MDX_UNSAFE, lint_card
from app.core.plan import Component, Plan, PlanSettings, load_plan
from app.core.prompt import MDX_RULE, build_request

CONTRACT = CardContract(name="User Model", language="typescript")


def card(explanation: str, why: str = "It is keyed by id. Lookups are cheap.") -> str:
    return (
        f"# User Model\n\n{explanation}\n\n```ts\nconst users = new Map<string, {{ id: number }}>();\n```\n\n"
        f"## Why this works\n{why}\n"
    )


def mdx(body: str, contract: CardContract = CONTRACT) -> list[tuple[int | None, str, str]]:
    return [(f.line, f.severity, f.message) for f in lint_card(body, contract) if f.rule == RULE_MDX_UNSAFE]


def test_braces_and_angle_brackets_in_prose_are_reported_with_their_line() -> None:
    body = card("A user maps to a Map<string, User> entry. It is keyed by { id }.")
    assert mdx(body) == [
        (3, "warning", "'<' outside code breaks MDX sites such as Docusaurus: write `Map<string, User>` in inline code")
    ]
    body = card("A user is one entry. It is found by id.", why="Entries are keyed by { id }. Lookups are cheap.")
    [(line, _, message)] = mdx(body)
    assert body.split("\n")[line - 1].startswith("Entries are keyed")
    assert "write `{ id }` in inline code" in message


@pytest.mark.parametrize(
    "explanation",
    [
        "A user maps to a `Map<string, User>` entry. It is keyed by `{ id }`.",
        r"Escaped \{ braces \} are text. So is a &lt; b.",
        "Nothing special here. Just words.",
    ],
)
def test_code_and_escapes_are_fine(explanation: str) -> None:
    assert mdx(card(explanation)) == []


def test_the_title_heading_is_left_to_the_export() -> None:
    contract = replace(CONTRACT, name="Map<K, V>")
    body = card("A map holds entries. Each has a key.").replace("# User Model", "# Map<K, V>")
    assert mdx(body, contract) == []


def test_many_lines_end_in_one_more_finding() -> None:
    lines = "\n".join(f"Line {n} has {{ x }}." for n in range(MAX_FINDINGS_PER_RULE + 2))
    found = mdx(card(lines))
    assert len(found) == MAX_FINDINGS_PER_RULE + 1
    assert found[-1][2] == "and 2 more lines with {, } or < outside code"


@pytest.mark.parametrize(("target", "severity"), [(None, "warning"), ("docusaurus", "error"), ("mkdocs", "warning")])
def test_an_mdx_target_makes_it_an_error(target: str | None, severity: str) -> None:
    [(_, found, _)] = mdx(card("It holds a Map<K, V>. Lookups are cheap."), replace(CONTRACT, target=target))
    assert found == severity


def write(tmp_path: Path, front: str) -> Path:
    path = tmp_path / "plan.md"
    path.write_text(f"---\n{front}\n---\nContext.\n\n## User Model\nStore identity.\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("value", ["docusaurus", "MkDocs", " hugo ", "starlight"])
def test_the_target_setting(tmp_path: Path, value: str) -> None:
    plan = load_plan(write(tmp_path, f"target: {value}"))
    assert plan.issues == ()
    assert plan.settings.target == value.strip().lower()
    assert plan.contract_for(plan.components[0]).target == plan.settings.target


@pytest.mark.parametrize(("value", "shown"), [("gatsby", "'gatsby'"), ("[docusaurus]", "a list"), ("3", "3")])
def test_an_unknown_target_is_an_error_on_its_line(tmp_path: Path, value: str, shown: str) -> None:
    plan = load_plan(write(tmp_path, f"title: T\ntarget: {value}"))
    [issue] = plan.errors
    assert (issue.line, issue.message) == (3, f"target must be one of docusaurus, mkdocs, hugo, starlight, not {shown}")
    assert plan.settings.target is None


def _plan(target: str | None) -> Plan:
    return Plan(
        settings=PlanSettings(title="T", target=target),
        context="Shared strategy.",
        components=(Component("User Model", "Store identity.", 5),),
    )


def test_the_prompt_asks_for_inline_code_only_for_an_mdx_target() -> None:
    plain = build_request(_plan(None), _plan(None).components[0])
    assert MDX_RULE not in plain.system
    assert "`Map<string, User>`" in MDX_RULE and "`{ id }`" in MDX_RULE
    mdx_request = build_request(_plan("docusaurus"), _plan("docusaurus").components[0])
    assert MDX_RULE in mdx_request.system
    assert mdx_request.sha256() != plain.sha256()
    # A site that reads `<` and `{` as written changes nothing: its cards do not become stale.
    for target in ("mkdocs", "hugo", "starlight"):
        assert build_request(_plan(target), _plan(target).components[0]).sha256() == plain.sha256()
