"""The plan file: front matter, shared context and components, parsed with line-numbered issues.

Parsing never raises: any input gives a ``Plan`` whose ``issues`` say what is wrong and where.
"""

from __future__ import annotations

import bisect
import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from app.core.contract import CardContract
from app.errors import PlanError

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class PlanIssue:
    """One problem in a plan file; ``line`` is 1-based."""

    line: int
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass(frozen=True)
class PlanSettings:
    title: str = "Untitled plan"
    language: str = "typescript"
    model: str = "claude-haiku-4-5"
    max_code_lines: int = 15
    column_px: int = 400
    concurrency: int = 4
    max_tokens: int = 1024


@dataclass(frozen=True)
class Component:
    name: str
    instruction: str
    line: int
    """1-based line of the component's ``## `` heading."""

    @property
    def key(self) -> str:
        """Case-insensitive identity used to match cards to components."""
        return self.name.casefold()


@dataclass(frozen=True)
class Plan:
    settings: PlanSettings
    context: str
    components: tuple[Component, ...]
    issues: tuple[PlanIssue, ...] = field(default=())

    @property
    def errors(self) -> tuple[PlanIssue, ...]:
        return tuple(i for i in self.issues if i.severity == "error")

    @property
    def warnings(self) -> tuple[PlanIssue, ...]:
        return tuple(i for i in self.issues if i.severity == "warning")

    @property
    def ok(self) -> bool:
        return not self.errors

    def component(self, name: str) -> Component | None:
        key = name.casefold()
        return next((c for c in self.components if c.key == key), None)

    def contract_for(self, component: Component) -> CardContract:
        s = self.settings
        return CardContract(
            name=component.name,
            language=s.language,
            max_code_lines=s.max_code_lines,
            column_px=s.column_px,
        )


UTF8_BOM = b"\xef\xbb\xbf"

_FRONT_MATTER_OPEN = "---"
_FRONT_MATTER_CLOSE = ("---", "...")
_MAX_SHOWN_CHARS = 40

# (low, high) inclusive, for the integer settings of the front matter.
_INT_RANGES: dict[str, tuple[int, int]] = {
    "max_code_lines": (1, 100),
    "column_px": (200, 2000),
    "concurrency": (1, 16),
    "max_tokens": (64, 64000),
}
_TEXT_KEYS = ("language", "model")
_KNOWN_KEYS = ("title", *_TEXT_KEYS, *_INT_RANGES)

# libyaml is fast on megabyte lines and caps nesting depth itself; the pure-Python loader turns
# deep nesting into a RecursionError, which _load_front_matter catches.
_YamlLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# A closing sequence of #s must be preceded by a space or tab (CommonMark), so "C#" keeps its #.
_CLOSING_HASHES = re.compile(r"(?:^|[ \t])#+[ \t]*$")


def parse_plan(source: bytes | str, *, default_title: str = "Untitled plan") -> Plan:
    """Parse plan text or bytes; never raises."""
    try:
        return _parse(source, default_title)
    except Exception as exc:  # noqa: BLE001 - a parser bug must still reach the user as one line
        return Plan(
            settings=PlanSettings(title=default_title),
            context="",
            components=(),
            issues=(PlanIssue(1, _shorten(f"internal error while reading the plan: {exc!r}", 200)),),
        )


def _parse(source: bytes | str, default_title: str) -> Plan:
    text, issues = _decode(source)
    lines = split_lines(text)
    settings = PlanSettings(title=default_title)
    body_start = 0
    close = _front_matter_close(lines)
    if close == -1:
        issues.append(PlanIssue(1, "front matter opened on line 1 is never closed (add a '---' line)"))
    elif close is not None:
        settings, fm_issues = _parse_front_matter(lines[1:close], default_title)
        issues.extend(fm_issues)
        body_start = close + 1
    context, components, body_issues = _parse_body(lines, body_start)
    issues.extend(body_issues)
    issues.sort(key=lambda i: i.line)  # stable: issues of one line keep their order
    return Plan(settings=settings, context=context, components=components, issues=tuple(issues))


# --- text and lines -------------------------------------------------------------------------


def _decode(source: bytes | str) -> tuple[str, list[PlanIssue]]:
    """Bytes to text without a BOM; bad UTF-8 becomes U+FFFD plus an error naming its line."""
    if isinstance(source, str):
        return source.removeprefix("\ufeff"), []
    data = bytes(source).removeprefix(UTF8_BOM)
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError as exc:
        before = data[: exc.start].decode("utf-8")  # valid: it ends before the first bad byte
        line = len(split_lines(before))
        bad = data[exc.start]
        issue = PlanIssue(
            line,
            f"the file is not valid UTF-8 (byte 0x{bad:02X} on line {line}); save it as UTF-8",
        )
        return data.decode("utf-8", errors="replace"), [issue]


def split_lines(text: str) -> list[str]:
    """Split on CRLF, CR or LF only, so line numbers match what any text editor shows.

    ``str.splitlines`` would also split on form feeds and U+2028, which editors do not count.
    A trailing newline gives a last empty line (the line the cursor can reach after it).
    """
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.split("\n")


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


def _shorten(text: str, limit: int = _MAX_SHOWN_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- front matter ---------------------------------------------------------------------------


def _front_matter_close(lines: list[str]) -> int | None:
    """Index of the closing line; None without front matter; -1 when it is never closed."""
    if lines[0].rstrip(" \t") != _FRONT_MATTER_OPEN:
        return None
    for index in range(1, len(lines)):
        if lines[index].rstrip(" \t") in _FRONT_MATTER_CLOSE:
            return index
    return -1


class _LineIndex:
    """Maps a character offset in the front matter to its 1-based line in the file."""

    def __init__(self, text: str, first_line: int) -> None:
        self._starts = [0]
        self._starts.extend(m.end() for m in re.finditer("\n", text))
        self._first_line = first_line
        self._last_line = first_line + len(self._starts) - 1

    def line_of(self, offset: int) -> int:
        line = self._first_line + bisect.bisect_right(self._starts, max(0, offset)) - 1
        # libyaml may point one line past the text (end of stream): that is the closing '---'.
        return min(line, self._last_line + 1)


def _parse_front_matter(fm_lines: list[str], default_title: str) -> tuple[PlanSettings, list[PlanIssue]]:
    text = "\n".join(fm_lines)
    index = _LineIndex(text, first_line=2)
    data, key_lines, issues = _load_front_matter(text, index)
    if data is None:
        return PlanSettings(title=default_title), issues
    if not isinstance(data, Mapping):
        issues.append(PlanIssue(2, "front matter must be 'key: value' settings, not a " + _kind(data)))
        return PlanSettings(title=default_title), issues
    settings, setting_issues = _settings_from(data, key_lines, default_title, fallback_line=2)
    return settings, issues + setting_issues


def _load_front_matter(
    text: str, index: _LineIndex
) -> tuple[Any, dict[str, int], list[PlanIssue]]:
    """YAML-load the front matter; also return the line of each top-level key (the last one wins)."""
    if not text.strip():
        return None, {}, []
    loader = _YamlLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        return None, {}, [_yaml_issue(exc, index)]
    except RecursionError:
        return None, {}, [PlanIssue(2, "front matter is nested too deeply")]
    except Exception as exc:  # noqa: BLE001 - e.g. an integer with more digits than Python converts
        return None, {}, [PlanIssue(2, "front matter cannot be read: " + _shorten(str(exc), 120))]
    finally:
        loader.dispose()
    key_lines: dict[str, int] = {}
    issues: list[PlanIssue] = []
    if isinstance(node, yaml.MappingNode):
        for key_node, _value in node.value:  # merge keys ('<<') are already flattened in here
            if not isinstance(key_node, yaml.ScalarNode):
                continue
            line = index.line_of(key_node.start_mark.index)
            first = key_lines.get(key_node.value)
            if first is not None and first != line:
                issues.append(
                    PlanIssue(
                        line,
                        f"front matter key {_quote(key_node.value)} is repeated (first on line {first}); "
                        "the last value is used",
                        "warning",
                    )
                )
            key_lines[key_node.value] = line
    return data, key_lines, issues


def _yaml_issue(exc: yaml.YAMLError, index: _LineIndex) -> PlanIssue:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    offset = getattr(mark, "index", None)
    if offset is None:
        offset = getattr(exc, "position", None)  # ReaderError: a character YAML does not allow
    line = index.line_of(offset) if isinstance(offset, int) else 2
    problem = getattr(exc, "problem", None) or getattr(exc, "reason", None) or str(exc)
    problem = " ".join(str(problem).split())
    return PlanIssue(line, f"front matter is not valid YAML: {_shorten(problem, 160)}")


def _settings_from(
    data: Mapping[Any, Any], key_lines: dict[str, int], default_title: str, fallback_line: int
) -> tuple[PlanSettings, list[PlanIssue]]:
    values: dict[str, Any] = {"title": default_title}
    issues: list[PlanIssue] = []
    for key, value in data.items():
        name = key if isinstance(key, str) else str(key)
        line = key_lines.get(name, fallback_line)
        if name not in _KNOWN_KEYS:
            issues.append(PlanIssue(line, _unknown_key_message(name), "warning"))
            continue
        checked, problem = _check_setting(name, value)
        if problem is not None:
            issues.append(PlanIssue(line, problem))
        elif checked is not None:
            values[name] = checked
    return PlanSettings(**values), issues


def _check_setting(name: str, value: Any) -> tuple[Any, str | None]:
    """The cleaned value of a known setting, or an error message."""
    if name == "title":
        if value is None:
            return None, None
        if not isinstance(value, str):
            return None, f"title must be text, not {_describe(value)}"
        return (value.strip() or None), None
    if name in _TEXT_KEYS:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None, f"{name} must not be empty"
        if not isinstance(value, str):
            return None, f"{name} must be text, not {_describe(value)}"
        return value.strip(), None
    low, high = _INT_RANGES[name]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        return None, f"{name} must be a whole number from {low} to {high}, not {_describe(value)}"
    return value, None


def _unknown_key_message(name: str) -> str:
    message = f"unknown front matter key {_quote(name)} is ignored"
    if len(name) <= 40:
        close = difflib.get_close_matches(name.lower(), _KNOWN_KEYS, n=1, cutoff=0.75)
        if close:
            message += f" (did you mean '{close[0]}'?)"
    return message


def _quote(text: str) -> str:
    return "'" + _shorten(" ".join(text.split())) + "'"


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "list"
    if isinstance(value, Mapping):
        return "mapping"
    if isinstance(value, str):
        return "text"
    return type(value).__name__


def _describe(value: Any) -> str:
    """A short, safe rendering of a bad value (never the repr of a huge or recursive structure)."""
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value) if abs(value) < 10**30 else "a huge number"
    if isinstance(value, float):
        return _shorten(repr(value))
    if isinstance(value, str):
        return _quote(value) if value.strip() else "empty text"
    return "a " + _kind(value)


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


def _fence_open(line: str) -> tuple[str, int] | None:
    """(fence char, fence length) when the line opens a fenced code block."""
    rest = line
    if line.startswith(" "):
        rest = line.lstrip(" ")
        if len(line) - len(rest) > 3:
            return None
    if rest[:3] not in ("```", "~~~"):
        return None
    char = rest[0]
    length = len(rest) - len(rest.lstrip(char))
    if char == "`" and "`" in rest[length:]:
        return None  # CommonMark: a backtick fence's info string may not hold backticks
    return char, length


def _fence_closes(line: str, char: str, length: int) -> bool:
    rest = line
    if line.startswith(" "):
        rest = line.lstrip(" ")
        if len(line) - len(rest) > 3:
            return False
    if not rest.startswith(char * 3):
        return False
    run = len(rest) - len(rest.lstrip(char))
    return run >= length and not rest[run:].strip(" \t")


def _parse_body(
    lines: list[str], start: int
) -> tuple[str, tuple[Component, ...], list[PlanIssue]]:
    issues: list[PlanIssue] = []
    headings: list[tuple[int, str]] = []  # (0-based line index, name)
    fence: tuple[str, int] | None = None
    fence_line = 0
    for index in range(start, len(lines)):
        line = lines[index]
        if fence is not None:
            if _fence_closes(line, *fence):
                fence = None
            continue
        first = line[:1]
        if first not in ("#", "`", "~", " "):
            continue  # the common case, kept cheap for big plans
        name = heading_name(line)
        if name is not None:
            headings.append((index, name))
            continue
        fence = _fence_open(line)
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
                PlanIssue(line, f"duplicate component {_quote(name)} (first on line {first_line[key]})")
            )
            continue
        first_line[key] = line
        instruction = _strip_blank_lines(lines[index + 1 : end])
        if not instruction:
            issues.append(PlanIssue(line, f"component {_quote(name)} has no instruction", "warning"))
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


def detect_newline(data: bytes) -> str:
    """The dominant line ending of a file ("\\n" when it has none or on a tie)."""
    crlf = data.count(b"\r\n")
    counts = (
        (data.count(b"\n") - crlf, "\n"),
        (crlf, "\r\n"),
        (data.count(b"\r") - crlf, "\r"),
    )
    return max(counts, key=lambda pair: pair[0])[1]


def encode_like(text: str, original: bytes | None) -> bytes:
    """Editor text as bytes with the original file's BOM and dominant line ending.

    Without an original (a new plan) the text is saved as UTF-8 with LF, keeping a BOM only if the
    text itself starts with one.
    """
    if original is None:
        has_bom, newline = text.startswith("\ufeff"), "\n"
    else:
        has_bom, newline = original.startswith(UTF8_BOM), detect_newline(original)
    body = "\n".join(split_lines(text.removeprefix("\ufeff")))
    if newline != "\n":
        body = body.replace("\n", newline)
    # A lone surrogate cannot be UTF-8; replacing it beats failing the writer's Save.
    encoded = body.encode("utf-8", errors="replace")
    return (UTF8_BOM + encoded) if has_bom else encoded
