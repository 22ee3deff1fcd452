"""A card file: YAML front matter (provenance, hashes, findings) and the card's Markdown body."""

from __future__ import annotations

import datetime as _dt
import hashlib
import math
import re
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, Literal, get_args

import yaml

from app.errors import StoreError

if TYPE_CHECKING:
    from app.core.review import CardReview

CardStatus = Literal["done"]
Severity = Literal["error", "warning"]

UNKNOWN_COST = "unknown"

FRONT_MATTER_DELIMITER = "---"
# YAML also allows "..." to end a document; hand-edited files sometimes use it.
_CLOSING_DELIMITERS = ("---", "...")
_SEVERITIES: tuple[str, ...] = get_args(Severity)
_STATUSES: tuple[str, ...] = get_args(CardStatus)
# Long component names must never be folded onto a second line: that would change the bytes for
# the same input depending on the name's length, and diff badly.
_YAML_WIDTH = 1 << 30


@dataclass(frozen=True)
class Finding:
    """One lint finding; ``rule`` is a stable id (e.g. ``code-lines``), ``line`` is 1-based in the body."""

    rule: str
    severity: Literal["error", "warning"]
    message: str
    line: int | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"rule": self.rule, "severity": self.severity, "message": self.message}
        if self.line is not None:
            data["line"] = self.line
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Finding":
        """Build a finding from ``to_dict``'s shape; bad data raises ``StoreError`` (one line)."""
        if not isinstance(data, dict):
            raise StoreError(f"a finding must be a mapping, not {_type_name(data)}")
        rule = data.get("rule")
        severity = data.get("severity")
        message = data.get("message", "")
        line = data.get("line")
        if not isinstance(rule, str) or not rule:
            raise StoreError("a finding needs a 'rule' text")
        if severity not in _SEVERITIES:
            raise StoreError(f"finding '{rule}' has severity {severity!r}; expected error or warning")
        if not isinstance(message, str):
            raise StoreError(f"finding '{rule}' has a message that is not text")
        if line is not None and (not _is_int(line) or line < 1):
            raise StoreError(f"finding '{rule}' has line {line!r}; expected a positive whole number")
        return cls(rule=rule, severity=severity, message=message, line=line)


@dataclass(frozen=True)
class CardMeta:
    """Front matter of a card file, in the order it is written."""

    component: str
    status: CardStatus = "done"
    model: str = ""
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    """Prompt tokens read from the prompt cache (not in ``input_tokens``)."""
    cache_write_tokens: int = 0
    """Prompt tokens written to the prompt cache (not in ``input_tokens``)."""
    cost_usd: float | None = None
    """None is written as "unknown" (a model without a price)."""
    duration_s: float = 0.0
    request_sha256: str = ""
    body_sha256: str = ""
    generated_at: str = ""
    """ISO 8601 UTC, e.g. 2026-11-25T18:00:00Z."""
    locked: bool = False
    findings: tuple[Finding, ...] = field(default=())
    review: CardReview | None = None
    """The reviewer's verdict (``app/core/review.py``); None writes no ``review:`` key at all."""
    batch: bool = False
    """The card's answer came from a Message Batch (at the batch price); written only when true,
    so the files of live cards keep their bytes."""


def normalize_line_endings(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def normalize_body(body: str) -> str:
    """Line endings to LF, one trailing newline: the form that is hashed and written.

    Trailing lines that hold only whitespace are dropped; a body without any content is "".
    """
    lines = normalize_line_endings(body).split("\n")
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join(lines) + "\n" if lines else ""


def body_sha256(body: str) -> str:
    return hashlib.sha256(normalize_body(body).encode("utf-8")).hexdigest()


# ---------------------------------------------------------------------------------------------
# Writing


def meta_to_dict(meta: CardMeta) -> dict[str, Any]:
    """The front matter mapping, keys in ``CardMeta`` order (also what bundle.json can reuse)."""
    data: dict[str, Any] = {}
    for f in fields(CardMeta):
        value = getattr(meta, f.name)
        if f.name in _WRITTEN_WHEN_TRUE and not value:
            continue
        if f.name == "cost_usd":
            value = UNKNOWN_COST if value is None else float(value)
        elif f.name == "duration_s":
            value = float(value)
        elif f.name == "findings":
            value = [finding.to_dict() for finding in value]
        elif f.name == "review":
            if value is None:
                continue  # a card never reviewed keeps the bytes it always had
            value = value.to_dict()
        data[f.name] = value
    return data


_WRITTEN_WHEN_TRUE = frozenset({"batch"})
"""Keys left out of the front matter while false: a card file that never had them keeps its bytes."""

# libyaml's emitter when the wheel has it: the pure-Python one made serializing 1,000 cards take
# over a second (an export writes every card's front matter).
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# Characters PyYAML writes raw with allow_unicode and then reads back as line breaks.
_YAML_BREAKS = ("\x85", "\u2028", "\u2029")


def _dump_yaml(data: dict[str, Any], *, allow_unicode: bool) -> str:
    return yaml.dump(
        data,
        Dumper=_DUMPER,
        sort_keys=False,
        allow_unicode=allow_unicode,
        default_flow_style=False,
        width=_YAML_WIDTH,
    )


def _has_yaml_break(value: Any) -> bool:
    if isinstance(value, str):
        return any(ch in value for ch in _YAML_BREAKS)
    if isinstance(value, dict):
        return any(_has_yaml_break(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_has_yaml_break(v) for v in value)
    return False


def serialize_card(meta: CardMeta, body: str) -> str:
    """The full text of a card file; deterministic for the same input."""
    front = dump_front_matter(meta_to_dict(meta))
    return f"{FRONT_MATTER_DELIMITER}\n{front}{FRONT_MATTER_DELIMITER}\n\n{normalize_body(body)}"


def dump_front_matter(data: dict[str, Any]) -> str:
    """YAML of a front matter mapping, keys in the given order; deterministic."""
    # Readable Unicode, unless a value holds a character that would not read back (then escapes).
    return _dump_yaml(data, allow_unicode=not _has_yaml_break(data))


# ---------------------------------------------------------------------------------------------
# Reading


def split_front_matter(text: str) -> tuple[str, str, int]:
    """Split a card file into (YAML text, body, 1-based line of the YAML's first line).

    The body loses the one blank line that ``serialize_card`` writes after the closing delimiter.
    """
    text = normalize_line_endings(text.removeprefix("\ufeff"))
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != FRONT_MATTER_DELIMITER:
        raise StoreError("card file has no front matter: its first line must be '---'")
    for index in range(1, len(lines)):
        if lines[index].rstrip() in _CLOSING_DELIMITERS:
            yaml_text = "\n".join(lines[1:index])
            rest = lines[index + 1 :]
            if rest and rest[0].strip() == "":
                rest = rest[1:]
            return yaml_text, "\n".join(rest), 2
    raise StoreError("card file's front matter is not closed: no second '---' line")


def body_start_line(text: str) -> int:
    """The 1-based line of the card file where the body begins (finding lines are body lines)."""
    yaml_text, _body, first_line = split_front_matter(text)
    lines = normalize_line_endings(text.removeprefix("\ufeff")).split("\n")
    closing = first_line + (yaml_text.count("\n") + 1 if yaml_text else 0)
    after = closing  # 0-based index of the line after the closing delimiter
    if after < len(lines) and lines[after].strip() == "":
        after += 1
    return after + 1


def parse_card(text: str, *, source: str | None = None) -> tuple[CardMeta, str]:
    """Parse a card file; raises ``app.errors.StoreError`` with one clear line when it is malformed.

    ``source`` (a file name) is put in front of the message when given. Unknown keys are ignored,
    missing keys other than ``component`` take their defaults.
    """
    try:
        yaml_text, body, first_line = split_front_matter(text)
        data = _load_yaml(yaml_text, first_line)
        meta = meta_from_dict(data)
    except StoreError as exc:
        if source:
            raise StoreError(f"{source}: {exc.message}") from exc
        raise
    return meta, normalize_body(body)


def _load_yaml(yaml_text: str, first_line: int) -> dict[str, Any]:
    try:
        data = yaml.load(yaml_text, Loader=_LOADER) if yaml_text.strip() else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + first_line}" if mark is not None else ""
        problem = exc.problem or exc.context or "syntax error"
        raise StoreError(f"card front matter is not valid YAML{where}: {problem}") from exc
    except yaml.YAMLError as exc:
        raise StoreError(f"card front matter is not valid YAML: {_one_line(str(exc))}") from exc
    if data is None:
        raise StoreError("card front matter is empty; it needs at least 'component'")
    if not isinstance(data, dict):
        raise StoreError(f"card front matter must be a mapping of keys, not {_type_name(data)}")
    return data


def meta_from_dict(data: dict[str, Any]) -> CardMeta:
    """Validate a front matter mapping; wrong types raise ``StoreError`` naming the key."""
    component = data.get("component")
    if component is None:
        raise StoreError("card front matter has no 'component'")
    if not isinstance(component, str) or not component.strip():
        raise StoreError("card front matter 'component' must be a non-empty text")
    defaults = CardMeta(component=component)
    status = data.get("status", defaults.status)
    if status not in _STATUSES:
        raise StoreError(f"card 'status' is {status!r}; expected one of: {', '.join(_STATUSES)}")
    return CardMeta(
        component=component,
        status=status,
        model=_text(data, "model", defaults.model),
        input_tokens=_count(data, "input_tokens"),
        output_tokens=_count(data, "output_tokens"),
        cache_read_tokens=_count(data, "cache_read_tokens"),
        cache_write_tokens=_count(data, "cache_write_tokens"),
        cost_usd=_cost(data),
        duration_s=_number(data, "duration_s", defaults.duration_s),
        request_sha256=_text(data, "request_sha256", defaults.request_sha256),
        body_sha256=_text(data, "body_sha256", defaults.body_sha256),
        generated_at=_timestamp(data),
        locked=_flag(data, "locked"),
        findings=_findings(data),
        review=_review(data),
        batch=_flag(data, "batch"),
    )


def _text(data: dict[str, Any], key: str, default: str) -> str:
    value = data.get(key, default)
    if value is None:
        return default
    if not isinstance(value, str):
        raise StoreError(f"card '{key}' must be text, not {_type_name(value)}")
    return value


def _count(data: dict[str, Any], key: str) -> int:
    value = data.get(key, 0)
    if value is None:
        return 0
    if not _is_int(value) or value < 0:
        raise StoreError(f"card '{key}' must be a whole number >= 0, not {value!r}")
    return int(value)


def _number(data: dict[str, Any], key: str, default: float) -> float:
    value = data.get(key, default)
    if value is None:
        return default
    if not _is_number(value) or value < 0:
        raise StoreError(f"card '{key}' must be a number >= 0, not {value!r}")
    return float(value)


def _cost(data: dict[str, Any]) -> float | None:
    value = data.get("cost_usd")
    if value is None or value == UNKNOWN_COST:
        return None
    if not _is_number(value) or value < 0:
        raise StoreError(f"card 'cost_usd' must be a number >= 0 or \"unknown\", not {value!r}")
    return float(value)


def _flag(data: dict[str, Any], key: str) -> bool:
    value = data.get(key, False)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise StoreError(f"card '{key}' must be true or false, not {value!r}")
    return value


def _timestamp(data: dict[str, Any]) -> str:
    return timestamp_text(data.get("generated_at", ""), "card 'generated_at'")


def timestamp_text(value: object, what: str) -> str:
    """A front matter time as ISO 8601 UTC text; ``what`` names the key in the error."""
    if value is None:
        return ""
    # An unquoted timestamp typed by hand loads as a datetime; keep it as the text it was.
    if isinstance(value, _dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(_dt.timezone.utc).replace(tzinfo=None)
        return value.isoformat(timespec="seconds") + "Z"
    if isinstance(value, _dt.date):
        return value.isoformat()
    if not isinstance(value, str):
        raise StoreError(f"{what} must be an ISO 8601 text, not {value!r}")
    return value


def _review(data: dict[str, Any]) -> CardReview | None:
    value = data.get("review")
    if value is None:
        return None
    # Imported here: the review module builds on this one (hashes, severities).
    from app.core.review import CardReview

    return CardReview.from_dict(value)


def _findings(data: dict[str, Any]) -> tuple[Finding, ...]:
    value = data.get("findings")
    if value is None:
        return ()
    if not isinstance(value, list):
        raise StoreError(f"card 'findings' must be a list, not {_type_name(value)}")
    return tuple(Finding.from_dict(item) for item in value)


def _is_int(value: object) -> bool:
    # bool is an int subclass; "true" where a count belongs is a mistake, not 1.
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return math.isfinite(value)


def _type_name(value: object) -> str:
    return {
        list: "a list",
        dict: "a mapping",
        str: "a text",
        int: "a number",
        float: "a number",
        bool: "true/false",
    }.get(type(value), type(value).__name__)


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()
