"""The account's own rate limits, as the API's ``anthropic-ratelimit-*`` headers report them, and
the last ones seen per model, kept in the data dir (``<data>/rate-limits.json``; docs/formats.md).

Only numbers are kept: the limits, when they were seen, and what an average card of that run
took (seconds, output tokens). Never a key, a prompt or a card's text.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, Mapping

from app.core.fsutil import atomic_write
from app.core.models import lookup
from app.paths import rate_limits_file

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
HEADER_PREFIX = "anthropic-ratelimit-"


@dataclass(frozen=True)
class RateLimits:
    """Per-minute limits of the account for one model; None where the API did not say."""

    requests_per_min: int | None = None
    input_tokens_per_min: int | None = None
    output_tokens_per_min: int | None = None

    def describe(self) -> str:
        parts = [
            f"{value:,} {what}"
            for value, what in (
                (self.requests_per_min, "requests"),
                (self.input_tokens_per_min, "input tokens"),
                (self.output_tokens_per_min, "output tokens"),
            )
            if value is not None
        ]
        return (", ".join(parts) + " per minute") if parts else "no limits reported"


def limits_from_headers(headers: Mapping[str, str]) -> RateLimits | None:
    """The limits a response's headers carry; None when it carries none (another API)."""

    def number(name: str) -> int | None:
        raw = headers.get(HEADER_PREFIX + name)
        try:
            value = int(str(raw).strip()) if raw is not None else None
        except ValueError:
            return None
        return value if value is not None and value > 0 else None

    limits = RateLimits(
        requests_per_min=number("requests-limit"),
        input_tokens_per_min=number("input-tokens-limit"),
        output_tokens_per_min=number("output-tokens-limit"),
    )
    return None if limits == RateLimits() else limits


@dataclass(frozen=True)
class SeenLimits:
    """What the last run on a model saw: the limits, and its average card."""

    limits: RateLimits
    seen_at: str
    """ISO 8601 UTC."""
    seconds_per_card: float | None = None
    output_tokens_per_card: int | None = None
    """Thinking included."""


def _from_dict(raw: Any) -> SeenLimits | None:
    if not isinstance(raw, dict):
        return None
    try:
        limits = RateLimits(**{f.name: _count(raw.get(f.name)) for f in fields(RateLimits)})
        seconds = raw.get("seconds_per_card")
        return SeenLimits(
            limits=limits,
            seen_at=str(raw.get("seen_at") or ""),
            seconds_per_card=float(seconds) if isinstance(seconds, (int, float)) and seconds > 0 else None,
            output_tokens_per_card=_count(raw.get("output_tokens_per_card")),
        )
    except (TypeError, ValueError):
        return None


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        log.warning("ignoring unreadable rate-limit file %s (%s)", path, type(exc).__name__)
        return {}
    models = data.get("models") if isinstance(data, dict) else None
    return models if isinstance(models, dict) else {}


def load_seen(model: str, path: Path | None = None) -> SeenLimits | None:
    """The last limits seen for ``model`` (an alias finds its model); None if none were seen."""
    info = lookup(model)
    if info is None:
        return None
    return _from_dict(_read(path or rate_limits_file()).get(info.id))


def save_seen(model: str, seen: SeenLimits, path: Path | None = None) -> bool:
    """Keep ``seen`` for ``model``; only a model the table knows (so only known ids reach the
    file). Returns whether it was written; a failure is logged, never raised."""
    info = lookup(model)
    if info is None:
        return False
    path = path or rate_limits_file()
    models = _read(path)
    entry = {f.name: getattr(seen.limits, f.name) for f in fields(RateLimits)}
    entry.update({k: v for k, v in asdict(seen).items() if k != "limits"})
    models[info.id] = entry
    text = json.dumps({"format": FORMAT_VERSION, "models": models}, indent=2, sort_keys=True) + "\n"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, text)
    except OSError as exc:
        log.warning("cannot keep the rate limits in %s: %s", path, exc.strerror or exc)
        return False
    return True
