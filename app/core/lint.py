"""Checks a card body against the card contract; every finding has a stable rule id and a body line."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from app.core.card import Finding, Severity
from app.core.card_markdown import (
    TAB_WIDTH,
    Document,
    Fence,
    Heading,
    display_width,
    parse_heading,
    scan_markdown,
    unwrap_markdown_fence,
)
from app.core.contract import WHY_HEADING, CardContract, canonical_language, language_matches
from app.core.lint_rules import (
    MAX_FINDINGS_PER_RULE,
    RULE_CODE_BLOCK,
    RULE_CODE_LANGUAGE,
    RULE_CODE_LINES,
    RULE_EXPLANATION_SENTENCES,
    RULE_HEADING,
    RULE_LINE_WIDTH,
    RULE_MDX_UNSAFE,
    RULE_RAW_HTML,
    RULE_SEVERITIES,
    RULE_STRAY_CONTENT,
    RULE_SYNTAX,
    RULE_WHY_SECTION,
    RULE_WHY_SENTENCES,
    SHOWN_CHARS,
    append_more,
    check_raw_html,
    check_stray,
    make_finding,
)
from app.core.lint_mdx import mdx_unsafe_findings
from app.core.plan_model import shorten
from app.core.sentences import count_sentences

# The Markdown scanning lives in card_markdown and the rule table in lint_rules; their public
# names are re-exported because the engine and the tests import them from app.core.lint.
__all__ = [
    "MAX_FINDINGS_PER_RULE",
    "RULE_CODE_BLOCK",
    "RULE_CODE_LANGUAGE",
    "RULE_CODE_LINES",
    "RULE_EXPLANATION_SENTENCES",
    "RULE_HEADING",
    "RULE_LINE_WIDTH",
    "RULE_MDX_UNSAFE",
    "RULE_RAW_HTML",
    "RULE_SEVERITIES",
    "RULE_STRAY_CONTENT",
    "RULE_SYNTAX",
    "RULE_WHY_SECTION",
    "RULE_WHY_SENTENCES",
    "TAB_WIDTH",
    "SyntaxChecker",
    "SyntaxProblem",
    "display_width",
    "error_count",
    "lint_card",
    "parse_heading",
    "unwrap_markdown_fence",
    "warning_count",
]

SyntaxProblem = tuple[int, str] | tuple[int, str, Severity]
"""(1-based code line, message[, severity]); without a severity the rule's own (error) applies."""

SyntaxChecker = Callable[[str, str], list[SyntaxProblem] | None]
"""(code, canonical language) -> the problems found, or None when it cannot check the language."""

SYNTAX_CHECK_MAX_LINES = 1000
"""Code blocks longer than this skip the syntax check (their code-lines error stands)."""


# ---------------------------------------------------------------------------------------------
# Finding counts


def error_count(findings: Iterable[Finding]) -> int:
    return sum(1 for f in findings if f.severity == "error")


def warning_count(findings: Iterable[Finding]) -> int:
    return sum(1 for f in findings if f.severity == "warning")


# ---------------------------------------------------------------------------------------------
# Lint


def offline_syntax(code: str, language: str) -> list[SyntaxProblem] | None:
    """The offline syntax check (tree-sitter grammars), loaded on first use."""
    from app.core.syntax import lint_syntax  # syntax imports this module's types

    return lint_syntax(code, language)


def lint_card(
    body: str, contract: CardContract, *, syntax_checker: SyntaxChecker | None = offline_syntax
) -> list[Finding]:
    """All findings for one card body, ordered by line (findings without a line last).

    This is the one lint: generation, ``cardsmith lint``, the Card tab, F8 and export all call it
    with the default checker, so a card's findings (syntax included) read the same everywhere.
    Tests pass another ``syntax_checker``; ``None`` leaves the code's syntax unchecked.
    """
    doc = scan_markdown(body)
    findings: list[Finding] = []
    title_line = _check_title(doc, contract, findings)
    code = doc.fences[0] if doc.fences else None
    why = _find_why(doc)
    consumed: set[int] = {title_line} if title_line else set()
    for fence in doc.fences:
        consumed.update(fence.lines)

    explanation_end = min(
        code.open_line if code else len(doc.lines) + 1,
        why.line if why else len(doc.lines) + 1,
    )
    explanation = _prose_between(doc, title_line, explanation_end)
    consumed.update(explanation)
    _check_sentences(
        findings, RULE_EXPLANATION_SENTENCES, "explanation", explanation, contract,
        line=min(explanation, default=title_line or None),
    )  # fmt: skip

    _check_code_blocks(doc, contract, findings, syntax_checker)
    _check_why(doc, code, why, contract, findings, consumed)
    check_raw_html(doc, findings)
    findings.extend(mdx_unsafe_findings(doc, contract, MAX_FINDINGS_PER_RULE))
    check_stray(doc, consumed, findings, ignore_after=None if why else code)
    return sorted(findings, key=lambda f: (f.line is None, f.line or 0))


def _check_title(doc: Document, contract: CardContract, findings: list[Finding]) -> int:
    """Check the first non-blank line; returns its line when it is a heading (else 0)."""
    expected = f"# {contract.name.strip()}"
    first = next((n for n, text in enumerate(doc.lines, 1) if text.strip()), None)
    if first is None:
        findings.append(make_finding(RULE_HEADING, f"the card is empty; it must start with '{expected}'"))
        return 0
    heading = doc.headings.get(first)
    if heading is None:
        shown = shorten(doc.lines[first - 1].strip(), SHOWN_CHARS)
        findings.append(
            make_finding(RULE_HEADING, f"the card must start with '{expected}', not '{shown}'", first)
        )
        return 0
    if heading.level != 1:
        message = f"the title must be a level-1 heading: '{expected}'"
        if heading.text != contract.name.strip():
            message += f", not '{'#' * heading.level} {shorten(heading.text, SHOWN_CHARS)}'"
        findings.append(make_finding(RULE_HEADING, message, first))
    elif heading.text != contract.name.strip():
        findings.append(
            make_finding(
                RULE_HEADING,
                f"the title is '# {shorten(heading.text, SHOWN_CHARS)}'; expected '{expected}'",
                first,
            )
        )
    return first


def _find_why(doc: Document) -> Heading | None:
    """The first heading reading "Why this works" (any level: a wrong level is reported later)."""
    wanted = _fold(WHY_HEADING)
    return next((h for _, h in sorted(doc.headings.items()) if _fold(h.text) == wanted), None)


def _prose_between(doc: Document, after: int, before: int) -> dict[int, str]:
    return {n: text for n, text in doc.prose.items() if after < n < before}


def _check_sentences(
    findings: list[Finding],
    rule: str,
    what: str,
    prose: dict[int, str],
    contract: CardContract,
    *,
    line: int | None,
) -> None:
    text = " ".join(prose[n].strip() for n in sorted(prose))
    count = count_sentences(text)
    if contract.min_sentences <= count <= contract.max_sentences:
        return
    wanted = (
        f"{contract.min_sentences}"
        if contract.min_sentences == contract.max_sentences
        else f"{contract.min_sentences} to {contract.max_sentences}"
    )
    noun = "sentence" if count == 1 else "sentences"
    findings.append(make_finding(rule, f"the {what} has {count} {noun}; write {wanted}", line))


def _check_code_blocks(
    doc: Document,
    contract: CardContract,
    findings: list[Finding],
    syntax_checker: SyntaxChecker | None,
) -> None:
    if not doc.fences:
        findings.append(
            make_finding(RULE_CODE_BLOCK, "the card has no fenced code block; it needs exactly one")
        )
        return
    if len(doc.fences) > 1:
        findings.append(
            make_finding(
                RULE_CODE_BLOCK,
                f"the card has {len(doc.fences)} fenced code blocks; it needs exactly one",
                doc.fences[1].open_line,
            )
        )
    code = doc.fences[0]
    if code.close_line is None:
        findings.append(make_finding(RULE_CODE_BLOCK, "the code block is never closed", code.open_line))
    tag_ok = _check_language(code, contract, findings)
    counted = code.counted_code()
    if len(counted) > contract.max_code_lines:
        findings.append(
            make_finding(
                RULE_CODE_LINES,
                f"the code block has {len(counted)} lines; at most {contract.max_code_lines} fit",
                code.open_line,
            )
        )
    _check_width(counted, contract, findings)
    # A block this far over the limit is a code-lines error to rewrite anyway; parsing megabytes of
    # it would only hold up the event loop's thread (generation lints every answer there).
    checkable = len(counted) <= SYNTAX_CHECK_MAX_LINES
    if syntax_checker is not None and code.close_line is not None and (tag_ok or not code.tag) and checkable:
        _check_syntax(code, contract, findings, syntax_checker)


def _check_language(code: Fence, contract: CardContract, findings: list[Finding]) -> bool:
    expected = canonical_language(contract.language)
    if not code.tag:
        findings.append(
            make_finding(
                RULE_CODE_LANGUAGE,
                f"the code block has no language tag; expected ```{expected}",
                code.open_line,
            )
        )
        return False
    if not language_matches(code.tag, contract.language):
        findings.append(
            make_finding(
                RULE_CODE_LANGUAGE,
                f"the code block is tagged '{shorten(code.tag, SHOWN_CHARS)}'; "
                f"the plan's language is {expected}",
                code.open_line,
            )
        )
        return False
    return True


def _check_width(code: list[tuple[int, str]], contract: CardContract, findings: list[Finding]) -> None:
    budget = contract.width_budget
    widths = [(n, display_width(text)) for n, text in code]
    wide = [(n, width) for n, width in widths if width > budget]
    for n, width in wide[:MAX_FINDINGS_PER_RULE]:
        findings.append(
            make_finding(
                RULE_LINE_WIDTH,
                f"this code line is {width} characters wide; "
                f"{budget} fit in the {contract.column_px} px column",
                n,
            )
        )
    append_more(findings, RULE_LINE_WIDTH, wide, f"wider than {budget} characters", "code lines")


def _check_syntax(
    code: Fence, contract: CardContract, findings: list[Finding], checker: SyntaxChecker
) -> None:
    source = "".join(text + "\n" for _, text in code.code)
    problems = checker(source, canonical_language(contract.language))
    if not problems:
        return
    # A checker may lower the severity: a grammar known to reject some valid code only warns.
    first = problems[0]
    severity = first[2] if len(first) == 3 else RULE_SEVERITIES[RULE_SYNTAX]
    located = [(_code_to_body_line(code, p[0]), p[1]) for p in problems]
    for line, message in located[:MAX_FINDINGS_PER_RULE]:
        findings.append(make_finding(RULE_SYNTAX, message, line, severity))
    append_more(findings, RULE_SYNTAX, located, "in the code", "syntax errors", severity)


def _code_to_body_line(code: Fence, code_line: int) -> int:
    """Map a 1-based line of the code to the card body; out of range points at the opening fence."""
    if 1 <= code_line <= len(code.code):
        return code.code[code_line - 1][0]
    return code.open_line


def _check_why(
    doc: Document,
    code: Fence | None,
    why: Heading | None,
    contract: CardContract,
    findings: list[Finding],
    consumed: set[int],
) -> None:
    expected = f"## {WHY_HEADING}"
    if why is None:
        findings.append(make_finding(RULE_WHY_SECTION, f"the card has no '{expected}' section after the code"))
        return
    consumed.add(why.line)
    if why.level != 2:
        findings.append(
            make_finding(RULE_WHY_SECTION, f"'{'#' * why.level} {why.text}' must be '{expected}'", why.line)
        )
    if code is not None and why.line < code.open_line:
        findings.append(
            make_finding(RULE_WHY_SECTION, f"the '{expected}' section must come after the code", why.line)
        )
    next_heading = doc.heading_after(why.line)
    next_fence = next((f.open_line for f in doc.fences if f.open_line > why.line), None)
    end = min(
        next_heading.line if next_heading else len(doc.lines) + 1,
        next_fence if next_fence else len(doc.lines) + 1,
    )
    prose = _prose_between(doc, why.line, end)
    consumed.update(prose)
    _check_sentences(findings, RULE_WHY_SENTENCES, f"'{expected}' section", prose, contract, line=why.line)


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()
