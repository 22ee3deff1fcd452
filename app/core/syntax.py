"""Offline syntax check of a card's code with tree-sitter grammars, wrapping fragments so they parse."""

from __future__ import annotations

import ast
import importlib
import re
import textwrap
import threading
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from app.core.card import Severity
from app.core.lint import SyntaxProblem

if TYPE_CHECKING:
    from tree_sitter import Language, Node, Parser

__all__ = [
    "MAX_ERRORS",
    "SUPPORTED_LANGUAGES",
    "WEAK_LANGUAGES",
    "check_syntax",
    "lint_syntax",
]

MAX_ERRORS = 3
"""Errors after the first few are mostly the parser's recovery echoing the first one."""


@dataclass(frozen=True)
class _Wrapper:
    """Text put around a fragment so that a snippet that is valid in context parses on its own."""

    before: str
    after: str

    @property
    def offset(self) -> int:
        return self.before.count("\n")

    def wrap(self, code: str) -> str:
        return f"{self.before}{code}{self.after}"


@dataclass(frozen=True)
class _Grammar:
    module: str
    function: str
    wrappers: tuple[_Wrapper, ...] = ()
    prepare: Callable[[str], str] | None = None
    """Rewrites the code for the grammar without moving any line."""
    second_opinion: Callable[[str], list[tuple[int, str]]] | None = None
    """Run when tree-sitter finds nothing: covers what the grammar is known to accept."""
    locate: Callable[[str], list[tuple[int, str]]] | None = None
    """Run when tree-sitter finds an error: a parser that names the place and the problem better."""


# `:name` parameters (SQLite, psycopg, SQLAlchemy) are unknown to tree-sitter-sql, `@name` is known.
# A `::` cast is left alone, and so is `12:30` (a digit or letter before the colon).
_SQL_NAMED_PARAMETER = re.compile(r"(?<![:\w]):(?=[A-Za-z_])")


def _sql_parameters(code: str) -> str:
    return _SQL_NAMED_PARAMETER.sub("@", code)


def _python_session(code: str) -> str:
    """A ``>>>`` session as the code typed into it: prompts dropped, printed output blanked."""
    lines = code.splitlines()
    first = next((line for line in lines if line.strip()), "")
    if not first.startswith(">>>"):
        return code
    kept = [line[4:] if line[:4] in (">>> ", "... ") else line[3:] if line in (">>>", "...") else ""
            for line in lines]
    return "\n".join(kept) + "\n"


def _python_syntax_error(code: str) -> SyntaxError | None:
    try:
        with warnings.catch_warnings():
            # An invalid escape like "\d" warns at parse time; that is not a syntax error.
            warnings.simplefilter("ignore")
            ast.parse(code)
    except SyntaxError as exc:
        return exc
    except ValueError:  # a NUL byte
        pass
    return None


def _python_errors(code: str) -> list[tuple[int, str]]:
    """The first error by this interpreter's own parser, which names the problem precisely."""
    exc = _python_syntax_error(code)
    return [(exc.lineno or 1, exc.msg or "invalid syntax")] if exc else []


def _python_indentation(code: str) -> list[tuple[int, str]]:
    """Indentation errors, which tree-sitter-python lets through.

    Only these count: another syntax error may be syntax newer than this interpreter knows.
    """
    exc = _python_syntax_error(code)
    return _python_errors(code) if isinstance(exc, IndentationError) else []


def _yaml_errors(code: str) -> list[tuple[int, str]]:
    """PyYAML's first error: its marks point at the offending line, tree-sitter-yaml's do not."""
    import yaml

    try:
        for _ in yaml.parse(code, Loader=yaml.SafeLoader):
            pass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        if mark is None:
            return []
        # At the end of the text the construct left open is the useful place to point at.
        if mark.line + 1 > _last_code_line(code) and exc.context_mark is not None:
            mark = exc.context_mark
        return [(mark.line + 1, exc.problem or "invalid YAML")]
    except yaml.YAMLError:
        pass
    return []


_C_BODY = _Wrapper("void _fragment(void) {\n", "\n}\n")
_CPP_BODY = _Wrapper("void _fragment() {\n", "\n}\n")
_CLASS = _Wrapper("class _Fragment {\n", "\n}\n")
_JAVA_METHOD = _Wrapper("class _Fragment { void _fragment() throws Exception {\n", "\n}}\n")
_CSHARP_METHOD = _Wrapper("class _Fragment { async void _Fragment() {\n", "\n}}\n")
_GO_PACKAGE = _Wrapper("package main\n", "\n")
_GO_FUNC = _Wrapper("package main\nfunc _() {\n", "\n}\n")
_RUST_FN = _Wrapper("fn _fragment() {\n", "\n}\n")
_JS_CLASS = _Wrapper("class _Fragment {\n", "\n}\n")

# Canonical language (app.core.contract) -> grammar wheel, its language function and the wrappers
# tried, in order, when the fragment does not parse as it stands.
_GRAMMARS: dict[str, _Grammar] = {
    "typescript": _Grammar("tree_sitter_typescript", "language_typescript", (_JS_CLASS,)),
    "tsx": _Grammar("tree_sitter_typescript", "language_tsx", (_JS_CLASS,)),
    "javascript": _Grammar("tree_sitter_javascript", "language", (_JS_CLASS,)),
    "jsx": _Grammar("tree_sitter_javascript", "language", (_JS_CLASS,)),
    "python": _Grammar(
        "tree_sitter_python",
        "language",
        prepare=_python_session,
        second_opinion=_python_indentation,
        locate=_python_errors,
    ),
    "go": _Grammar("tree_sitter_go", "language", (_GO_PACKAGE, _GO_FUNC)),
    "rust": _Grammar("tree_sitter_rust", "language", (_RUST_FN,)),
    "java": _Grammar("tree_sitter_java", "language", (_CLASS, _JAVA_METHOD)),
    "csharp": _Grammar("tree_sitter_c_sharp", "language", (_CLASS, _CSHARP_METHOD)),
    "c": _Grammar("tree_sitter_c", "language", (_C_BODY,)),
    "cpp": _Grammar("tree_sitter_cpp", "language", (_CPP_BODY, _CLASS)),
    "bash": _Grammar("tree_sitter_bash", "language"),
    "sql": _Grammar("tree_sitter_sql", "language", prepare=_sql_parameters),
    "json": _Grammar("tree_sitter_json", "language"),
    "yaml": _Grammar("tree_sitter_yaml", "language", locate=_yaml_errors),
}

SUPPORTED_LANGUAGES = frozenset(_GRAMMARS)

WEAK_LANGUAGES: frozenset[str] = frozenset({"sql"})
"""Grammars that reject valid, common code (tests/core/syntax_fragments): their findings only warn.

tree-sitter-sql is one grammar for every dialect and rejects Postgres and SQLite staples such as
``ON CONFLICT``, ``FOR UPDATE SKIP LOCKED`` and ``INSERT OR REPLACE``.
"""

_PLAIN = _Wrapper("", "")


def check_syntax(code: str, language: str) -> list[tuple[int, str]] | None:
    """Syntax errors in ``code`` as (1-based code line, message); None when the language is unchecked.

    ``language`` is a canonical name (app.core.contract.canonical_language).
    """
    grammar = _GRAMMARS.get(language)
    parser = _parser(language) if grammar else None
    if grammar is None or parser is None:
        return None
    # Python needs it; elsewhere indentation is free, and a method cut out of its class keeps
    # its indentation. Only columns change, so lines still map one to one.
    source = textwrap.dedent(code)
    if grammar.prepare:
        source = grammar.prepare(source)
    if not source.strip():
        return []
    attempts: list[list[tuple[int, str]]] = []
    for wrapper in (_PLAIN, *grammar.wrappers):
        problems = _problems(parser, wrapper, source)
        if not problems:
            return grammar.second_opinion(source) if grammar.second_opinion else []
        attempts.append(problems)
    if grammar.locate and (located := grammar.locate(source)):
        return located
    # The reading that got furthest before its first error is the most likely intended one.
    return max(attempts, key=lambda p: (p[0][0], -len(p)))


def lint_syntax(code: str, language: str) -> list[SyntaxProblem] | None:
    """The SyntaxChecker lint and generation use: check_syntax, warnings only for WEAK_LANGUAGES."""
    problems = check_syntax(code, language)
    if problems is None:
        return None
    severity: Severity = "warning" if language in WEAK_LANGUAGES else "error"
    return [(line, message, severity) for line, message in problems]


def prime_syntax(language: str) -> None:
    """Load the grammar for ``language`` now (process-wide), e.g. in a worker thread before the
    first card in that language is linted on an event loop."""
    if language in _GRAMMARS:
        _language(language)


@cache
def _language(language: str) -> Language | None:
    """The grammar, loaded on first use; None when its wheel is missing or does not load."""
    grammar = _GRAMMARS[language]
    try:
        from tree_sitter import Language

        module = importlib.import_module(grammar.module)
        return Language(getattr(module, grammar.function)())
    except (ImportError, AttributeError, ValueError):
        return None


_parsers = threading.local()


def _parser(language: str) -> Parser | None:
    """One parser per language and thread (a parser holds state while it parses)."""
    cache: dict[str, Parser] = _parsers.__dict__.setdefault("by_language", {})
    if language not in cache:
        grammar = _language(language)
        if grammar is None:
            return None
        from tree_sitter import Parser

        cache[language] = Parser(grammar)
    return cache[language]


def _problems(parser: Parser, wrapper: _Wrapper, code: str) -> list[tuple[int, str]]:
    tree = parser.parse(wrapper.wrap(code).encode("utf-8"))
    if not tree.root_node.has_error:
        return []
    last_line = _last_code_line(code)
    out: list[tuple[int, str]] = []
    for node in _error_nodes(tree.root_node):
        line = min(max(node.start_point.row + 1 - wrapper.offset, 1), last_line)
        if any(seen == line for seen, _ in out):
            continue
        out.append((line, _message(node)))
        if len(out) == MAX_ERRORS:
            break
    return out or [(last_line, "syntax error")]


def _error_nodes(root: Node) -> Iterator[Node]:
    """ERROR and MISSING nodes in source order, without descending into an ERROR node."""
    stack = [root]
    while stack:
        node = stack.pop()
        if node.is_error or node.is_missing:
            yield node
            continue
        stack.extend(child for child in reversed(node.children) if child.has_error)


def _message(node: Node) -> str:
    if node.is_missing:
        return f"missing `{_shorten(node.type)}`"
    text = _first_token(node)
    if not text:
        return "syntax error at the end of the code"
    return f"syntax error near `{_shorten(text)}`"


def _first_token(node: Node) -> str:
    """The text of the first leaf in ``node``: the token the parser could not place."""
    while node.children:
        node = node.children[0]
    raw = node.text or b""
    return raw.decode("utf-8", "replace").strip().splitlines()[0] if raw.strip() else ""


def _last_code_line(code: str) -> int:
    lines = code.splitlines()
    while len(lines) > 1 and not lines[-1].strip():
        lines.pop()
    return max(len(lines), 1)


def _shorten(text: str, limit: int = 30) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
