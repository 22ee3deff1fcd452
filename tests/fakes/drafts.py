"""Draft requests for the Messages API stand-in: a plan drafted from a brief, as plan Markdown or,
when the request asks for structured output (``output_config.format``), as JSON following the
request's own schema; a messy plan, a broken one, and the follow-up that fixes it.

A draft request is one whose first user turn holds a ``<brief>``; one that also holds a ``<plan>``
asks for additions to that plan. Steps, in the order ``script`` gives them, then ``mode``:

- ``plan``: a good plan (or additions: new components, and one that repeats an existing name).
- ``messy``: duplicate names and a name left empty; as JSON also a code fence left open in an
  instruction and a ``## `` line in the context. A client fixes all of it by construction.
- ``broken``: duplicate names and a code fence left open that swallows the components after it
  (Markdown), or the same plan as JSON with a comma missing (not valid JSON).
- ``broken_then_fixed``: ``broken``, except to a genuine follow-up: one that carries the broken
  answer verbatim as an assistant turn and names the line of its error. Only that gets ``plan``.

The structured-output rule the API documents is enforced: every object of the schema must say
``additionalProperties: false``, else 400. Opus 5.x models think before they answer (always on).
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the server imports this module: its own names are imported when first needed
    from tests.fakes.messages_api import Step

DRAFT_COMPONENT = "draft"
"""What the stand-in's records call a draft request."""
STEPS = ("plan", "messy", "broken", "broken_then_fixed")
NAMES = (
    "User Model", "Session Token", "Password Hashing", "Login Endpoint", "Refresh Flow",
    "Rate Limiting", "Audit Log", "Logout", "Email Verification", "Password Reset",
)
ADDED_NAMES = ("Account Lockout", "Two Factor Codes", "Device List")
SCHEMA_MESSAGE = "output_config.format.schema: For 'object' type, 'additionalProperties' must be explicitly set to false"
_COUNT = re.compile(r"Write exactly (\d+)")
_LANGUAGE = re.compile(r"^Code language: (\S+)", re.MULTILINE)
_PLAN_HEADING = re.compile(r"^## (.+)$", re.MULTILINE)


def _text_of(content: Any) -> str:
    from tests.fakes.messages_api import _text_of as text_of

    return text_of(content)


def _turns(body: dict[str, Any]) -> list[tuple[str, str]]:
    return [(str(m.get("role")), _text_of(m.get("content", "")))
            for m in body.get("messages") or [] if isinstance(m, dict)]


def _open_objects(schema: Any) -> bool:
    """Whether some object in ``schema`` fails to say ``additionalProperties: false``."""
    if isinstance(schema, dict):
        if schema.get("type") == "object" and schema.get("additionalProperties") is not False:
            return True
        return any(_open_objects(v) for v in schema.values())
    if isinstance(schema, list):
        return any(_open_objects(v) for v in schema)
    return False


class DraftDesk:
    """The stand-in's answers to draft requests; ``bodies`` holds every draft request received."""

    def __init__(self, mode: str = "plan") -> None:
        self.mode = mode
        """The step of every request after the scripted ones."""
        self._script: list[str] = []
        self._served = 0
        self.bodies: list[dict[str, Any]] = []
        self._broken: tuple[str, int] | None = None
        """The last broken answer served and the line of its error."""

    def script(self, *steps: str) -> None:
        unknown = [s for s in steps if s not in STEPS]
        if unknown:
            raise ValueError(f"unknown draft step {unknown[0]!r}")
        self._script, self._served = list(steps), 0

    @staticmethod
    def wants(body: dict[str, Any] | None) -> bool:
        turns = _turns(body or {})
        return bool(turns) and "<brief>" in turns[0][1]

    def answer(self, body: dict[str, Any]) -> tuple[Step, str]:
        """The step that streams this request's answer, and the label its record gets."""
        from tests.fakes.messages_api import Step

        self.bodies.append(body)
        fmt = (body.get("output_config") or {}).get("format")
        if fmt is not None and (fmt.get("type") != "json_schema" or _open_objects(fmt.get("schema"))):
            return Step("http_400", message=SCHEMA_MESSAGE), "draft_schema_400"
        step = self._script[self._served] if self._served < len(self._script) else self.mode
        self._served += 1
        label = step
        if step == "broken_then_fixed":
            step = "plan" if self._genuine_follow_up(body) else "broken"
            label = "fixed" if step == "plan" else ("fix_rejected" if len(_turns(body)) > 1 else "broken")
        text = self._text(body, step, structured=fmt is not None)
        thinks = "opus-5" in str(body.get("model", ""))  # thinking is always on for these
        return Step("thinking" if thinks else "good", text=text), f"draft_{label}"

    def _genuine_follow_up(self, body: dict[str, Any]) -> bool:
        turns = _turns(body)
        if self._broken is None or len(turns) < 3:
            return False
        answer, line = self._broken
        carried = turns[-2][0] == "assistant" and turns[-2][1].strip() == answer.strip()
        return carried and turns[-1][0] == "user" and f"line {line}:" in turns[-1][1]

    # -- the answers -----------------------------------------------------------------------------

    def _text(self, body: dict[str, Any], step: str, *, structured: bool) -> str:
        system = _text_of(body.get("system", ""))
        brief = _turns(body)[0][1]
        existing = _PLAN_HEADING.findall(brief.split("<plan>", 1)[1]) if "<plan>" in brief else None
        count = int(m.group(1)) if (m := _COUNT.search(system)) else 5
        language = m.group(1) if (m := _LANGUAGE.search(system)) else "typescript"
        title = next((line.strip("# ").strip() for line in brief.split("\n")[1:] if line.strip()), "Guide")
        if existing is not None:
            components = [(n, f"Show how {n.lower()} works with the existing session rules.")
                          for n in ADDED_NAMES[: max(1, min(count, 3))]] + [(existing[0], "Show it again.")]
        else:
            names = [NAMES[i] if i < len(NAMES) else f"Topic {i + 1}" for i in range(count)]
            components = [(n, f"Show {n.lower()} in the smallest working example. Use the shared helpers.")
                          for n in names]
        context = (f"The guide documents {title} for backend developers who know HTTP. Decisions: "
                   "passwords are hashed with argon2id; sessions are opaque tokens stored server-side; "
                   "every example uses async functions and named exports.")
        if step in ("messy", "broken") and len(components) >= 3:
            components[1] = (components[0][0], components[1][1])  # a duplicate name
        if step == "messy" and len(components) >= 3:
            components[2] = ("", components[2][1])
            if structured:
                components[0] = (components[0][0], components[0][1] + "\n```ts\nconst open = true;")
                context += "\n## Not a component\nA heading inside the context."
        if structured:
            return self._json(title, language, context, components, existing is not None, step)
        return self._markdown(title, language, context, components, existing is not None, step)

    def _json(self, title: str, language: str, context: str, components: list[tuple[str, str]],
              additions: bool, step: str) -> str:
        items = [{"name": n, "instruction": i} for n, i in components]
        data: dict[str, Any] = {"components": items}
        if not additions:
            data = {"title": title, "language": language, "context": context, **data}
        text = json.dumps(data, indent=2)
        if step == "broken":
            text = text.replace("},\n    {", "}\n    {", 1)  # a comma missing: not JSON
            try:
                json.loads(text)
            except json.JSONDecodeError as exc:
                self._broken = (text, exc.lineno)
        return text

    def _markdown(self, title: str, language: str, context: str, components: list[tuple[str, str]],
                  additions: bool, step: str) -> str:
        lines = [] if additions else ["---", f"title: {title}", f"language: {language}", "---", context, ""]
        fence_line, broken_at = 0, min(2, len(components) - 1)
        for index, (name, instruction) in enumerate(components):
            lines += [f"## {name}".rstrip(), instruction]
            if step == "broken" and index == broken_at:
                fence_line = len(lines) + 1
                lines += [f"```{language}", "const token = sign(user);"]  # never closed
            lines.append("")
        text = "\n".join(lines)
        if step == "broken":
            self._broken = (text, fence_line)
        return text
