"""User preferences as JSON in the config folder: provider, models, limits, column, theme, recent
files; never a key.

A corrupt or hand-edited file must never stop the app: every value that is missing, of the wrong
type or out of range falls back to its default. There is deliberately no field for the API key,
and saving refuses anything that looks like one (a key pasted into the model field, say).
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from app.core.fsutil import atomic_write
from app.core.plan_model import PROVIDERS
from app.core.ranges import (
    COLUMN_RANGE,
    CONCURRENCY_RANGE,
    MAX_ATTEMPTS_RANGE,
    MAX_TOKENS_RANGE,
    REPAIRS_RANGE,
    STALL_TIMEOUT_RANGE,
)
from app.errors import CardsmithError
from app.paths import config_dir

if TYPE_CHECKING:  # the engine is imported by a run, not by reading the preferences
    from app.engine.send_plan import GenerateOptions

log = logging.getLogger(__name__)

SETTINGS_NAME = "settings.json"
FORMAT_VERSION = 1
Theme = Literal["auto", "light", "dark"]
THEMES: tuple[str, ...] = ("auto", "light", "dark")
MAX_RECENT = 10

MAX_MODEL_CHARS = 200
OPENAI_KEY_VAR = "OPENAI_API_KEY"

# Anthropic keys start with "sk-ant-"; other "sk-" tokens of that length are keys of
# OpenAI-compatible servers. Checked on every text value before anything is written.
_KEY_RE = re.compile(r"(?<![A-Za-z0-9])sk-[A-Za-z0-9_\-]{16,}")
_MIN_SECRET_CHARS = 8  # shorter "secrets" would match ordinary text


class SettingsError(CardsmithError):
    """The settings cannot be saved (a value looks like an API key, or the folder is not writable)."""


@dataclass
class Settings:
    provider: str | None = None
    """One of ``PROVIDERS``; None: the environment's, else Anthropic (a plan's ``provider`` wins)."""
    base_url: str | None = None
    """The provider's server; None: the environment's, else the provider's own (a plan's wins)."""
    model: str | None = None
    """None: the plan's model."""
    review_model: str | None = None
    """None: the plan's ``review_model``, else the review role's default."""
    draft_model: str | None = None
    """None: the drafting role's default (a new plan has no front matter yet)."""
    review_after_run: bool = False
    """Each card a run writes is reviewed at once, while the others are still being written."""
    concurrency: int | None = None
    """None: the plan's concurrency."""
    max_tokens: int | None = None
    """None: the plan's max_tokens."""
    stall_timeout_s: float | None = None
    """None: the provider's (60 s; a local server 300 s: it may load its model first)."""
    max_attempts: int = 4
    repairs: int = 1
    """Repair requests per card that breaks the contract; 0 = off."""
    column_px: int = 400
    theme: Theme = "auto"
    recent_files: list[str] = field(default_factory=list)
    """Most recent first, at most MAX_RECENT."""


def settings_path() -> Path:
    return config_dir() / SETTINGS_NAME


def load_settings(path: Path | None = None) -> Settings:
    """The saved settings; defaults for anything missing or invalid (never raises)."""
    path = path or settings_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Settings()
    except (OSError, ValueError) as exc:
        log.warning("ignoring unreadable settings file %s (%s)", path, type(exc).__name__)
        return Settings()
    if not isinstance(data, dict):
        log.warning("ignoring settings file %s: not a JSON object", path)
        return Settings()
    return settings_from_dict(data)


def save_settings(settings: Settings, path: Path | None = None) -> None:
    """Write the settings atomically; raises SettingsError (one line) instead of writing a key."""
    path = path or settings_path()
    clean = settings_from_dict(asdict(settings))
    _refuse_keys(settings, clean)
    payload = {"format": FORMAT_VERSION, **asdict(clean)}
    text = json.dumps(payload, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    for secret in _known_secrets():
        if secret in text:
            raise SettingsError("refusing to save the settings: they contain the API key")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, text)
    except OSError as exc:
        raise SettingsError(f"cannot save the settings to {path}: {exc.strerror or exc}") from exc


def settings_from_dict(data: dict[str, Any]) -> Settings:
    """Checked values from a loose mapping (a parsed file); unknown keys are ignored."""
    defaults = Settings()
    return Settings(
        provider=data.get("provider") if data.get("provider") in PROVIDERS else None,
        base_url=_base_url(data.get("base_url")),
        model=_model(data.get("model")),
        review_model=_model(data.get("review_model")),
        draft_model=_model(data.get("draft_model")),
        review_after_run=data.get("review_after_run") is True,
        concurrency=_int_in(data.get("concurrency"), CONCURRENCY_RANGE, None),
        max_tokens=_int_in(data.get("max_tokens"), MAX_TOKENS_RANGE, None),
        stall_timeout_s=_float_in(data.get("stall_timeout_s"), STALL_TIMEOUT_RANGE, None),
        max_attempts=_int_in(data.get("max_attempts"), MAX_ATTEMPTS_RANGE, defaults.max_attempts),  # type: ignore[arg-type]
        repairs=_int_in(data.get("repairs"), REPAIRS_RANGE, defaults.repairs),  # type: ignore[arg-type]
        column_px=_int_in(data.get("column_px"), COLUMN_RANGE, defaults.column_px),  # type: ignore[arg-type]
        theme=data.get("theme") if data.get("theme") in THEMES else defaults.theme,  # type: ignore[arg-type]
        recent_files=_recent(data.get("recent_files")),
    )


def add_recent_file(settings: Settings, path: Path | str) -> Settings:
    """A copy with ``path`` first in the recent files (no duplicates, at most MAX_RECENT)."""
    entry = str(path)
    recent = [entry] + [p for p in settings.recent_files if p != entry]
    return replace(settings, recent_files=recent[:MAX_RECENT])


def looks_like_key(text: str) -> bool:
    """True for text that holds an API key: the current one, or anything shaped like one."""
    if _KEY_RE.search(text):
        return True
    return any(secret in text for secret in _known_secrets())


# --- checking values ------------------------------------------------------------------------


def _model(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    value = value.strip()
    if not value or len(value) > MAX_MODEL_CHARS or not value.isprintable() or " " in value:
        return None
    if _KEY_RE.search(value):  # a key pasted into the model field is never shown back or sent
        return None
    return value


def _base_url(value: object) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    from app.core.plan_settings import base_url_problem  # the plan parser's: YAML, ~15 ms to load

    if base_url_problem(value.strip()):
        return None
    return value.strip().rstrip("/")


def _int_in(value: object, bounds: tuple[int, int], default: int | None) -> int | None:
    # bool is an int in Python; true/false in a JSON file are not numbers.
    if isinstance(value, bool) or not isinstance(value, int):
        return default
    low, high = bounds
    return value if low <= value <= high else default


def _float_in(value: object, bounds: tuple[float, float], default: float | None) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return default
    low, high = bounds
    value = float(value)
    return value if math.isfinite(value) and low <= value <= high else default


def _recent(value: object) -> list[str]:
    if not isinstance(value, list):
        return []
    recent: list[str] = []
    for item in value:
        if isinstance(item, str) and item and "\0" not in item and item not in recent:
            recent.append(item)
    return recent[:MAX_RECENT]


def _refuse_keys(original: Settings, clean: Settings) -> None:
    """Name the field a key was typed into, so the user knows what to fix."""
    fields: list[tuple[str, object]] = [
        ("model", original.model),
        ("model", clean.model),
        ("review model", original.review_model),
        ("drafting model", original.draft_model),
        ("base URL", original.base_url),
        *(("recent files", p) for p in original.recent_files),
    ]
    for name, value in fields:
        if isinstance(value, str) and looks_like_key(value):
            raise SettingsError(f"refusing to save the settings: the {name} field looks like an API key")


def _known_secrets() -> list[str]:
    """The keys this process knows without asking the keyring (the environment, this session)."""
    from app import apikey

    candidates = [
        os.environ.get(apikey.ENV_VAR, "").strip(),
        os.environ.get(OPENAI_KEY_VAR, "").strip(),  # a local server's key: the environment only
        # apikey keeps the session key private on purpose; it is only compared here, never stored.
        getattr(apikey, "_session_key", None) or "",
    ]
    return [c for c in candidates if len(c) >= _MIN_SECRET_CHARS]


def generate_options(settings: Settings, options: GenerateOptions) -> GenerateOptions:
    """``options`` with the user's settings filled in where the caller left the plan's value."""
    return replace(
        options,
        model=options.model or settings.model,
        concurrency=options.concurrency if options.concurrency is not None else settings.concurrency,
        max_tokens=options.max_tokens if options.max_tokens is not None else settings.max_tokens,
        stall_timeout_s=options.stall_timeout_s if settings.stall_timeout_s is None else settings.stall_timeout_s,
        max_attempts=settings.max_attempts,
        repairs=settings.repairs,
    )
