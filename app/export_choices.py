"""The export dialog's last choice for each plan (format, folder, options), in a file of its own.

Not part of the preferences file: dialogs save the preferences whole, and one opened earlier
would drop a choice made meanwhile.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.core.fsutil import atomic_write
from app.paths import config_dir
from app.settings import FORMAT_VERSION, SettingsError, looks_like_key

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
