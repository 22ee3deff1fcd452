"""A drafted plan: the JSON schema a model fills, and a model's answer (JSON or plan Markdown) read
into a ``Draft`` with unique, non-empty component names whatever the model wrote.

What a draft's answer can get wrong falls in two kinds. Names (empty, repeated) are fixed here by
construction and said so in ``notes``. Everything that cannot be fixed without guessing (text that
is not JSON or not the schema's shape, a code fence left open that swallows the components after
it, broken front matter, no components at all) is a ``DraftError`` with the line of the answer it
is on, for the one follow-up that asks the model to fix exactly those (docs/formats.md#drafts).
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from typing import Any

from app.core.card_markdown import unwrap_markdown_fence
from app.core.fences import fence_opening, fenced_lines
from app.core.plan import heading_name, parse_plan, split_lines
from app.core.plan_model import Plan, PlanIssue, quote
from app.core.plan_settings import parse_front_matter


@dataclass(frozen=True)
class DraftComponent:
    name: str
    instruction: str


@dataclass(frozen=True)
class Draft:
    """What a model drafted. A draft of additions (``--into``) has components only."""

    title: str
    language: str
    context: str
    components: tuple[DraftComponent, ...]


@dataclass(frozen=True)
class DraftError:
    """Something in the answer that only the model can fix; ``line`` counts lines of the answer."""

    line: int | None
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line is not None else self.message


@dataclass(frozen=True)
class Reading:
    """An answer read: the draft (None when it has errors), its errors, and what was fixed."""

    draft: Draft | None
    errors: tuple[DraftError, ...] = ()
    notes: tuple[str, ...] = ()


# -- the schema ------------------------------------------------------------------------------------

_COMPONENTS_SCHEMA: dict[str, Any] = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {
            "name": {"type": "string", "description": "two to five words, unique in the plan"},
            "instruction": {"type": "string", "description": "one to three sentences"},
        },
        "required": ["name", "instruction"],
        "additionalProperties": False,
    },
}


def draft_schema(*, additions: bool = False) -> dict[str, Any]:
    """The JSON schema of a plan (or of additions to one: components only). Every object says
    ``additionalProperties: false``, as structured output requires. A new dict each time: a
    caller may change it."""
    properties: dict[str, Any] = {"components": copy.deepcopy(_COMPONENTS_SCHEMA)}
    if not additions:
        properties = {
            "title": {"type": "string"},
            "language": {"type": "string", "description": "the code language, as a fence tag"},
            "context": {"type": "string", "description": "the shared context: decisions, not options"},
            **properties,
        }
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


# -- names -----------------------------------------------------------------------------------------


class NameRegistry:
    """Hands out component names that are unique ignoring case and never empty."""

    def __init__(self, taken: tuple[str, ...] = ()) -> None:
        self._taken = {name.casefold() for name in taken}
        self.notes: list[str] = []

    def claim(self, written: str, position: int) -> str:
        """The name component ``position`` (1-based) gets for ``written``, as the plan parser
        reads a heading (whitespace collapsed, closing #s dropped)."""
        name = heading_name("## " + " ".join(written.split())) or ""
        if not name:
            name = self._free(f"Component {position}")
            self.notes.append(f"component {position} had no name: named {quote(name)}")
        elif name.casefold() in self._taken:
            first = name
            name = self._free(name)
            self.notes.append(f"component {position} repeats the name {quote(first)}: renamed {quote(name)}")
        self._taken.add(name.casefold())
        return name

    def _free(self, name: str) -> str:
        if name.casefold() not in self._taken:
            return name
        number = 2
        while f"{name} ({number})".casefold() in self._taken:
            number += 1
        return f"{name} ({number})"


# -- reading an answer -------------------------------------------------------------------------------


def read_answer(text: str, *, structured: bool, additions: bool = False) -> Reading:
    """The draft in a model's answer: JSON following ``draft_schema`` when ``structured``, else
    plan Markdown (for additions: component sections only)."""
    if structured:
        return _read_json(text, additions)
    return _read_markdown(text, additions)


def _read_json(text: str, additions: bool) -> Reading:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return Reading(None, (DraftError(exc.lineno, f"the answer is not valid JSON: {exc.msg} (column {exc.colno})"),))
    errors: list[DraftError] = []
    if not isinstance(data, dict):
        return Reading(None, (DraftError(None, "the answer must be a JSON object with the schema's fields"),))
    fields = ("components",) if additions else ("title", "language", "context", "components")
    values = {name: data.get(name) for name in fields}
    for name in fields[:-1]:
        if not isinstance(values[name], str):
            errors.append(DraftError(None, f"'{name}' must be a string"))
    items = values["components"]
    if not isinstance(items, list) or not items:
        errors.append(DraftError(None, "'components' must be a list of at least one component"))
        items = []
    registry = NameRegistry()
    components = []
    for position, item in enumerate(items, 1):
        if not (isinstance(item, dict) and isinstance(item.get("name"), str)
                and isinstance(item.get("instruction"), str)):
            errors.append(DraftError(None, f"component {position} must have a string 'name' and 'instruction'"))
            continue
        components.append(DraftComponent(registry.claim(item["name"], position), item["instruction"].strip()))
    if errors:
        return Reading(None, tuple(errors), tuple(registry.notes))
    draft = Draft(
        title=" ".join(str(values.get("title") or "").split()),
        language=str(values.get("language") or "").strip(),
        context=str(values.get("context") or "").strip(),
        components=tuple(components),
    )
    return Reading(draft, (), tuple(registry.notes))


def _read_markdown(text: str, additions: bool) -> Reading:
    body = unwrap_markdown_fence(text)
    # Line numbers must be the answer's own: count the wrapper's opening line(s) back in.
    offset = text[: len(text) - len(text.lstrip())].count("\n") + 1 if body != text else 0
    lines = split_lines(body)
    _settings, _issues, body_start = parse_front_matter(lines, "")
    registry = NameRegistry()
    position = 0
    for index, fence in fenced_lines(lines[body_start:]):
        name = heading_name(lines[body_start + index]) if fence is None else None
        if name is None:
            continue
        position += 1
        claimed = registry.claim(name, position)
        if claimed != name:
            lines[body_start + index] = f"## {claimed}"
    plan = parse_plan("\n".join(lines), default_title="")
    errors = [DraftError(i.line + offset, _shifted(i.message, offset)) for i in plan.errors]
    open_fence = unclosed_fence_issue(plan, lines)
    if open_fence is not None:
        line = open_fence.line + offset
        errors.append(DraftError(line, f"a code fence opened on line {line} is never closed, so the '## '"
                                       " headings after it are not components: close it where its code ends"))
    notes = list(registry.notes)
    if errors:
        return Reading(None, tuple(sorted(errors, key=lambda e: e.line or 0)), tuple(notes))
    if additions and (plan.context or body_start):
        notes.append("the text before the first component was left out: only new components are added")
    components = tuple(DraftComponent(c.name, c.instruction) for c in plan.components)
    if additions:
        return Reading(Draft("", "", "", components), (), tuple(notes))
    settings = plan.settings
    return Reading(Draft(settings.title, settings.language, plan.context, components), (), tuple(notes))


def unclosed_fence_issue(plan: Plan, lines: list[str]) -> PlanIssue | None:
    """The parser's warning that a code fence is never closed (so later headings are code), if
    ``plan``, parsed from ``lines``, has it: the warning on a line that opens a fence."""
    return next((w for w in plan.warnings
                 if 0 < w.line <= len(lines) and fence_opening(lines[w.line - 1]) is not None), None)


_LINE_NUMBER = re.compile(r"\bline (\d+)")


def _shifted(message: str, offset: int) -> str:
    """A parser message whose line numbers count lines of the answer, not of its unwrapped body."""
    if not offset:
        return message
    return _LINE_NUMBER.sub(lambda m: f"line {int(m.group(1)) + offset}", message)
