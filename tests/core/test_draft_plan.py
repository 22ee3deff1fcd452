"""Reading a drafted plan (JSON and Markdown, good and broken), names made unique by construction,
the plan text built from a draft, additions appended without touching a byte, and the request."""

from __future__ import annotations

import json

import pytest

from app.core.draft_live import LiveDraft, complete_json
from app.core.draft_plan import Draft, DraftComponent, draft_schema, read_answer
from app.core.draft_prompt import build_draft_request, build_fix_request, estimate_draft
from app.core.draft_render import append_components, render_plan
from app.core.plan import parse_plan

PLAN_JSON = {
    "title": "Auth service",
    "language": "typescript",
    "context": "Passwords use argon2id. Sessions are opaque tokens.",
    "components": [
        {"name": "User Model", "instruction": "Show the user record."},
        {"name": "Session Token", "instruction": "Issue a token."},
        {"name": "Logout", "instruction": "Revoke a token."},
    ],
}

PLAN_MARKDOWN = """---
title: Auth service
language: go
---
Passwords use argon2id.

## User Model
Show the user record.

## Session Token
Issue a token.
"""


def names(text: str) -> list[str]:
    plan = parse_plan(text)
    assert plan.ok, plan.issues
    return [c.name for c in plan.components]


def test_a_good_json_answer_becomes_a_plan_with_front_matter_context_and_components() -> None:
    reading = read_answer(json.dumps(PLAN_JSON), structured=True)
    assert reading.errors == () and reading.draft is not None
    rendered = render_plan(reading.draft, model="claude-haiku-5-5", fallback_title="guide")
    plan = parse_plan(rendered.text)
    assert plan.ok and rendered.errors == ()
    assert (plan.settings.title, plan.settings.language, plan.settings.model) == (
        "Auth service", "typescript", "claude-haiku-5-5")
    assert plan.context == PLAN_JSON["context"]
    assert [(c.name, c.instruction) for c in plan.components] == [
        (c["name"], c["instruction"]) for c in PLAN_JSON["components"]]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"title": "x", "components": [}', "not valid JSON"),
        ("[1, 2]", "must be a JSON object"),
        (json.dumps({**PLAN_JSON, "components": []}), "at least one component"),
        (json.dumps({**PLAN_JSON, "context": 3}), "'context' must be a string"),
        (json.dumps({**PLAN_JSON, "components": [{"name": "A"}]}), "component 1 must have"),
    ],
)
def test_a_broken_json_answer_is_an_error_for_the_follow_up(text: str, expected: str) -> None:
    reading = read_answer(text, structured=True)
    assert reading.draft is None
    assert any(expected in str(e) for e in reading.errors), reading.errors


def test_the_json_error_names_its_line_of_the_answer() -> None:
    text = json.dumps(PLAN_JSON, indent=2).replace("},\n    {", "}\n    {", 1)
    (error,) = read_answer(text, structured=True).errors
    assert error.line == text.split("\n").index('    {', 6) + 1  # the second component's brace


def test_names_are_unique_and_never_empty_whatever_the_json_says() -> None:
    components = [{"name": "User Model", "instruction": "a"}, {"name": "user  model", "instruction": "b"},
                  {"name": "  ", "instruction": "c"}, {"name": "User Model", "instruction": "d"},
                  {"name": "Token ##", "instruction": "e"}]
    reading = read_answer(json.dumps({**PLAN_JSON, "components": components}), structured=True)
    assert reading.draft is not None
    got = [c.name for c in reading.draft.components]
    assert got == ["User Model", "user model (2)", "Component 3", "User Model (3)", "Token"]
    assert len(reading.notes) == 3 and "renamed 'user model (2)'" in reading.notes[0]
    rendered = render_plan(reading.draft, model="m", fallback_title="t")
    assert names(rendered.text) == got


def test_model_text_that_would_break_the_plan_is_made_safe_and_said() -> None:
    draft = Draft("T", "python", "Context.\n## Not a component\nMore.", (
        DraftComponent("A", "Example:\n```python\nx = 1"),
        DraftComponent("B", "## Also not one\nText."),
    ))
    rendered = render_plan(draft, model="m", fallback_title="t")
    plan = parse_plan(rendered.text)
    assert plan.ok and not plan.warnings
    assert [c.name for c in plan.components] == ["A", "B"]
    assert "### Not a component" in plan.context
    assert plan.components[0].instruction.endswith("x = 1\n```")
    assert len(rendered.notes) == 3


def test_the_writers_language_wins_and_a_missing_title_falls_back() -> None:
    draft = Draft("", "python", "", (DraftComponent("A", "a"),))
    rendered = render_plan(draft, model="m", language="rust", fallback_title="my-guide")
    plan = parse_plan(rendered.text)
    assert (plan.settings.title, plan.settings.language) == ("my-guide", "rust")
    assert "'rust', is kept" in rendered.notes[0]


def test_a_title_yaml_would_misread_is_quoted() -> None:
    draft = Draft("Auth: a guide # for 'you'", "ts", "", (DraftComponent("A", "a"),))
    plan = parse_plan(render_plan(draft, model="m", fallback_title="t").text)
    assert plan.settings.title == "Auth: a guide # for 'you'"


def test_a_good_markdown_answer_is_read_with_the_plan_parser() -> None:
    reading = read_answer(PLAN_MARKDOWN, structured=False)
    assert reading.draft is not None and reading.errors == ()
    assert reading.draft.language == "go" and reading.draft.title == "Auth service"
    assert [c.name for c in reading.draft.components] == ["User Model", "Session Token"]


def test_a_markdown_answer_wrapped_in_a_fence_is_unwrapped_and_keeps_its_line_numbers() -> None:
    broken = PLAN_MARKDOWN.replace("Issue a token.", "Issue a token.\n```go\ntoken := new()")
    wrapped = "```markdown\n" + broken + "```\n"
    (error,) = read_answer(wrapped, structured=False).errors
    fence_line = wrapped.split("\n").index("```go") + 1
    assert error.line == fence_line and f"opened on line {fence_line} is never closed" in error.message


def test_markdown_duplicates_and_empty_headings_are_renamed_in_place() -> None:
    text = PLAN_MARKDOWN + "\n## User Model\nAgain.\n\n##\nNo name.\n"
    reading = read_answer(text, structured=False)
    assert reading.draft is not None and reading.errors == ()
    assert [c.name for c in reading.draft.components] == [
        "User Model", "Session Token", "User Model (2)", "Component 4"]
    assert reading.draft.components[2].instruction == "Again."


def test_a_markdown_answer_with_broken_front_matter_or_no_components_is_an_error() -> None:
    assert read_answer("---\ntitle: [x\n---\n## A\nb\n", structured=False).errors[0].line == 2
    (error,) = read_answer("Just prose.\n", structured=False).errors
    assert "no components" in error.message


def test_additions_append_after_the_plans_bytes_in_its_own_line_endings() -> None:
    original = ("\ufeff---\ntitle: Guide\n---\nContext.\n\n## User Model\nShow it.\n\n## Token\nIssue it.")
    data = original.replace("\n", "\r\n").encode("utf-8")
    existing = parse_plan(data)
    draft = Draft("", "", "", (DraftComponent("Logout", "Revoke."), DraftComponent("user model", "Again."),
                               DraftComponent("Audit Log", "Record it.")))
    rendered = append_components(data, existing, draft)
    assert rendered.errors == ()
    combined = data + rendered.text.encode("utf-8")
    assert combined.startswith(data) and b"\n" not in combined.replace(b"\r\n", b"")
    plan = parse_plan(combined)
    assert plan.components[:2] == existing.components
    assert [c.name for c in plan.components[2:]] == ["Logout", "Audit Log"]
    assert rendered.notes == ("'user model' is already in the plan: left out",)


def test_additions_read_from_markdown_leave_out_text_before_the_first_component() -> None:
    reading = read_answer("Here you go:\n\n## Logout\nRevoke.\n", structured=False, additions=True)
    assert reading.draft is not None and [c.name for c in reading.draft.components] == ["Logout"]
    assert "left out" in reading.notes[0]


def test_every_object_of_the_schema_forbids_other_properties() -> None:
    def objects(node: object) -> list[dict]:
        if isinstance(node, dict):
            own = [node] if node.get("type") == "object" else []
            return own + [o for v in node.values() for o in objects(v)]
        return []

    for additions in (False, True):
        found = objects(draft_schema(additions=additions))
        assert len(found) == 2 and all(o["additionalProperties"] is False for o in found)
    assert "title" not in draft_schema(additions=True)["properties"]
    changed = draft_schema()
    changed["properties"]["components"]["items"]["additionalProperties"] = True
    assert objects(draft_schema())[1]["additionalProperties"] is False  # each caller gets its own


def test_the_request_asks_for_json_or_markdown_and_the_fix_lists_the_errors() -> None:
    structured = build_draft_request("Brief.", model="m", max_tokens=100, structured=True, components=6,
                                     language="go")
    assert structured.answer_format is not None and structured.answer_format.schema["type"] == "object"
    assert "Write exactly 6 components." in structured.system and "Code language: go" in structured.system
    markdown = build_draft_request("Brief.", model="m", max_tokens=100, structured=False,
                                   existing_plan="## A\nb")
    assert markdown.answer_format is None and "## <Component name>" in markdown.system
    assert "<plan>\n## A\nb\n</plan>" in markdown.messages[0][1]
    reading = read_answer("nope", structured=True)
    fix = build_fix_request(structured, "nope", reading.errors)
    assert [role for role, _ in fix.messages] == ["user", "assistant", "user"]
    assert f"- {reading.errors[0]}" in fix.messages[-1][1] and fix.answer_format == structured.answer_format


def test_the_estimate_prices_the_drafting_model() -> None:
    request = build_draft_request("Brief " * 200, model="claude-opus-5-5", max_tokens=16384, structured=True)
    estimate = estimate_draft(request, components=8)
    assert estimate.typical_cost is not None and estimate.max_cost is not None
    assert 0 < estimate.typical_cost < estimate.max_cost
    assert estimate.max_cost == pytest.approx((estimate.input_tokens * 4 + 16384 * 20) / 1e6)
    assert any("at most $0.3" in line for line in estimate.lines())
    unknown = estimate_draft(build_draft_request("b", model="local", max_tokens=100, structured=False))
    assert unknown.typical_cost is None and "unknown" in unknown.lines()[3]


def test_an_unfinished_json_text_reads_as_far_as_it_goes() -> None:
    text = json.dumps(PLAN_JSON)
    assert complete_json("") is None
    assert complete_json('{"title": "Au') == {"title": "Au"}
    assert complete_json('{"title": "A\\') == {"title": "A"}
    assert complete_json('{"title": "A", "conte') == {"title": "A"}
    cut = text[: text.index("\"Session Token") + 4]
    assert complete_json(cut)["components"][-1] == {"name": "Ses"}  # type: ignore[index]
    assert complete_json(text) == PLAN_JSON


def test_a_live_json_draft_grows_into_the_final_plan() -> None:
    text = json.dumps(PLAN_JSON)
    live = LiveDraft(structured=True, model="m")
    seen = []
    for i in range(0, len(text), 7):
        live.feed(text[i: i + 7])
        seen.append(len(names_or_none(live.markdown())))
    assert seen == sorted(seen) and seen[-1] == 3
    final = render_plan(read_answer(text, structured=True).draft, model="m", fallback_title="Untitled plan")  # type: ignore[arg-type]
    assert live.markdown() == final.text


def names_or_none(text: str) -> list[str]:
    return [c.name for c in parse_plan(text).components] if text else []


def test_a_live_markdown_draft_shows_the_answer_without_its_wrapper_and_restarts() -> None:
    live = LiveDraft(structured=False, model="m")
    live.feed("```markdown\n## A\n")
    assert live.markdown() == "## A\n"
    live.restart()
    live.feed("## B\n")
    assert live.markdown() == "## B\n"
