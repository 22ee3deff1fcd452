"""User preferences as JSON in the config folder: model, limits, column, theme, recent files; never a key.

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
from typing import Any, Literal

from app.core.fsutil import atomic_write
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

log = logging.getLogger(__name__)

SETTINGS_NAME = "settings.json"
FORMAT_VERSION = 1
Theme = Literal["auto", "light", "dark"]
THEMES: tuple[str, ...] = ("auto", "light", "dark")
MAX_RECENT = 10

MAX_MODEL_CHARS = 200

# Anthropic keys start with "sk-ant-"; other "sk-" tokens of that length are keys of
# OpenAI-compatible servers. Checked on every text value before anything is written.
_KEY_RE = re.compile(r"(?<![A-Za-z0-9])sk-[A-Za-z0-9_\-]{16,}")
_MIN_SECRET_CHARS = 8  # shorter "secrets" would match ordinary text


class SettingsError(CardsmithError):
    """The settings cannot be saved (a value looks like an API key, or the folder is not writable)."""


@dataclass
class Settings:
    model: str | None = None
    """None: the plan's model."""
    concurrency: int | None = None
    """None: the plan's concurrency."""
    max_tokens: int | None = None
    """None: the plan's max_tokens."""
    stall_timeout_s: float = 60.0
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
        model=_model(data.get("model")),
        concurrency=_int_in(data.get("concurrency"), CONCURRENCY_RANGE, None),
        max_tokens=_int_in(data.get("max_tokens"), MAX_TOKENS_RANGE, None),
        stall_timeout_s=_float_in(data.get("stall_timeout_s"), STALL_TIMEOUT_RANGE, defaults.stall_timeout_s),
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


def _int_in(value: object, bounds: tuple[int, int], default: int | None) -> int | None:
    # bool is an int in Python; true/false in a JSON file are not numbers.
    if isinstance(value, bool) or not isinstance(value, int):
        return default
    low, high = bounds
    return value if low <= value <= high else default


def _float_in(value: object, bounds: tuple[float, float], default: float) -> float:
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
        # apikey keeps the session key private on purpose; it is only compared here, never stored.
        getattr(apikey, "_session_key", None) or "",
    ]
    return [c for c in candidates if len(c) >= _MIN_SECRET_CHARS]


# --- the export dialog's last choice, per plan --------------------------------------------------
# Kept in a file of their own: the preferences are saved whole by dialogs that were opened earlier,
# which would drop a choice made meanwhile.

EXPORT_CHOICES_NAME = "export-choices.json"
MAX_EXPORT_CHOICES = 50


@dataclass(frozen=True)
class ExportChoice:
    fmt: str
    folder: str
    front_matter: bool = True
    write_config: bool = False
    """mkdocs: also write mkdocs.yml beside the folder."""


def load_export_choice(plan: Path, path: Path | None = None) -> ExportChoice | None:
    """The last export of ``plan`` made in the window, or None (never raises)."""
    entry = _export_choices(path or config_dir() / EXPORT_CHOICES_NAME).get(str(plan))
    if not isinstance(entry, dict):
        return None
    from app.core.export import FORMATS

    fmt, folder = entry.get("format"), entry.get("folder")
    if fmt not in FORMATS or not isinstance(folder, str) or not folder or "\0" in folder:
        return None
    front_matter, write_config = entry.get("front_matter") is not False, entry.get("write_config") is True
    return ExportChoice(fmt, folder, front_matter, write_config)


def save_export_choice(plan: Path, choice: ExportChoice, path: Path | None = None) -> None:
    """Remember ``choice`` for ``plan`` (most recent last, at most MAX_EXPORT_CHOICES plans)."""
    path = path or config_dir() / EXPORT_CHOICES_NAME
    if looks_like_key(choice.folder):
        raise SettingsError("refusing to remember the export folder: it looks like an API key")
    choices = _export_choices(path)
    choices.pop(str(plan), None)
    choices[str(plan)] = {
        "format": choice.fmt,
        "folder": choice.folder,
        "front_matter": choice.front_matter,
        "write_config": choice.write_config,
    }
    kept = dict(list(choices.items())[-MAX_EXPORT_CHOICES:])
    text = json.dumps({"format": FORMAT_VERSION, "plans": kept}, indent=2, ensure_ascii=False) + "\n"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, text)
    except OSError as exc:
        raise SettingsError(f"cannot remember the export choice in {path}: {exc.strerror or exc}") from exc


def _export_choices(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    plans = data.get("plans") if isinstance(data, dict) else None
    return dict(plans) if isinstance(plans, dict) else {}
