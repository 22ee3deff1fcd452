"""The plan Markdown built from a ``Draft``: a new plan, or new components appended to a writer's
plan without touching a byte of it; either is parsed back before it is given out.

The text a model wrote for the context and the instructions is made safe to embed: a ``## `` line
outside code would start a component, so it becomes ``### ``; a code fence left open would swallow
every component after it, so it is closed where its field ends (docs/formats.md#drafts).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import yaml

from app.core.draft_plan import Draft, DraftComponent, DraftError, NameRegistry
from app.core.fences import close_open_fence, fenced_lines, unclosed_fence
from app.core.plan import Plan, heading_name, parse_plan
from app.core.plan_model import PlanSettings, quote
from app.core.textfile import decode_text, detect_newline, split_lines


@dataclass(frozen=True)
class Rendered:
    """Plan text ready to write (or to append), what was changed to get it, or why it cannot be."""

    text: str
    draft: Draft
    notes: tuple[str, ...] = ()
    errors: tuple[DraftError, ...] = ()


def _safe_block(text: str, where: str, notes: list[str]) -> str:
    lines = split_lines(text.strip("\n"))
    demoted = 0
    for index, fence in fenced_lines(lines):
        if fence is None and heading_name(lines[index]) is not None:
            lines[index] = "#" + lines[index].lstrip(" ")
            demoted += 1
    if demoted:
        notes.append(f"{where}: {demoted} '## ' heading(s) made '### ' so that they stay inside it")
    block = "\n".join(lines).rstrip()
    if unclosed_fence(block) is not None:
        notes.append(f"{where}: a code fence left open was closed at its end")
        block = close_open_fence(block).rstrip("\n")
    return block


def _yaml_line(key: str, value: str) -> str:
    return yaml.safe_dump({key: value}, allow_unicode=True, width=10**9, default_flow_style=False).strip()


def _sections(components: tuple[DraftComponent, ...], notes: list[str]) -> list[str]:
    parts: list[str] = []
    for component in components:
        instruction = _safe_block(component.instruction, f"component {quote(component.name)}", notes)
        parts.append(f"## {component.name}\n{instruction}".rstrip() + "\n")
    return parts


def render_plan(draft: Draft, *, model: str, language: str | None = None, fallback_title: str) -> Rendered:
    """A new plan: front matter (title, language, the execution ``model``), context, components.
    ``language`` (the writer's choice) wins over the draft's; a draft without a title gets
    ``fallback_title``."""
    notes: list[str] = []
    chosen_language = (language or draft.language or PlanSettings().language).strip()
    if language and draft.language and language.casefold() != draft.language.casefold():
        notes.append(f"the draft chose {quote(draft.language)}; the language asked for, {quote(language)}, is kept")
    title = draft.title or fallback_title
    front = ["---", _yaml_line("title", title), _yaml_line("language", chosen_language),
             _yaml_line("model", model), "---"]
    context = _safe_block(draft.context, "the context", notes)
    parts = ["\n".join(front) + "\n" + (context + "\n" if context else "")]
    parts += _sections(draft.components, notes)
    text = "\n".join(parts)
    final = replace(draft, title=title, language=chosen_language, context=context)
    return Rendered(text, final, tuple(notes), _mismatch(parse_plan(text, default_title=title), draft.components, 0))


def new_components(draft: Draft, existing: Plan) -> tuple[tuple[DraftComponent, ...], tuple[str, ...]]:
    """The draft's components that the plan lacks; one named like an existing component is not
    new and is left out (the existing one is never touched)."""
    registry = NameRegistry(tuple(c.name for c in existing.components))
    kept: list[DraftComponent] = []
    notes: list[str] = []
    for component in draft.components:
        if existing.component(component.name) is not None:
            notes.append(f"{quote(component.name)} is already in the plan: left out")
            continue
        kept.append(replace(component, name=registry.claim(component.name, len(kept) + 1)))
    return tuple(kept), tuple(notes + registry.notes)


def append_components(original: bytes, existing: Plan, draft: Draft) -> Rendered:
    """``original`` (the plan file's bytes) followed by the draft's new components, in the file's
    own line ending. The bytes before them are the file's, unchanged; the result is parsed back
    and must have every existing component exactly as it was, then the new ones."""
    components, notes = new_components(draft, existing)
    notes_list = list(notes)
    text, _bad = decode_text(original)
    newline = detect_newline(original)
    sections = _sections(components, notes_list)
    if not sections:
        return Rendered("", replace(draft, components=()), tuple(notes_list))
    lead = "" if not text or text.endswith(("\n", "\r")) else "\n"
    addition = lead + "\n" + "\n".join(sections)
    if newline != "\n":
        addition = addition.replace("\n", newline)
    combined = original + addition.encode("utf-8")
    reparsed = parse_plan(combined, default_title=existing.settings.title)
    errors = list(_mismatch(reparsed, components, len(existing.components)))
    if tuple(reparsed.components[: len(existing.components)]) != existing.components:
        errors.append(DraftError(None, "appending would change the plan's existing components"))
    return Rendered(addition, replace(draft, components=components), tuple(notes_list), tuple(errors))


def _mismatch(plan: Plan, components: tuple[DraftComponent, ...], skip: int) -> tuple[DraftError, ...]:
    """Errors when ``plan`` (parsed back) does not hold exactly ``components`` after ``skip``."""
    errors = [DraftError(issue.line, issue.message) for issue in plan.errors]
    names = [c.name for c in plan.components[skip:]]
    if names != [c.name for c in components]:
        errors.append(DraftError(None, "the plan built from the draft does not read back as drafted"))
    return tuple(errors)
