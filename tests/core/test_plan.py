"""Unit tests of the plan parser: front matter, context, components and line-numbered issues."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from app.core.plan import (
    Plan,
    PlanIssue,
    PlanSettings,
    detect_newline,
    encode_like,
    format_issue,
    heading_name,
    load_plan,
    parse_plan,
    plan_title_from_path,
    split_lines,
)
from app.errors import PlanError

FORMATS_EXAMPLE = """\
---
title: Auth service examples
language: typescript        # default typescript
model: claude-haiku-5-5     # default
effort: low                 # default; low, medium, high, xhigh, max
thinking: adaptive          # default; or off
max_code_lines: 15
column_px: 400
concurrency: 4              # parallel requests, 1..16
max_tokens: 1024
---
Shared context: everything before the first level-2 heading is sent with every component.

## User Model
Stores user identity and credentials separately.

## Session Token
...
"""


def plan_of(text: str, **kwargs: str) -> Plan:
    return parse_plan(textwrap.dedent(text), **kwargs)


def issue_lines(plan: Plan, severity: str | None = None) -> list[int]:
    return [i.line for i in plan.issues if severity is None or i.severity == severity]


def only_issue(plan: Plan) -> PlanIssue:
    assert len(plan.issues) == 1, plan.issues
    return plan.issues[0]


def names(plan: Plan) -> list[str]:
    return [c.name for c in plan.components]


# --- the example of docs/formats.md --------------------------------------------------------


def test_design_example_parses_completely() -> None:
    plan = parse_plan(FORMATS_EXAMPLE)
    assert plan.issues == ()
    assert plan.ok
    assert plan.settings == PlanSettings(
        title="Auth service examples",
        language="typescript",
        model="claude-haiku-5-5",
        max_code_lines=15,
        column_px=400,
        concurrency=4,
        max_tokens=1024,
        effort="low",
        thinking="adaptive",
    )
    assert plan.context == (
        "Shared context: everything before the first level-2 heading is sent with every component."
    )
    assert [(c.name, c.instruction, c.line) for c in plan.components] == [
        ("User Model", "Stores user identity and credentials separately.", 14),
        ("Session Token", "...", 17),
    ]


def test_design_example_as_crlf_bytes_with_bom_keeps_lines() -> None:
    data = b"\xef\xbb\xbf" + FORMATS_EXAMPLE.replace("\n", "\r\n").encode()
    plan = parse_plan(data)
    assert plan.issues == ()
    assert [c.line for c in plan.components] == [14, 17]
    assert plan.settings.title == "Auth service examples"
    assert "\r" not in plan.components[0].instruction


def test_plan_lookup_and_contract_follow_settings() -> None:
    plan = plan_of(
        """\
        ---
        language: python
        max_code_lines: 10
        column_px: 600
        ---
        ## User Model
        x
        """
    )
    component = plan.component("user model")
    assert component is not None and component.name == "User Model"
    assert plan.component("nope") is None
    contract = plan.contract_for(component)
    assert (contract.name, contract.language, contract.max_code_lines, contract.column_px) == (
        "User Model",
        "python",
        10,
        600,
    )


# --- defaults and front matter --------------------------------------------------------------


def test_without_front_matter_defaults_apply_and_title_comes_from_argument() -> None:
    plan = parse_plan("## A\ndo a\n", default_title="guide")
    assert plan.issues == ()
    assert plan.settings == PlanSettings(title="guide")
    assert plan.settings.language == "typescript"
    assert plan.settings.model == "claude-haiku-5-5"
    assert (plan.settings.effort, plan.settings.thinking) == ("low", "adaptive")
    assert plan.settings.concurrency == 4
    assert plan.context == ""


def test_front_matter_title_overrides_default_title() -> None:
    plan = parse_plan("---\ntitle: '  Real title '\n---\n## A\nx\n", default_title="guide")
    assert plan.settings.title == "Real title"


@pytest.mark.parametrize("title_line", ["title:", "title: ''", "title: '   '"])
def test_empty_title_falls_back_to_default(title_line: str) -> None:
    plan = parse_plan(f"---\n{title_line}\n---\n## A\nx\n", default_title="guide")
    assert plan.issues == ()
    assert plan.settings.title == "guide"


def test_empty_front_matter_is_fine() -> None:
    for text in ("---\n---\n## A\nx\n", "---\n# only a comment\n---\n## A\nx\n"):
        plan = parse_plan(text, default_title="t")
        assert plan.issues == ()
        assert plan.settings == PlanSettings(title="t")
        assert plan.components[0].line == text.count("\n") - 1


def test_front_matter_closed_by_dots_and_trailing_spaces() -> None:
    plan = parse_plan("---  \nconcurrency: 8\n...\n## A\nx\n")
    assert plan.issues == ()
    assert plan.settings.concurrency == 8
    assert plan.components[0].line == 4


def test_dashes_later_in_the_file_are_not_front_matter() -> None:
    plan = parse_plan("Intro\n---\ntitle: no\n---\n## A\nx\n", default_title="d")
    assert plan.settings.title == "d"
    assert plan.context == "Intro\n---\ntitle: no\n---"


def test_unclosed_front_matter_is_an_error_on_line_1() -> None:
    plan = parse_plan("---\ntitle: x\n\n## A\ndo a\n")
    issue = only_issue(plan)
    assert (issue.line, issue.severity) == (1, "error")
    assert "front matter opened on line 1 is never closed" in issue.message
    # The rest of the file is still read, so the outline can show the components.
    assert names(plan) == ["A"]


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("max_code_lines", 1),
        ("max_code_lines", 100),
        ("column_px", 200),
        ("column_px", 2000),
        ("concurrency", 1),
        ("concurrency", 16),
        ("max_tokens", 64),
        ("max_tokens", 64000),
    ],
)
def test_integer_settings_accept_their_bounds(key: str, value: int) -> None:
    plan = parse_plan(f"---\ntitle: t\n{key}: {value}\n---\n## A\nx\n")
    assert plan.issues == ()
    assert getattr(plan.settings, key) == value


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("max_code_lines", "0"),
        ("max_code_lines", "101"),
        ("column_px", "199"),
        ("column_px", "2001"),
        ("concurrency", "0"),
        ("concurrency", "17"),
        ("concurrency", "-3"),
        ("max_tokens", "63"),
        ("max_tokens", "64001"),
        ("concurrency", "true"),
        ("concurrency", "false"),
        ("concurrency", "4.0"),
        ("concurrency", "'4'"),
        ("concurrency", "four"),
        ("concurrency", "[4]"),
        ("concurrency", "{a: 1}"),
        ("concurrency", ""),
        ("max_tokens", "9" * 40),
    ],
)
def test_bad_integer_settings_are_errors_on_their_key_line(key: str, value: str) -> None:
    plan = parse_plan(f"---\ntitle: t\nlanguage: go\n{key}: {value}\n---\n## A\nx\n")
    issue = only_issue(plan)
    assert (issue.line, issue.severity) == (4, "error")
    assert issue.message.startswith(f"{key} must be a whole number from")
    assert getattr(plan.settings, key) == getattr(PlanSettings(), key)
    assert plan.settings.language == "go"  # the good settings still apply
    assert not plan.ok


@pytest.mark.parametrize("key", ["language", "model"])
@pytest.mark.parametrize(
    ("value", "expected"),
    [("", "must not be empty"), ("'  '", "must not be empty"), ("3", "must be text")],
)
def test_bad_text_settings_are_errors(key: str, value: str, expected: str) -> None:
    plan = parse_plan(f"---\n\n{key}: {value}\n---\n## A\nx\n")
    issue = only_issue(plan)
    assert issue.line == 3
    assert issue.message.startswith(f"{key} {expected}")
    assert getattr(plan.settings, key) == getattr(PlanSettings(), key)


def test_text_settings_are_stripped() -> None:
    plan = parse_plan("---\nlanguage: ' python '\nmodel: claude-x\n---\n## A\nx\n")
    assert (plan.settings.language, plan.settings.model) == ("python", "claude-x")


def test_title_of_wrong_type_is_an_error() -> None:
    plan = parse_plan("---\ntitle: [a, b]\n---\n## A\nx\n", default_title="d")
    issue = only_issue(plan)
    assert issue.line == 2 and issue.message == "title must be text, not a list"
    assert plan.settings.title == "d"


def test_unknown_keys_are_warnings_on_their_lines() -> None:
    plan = parse_plan("---\ntitle: t\nlangauge: go\nauthor: me\n---\n## A\nx\n")
    assert [(i.line, i.severity) for i in plan.issues] == [(3, "warning"), (4, "warning")]
    assert "'langauge'" in plan.issues[0].message
    assert "did you mean 'language'?" in plan.issues[0].message
    assert "'author'" in plan.issues[1].message and "did you mean" not in plan.issues[1].message
    assert plan.ok
    assert plan.settings.language == "typescript"


def test_key_lines_are_found_in_flow_and_nested_layouts() -> None:
    plan = parse_plan("---\n# settings\n{title: t,\n  concurrency: 99}\n---\n## A\nx\n")
    issue = only_issue(plan)
    assert issue.line == 4 and issue.message.startswith("concurrency")


def test_repeated_key_warns_and_last_value_wins() -> None:
    plan = parse_plan("---\nmodel: a\ntitle: t\nmodel: b\n---\n## A\nx\n")
    issue = only_issue(plan)
    assert (issue.line, issue.severity) == (4, "warning")
    assert "first on line 2" in issue.message
    assert plan.settings.model == "b"


def test_error_in_repeated_key_points_at_the_last_one() -> None:
    plan = parse_plan("---\nconcurrency: 2\nconcurrency: 0\n---\n## A\nx\n")
    assert [(i.line, i.severity) for i in plan.issues] == [(3, "warning"), (3, "error")]


@pytest.mark.parametrize("body", ["- a\n- b", "just text", "42"])
def test_front_matter_must_be_a_mapping(body: str) -> None:
    plan = parse_plan(f"---\n{body}\n---\n## A\nx\n")
    issue = only_issue(plan)
    assert issue.line == 2 and issue.severity == "error"
    assert "front matter must be 'key: value' settings" in issue.message


def test_yaml_syntax_error_names_its_file_line() -> None:
    plan = parse_plan("---\ntitle: t\nlanguage: go\nmodel: [unclosed\nconcurrency: 2\n---\n## A\nx\n")
    assert plan.errors and plan.errors[0].message.startswith("front matter is not valid YAML")
    assert 4 <= plan.errors[0].line <= 6
    assert plan.settings == PlanSettings()  # nothing of a broken front matter is used
    assert names(plan) == ["A"]


def test_yaml_error_line_with_bom_and_crlf() -> None:
    data = b"\xef\xbb\xbf---\r\ntitle: t\r\nlanguage: go\r\nbad: : x\r\n---\r\n## A\r\nx\r\n"
    issue = only_issue(parse_plan(data))
    assert issue.line == 4
    assert issue.message.startswith("front matter is not valid YAML")


def test_yaml_error_line_with_cr_only_endings() -> None:
    issue = only_issue(parse_plan("---\rtitle: t\r\r  bad: x\r---\r## A\rx\r"))
    assert issue.line == 4


def test_yaml_error_line_ignores_unicode_line_separators() -> None:
    # YAML counts U+2028 as a line break; an editor does not, and our lines must match the editor.
    issue = only_issue(parse_plan("---\ntitle: 'a\u2028b'\nx: : y\n---\n## A\nx\n"))
    assert issue.line == 3


def test_python_object_tags_are_refused_without_running_anything() -> None:
    plan = parse_plan("---\ntitle: t\nmodel: !!python/object/apply:os.system ['echo hi']\n---\n## A\nx\n")
    issue = only_issue(plan)
    assert issue.line == 3
    assert "front matter is not valid YAML" in issue.message
    assert plan.settings.model == PlanSettings().model


def test_deeply_nested_yaml_is_an_error_not_a_crash() -> None:
    plan = parse_plan("---\nx: " + "[" * 50_000 + "\n---\n## A\nx\n")
    assert len(plan.errors) == 1 and plan.errors[0].line >= 2
    assert names(plan) == ["A"]


def test_nul_in_front_matter_is_an_error_with_its_line() -> None:
    issue = only_issue(parse_plan("---\ntitle: t\nmodel: a\x00b\n---\n## A\nx\n"))
    assert issue.line == 3


def test_huge_integer_does_not_crash() -> None:
    plan = parse_plan("---\nconcurrency: " + "9" * 6000 + "\n---\n## A\nx\n")
    assert len(plan.errors) == 1 and plan.errors[0].line == 2


# --- headings ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("## Foo", "Foo"),
        ("##\tFoo", "Foo"),
        ("   ## Foo", "Foo"),
        ("    ## Foo", None),
        ("##Foo", None),
        ("# Foo", None),
        ("### Foo", None),
        ("#### Foo", None),
        ("## Foo ##", "Foo"),
        ("## Foo #####   ", "Foo"),
        ("## Foo#", "Foo#"),
        ("## C# ##", "C#"),
        ("## C#", "C#"),
        ("## Foo # bar", "Foo # bar"),
        ("##   User    Model  ", "User Model"),
        ("##", ""),
        ("##   ", ""),
        ("## ##", ""),
        ("## #", ""),
        ("text ## Foo", None),
    ],
)
def test_heading_name(line: str, expected: str | None) -> None:
    assert heading_name(line) == expected


def test_only_level_two_headings_start_components() -> None:
    plan = plan_of(
        """\
        # Title of the plan
        Context.

        ## First
        Do one.
        ### Detail
        More of one.
        #### Deeper

        ##Not a heading
        ## Second ##
        Do two.
        """
    )
    assert plan.issues == ()
    assert plan.context == "# Title of the plan\nContext."
    assert [(c.name, c.line) for c in plan.components] == [("First", 4), ("Second", 11)]
    assert plan.components[0].instruction == (
        "Do one.\n### Detail\nMore of one.\n#### Deeper\n\n##Not a heading"
    )
    assert plan.components[1].instruction == "Do two."


def test_names_are_stripped_and_whitespace_collapsed() -> None:
    plan = parse_plan("##    Session \t  Token   \nx\n")
    assert names(plan) == ["Session Token"]


# --- fences -------------------------------------------------------------------------------


@pytest.mark.parametrize("fence", ["```", "~~~", "````", "~~~~~", "   ```"])
def test_headings_inside_fences_are_ignored(fence: str) -> None:
    text = f"## A\nShow this:\n{fence}md\n## Not a component\n{fence.strip()}\n## B\nx\n"
    plan = parse_plan(text)
    assert plan.issues == ()
    assert names(plan) == ["A", "B"]
    assert plan.components[0].instruction == f"Show this:\n{fence}md\n## Not a component\n{fence.strip()}"
    assert plan.components[1].line == 6


def test_fence_in_context_hides_headings() -> None:
    plan = parse_plan("Context\n~~~\n## hidden\n~~~\n## A\nx\n")
    assert names(plan) == ["A"]
    assert plan.context == "Context\n~~~\n## hidden\n~~~"


def test_fence_closes_only_with_same_char_and_enough_length() -> None:
    text = textwrap.dedent(
        """\
        ## A
        ````
        ```
        ~~~~
        ## still code
        ````` trailing text does not close
        `````
        ## B
        x
        """
    )
    plan = parse_plan(text)
    assert plan.issues == ()
    assert [(c.name, c.line) for c in plan.components] == [("A", 1), ("B", 8)]


def test_backtick_fence_with_backtick_in_info_is_not_a_fence() -> None:
    plan = parse_plan("## A\n``` a`b\n## B\nx\n")
    assert names(plan) == ["A", "B"]


def test_fence_indented_four_spaces_is_not_a_fence() -> None:
    plan = parse_plan("## A\n    ```\n## B\nx\n")
    assert names(plan) == ["A", "B"]


def test_closing_fence_indented_four_spaces_does_not_close() -> None:
    plan = parse_plan("## A\n```\n    ```\n## hidden\n```\n## B\nx\n")
    assert names(plan) == ["A", "B"]
    assert plan.issues == ()


def test_unclosed_fence_runs_to_end_of_file_with_a_warning() -> None:
    plan = parse_plan("## A\nx\n\n~~~ts\ncode\n## B\ny\n")
    issue = only_issue(plan)
    assert (issue.line, issue.severity) == (4, "warning")
    assert "never closed" in issue.message
    assert names(plan) == ["A"]
    assert plan.components[0].instruction == "x\n\n~~~ts\ncode\n## B\ny"


# --- component errors ----------------------------------------------------------------------


def test_empty_heading_is_an_error_on_its_line() -> None:
    plan = parse_plan("## A\nx\n##\ny\n## B\nz\n")
    issue = only_issue(plan)
    assert (issue.line, issue.severity) == (3, "error")
    assert issue.message == "component heading has no name"
    assert names(plan) == ["A", "B"]
    assert plan.components[0].instruction == "x"  # the empty heading still ends A


def test_duplicate_names_are_errors_case_insensitively_on_the_later_line() -> None:
    plan = parse_plan("ctx\n\n## User Model\nx\n## Session\ny\n## user  MODEL\nz\n")
    issue = only_issue(plan)
    assert issue.line == 7
    assert issue.message == "duplicate component 'user MODEL' (first on line 3)"
    assert names(plan) == ["User Model", "Session"]
    assert not plan.ok


def test_casefold_duplicates() -> None:
    plan = parse_plan("## Straße\nx\n## STRASSE\ny\n")
    assert [i.line for i in plan.errors] == [3]


def test_no_components_is_an_error_on_the_last_line() -> None:
    plan = parse_plan("---\ntitle: t\n---\nJust context.\n\nMore.\n")
    issue = only_issue(plan)
    assert issue.line == 6 and issue.severity == "error"
    assert "no components" in issue.message
    assert plan.context == "Just context.\n\nMore."


@pytest.mark.parametrize("source", ["", b"", "\n", b"\xef\xbb\xbf"])
def test_empty_plan_has_one_error_on_line_1(source: str | bytes) -> None:
    issue = only_issue(parse_plan(source))
    assert issue.line == 1 and "no components" in issue.message


def test_headings_hidden_in_fence_mean_no_components() -> None:
    plan = parse_plan("```\n## A\n```\n")
    assert [i.line for i in plan.errors] == [3]


def test_empty_instruction_is_a_warning() -> None:
    plan = parse_plan("## A\n\n   \n## B\nx\n## C\n")
    assert [(i.line, i.severity) for i in plan.issues] == [(1, "warning"), (6, "warning")]
    assert plan.issues[0].message == "component 'A' has no instruction"
    assert plan.ok
    assert [c.instruction for c in plan.components] == ["", "x", ""]


def test_instruction_keeps_inner_layout() -> None:
    plan = parse_plan("## A\n\n\n  first\n\n  second  \n\n\n## B\nx")
    assert plan.components[0].instruction == "  first\n\n  second"
    assert plan.components[1].instruction == "x"


def test_issues_are_sorted_by_line() -> None:
    plan = parse_plan("---\nfoo: 1\nconcurrency: 0\n---\n## A\n## a\n##\n```\n")
    lines = issue_lines(plan)
    assert lines == sorted(lines)
    assert lines == [2, 3, 5, 6, 7, 8]


# --- bytes, line endings, odd input -----------------------------------------------------------


def test_crlf_cr_and_lf_line_numbers_agree() -> None:
    base = "ctx\n\n## A\nx\n\n## B\ny\n## a\n"
    for newline in ("\n", "\r\n", "\r"):
        plan = parse_plan(base.replace("\n", newline).encode())
        assert [(c.name, c.line) for c in plan.components] == [("A", 3), ("B", 6)]
        assert [(i.line, i.severity) for i in plan.issues] == [(8, "error")]


def test_mixed_line_endings() -> None:
    plan = parse_plan(b"ctx\r\n## A\rx\n## B\r\ny")
    assert [(c.name, c.line, c.instruction) for c in plan.components] == [("A", 2, "x"), ("B", 4, "y")]


def test_form_feed_and_line_separator_do_not_split_lines() -> None:
    plan = parse_plan("ctx\x0cmore\u2028still\n## A\nx\n")
    assert plan.components[0].line == 2


def test_invalid_utf8_is_an_error_on_the_line_of_the_first_bad_byte() -> None:
    data = b"\xef\xbb\xbf## A\r\nok\r\nbad \xff\xfe here\r\n## B\r\n\xc3\r\n"
    plan = parse_plan(data)
    issue = only_issue(plan)
    assert (issue.line, issue.severity) == (3, "error")
    assert "not valid UTF-8" in issue.message and "0xFF" in issue.message
    assert names(plan) == ["A", "B"]
    assert "\ufffd" in plan.components[0].instruction


def test_invalid_utf8_right_after_a_carriage_return() -> None:
    issue = only_issue(parse_plan(b"## A\rx\r\x80\r"))
    assert issue.line == 3


def test_str_input_with_bom_is_accepted() -> None:
    plan = parse_plan("\ufeff---\ntitle: t\n---\n## A\nx\n")
    assert plan.issues == () and plan.settings.title == "t"


def test_nul_bytes_and_control_characters_do_not_crash() -> None:
    plan = parse_plan(b"\x00\x00## A\n\x00\n## B\x00\nx\x01\x02")
    assert names(plan) == ["B\x00"]
    assert plan.context.startswith("\x00")


def test_megabyte_line_is_fine() -> None:
    plan = parse_plan("## A\n" + "x" * 1_000_000 + "\n## " + "y" * 1_000_000 + "\nz\n")
    assert len(plan.components) == 2
    assert len(plan.components[0].instruction) == 1_000_000


def test_ten_thousand_components() -> None:
    text = "".join(f"## Component {i}\nDo thing {i}.\n\n" for i in range(10_000))
    plan = parse_plan(text)
    assert plan.issues == ()
    assert len(plan.components) == 10_000
    assert plan.components[-1].line == 3 * 9_999 + 1
    assert plan.components[-1].instruction == "Do thing 9999."


def test_split_lines_counts_like_an_editor() -> None:
    assert split_lines("a\r\nb\rc\nd") == ["a", "b", "c", "d"]
    assert split_lines("a\n") == ["a", ""]
    assert split_lines("") == [""]


# --- files -----------------------------------------------------------------------------------


def test_load_plan_reads_bytes_and_titles_from_file_name(tmp_path: Path) -> None:
    path = tmp_path / "guide.plan.md"
    path.write_bytes(b"\xef\xbb\xbfctx\r\n## A\r\nx\r\n")
    plan = load_plan(path)
    assert plan.settings.title == "guide"
    assert plan.context == "ctx"
    assert [(c.name, c.line) for c in plan.components] == [("A", 2)]


def test_load_plan_missing_file_raises_one_clear_line(tmp_path: Path) -> None:
    path = tmp_path / "x.md"
    with pytest.raises(PlanError) as info:
        load_plan(path)
    message = info.value.message
    assert message == f"cannot read plan '{path}': No such file or directory"
    assert "\n" not in message
    assert info.value.exit_code == 2


def test_load_plan_on_a_folder_raises(tmp_path: Path) -> None:
    with pytest.raises(PlanError, match="cannot read plan .*folder"):
        load_plan(tmp_path)


def test_load_plan_keeps_errors_in_the_plan(tmp_path: Path) -> None:
    path = tmp_path / "guide.md"
    path.write_text("## A\nx\n## a\ny\n", encoding="utf-8")
    plan = load_plan(path)
    assert [format_issue(path.name, i) for i in plan.issues] == [
        "guide.md:3: error: duplicate component 'a' (first on line 1)"
    ]


@pytest.mark.parametrize(
    ("name", "title"),
    [("guide.md", "guide"), ("guide.plan.md", "guide"), ("Guide.PLAN.MD", "Guide"), ("notes.txt", "notes")],
)
def test_plan_title_from_path(name: str, title: str) -> None:
    assert plan_title_from_path(Path("/some/where") / name) == title


def test_format_issue() -> None:
    issue = PlanIssue(12, "duplicate component 'User Model' (first on line 5)")
    assert format_issue("guide.md", issue) == (
        "guide.md:12: error: duplicate component 'User Model' (first on line 5)"
    )
    assert format_issue("g.md", PlanIssue(3, "w", "warning")) == "g.md:3: warning: w"


# --- saving like the original --------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "\n"),
        (b"one line", "\n"),
        (b"a\nb\n", "\n"),
        (b"a\r\nb\r\n", "\r\n"),
        (b"a\rb\r", "\r"),
        (b"a\r\nb\r\nc\n", "\r\n"),
        (b"a\nb\nc\r\n", "\n"),
        (b"a\r\nb\n", "\n"),
    ],
)
def test_detect_newline(data: bytes, expected: str) -> None:
    assert detect_newline(data) == expected


def test_encode_like_keeps_bom_and_crlf() -> None:
    original = b"\xef\xbb\xbf## A\r\nx\r\n"
    assert encode_like("## A\nx\ny\n", original) == b"\xef\xbb\xbf## A\r\nx\r\ny\r\n"


def test_encode_like_does_not_double_the_bom() -> None:
    original = b"\xef\xbb\xbf## A\n"
    assert encode_like("\ufeff## B\n", original) == b"\xef\xbb\xbf## B\n"


def test_encode_like_drops_bom_the_original_did_not_have() -> None:
    assert encode_like("\ufeff## A\r\n", b"## A\n") == b"## A\n"


def test_encode_like_normalizes_mixed_editor_text() -> None:
    assert encode_like("a\r\nb\rc\n", b"x\ry\r") == b"a\rb\rc\r"


def test_encode_like_without_original_is_plain_utf8_lf() -> None:
    assert encode_like("é\r\nx", None) == "é\nx".encode()
    assert encode_like("\ufeffa", None) == b"\xef\xbb\xbfa"


def test_encode_like_survives_a_lone_surrogate() -> None:
    assert encode_like("a\ud800b", None) == b"a?b"


def test_decode_then_encode_like_round_trips_the_file() -> None:
    original = b"\xef\xbb\xbf---\r\ntitle: t\r\n---\r\n## A\r\nx\r\n"
    text = original.decode("utf-8-sig").replace("\r\n", "\n")
    assert encode_like(text, original) == original
