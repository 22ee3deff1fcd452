"""A draft while it streams in, as plan Markdown an editor can show growing: the Markdown answer as
it stands, or the JSON answer read so far (an unfinished JSON text read as if it ended there)."""

from __future__ import annotations

import json
import re
from typing import Any

from app.core.draft_plan import Draft, DraftComponent
from app.core.draft_render import render_plan

_PARTIAL_ESCAPE = re.compile(r"(\\u[0-9a-fA-F]{0,3}|\\)$")
_MARKDOWN_WRAPPER = re.compile(r"\A\s*(`{3,}|~{3,})[ \t]*(?:markdown|md)[ \t]*\n", re.IGNORECASE)
_CLOSERS = {"{": "}", "[": "]"}


def complete_json(prefix: str) -> Any | None:
    """The value ``prefix``, the start of a JSON text, would have if it ended here: an unfinished
    string value is cut where it stands, open arrays and objects are closed, a key still waiting
    for its value is left out. None when nothing can be read yet."""
    stack: list[str] = []
    expecting_key: list[bool] = []
    in_string = escaped = string_is_key = False
    safe: tuple[int, str] | None = None  # a cut that is valid JSON once closed, and its closers
    for index, char in enumerate(prefix):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
                if not string_is_key:
                    safe = (index + 1, _closers(stack))
            continue
        if char == '"':
            in_string, string_is_key = True, bool(stack) and stack[-1] == "{" and expecting_key[-1]
        elif char in "{[":
            stack.append(char)
            expecting_key.append(char == "{")
            safe = (index + 1, _closers(stack))
        elif char in "}]" and stack:
            stack.pop()
            expecting_key.pop()
            safe = (index + 1, _closers(stack))
        elif char == ":" and stack and stack[-1] == "{":
            expecting_key[-1] = False
        elif char == "," and stack:
            expecting_key[-1] = stack[-1] == "{"
    candidates = []
    if in_string and not string_is_key:
        candidates.append(_PARTIAL_ESCAPE.sub("", prefix) + '"' + _closers(stack))
    if safe is not None:
        candidates.append(prefix[: safe[0]] + safe[1])
    for candidate in candidates:
        try:
            return json.loads(candidate)
        except ValueError:
            continue
    return None


def _closers(stack: list[str]) -> str:
    return "".join(_CLOSERS[opener] for opener in reversed(stack))


class LiveDraft:
    """Collects a draft's streamed text; ``markdown()`` is the plan as far as it has arrived."""

    def __init__(self, *, structured: bool, model: str, language: str | None = None,
                 fallback_title: str = "Untitled plan") -> None:
        self.structured = structured
        self._model = model
        self._language = language
        self._fallback_title = fallback_title
        self._parts: list[str] = []

    def restart(self) -> None:
        """A new answer begins (a retry, or the follow-up): what came before is replaced."""
        self._parts = []

    def feed(self, piece: str) -> None:
        self._parts.append(piece)

    @property
    def text(self) -> str:
        return "".join(self._parts)

    def markdown(self) -> str:
        text = self.text
        self._parts = [text] if text else []
        if not self.structured:
            return _MARKDOWN_WRAPPER.sub("", text, count=1)
        data = complete_json(text)
        if not isinstance(data, dict):
            return ""
        return render_plan(_draft_of(data), model=self._model, language=self._language,
                           fallback_title=self._fallback_title).text


def _draft_of(data: dict[str, Any]) -> Draft:
    """What of a plan's JSON has arrived, as a draft (components once their name has begun)."""
    items = data.get("components")
    components = tuple(
        DraftComponent(" ".join(str(item["name"]).split()) or "…", str(item.get("instruction") or ""))
        for item in (items if isinstance(items, list) else [])
        if isinstance(item, dict) and isinstance(item.get("name"), str)
    )
    return Draft(
        title=" ".join(str(data.get("title") or "").split()),
        language=str(data.get("language") or "").strip(),
        context=str(data.get("context") or ""),
        components=components,
    )
