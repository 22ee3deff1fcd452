"""The offline syntax check: every language on valid and broken card-sized fragments, and lint's use of it."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from app.core import syntax
from app.core.card import body_start_line, parse_card
from app.core.contract import CardContract
from app.core.lint import lint_card
from app.core.lint_report import lint_plan_and_cards
from app.core.syntax import SUPPORTED_LANGUAGES, WEAK_LANGUAGES, check_syntax, lint_syntax
from tests.fakes.messages_api import FakeMessagesAPI, Step
from tests.helpers.card_files import stored_cards
from tests.helpers.cli import copy_example, run_cli
from tests.helpers.plans import write_plan

FRAGMENTS = Path(__file__).with_name("syntax_fragments")
MIN_VALID, MIN_INVALID = 10, 5
ISSUE_LANGUAGES = {
    "typescript", "tsx", "javascript", "python", "go", "rust", "java", "csharp", "c", "cpp", "bash",
    "sql", "json", "yaml",
}  # fmt: skip


@dataclass(frozen=True)
class Fragment:
    language: str
    kind: str
    """valid | invalid | false-positive (valid code the grammar rejects) | miss (the reverse)."""
    line: int | None
    """For an invalid fragment: the code line its first error must name (None: any line)."""
    code: str
    number: int

    @property
    def id(self) -> str:
        return f"{self.language}-{self.number}"


def load_fragments(path: Path) -> list[Fragment]:
    """Fragments of one file: '=== KIND [LINE]' opens each; '#' lines before the first are notes."""
    language = path.stem
    out: list[Fragment] = []
    head: list[str] | None = None
    lines: list[str] = []

    def flush() -> None:
        if head is not None:
            line = int(head[1]) if len(head) > 1 else None
            out.append(Fragment(language, head[0], line, "".join(lines), len(out) + 1))

    for text in path.read_text(encoding="utf-8").splitlines(keepends=True):
        if text.startswith("=== "):
            flush()
            head, lines = text[4:].split(), []
            assert head[0] in ("valid", "invalid", "false-positive", "miss"), f"{path}: {text}"
        elif head is None:
            assert text.startswith("#"), f"{path}: text before the first fragment: {text!r}"
        else:
            lines.append(text)
    flush()
    return out


ALL = [f for path in sorted(FRAGMENTS.glob("*.txt")) for f in load_fragments(path)]


def _known_failure(f: Fragment) -> list[pytest.MarkDecorator]:
    reason = {
        "false-positive": "the grammar rejects this valid code",
        "miss": "the grammar accepts this invalid code",
    }.get(f.kind)
    return [pytest.mark.xfail(reason=reason, strict=True)] if reason else []


def params(*kinds: str) -> list[object]:
    return [pytest.param(f, id=f.id, marks=_known_failure(f)) for f in ALL if f.kind in kinds]


# --- the bar every language is held to --------------------------------------------------------


def test_every_issue_language_is_supported_and_has_fragments() -> None:
    assert ISSUE_LANGUAGES <= SUPPORTED_LANGUAGES
    assert {f.language for f in ALL} == SUPPORTED_LANGUAGES


@pytest.mark.parametrize("language", sorted(SUPPORTED_LANGUAGES))
def test_each_language_is_tested_on_enough_fragments(language: str) -> None:
    kinds = [f.kind for f in ALL if f.language == language]
    assert kinds.count("valid") >= MIN_VALID
    assert kinds.count("invalid") >= MIN_INVALID


@pytest.mark.parametrize("fragment", params("valid", "false-positive"))
def test_valid_fragment_parses(fragment: Fragment) -> None:
    assert check_syntax(fragment.code, fragment.language) == []


@pytest.mark.parametrize("fragment", params("invalid", "miss"))
def test_invalid_fragment_is_reported_on_its_line(fragment: Fragment) -> None:
    problems = check_syntax(fragment.code, fragment.language)
    assert problems, "the broken fragment passed"
    code_lines = len(fragment.code.splitlines())
    assert all(1 <= line <= code_lines and message for line, message in problems)
    assert len(problems) <= syntax.MAX_ERRORS
    if fragment.line is not None:
        assert problems[0][0] == fragment.line, problems


def test_weak_languages_are_exactly_those_rejecting_valid_code() -> None:
    """A grammar that rejects valid fragments only warns; one that passes its bar is not weak."""
    rejecting = {f.language for f in ALL if f.kind == "false-positive"}
    assert rejecting == WEAK_LANGUAGES
    # A known miss (a lenient grammar) lets that broken code through, as no check at all would:
    # it does not make the language weak.


# --- wrapping and line numbers ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "code", "line"),
    [
        # Statements outside a function: wrapped, and the line is mapped back past the wrapper.
        ("go", "x := 1\ny := 2\nfmt.Println(x +)\n", 3),
        ("java", "int a = 1;\nint b = 2;\nSystem.out.println(a + b\nreturn;\n", 3),
        ("java", "public int twice(int x) {\n    return x * 2\n}\n", 2),
        ("csharp", "public int Twice(int x)\n{\n    return x * 2\n}\n", 3),
        ("c", "int a = 1;\nint b = 2;\nprintf(\"%d\", a + b;\n", 3),
        ("cpp", "auto a = 1;\nstd::cout << (a + 1;\nreturn 0;\n", 2),
        ("rust", "let a = 1;\nlet b = a +;\nprintln!(\"{b}\");\n", 2),
        ("typescript", "private count = 0;\n\nincrement() {\n  this.count++\n  return this.count;;\n}}\n", 6),
        ("python", "def f(x):\n    return (x +\n\nprint(f(1))\n", 2),
        ("yaml", "a: 1\nb:\n  - 1\n c: 2\n", 4),
        ("json", "{\n  \"a\": 1\n  \"b\": 2\n}\n", 2),
    ],
)
def test_error_lines(language: str, code: str, line: int) -> None:
    problems = check_syntax(code, language)
    assert problems and problems[0][0] == line, problems


def test_a_valid_fragment_needs_its_wrapper() -> None:
    # Neither a bare Java method nor a bare C statement list parses as a whole file.
    assert check_syntax("public int twice(int x) {\n    return x * 2;\n}\n", "java") == []
    assert check_syntax("int a = 1;\nprintf(\"%d\", a);\n", "c") == []
    assert check_syntax("let a = 1;\nprintln!(\"{a}\");\n", "rust") == []


def test_an_extra_closing_brace_is_not_hidden_by_a_wrapper() -> None:
    for language, code in [
        ("go", "x := 1\n}\n"),
        ("java", "int a = 1;\n}\n"),
        ("c", "int a = 1;\n}\n"),
        ("rust", "let a = 1;\n}\n"),
        ("typescript", "const a = 1;\n}\n"),
    ]:
        assert check_syntax(code, language), language


def test_messages_name_the_token_or_what_is_missing() -> None:
    assert check_syntax("const a = f(1;\n", "typescript") == [(1, "missing `)`")]
    assert check_syntax("const a = = 1;\n", "typescript") == [(1, "syntax error near `=`")]
    assert check_syntax("def f(:\n    pass\n", "python") == [(1, "invalid syntax")]


def test_indented_fragments_are_dedented() -> None:
    method = "    def allow(self):\n        return True\n"
    assert check_syntax(method, "python") == []
    assert check_syntax("    x = 1\n      y = 2\n", "python") == [(2, "unexpected indent")]


def test_a_python_session_is_checked_as_the_code_typed_into_it() -> None:
    assert check_syntax(">>> x = [1, 2]\n>>> len(x)\n2\n", "python") == []
    assert check_syntax(">>> x = [1, 2\n>>> len(x)\n", "python") == [(1, "'[' was never closed")]


def test_sql_named_parameters_parse_and_casts_stay() -> None:
    assert check_syntax("SELECT * FROM users WHERE email = :email;\n", "sql") == []
    assert check_syntax("SELECT id::text, '12:30' FROM users;\n", "sql") == []


# --- what is not checked ----------------------------------------------------------------------


@pytest.mark.parametrize("language", ["ruby", "kotlin", "brainfuck", ""])
def test_an_unknown_language_is_unchecked(language: str) -> None:
    assert check_syntax("this is } not { code", language) is None
    assert lint_syntax("this is } not { code", language) is None


def test_a_missing_grammar_wheel_means_unchecked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(
        syntax._GRAMMARS, "fortran", syntax._Grammar("tree_sitter_fortran_not_installed", "language")
    )
    assert check_syntax("program x\nend\n", "fortran") is None


def test_empty_code_has_no_syntax_error() -> None:
    assert check_syntax("", "typescript") == []
    assert check_syntax("\n   \n", "go") == []


# --- severity, lint and the command line ------------------------------------------------------


def test_lint_syntax_adds_the_severity() -> None:
    assert lint_syntax("const a = f(1;\n", "typescript") == [(1, "missing `)`", "error")]
    assert lint_syntax("SELECT * FROM t WHERE;\n", "sql") == [
        (1, "syntax error near `WHERE`", "warning")
    ]
    assert lint_syntax("const a = 1;\n", "typescript") == []


CARD = """# Session Token

`openSession` maps a random token to the user. It lives on the server.

```{tag}
{code}
```

## Why this works
The token is random. Nobody can guess it.
"""


def card_lines(tag: str, code: str) -> tuple[str, int]:
    body = CARD.format(tag=tag, code=code)
    return body, body.splitlines().index(f"```{tag}") + 1


def test_lint_reports_the_card_line_of_a_syntax_error() -> None:
    code = 'const token = crypto.randomUUID(;\nsessions.set(token, userId);'
    body, fence_line = card_lines("ts", code)
    [finding] = lint_card(body, CardContract("Session Token", "typescript"), syntax_checker=lint_syntax)
    assert (finding.rule, finding.severity, finding.line) == ("syntax", "error", fence_line + 1)


def test_a_weak_language_only_warns() -> None:
    body, fence_line = card_lines("sql", "SELECT token\nFROM sessions\nWHERE;")
    [finding] = lint_card(body, CardContract("Session Token", "sql"), syntax_checker=lint_syntax)
    assert (finding.rule, finding.severity, finding.line) == ("syntax", "warning", fence_line + 3)


def test_lint_keeps_a_checker_severity_also_for_the_overflow_finding() -> None:
    body, fence_line = card_lines("ts", "a\nb\nc\nd\ne")
    problems = [(n, f"bad {n}", "warning") for n in range(1, 6)]
    findings = lint_card(
        body, CardContract("Session Token", "typescript"), syntax_checker=lambda code, lang: problems
    )
    assert [(f.line, f.severity) for f in findings] == [
        (fence_line + n, "warning") for n in (1, 2, 3, 4)
    ]
    assert findings[-1].message == "and 2 more syntax errors in the code"


def test_valid_card_code_passes_lint() -> None:
    body, _ = card_lines("go", "token := make([]byte, 32)\nrand.Read(token)")
    assert lint_card(body, CardContract("Session Token", "go"), syntax_checker=lint_syntax) == []


def break_login_handler(plan: Path) -> tuple[Path, int]:
    """Drop the brace that closes the `if` in the example's Login Handler; returns the card and
    the file line of the function's last `}`, where the parser runs out of braces."""
    card = plan.parent / "auth-service.cards" / "login-handler.md"
    text = card.read_text(encoding="utf-8")
    broken = '    throw new Error("Invalid credentials");\n  }\n'
    assert text.count(broken) == 1
    card.write_text(text.replace(broken, '    throw new Error("Invalid credentials");\n'), "utf-8")
    report = lint_plan_and_cards(plan, syntax_checker=None)
    [body_card] = [c for c in report.cards if c.component == "Login Handler"]
    assert body_card.findings == ()  # nothing but the syntax is wrong
    _, body = parse_card(card.read_text(encoding="utf-8"))
    lines = body.splitlines()
    closing = max(n for n, text in enumerate(lines, 1) if text == "}")
    return card, closing + body_start_line(card.read_text(encoding="utf-8")) - 1


def test_cli_lint_names_the_syntax_finding_and_its_line(tmp_path: Path) -> None:
    plan = copy_example(tmp_path)
    _, line = break_login_handler(plan)
    result = run_cli("lint", plan)
    assert result.code == 1, result.out + result.err
    assert f"auth-service.cards/login-handler.md:{line}: error: syntax: missing `}}`" in (
        result.out.splitlines()
    ), result.out
    assert result.out.strip().splitlines()[-1].startswith("6 cards: 1 errors")


def test_generation_stores_the_syntax_finding(tmp_path: Path, api: FakeMessagesAPI) -> None:
    name = "Component 01"
    body, fence_line = card_lines("ts", "const token = crypto.randomUUID(;\nsessions.set(token, id);")
    broken = body.replace("# Session Token", f"# {name}")
    # Every answer is the broken card, so a repair (when there is one) cannot hide it.
    api.script(name, *[Step("good", text=broken)] * 3)
    plan = write_plan(tmp_path, 1)
    result = run_cli("generate", plan)
    assert result.code == 1, result.err
    [(meta, _)] = stored_cards(plan).values()
    assert [(f.rule, f.severity, f.line) for f in meta.findings] == [("syntax", "error", fence_line + 1)]


def test_the_example_cards_are_syntax_clean(tmp_path: Path) -> None:
    report = lint_plan_and_cards(copy_example(tmp_path))
    assert report.cards and all(c.findings == () for c in report.cards)


# --- cost -------------------------------------------------------------------------------------


def test_a_thousand_cards_check_well_under_two_seconds() -> None:
    codes = [(f.code, f.language) for f in ALL]
    for code, language in codes:  # grammars load once, outside the timing
        check_syntax(code, language)
    start = time.perf_counter()
    for n in range(1000):
        check_syntax(*codes[n % len(codes)])
    assert time.perf_counter() - start < 2.0


def test_parsers_are_cached_per_thread() -> None:
    assert syntax._parser("typescript") is syntax._parser("typescript")
    seen: list[object] = []
    worker = threading.Thread(target=lambda: seen.append(syntax._parser("typescript")))
    worker.start()
    worker.join()
    assert seen and seen[0] is not None and seen[0] is not syntax._parser("typescript")
