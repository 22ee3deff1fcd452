"""Lint's rule table, how findings are made and capped, and the checks outside a card's sections.

The table gives each rule its stable id and severity; raw HTML and stray content are the checks
that read every line outside the card's sections. A new rule is an id below, its severity in
``RULE_SEVERITIES`` and a check that ``lint_card`` calls; its id is then part of the card format
(docs/formats.md#lint-rules).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from app.core.card import Finding, Severity
from app.core.card_markdown import Document, Fence
from app.core.plan_model import shorten
from app.core.sentences import strip_code_spans

# Stable rule ids: the prompt, repairs, card files, reports and the UI refer to them.
RULE_HEADING = "heading"
RULE_EXPLANATION_SENTENCES = "explanation-sentences"
RULE_CODE_BLOCK = "code-block"
RULE_CODE_LANGUAGE = "code-language"
RULE_CODE_LINES = "code-lines"
RULE_LINE_WIDTH = "line-width"
RULE_WHY_SECTION = "why-section"
RULE_WHY_SENTENCES = "why-sentences"
RULE_RAW_HTML = "raw-html"
RULE_SYNTAX = "syntax"
RULE_STRAY_CONTENT = "stray-content"
"""Text or headings outside the card's sections (a warning; not in the original rule list)."""
RULE_MDX_UNSAFE = "mdx-unsafe"
"""A brace or "<" in prose that an MDX site (Docusaurus) would read as code (app/core/lint_mdx.py)."""

RULE_SEVERITIES: dict[str, Severity] = {
    RULE_HEADING: "error",
    RULE_EXPLANATION_SENTENCES: "warning",
    RULE_CODE_BLOCK: "error",
    RULE_CODE_LANGUAGE: "error",
    RULE_CODE_LINES: "error",
    RULE_LINE_WIDTH: "error",
    RULE_WHY_SECTION: "error",
    RULE_WHY_SENTENCES: "warning",
    RULE_RAW_HTML: "error",
    RULE_SYNTAX: "error",
    RULE_STRAY_CONTENT: "warning",
    RULE_MDX_UNSAFE: "warning",  # an error for a plan whose target is an MDX site (lint_mdx)
}
"""Each rule's default severity; a syntax checker may lower its own findings to warnings."""

MAX_FINDINGS_PER_RULE = 3
"""Per-line rules report this many lines, then one "and N more" finding."""
SHOWN_CHARS = 60
"""A card's text quoted in a finding's message is cut to this many characters."""

# Raw HTML as CommonMark sees it: tags, comments, processing instructions, declarations, CDATA.
# Autolinks (<https://...>, <me@example.org>) are not HTML: a tag name cannot contain ':' or '@'.
_ATTRIBUTE = r"""\s+[A-Za-z_:][\w.:-]*(?:\s*=\s*(?:[^\s"'=<>`]+|'[^']*'|"[^"]*"))?"""
_RAW_HTML = re.compile(
    r"(?<!\\)(?:"
    rf"<[A-Za-z][A-Za-z0-9-]*(?:{_ATTRIBUTE})*\s*/?>"
    # An opening tag whose attributes continue on the next line.
    rf"|<[A-Za-z][A-Za-z0-9-]*(?:{_ATTRIBUTE})*\s*$"
    r"|</[A-Za-z][A-Za-z0-9-]*\s*>"
    r"|<!--"
    r"|<\?"
    r"|<![A-Za-z]"
    r"|<!\[CDATA\["
    r")"
)


def make_finding(
    rule: str, message: str, line: int | None = None, severity: Severity | None = None
) -> Finding:
    """A finding of ``rule`` at its table severity unless ``severity`` is given."""
    return Finding(rule=rule, severity=severity or RULE_SEVERITIES[rule], message=message, line=line)


def append_more(
    findings: list[Finding],
    rule: str,
    items: Sequence[tuple[int, object]],
    what: str,
    noun: str,
    severity: Severity | None = None,
) -> None:
    """One "and N more" finding when ``items`` (line, ...) go past ``MAX_FINDINGS_PER_RULE``."""
    extra = len(items) - MAX_FINDINGS_PER_RULE
    if extra > 0:
        findings.append(
            make_finding(rule, f"and {extra} more {noun} {what}", items[MAX_FINDINGS_PER_RULE][0], severity)
        )


def check_raw_html(doc: Document, findings: list[Finding]) -> None:
    in_fence = {n for fence in doc.fences for n in fence.lines}
    offending: list[tuple[int, str]] = []
    for number, text in enumerate(doc.lines, 1):
        if number in in_fence:
            continue
        match = _RAW_HTML.search(strip_code_spans(text))
        if match:
            offending.append((number, match.group(0)))
    for number, tag in offending[:MAX_FINDINGS_PER_RULE]:
        findings.append(
            make_finding(RULE_RAW_HTML, f"raw HTML ({shorten(tag, 30)}) is not allowed outside code", number)
        )
    append_more(findings, RULE_RAW_HTML, offending, "with raw HTML", "lines")


def check_stray(
    doc: Document, consumed: set[int], findings: list[Finding], *, ignore_after: Fence | None
) -> None:
    """Report each run of content that belongs to no section (its first line)."""
    # Without a Why heading the text after the code is most likely the Why text itself: the
    # missing heading is already an error, so it is not reported a second time.
    limit = max(ignore_after.lines) if ignore_after is not None else None
    runs: list[tuple[int, str]] = []
    in_run = False
    for number, text in enumerate(doc.lines, 1):
        if not text.strip():
            continue
        if number in consumed or (limit is not None and number > limit):
            in_run = False
            continue
        if not in_run:
            heading = doc.headings.get(number)
            what = (
                f"the heading '{'#' * heading.level} {shorten(heading.text, SHOWN_CHARS)}' "
                "is not part of a card"
                if heading
                else "this text is outside the card's sections"
            )
            runs.append((number, what))
            in_run = True
    for number, message in runs[:MAX_FINDINGS_PER_RULE]:
        findings.append(make_finding(RULE_STRAY_CONTENT, message, number))
    append_more(findings, RULE_STRAY_CONTENT, runs, "outside the card's sections", "places")
