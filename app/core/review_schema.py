"""The JSON schema a reviewer answers in, and the check of an answer against it.

The schema goes to the API (structured output, or a tool's input schema), but nothing trusts the
API to have enforced it: every answer is parsed and checked here, and an answer that does not
follow the schema is a failed review with the reason, never a pass.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from app.core.review import NOTE_SEVERITIES, VERDICTS, ReviewNote, Verdict

TOOL_NAME = "record_review"
MAX_NOTES = 50
MAX_TEXT_CHARS = 4000
"""A note or summary longer than this is not a review but a runaway answer."""

_NOTE_KEYS = ("severity", "line", "message")
_ANSWER_KEYS = ("verdict", "notes", "summary")

REVIEW_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "verdict": {
            "type": "string",
            "enum": list(VERDICTS),
            "description": "pass: publish as it is; revise: fixable problems; fail: wrong at its core",
        },
        "notes": {
            "type": "array",
            "description": "one entry per problem found; empty when there is none",
            "items": {
                "type": "object",
                "properties": {
                    "severity": {"type": "string", "enum": list(NOTE_SEVERITIES)},
                    "line": {
                        "type": "integer",
                        "description": "the card line the note is about, as numbered in the request",
                    },
                    "message": {"type": "string"},
                },
                "required": ["severity", "message"],
                "additionalProperties": False,
            },
        },
        "summary": {"type": "string", "description": "at most one paragraph"},
    },
    "required": ["verdict", "notes"],
    "additionalProperties": False,
}
"""Objects carry ``additionalProperties: false``, as structured output requires."""


def schema_json() -> str:
    """The schema as canonical JSON text (what a request carries)."""
    return json.dumps(REVIEW_SCHEMA, sort_keys=True, separators=(",", ":"))


class MalformedReview(ValueError):
    """An answer that does not follow the schema; the message is one line."""


@dataclass(frozen=True)
class ReviewAnswer:
    verdict: Verdict
    notes: tuple[ReviewNote, ...]
    summary: str


def parse_review_answer(text: str, *, body_lines: int | None = None) -> ReviewAnswer:
    """The review in ``text`` (JSON), checked against ``REVIEW_SCHEMA``; ``MalformedReview``
    otherwise. A note's line past the card's end (``body_lines``) is kept without its line."""
    stripped = text.strip()
    if not stripped:
        raise MalformedReview("the reviewer's answer is empty")
    try:
        data = json.loads(stripped)
    except ValueError as exc:
        raise MalformedReview(f"the reviewer's answer is not JSON ({exc.msg} at char {exc.pos})") from None
    if not isinstance(data, dict):
        raise MalformedReview("the reviewer's answer is not a JSON object")
    _only_keys(data, _ANSWER_KEYS, "the answer")
    verdict = data.get("verdict")
    if verdict not in VERDICTS:
        raise MalformedReview(f"verdict is {_shown(verdict)}; expected one of: {', '.join(VERDICTS)}")
    notes = data.get("notes")
    if not isinstance(notes, list):
        raise MalformedReview("'notes' is missing or not a list")
    if len(notes) > MAX_NOTES:
        raise MalformedReview(f"{len(notes)} notes; at most {MAX_NOTES}")
    summary = data.get("summary", "")
    if not isinstance(summary, str) or len(summary) > MAX_TEXT_CHARS:
        raise MalformedReview("'summary' is not a text of at most one paragraph")
    parsed = tuple(_note(n, i, body_lines) for i, n in enumerate(notes, start=1))
    return ReviewAnswer(Verdict(verdict), parsed, " ".join(summary.split()))


def _note(data: object, number: int, body_lines: int | None) -> ReviewNote:
    where = f"note {number}"
    if not isinstance(data, dict):
        raise MalformedReview(f"{where} is not an object")
    _only_keys(data, _NOTE_KEYS, where)
    severity, message, line = data.get("severity"), data.get("message"), data.get("line")
    if severity not in NOTE_SEVERITIES:
        raise MalformedReview(f"{where} has severity {_shown(severity)}; expected error or warning")
    if not isinstance(message, str) or not message.strip() or len(message) > MAX_TEXT_CHARS:
        raise MalformedReview(f"{where} has no message text")
    if line is not None and (isinstance(line, bool) or not isinstance(line, int) or line < 1):
        raise MalformedReview(f"{where} has line {_shown(line)}; expected a positive whole number")
    if line is not None and body_lines is not None and line > body_lines:
        line = None  # a note is still worth reading when its line number is off
    return ReviewNote(severity=severity, message=" ".join(message.split()), line=line)


def _only_keys(data: dict[str, Any], allowed: tuple[str, ...], where: str) -> None:
    extra = sorted(str(k) for k in data if k not in allowed)
    if extra:
        raise MalformedReview(f"{where} has keys the schema does not allow: {', '.join(extra[:3])}")


def _shown(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False) if value is not None else "missing"
    return text if len(text) <= 40 else text[:39] + "…"
