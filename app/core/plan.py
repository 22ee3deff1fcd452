"""The plan file's body, context and components, and the entry points that parse and load a plan."""

from __future__ import annotations

import re
from pathlib import Path

from app.core.fences import FenceOpening, fence_opening
from app.core.plan_model import Component, Plan, PlanIssue, PlanSettings, Severity, quote, shorten
from app.core.plan_settings import parse_front_matter
from app.core.textfile import UTF8_BOM, decode_text, detect_newline, encode_like, split_lines
from app.errors import PlanError

# The data types, front matter and file encoding live in their own modules; they are re-exported
# here because the UI, the engine and the tests import them from app.core.plan.
__all__ = [
    "UTF8_BOM",
    "Component",
    "Plan",
    "PlanIssue",
    "PlanSettings",
    "Severity",
    "detect_newline",
    "encode_like",
    "format_issue",
    "heading_name",
    "load_plan",
    "parse_plan",
    "plan_title_from_path",
    "split_lines",
]

# A closing sequence of #s must be preceded by a space or tab (CommonMark), so "C#" keeps its #.
_CLOSING_HASHES = re.compile(r"(?:^|[ \t])#+[ \t]*$")


def parse_plan(source: bytes | str, *, default_title: str = "Untitled plan") -> Plan:
    """Parse plan text or bytes; never raises.

    Any input gives a ``Plan`` whose ``issues`` say what is wrong and where.
    """
    try:
        return _parse(source, default_title)
    except Exception as exc:  # noqa: BLE001 - a parser bug must still reach the user as one line
        return Plan(
            settings=PlanSettings(title=default_title),
            context="",
            components=(),
            issues=(PlanIssue(1, shorten(f"internal error while reading the plan: {exc!r}", 200)),),
        )


def _parse(source: bytes | str, default_title: str) -> Plan:
    text, issues = _decode(source)
    lines = split_lines(text)
    settings, fm_issues, body_start = parse_front_matter(lines, default_title)
    issues.extend(fm_issues)
    context, components, body_issues = _parse_body(lines, body_start)
    issues.extend(body_issues)
    issues.sort(key=lambda i: i.line)  # stable: issues of one line keep their order
    return Plan(settings=settings, context=context, components=components, issues=tuple(issues))


# --- text and lines -------------------------------------------------------------------------


def _decode(source: bytes | str) -> tuple[str, list[PlanIssue]]:
    """Text without a BOM; bad UTF-8 becomes U+FFFD plus an error naming its line."""
    text, bad = decode_text(source)
    if bad is None:
        return text, []
    message = f"the file is not valid UTF-8 (byte 0x{bad.value:02X} on line {bad.line}); save it as UTF-8"
    return text, [PlanIssue(bad.line, message)]


def _last_line(lines: list[str]) -> int:
    """The last line that holds text, as a writer would count it (at least 1)."""
    count = len(lines)
    if count > 1 and lines[-1] == "":
        count -= 1
    return max(1, count)


def _strip_blank_lines(lines: list[str]) -> str:
    start, end = 0, len(lines)
    while start < end and not lines[start].strip():
        start += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return "\n".join(lines[start:end]).rstrip()


# --- body: context and components -----------------------------------------------------------


def heading_name(line: str) -> str | None:
    """The component name of a level-2 ATX heading line, else None ('' for an empty heading)."""
    rest = line
    if line.startswith(" "):
        rest = line.lstrip(" ")
        if len(line) - len(rest) > 3:
            return None
    if not rest.startswith("##") or rest.startswith("###"):
        return None
    rest = rest[2:]
    if rest and rest[0] not in " \t":
        return None
    rest = rest.strip(" \t")
    match = _CLOSING_HASHES.search(rest)
    if match is not None:
        rest = rest[: match.start()]
    return " ".join(rest.split())


def _parse_body(
    lines: list[str], start: int
) -> tuple[str, tuple[Component, ...], list[PlanIssue]]:
    issues: list[PlanIssue] = []
    headings: list[tuple[int, str]] = []  # (0-based line index, name)
    fence: FenceOpening | None = None
    fence_line = 0
    for index in range(start, len(lines)):
        line = lines[index]
        if fence is not None:
            if fence.closed_by(line):
                fence = None
            continue
        first = line[:1]
        if first not in ("#", "`", "~", " "):
            continue  # the common case, kept cheap for big plans
        name = heading_name(line)
        if name is not None:
            headings.append((index, name))
            continue
        fence = fence_opening(line)
        fence_line = index + 1
    if fence is not None:
        issues.append(
            PlanIssue(
                fence_line,
                f"code fence opened on line {fence_line} is never closed; "
                "'## ' headings after it are not components",
                "warning",
            )
        )
    context_end = headings[0][0] if headings else len(lines)
    context = _strip_blank_lines(lines[start:context_end])
    components, component_issues = _components(lines, headings)
    issues.extend(component_issues)
    if not headings:
        issues.append(
            PlanIssue(_last_line(lines), "the plan has no components: add a '## Name' heading for each one")
        )
    return context, components, issues


def _components(
    lines: list[str], headings: list[tuple[int, str]]
) -> tuple[tuple[Component, ...], list[PlanIssue]]:
    """Components in file order; empty and duplicate names are errors and are left out."""
    components: list[Component] = []
    issues: list[PlanIssue] = []
    first_line: dict[str, int] = {}
    ends = [index for index, _name in headings[1:]] + [len(lines)]
    for (index, name), end in zip(headings, ends):
        line = index + 1
        if not name:
            issues.append(PlanIssue(line, "component heading has no name"))
            continue
        key = name.casefold()
        if key in first_line:
            issues.append(
                PlanIssue(line, f"duplicate component {quote(name)} (first on line {first_line[key]})")
            )
            continue
        first_line[key] = line
        instruction = _strip_blank_lines(lines[index + 1 : end])
        if not instruction:
            issues.append(PlanIssue(line, f"component {quote(name)} has no instruction", "warning"))
        components.append(Component(name=name, instruction=instruction, line=line))
    return tuple(components), issues


# --- files ----------------------------------------------------------------------------------


def plan_title_from_path(path: Path) -> str:
    """``guide.md`` and ``guide.plan.md`` both give ``guide``."""
    name = path.name
    for suffix in (".plan.md", ".md"):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)] or name
    return path.stem


def load_plan(path: Path) -> Plan:
    """Read and parse a plan file; an unreadable file raises ``PlanError`` with one clear line."""
    path = Path(path)
    if path.is_dir():
        raise PlanError(f"cannot read plan '{path}': it is a folder, not a file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        raise PlanError(f"cannot read plan '{path}': {reason}") from exc
    return parse_plan(data, default_title=plan_title_from_path(path))


def format_issue(path_or_name: str, issue: PlanIssue) -> str:
    """``guide.md:12: error: duplicate component 'User Model' (first on line 5)``."""
    return f"{path_or_name}:{issue.line}: {issue.severity}: {issue.message}"
