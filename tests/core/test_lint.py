"""Card lint: every rule passes and fails at the right line; sentence counting; the sample cards."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core.card import Finding, body_sha256, parse_card
from app.core.contract import CardContract, width_budget
from app.core.lint import (
    MAX_FINDINGS_PER_RULE,
    RULE_SEVERITIES,
    display_width,
    error_count,
    lint_card,
    parse_heading,
    unwrap_markdown_fence,
    warning_count,
)
from app.core.sentences import count_sentences, split_sentences
from app.core.plan import load_plan
from app.core.prompt import build_request
from app.paths import example_plan

CONTRACT = CardContract(name="User Model", language="typescript")
BUDGET = CONTRACT.width_budget

EXPLANATION = "Stores identity and credentials apart. A password change leaves tokens alone."
WHY = "Each record has one job. Reads of the profile never touch secrets."
CODE = "const user = { id: 1 };\nexport default user;"


def card(
    *,
    title: str = "# User Model",
    explanation: str = EXPLANATION,
    fence: str = "```ts",
    code: str = CODE,
    close: str = "```",
    why_heading: str = "## Why this works",
    why: str = WHY,
    tail: str = "",
) -> str:
    parts = [title, "", explanation, "", fence, code, close, "", why_heading, why]
    return "\n".join(parts) + "\n" + tail


def rules(findings: list[Finding]) -> list[str]:
    return [f.rule for f in findings]


def only(findings: list[Finding], rule: str) -> list[Finding]:
    return [f for f in findings if f.rule == rule]


def line_of(body: str, text: str) -> int:
    """1-based line of the first line of ``body`` that equals ``text``."""
    return body.split("\n").index(text) + 1


def test_a_good_card_has_no_findings() -> None:
    assert lint_card(card(), CONTRACT) == []


def test_severities_follow_the_contract() -> None:
    expected = {
        "heading": "error", "explanation-sentences": "warning", "code-block": "error",
        "code-language": "error", "code-lines": "error", "line-width": "error",
        "why-section": "error", "why-sentences": "warning", "raw-html": "error", "syntax": "error",
    }  # fmt: skip
    for rule, severity in expected.items():
        assert RULE_SEVERITIES[rule] == severity
    broken = "<div>\n" + "x" * 80 + "\n"
    for finding in lint_card(broken, CONTRACT):
        assert finding.severity == RULE_SEVERITIES[finding.rule]


# --- heading -------------------------------------------------------------------------------------


def test_heading_after_leading_blank_lines_is_fine() -> None:
    assert lint_card("\n\n" + card(), CONTRACT) == []


def test_heading_with_closing_hashes_and_extra_spaces_is_fine() -> None:
    assert lint_card(card(title="#   User Model  ##"), CONTRACT) == []


@pytest.mark.parametrize(
    "title",
    ["# User model", "# User Models", "# The User Model", "#User Model", "## User Model", "User Model"],
)
def test_wrong_heading_is_an_error_on_its_line(title: str) -> None:
    findings = only(lint_card("\n" + card(title=title), CONTRACT), "heading")
    assert len(findings) == 1
    assert findings[0].line == 2
    assert findings[0].severity == "error"
    assert "# User Model" in findings[0].message


def test_heading_must_be_the_first_non_blank_line() -> None:
    body = "Here is your card:\n\n" + card()
    findings = only(lint_card(body, CONTRACT), "heading")
    assert [f.line for f in findings] == [1]


def test_empty_card() -> None:
    findings = lint_card("", CONTRACT)
    assert {"heading", "code-block", "why-section"} <= set(rules(findings))
    assert error_count(findings) >= 3


def test_component_name_is_compared_stripped() -> None:
    contract = CardContract(name="  User Model ", language="ts")
    assert lint_card(card(), contract) == []


def test_parse_heading() -> None:
    assert parse_heading("# C#") == (1, "C#")
    assert parse_heading("## Why this works ##") == (2, "Why this works")
    assert parse_heading("#") == (1, "")
    assert parse_heading("#hashtag") is None
    assert parse_heading("    # indented code") is None
    assert parse_heading("####### seven") is None


# --- explanation sentences -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("explanation", "ok"),
    [
        ("One sentence only.", False),
        ("One. Two.", True),
        ("One. Two. Three.", True),
        ("One. Two. Three. Four.", False),
        ("", False),
    ],
)
def test_explanation_sentence_count(explanation: str, ok: bool) -> None:
    body = card(explanation=explanation)
    findings = only(lint_card(body, CONTRACT), "explanation-sentences")
    assert (findings == []) is ok
    if not ok:
        assert findings[0].severity == "warning"


def test_explanation_finding_points_at_the_explanation() -> None:
    body = card(explanation="Just one.")
    [finding] = only(lint_card(body, CONTRACT), "explanation-sentences")
    assert finding.line == line_of(body, "Just one.")
    assert "1 sentence" in finding.message


def test_explanation_over_several_lines_is_one_text() -> None:
    explanation = "Stores identity\nand credentials apart.\nTokens\nsurvive."
    assert lint_card(card(explanation=explanation), CONTRACT) == []


def test_contract_sentence_limits_are_used() -> None:
    strict = CardContract(name="User Model", language="ts", min_sentences=3, max_sentences=3)
    findings = lint_card(card(), strict)
    assert set(rules(findings)) == {"explanation-sentences", "why-sentences"}


# --- sentence counting ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("Use a cache, e.g. Redis, for sessions. It is fast.", 2),
        ("Pick one, i.e. the newest. Then stop.", 2),
        ("Tokens, keys, etc. are secrets. Never log them.", 2),
        ("Requires Node 1.2.3 or newer. It ships today.", 2),
        ("Call `a.b()` first. Then `c.d.e()` runs.", 2),
        ("Call `x. y. z.` once. Done.", 2),
        ("Use ``a`b. c`` here. Done.", 2),
        ("It costs 0.5 USD per call. Cheap.", 2),
        ("Ask Dr. Smith. Compare A vs. B first.", 2),
        ("Mr. Jones and Mrs. Lee agree. Fine.", 2),
        ("Is it safe? Yes! It is.", 3),
        ('He said "stop." Then left.', 2),
        ("It works (mostly.) Really.", 2),
        ("It is **done.** Next.", 2),
        ("No full stop at the end", 1),
        ("Trailing fragment. And more", 2),
        ("Wait... then go.", 2),
        ("Version 2.0 is out. See docs.example.com for more.", 2),
        ("The U.S. team wrote it. Ship.", 2),
        ("", 0),
        ("   ", 0),
        ("`code only`", 1),
    ],
)
def test_count_sentences(text: str, count: int) -> None:
    assert count_sentences(text) == count, split_sentences(text)


def test_code_spans_do_not_split_the_explanation() -> None:
    explanation = "Hash with `crypto.scryptSync(a, b)`, e.g. for logins. Compare with `timingSafeEqual`."
    assert lint_card(card(explanation=explanation), CONTRACT) == []


# --- code block ----------------------------------------------------------------------------------


def test_missing_code_block() -> None:
    body = "# User Model\n\nOne. Two.\n\n## Why this works\nThree. Four.\n"
    findings = lint_card(body, CONTRACT)
    assert rules(findings) == ["code-block"]
    assert findings[0].severity == "error"


def test_two_code_blocks_point_at_the_second() -> None:
    body = card(tail="\n```ts\nconst b = 2;\n```\n")
    findings = only(lint_card(body, CONTRACT), "code-block")
    assert len(findings) == 1
    fences = [n for n, text in enumerate(body.split("\n"), 1) if text == "```ts"]
    assert findings[0].line == fences[1]
    assert "2 fenced code blocks" in findings[0].message


def test_tilde_fences_count_as_code() -> None:
    assert lint_card(card(fence="~~~ts", close="~~~"), CONTRACT) == []


def test_longer_fence_may_contain_backtick_fences() -> None:
    body = card(fence="````ts", code="// a fence inside code:\n// ```\nconst s = 1;", close="````")
    assert lint_card(body, CONTRACT) == []


def test_unclosed_code_block() -> None:
    body = card(close="")
    findings = lint_card(body, CONTRACT)
    opening = line_of(body, "```ts")
    assert any(f.rule == "code-block" and f.line == opening and "closed" in f.message for f in findings)
    assert "why-section" in rules(findings)  # the fence swallowed it


def test_headings_inside_code_are_code() -> None:
    body = card(code="# not a heading\n## Why this works\nconst a = 1;", fence="```ts")
    # Not TypeScript, so only the syntax check may speak: the lines are code, not headings.
    assert rules(lint_card(body, CONTRACT)) == ["syntax"]


# --- code language -------------------------------------------------------------------------------


@pytest.mark.parametrize("tag", ["ts", "typescript", "TypeScript", "ts title=user.ts"])
def test_accepted_language_tags(tag: str) -> None:
    assert lint_card(card(fence=f"```{tag}"), CONTRACT) == []


@pytest.mark.parametrize(
    ("fence", "fragment"), [("```", "no language tag"), ("```js", "'js'"), ("```tsx", "'tsx'")]
)
def test_wrong_or_missing_language_tag(fence: str, fragment: str) -> None:
    body = card(fence=fence)
    [finding] = only(lint_card(body, CONTRACT), "code-language")
    assert finding.line == line_of(body, fence)
    assert fragment in finding.message
    assert "typescript" in finding.message


def test_language_aliases_follow_the_plan() -> None:
    contract = CardContract(name="User Model", language="python")
    assert lint_card(card(fence="```py", code="x = 1"), contract) == []
    assert rules(lint_card(card(fence="```ts", code="x = 1"), contract)) == ["code-language"]


# --- code lines ----------------------------------------------------------------------------------


def numbered_code(count: int) -> str:
    return "\n".join(f"const v{i} = {i};" for i in range(count))


def test_code_at_the_line_limit_passes() -> None:
    assert lint_card(card(code=numbered_code(15)), CONTRACT) == []


def test_code_over_the_line_limit_fails_at_the_fence() -> None:
    body = card(code=numbered_code(16))
    [finding] = only(lint_card(body, CONTRACT), "code-lines")
    assert finding.line == line_of(body, "```ts")
    assert "16" in finding.message and "15" in finding.message


def test_trailing_blank_code_lines_do_not_count() -> None:
    assert lint_card(card(code=numbered_code(15) + "\n\n   \n"), CONTRACT) == []


def test_inner_blank_code_lines_count() -> None:
    code = numbered_code(7) + "\n\n" + numbered_code(8)
    assert rules(lint_card(card(code=code), CONTRACT)) == ["code-lines"]


def test_contract_max_code_lines_is_used() -> None:
    contract = CardContract(name="User Model", language="ts", max_code_lines=3)
    assert rules(lint_card(card(code=numbered_code(4)), contract)) == ["code-lines"]


# --- line width ----------------------------------------------------------------------------------


def test_budget_for_the_default_column() -> None:
    assert BUDGET == width_budget(400) == 43


def test_line_exactly_at_the_budget_passes() -> None:
    line = "x" * BUDGET
    assert lint_card(card(code=line), CONTRACT) == []


def test_line_one_over_the_budget_fails_on_its_line() -> None:
    line = "x" * (BUDGET + 1)
    body = card(code=f"const a = 1;\n{line}")
    [finding] = only(lint_card(body, CONTRACT), "line-width")
    assert finding.line == line_of(body, line)
    assert finding.severity == "error"
    assert str(BUDGET + 1) in finding.message and str(BUDGET) in finding.message


def test_tabs_expand_to_four_columns() -> None:
    fits = "\t" + "x" * (BUDGET - 4)
    assert display_width(fits) == BUDGET
    assert lint_card(card(code=fits), CONTRACT) == []
    assert rules(lint_card(card(code=fits + "x"), CONTRACT)) == ["line-width"]


def test_wide_characters_count_twice() -> None:
    assert display_width("日本") == 4
    assert display_width("ｱ") == 1  # halfwidth katakana
    assert display_width("e\u0301") == 1  # a combining accent takes no column
    fits = "// " + "字" * ((BUDGET - 3) // 2)
    assert display_width(fits) <= BUDGET
    assert lint_card(card(code=fits), CONTRACT) == []
    assert rules(lint_card(card(code=fits + "字"), CONTRACT)) == ["line-width"]


def test_many_wide_lines_are_capped() -> None:
    wide = [f"const v{i} = '{'x' * 60}';" for i in range(7)]
    body = card(code="\n".join(wide))
    findings = only(lint_card(body, CONTRACT), "line-width")
    assert len(findings) == MAX_FINDINGS_PER_RULE + 1
    assert [f.line for f in findings[:-1]] == [line_of(body, w) for w in wide[:MAX_FINDINGS_PER_RULE]]
    assert "and 4 more" in findings[-1].message


def test_column_px_changes_the_budget() -> None:
    narrow = CardContract(name="User Model", language="ts", column_px=300)
    assert narrow.width_budget < BUDGET
    assert rules(lint_card(card(code="x" * BUDGET), narrow)) == ["line-width"]


# --- why section ---------------------------------------------------------------------------------


def test_missing_why_section() -> None:
    body = card(why_heading="", why="")
    findings = lint_card(body, CONTRACT)
    assert rules(findings) == ["why-section"]


def test_why_text_without_heading_is_reported_once() -> None:
    body = card(why_heading="Why it works:")
    findings = lint_card(body, CONTRACT)
    assert rules(findings) == ["why-section"]


@pytest.mark.parametrize("heading", ["## why this works", "## WHY THIS WORKS", "## Why  this works ##"])
def test_why_heading_is_case_insensitive(heading: str) -> None:
    assert lint_card(card(why_heading=heading), CONTRACT) == []


def test_why_heading_at_the_wrong_level() -> None:
    body = card(why_heading="### Why this works")
    [finding] = lint_card(body, CONTRACT)
    assert finding.rule == "why-section"
    assert finding.line == line_of(body, "### Why this works")


def test_why_section_before_the_code() -> None:
    body = "# User Model\n\nOne. Two.\n\n## Why this works\nThree. Four.\n\n```ts\nconst a = 1;\n```\n"
    findings = only(lint_card(body, CONTRACT), "why-section")
    assert [f.line for f in findings] == [5]
    assert "after the code" in findings[0].message


@pytest.mark.parametrize(
    ("why", "ok"), [("One.", False), ("One. Two.", True), ("A. B. C.", True), ("A. B. C. D.", False)]
)
def test_why_sentence_count(why: str, ok: bool) -> None:
    body = card(why=why)
    findings = only(lint_card(body, CONTRACT), "why-sentences")
    assert (findings == []) is ok
    if not ok:
        assert findings[0].line == line_of(body, "## Why this works")
        assert findings[0].severity == "warning"


def test_why_text_may_follow_a_blank_line() -> None:
    assert lint_card(card(why="\n" + WHY), CONTRACT) == []


# --- stray content -------------------------------------------------------------------------------


def test_text_after_the_why_section_under_another_heading_is_a_warning() -> None:
    body = card(tail="\n## Notes\nSomething else entirely.\n")
    [finding] = lint_card(body, CONTRACT)
    assert finding.severity == "warning"
    assert finding.line == line_of(body, "## Notes")


def test_text_between_code_and_why_is_a_warning() -> None:
    body = card(close="```\n\nOutput: 42")
    [finding] = lint_card(body, CONTRACT)
    assert finding.severity == "warning"
    assert finding.line == line_of(body, "Output: 42")


def test_extra_heading_before_the_code_is_a_warning() -> None:
    body = card(explanation="## Overview\n" + EXPLANATION)
    [finding] = lint_card(body, CONTRACT)
    assert finding.severity == "warning"
    assert finding.line == line_of(body, "## Overview")
    assert error_count([finding]) == 0 and warning_count([finding]) == 1


# --- raw HTML ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "html",
    [
        "<div>boxed</div>",
        "<script>alert(1)</script>",
        '<img src="x.png" onerror="alert(1)">',
        "<br/>",
        "<!-- hidden -->",
        "</span>",
        "<a href='https://example.com'>link</a>",
        '<div class="x"\nid="y">',
    ],
)
def test_raw_html_outside_code_is_an_error(html: str) -> None:
    explanation = f"Stores identity apart. Tokens survive {html} changes."
    body = card(explanation=explanation)
    [finding] = only(lint_card(body, CONTRACT), "raw-html")
    assert finding.line == line_of(body, explanation.split("\n")[0])
    assert finding.severity == "error"


def test_raw_html_in_the_why_section() -> None:
    body = card(why="One. Two.\n<details>more</details>")
    [finding] = only(lint_card(body, CONTRACT), "raw-html")
    assert finding.line == line_of(body, "<details>more</details>")


@pytest.mark.parametrize(
    "text",
    [
        "Use `<div>` for layout. Fine.",
        "See <https://example.com/docs> for details. Fine.",
        "Mail <me@example.com> for help. Fine.",
        "When a < b and c > d it holds. Fine.",
        r"Escaped \<div> stays text. Fine.",
    ],
)
def test_things_that_are_not_raw_html(text: str) -> None:
    # Each of them but the code span is MDX-unsafe, a rule of its own (tests/core/test_lint_mdx.py).
    assert [f for f in lint_card(card(explanation=text), CONTRACT) if f.rule != "mdx-unsafe"] == []


def test_html_inside_code_is_fine() -> None:
    assert lint_card(card(code='const html = "<div>hi</div>";'), CONTRACT) == []


# --- syntax checker seam -------------------------------------------------------------------------


def test_syntax_checker_lines_map_to_body_lines() -> None:
    seen: list[tuple[str, str]] = []

    def checker(code: str, language: str) -> list[tuple[int, str]]:
        seen.append((code, language))
        return [(2, "unexpected token")]

    body = card(fence="```ts")
    [finding] = lint_card(body, CONTRACT, syntax_checker=checker)
    assert seen == [(CODE + "\n", "typescript")]
    assert finding.rule == "syntax" and finding.severity == "error"
    assert finding.line == line_of(body, "export default user;")
    assert finding.message == "unexpected token"


def test_syntax_checker_none_means_unchecked() -> None:
    assert lint_card(card(), CONTRACT, syntax_checker=lambda code, lang: None) == []
    assert lint_card(card(), CONTRACT, syntax_checker=lambda code, lang: []) == []


def test_syntax_checker_out_of_range_line_points_at_the_fence() -> None:
    body = card()
    [finding] = lint_card(body, CONTRACT, syntax_checker=lambda code, lang: [(99, "eof")])
    assert finding.line == line_of(body, "```ts")


def test_syntax_checker_skipped_for_another_language_or_unclosed_block() -> None:
    def checker(code: str, language: str) -> list[tuple[int, str]]:
        raise AssertionError("must not be called")

    assert rules(lint_card(card(fence="```py"), CONTRACT, syntax_checker=checker)) == ["code-language"]
    lint_card(card(close=""), CONTRACT, syntax_checker=checker)


def test_many_syntax_errors_are_capped() -> None:
    problems = [(1, f"problem {i}") for i in range(6)]
    findings = lint_card(card(), CONTRACT, syntax_checker=lambda code, lang: problems)
    assert len(findings) == MAX_FINDINGS_PER_RULE + 1
    assert "and 3 more" in findings[-1].message


# --- line endings, ordering ----------------------------------------------------------------------


def test_crlf_body_lints_like_lf() -> None:
    assert lint_card(card().replace("\n", "\r\n"), CONTRACT) == []
    broken = card(code="x" * 50)
    assert lint_card(broken.replace("\n", "\r\n"), CONTRACT) == lint_card(broken, CONTRACT)
    assert lint_card(broken.replace("\n", "\r"), CONTRACT) == lint_card(broken, CONTRACT)


def test_findings_are_ordered_by_line() -> None:
    body = card(title="# Wrong", explanation="One.", code="x" * 50, why="Only one.")
    lines = [f.line for f in lint_card(body, CONTRACT) if f.line is not None]
    assert lines == sorted(lines)
    assert len(lines) == 4


def test_messages_are_single_lines() -> None:
    body = "<div>\n```py\n" + "\n".join("y" * 90 for _ in range(20))
    findings = lint_card(body, CONTRACT)
    assert findings
    assert all(f.message and "\n" not in f.message for f in findings)


# --- robustness --------------------------------------------------------------------------------

PIECES = [
    "# User Model", "## Why this works", "## ", "# ", "```ts", "```", "~~~", "````", "\n", "\r\n", "\r",
    "<div>", "<!--", "`", "e.g. ", ". ", "x" * 50, "\t", "字", "   ", "\ufeff", "One. Two.",
]  # fmt: skip


@given(st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=6)), max_size=50).map("".join))
@settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
def test_lint_never_raises_and_lines_are_real(body: str) -> None:
    line_count = len(body.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    def checker(code: str, language: str) -> list[tuple[int, str]]:
        return [(1, "first line"), (code.count("\n") + 5, "past the end")]

    for finding in lint_card(body, CONTRACT, syntax_checker=checker):
        assert finding.severity == RULE_SEVERITIES[finding.rule]
        assert finding.line is None or 1 <= finding.line <= line_count
        assert finding.message and "\n" not in finding.message
    unwrapped = unwrap_markdown_fence(body)
    assert unwrapped == body or unwrapped[:-1] in body


# --- unwrap_markdown_fence -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("opening", "closing"),
    [
        ("```markdown", "```"),
        ("```md", "```"),
        ("```Markdown", "```"),
        ("````markdown", "````"),
        ("~~~md", "~~~"),
        ("``` markdown ", "```  "),
    ],
)
def test_wrapped_answer_is_unwrapped(opening: str, closing: str) -> None:
    wrapped = f"\n  {opening}\n{card()}{closing}\n\n"
    unwrapped = unwrap_markdown_fence(wrapped)
    assert unwrapped == card()
    assert lint_card(unwrapped, CONTRACT) == []


def test_wrapped_crlf_answer_is_unwrapped() -> None:
    wrapped = "```markdown\r\n" + card().replace("\n", "\r\n") + "```\r\n"
    assert lint_card(unwrap_markdown_fence(wrapped), CONTRACT) == []


@pytest.mark.parametrize(
    "text",
    [
        card(),
        "```ts\nconst a = 1;\n```\n",
        "Here you go:\n```markdown\n# User Model\n```\n",
        "```markdown\n# User Model\n```\nAnything else?\n",
        "```markdown\n# User Model\n",
        "",
    ],
)
def test_other_answers_stay_unchanged(text: str) -> None:
    assert unwrap_markdown_fence(text) == text


# --- the bundled example -------------------------------------------------------------------------

SAMPLE_SLUGS = [
    "user-model", "password-hashing", "session-token", "login-handler", "refresh-rotation", "rate-limiter",
]  # fmt: skip


def example_contract(name: str) -> CardContract:
    # Written by hand from the example plan's front matter, so this test needs only this module.
    return CardContract(name=name, language="typescript", max_code_lines=15, column_px=400)


def sample(slug: str) -> Path:
    return example_plan().with_name("auth-service.cards") / f"{slug}.md"


@pytest.mark.parametrize("slug", SAMPLE_SLUGS)
def test_sample_card_passes_lint(slug: str) -> None:
    meta, body = parse_card(sample(slug).read_text(encoding="utf-8"), source=slug)
    assert lint_card(body, example_contract(meta.component)) == []
    assert meta.findings == ()
    assert meta.body_sha256 == body_sha256(body)
    assert meta.status == "done" and meta.locked is False
    assert meta.generated_at == "2026-11-25T12:00:00Z"
    assert meta.model == load_plan(example_plan()).settings.model
    # Claude Haiku 5.5: $0.10 / $0.50 per million input / output tokens.
    assert meta.cost_usd == pytest.approx((meta.input_tokens * 0.1 + meta.output_tokens * 0.5) / 1e6, abs=1e-9)


def test_sample_cards_cover_the_example_components() -> None:
    names = {parse_card(sample(slug).read_text(encoding="utf-8"))[0].component for slug in SAMPLE_SLUGS}
    plan_text = example_plan().read_text(encoding="utf-8")
    headings = {line[3:].strip() for line in plan_text.splitlines() if line.startswith("## ")}
    assert names == headings
    assert "language: typescript" in plan_text and "column_px: 400" in plan_text
    assert "max_code_lines: 15" in plan_text


def test_sample_cards_are_current_for_the_example_plan() -> None:
    """The samples must not show as stale: their request hash is that of the example plan."""
    plan = load_plan(example_plan())
    assert plan.ok, plan.issues
    for slug in SAMPLE_SLUGS:
        meta, body = parse_card(sample(slug).read_text(encoding="utf-8"))
        component = plan.component(meta.component)
        assert component is not None, meta.component
        assert lint_card(body, plan.contract_for(component)) == []
        assert meta.model == plan.settings.model
        assert meta.request_sha256 == build_request(plan, component).sha256(), (
            f"{slug}.md: request_sha256 is out of date (the prompt or the example plan changed); "
            "re-hash the sample cards"
        )
