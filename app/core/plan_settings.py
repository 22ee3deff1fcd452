"""The plan's YAML front matter: its settings, checked, with line-numbered issues."""

from __future__ import annotations

import bisect
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import yaml

from app.core.plan_model import PROVIDERS, PlanIssue, PlanSettings, quote, shorten
from app.core.ranges import PLAN_INT_RANGES
from app.core.targets import SITE_TARGETS
from app.core.thinking import EFFORT_LEVELS, THINKING_MODES, ineffective_keys

_FRONT_MATTER_OPEN = "---"
_FRONT_MATTER_CLOSE = ("---", "...")

_TEXT_KEYS = ("language", "model", "draft_model", "review_model")
_CHOICE_KEYS: dict[str, tuple[str, ...]] = {"effort": EFFORT_LEVELS, "thinking": THINKING_MODES}
_PROVIDER_KEYS = ("provider", "base_url")
_KNOWN_KEYS = ("title", *_TEXT_KEYS, *_CHOICE_KEYS, *PLAN_INT_RANGES, "target", *_PROVIDER_KEYS)

# libyaml is fast on megabyte lines and caps nesting depth itself; the pure-Python loader turns
# deep nesting into a RecursionError, which _load_front_matter catches.
_YamlLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_front_matter(
    lines: list[str], default_title: str
) -> tuple[PlanSettings, list[PlanIssue], int]:
    """Settings and issues of the front matter that opens ``lines``, and where the body starts.

    The body starts at index 0 when there is no front matter or it is never closed.
    """
    settings = PlanSettings(title=default_title)
    close = _front_matter_close(lines)
    if close is None:
        return settings, [], 0
    if close == -1:
        return settings, [PlanIssue(1, "front matter opened on line 1 is never closed (add a '---' line)")], 0
    settings, issues = _parse_front_matter(lines[1:close], default_title)
    return settings, issues, close + 1


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
        return None, {}, [PlanIssue(2, "front matter cannot be read: " + shorten(str(exc), 120))]
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
                        f"front matter key {quote(key_node.value)} is repeated (first on line {first}); "
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
    return PlanIssue(line, f"front matter is not valid YAML: {shorten(problem, 160)}")


def _settings_from(
    data: Mapping[Any, Any], key_lines: dict[str, int], default_title: str, fallback_line: int
) -> tuple[PlanSettings, list[PlanIssue]]:
    values: dict[str, Any] = {"title": default_title}
    given: set[str] = set()
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
            given.add(name)
    settings = PlanSettings(**values, given=frozenset(given))
    for key, why in ineffective_keys(settings.model, values.get("thinking"), values.get("effort")):
        issues.append(PlanIssue(key_lines.get(key, fallback_line), why, "warning"))
    return settings, issues


def _check_setting(name: str, value: Any) -> tuple[Any, str | None]:
    """The cleaned value of a known setting, or an error message."""
    if name == "title":
        if value is None:
            return None, None
        if not isinstance(value, str):
            return None, f"title must be text, not {_describe(value)}"
        return (value.strip() or None), None
    if name == "target":
        if value is None:
            return None, None
        if not isinstance(value, str) or value.strip().lower() not in SITE_TARGETS:
            return None, f"target must be one of {', '.join(SITE_TARGETS)}, not {_describe(value)}"
        return value.strip().lower(), None
    if name in _PROVIDER_KEYS:
        return _check_provider_setting(name, value)
    if name in _TEXT_KEYS:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None, f"{name} must not be empty"
        if not isinstance(value, str):
            return None, f"{name} must be text, not {_describe(value)}"
        return value.strip(), None
    if name in _CHOICE_KEYS:
        return _check_choice(name, value)
    low, high = PLAN_INT_RANGES[name]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        return None, f"{name} must be a whole number from {low} to {high}, not {_describe(value)}"
    return value, None


def _check_choice(name: str, value: Any) -> tuple[Any, str | None]:
    choices = _CHOICE_KEYS[name]
    if name == "thinking" and isinstance(value, bool):
        # YAML reads an unquoted off/on (no/yes) as false/true.
        return ("adaptive" if value else "off"), None
    if isinstance(value, str) and value.strip().lower() in choices:
        return value.strip().lower(), None
    return None, f"{name} must be one of {', '.join(choices)}, not {_describe(value)}"


def _check_provider_setting(name: str, value: Any) -> tuple[Any, str | None]:
    """``provider``: one of PROVIDERS; ``base_url``: an http(s) URL with a host."""
    if not isinstance(value, str) or not value.strip():
        return None, f"{name} must be text, not {_describe(value)}"
    text = value.strip()
    if name == "provider":
        if text.lower() not in PROVIDERS:
            return None, f"provider must be one of {', '.join(PROVIDERS)}, not {quote(text)}"
        return text.lower(), None
    problem = base_url_problem(text)
    return (None, f"base_url {problem}") if problem else (text.rstrip("/"), None)


def base_url_problem(text: str) -> str | None:
    """Why ``text`` is not a usable server URL (an http(s) URL with a host); None if it is."""
    parts = urlsplit(text.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"must be an http:// or https:// URL, not {quote(text)}"
    return None


def _unknown_key_message(name: str) -> str:
    message = f"unknown front matter key {quote(name)} is ignored"
    if len(name) <= 40:
        import difflib  # only for a misspelled key

        close = difflib.get_close_matches(name.lower(), _KNOWN_KEYS, n=1, cutoff=0.75)
        if close:
            message += f" (did you mean '{close[0]}'?)"
    return message


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
        return shorten(repr(value))
    if isinstance(value, str):
        return quote(value) if value.strip() else "empty text"
    return "a " + _kind(value)
