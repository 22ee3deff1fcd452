"""The ``mdx-unsafe`` lint rule: ``{``, ``}`` or ``<`` in prose, which an MDX site cannot read.

A warning, or an error for a plan whose ``target`` is an MDX site (app.core.targets). Headings are
left out: the title is the component's name, and the Docusaurus export escapes headings anyway.
"""

from __future__ import annotations

from app.core.card import Finding
from app.core.card_markdown import Document
from app.core.contract import CardContract
from app.core.lint_rules import RULE_MDX_UNSAFE
from app.core.mdx import UnsafeChar, unsafe_chars
from app.core.targets import is_mdx

_CLOSERS = {"{": "}", "<": ">"}
_SHOWN_CHARS = 40


def mdx_unsafe_findings(doc: Document, contract: CardContract, cap: int) -> list[Finding]:
    """One finding per prose line holding such a character (``cap`` lines, then "and N more")."""
    code = {n for fence in doc.fences for n in fence.lines}
    first: dict[int, UnsafeChar] = {}
    for hit in unsafe_chars(doc.lines, code):
        if hit.line in doc.prose:
            first.setdefault(hit.line, hit)
    severity = "error" if is_mdx(contract.target) else "warning"
    hits = list(first.values())
    findings = [
        Finding(RULE_MDX_UNSAFE, severity, _message(doc.lines[hit.line - 1], hit), hit.line) for hit in hits[:cap]
    ]
    if len(hits) > cap:
        more = f"and {len(hits) - cap} more lines with {{, }} or < outside code"
        findings.append(Finding(rule=RULE_MDX_UNSAFE, severity=severity, line=hits[cap].line, message=more))
    return findings


def _message(line: str, hit: UnsafeChar) -> str:
    return (
        f"'{hit.char}' outside code breaks MDX sites such as Docusaurus: "
        f"write `{_word_around(line, hit.column)}` in inline code"
    )


def _word_around(line: str, column: int) -> str:
    """The identifier or expression the character belongs to: ``Map<string, User>``, ``{ id }``."""
    start = column
    while start > 0 and not line[start - 1].isspace():
        start -= 1
    closer = _CLOSERS.get(line[column])
    close = line.find(closer, column + 1) if closer else -1
    if 0 <= close - column <= _SHOWN_CHARS:
        end = close + 1
    else:
        end = column + 1
        while end < len(line) and not line[end].isspace():
            end += 1
    word = line[start:end].rstrip(".,;:!?")
    return word if len(word) <= _SHOWN_CHARS else word[: _SHOWN_CHARS - 1] + "…"
