"""Where bundled resources and per-user folders are; works from source and from a frozen bundle."""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP_NAME = "Cardsmith"
APP_AUTHOR = "Cardsmith"


def resources_dir() -> Path:
    """The bundled ``resources/`` folder (beside the package from source, inside a PyInstaller bundle)."""
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def resource(*parts: str) -> Path:
    return resources_dir().joinpath(*parts)


def example_plan() -> Path:
    return resource("examples", "auth-service.md")


def config_dir() -> Path:
    """User settings; ``CARDSMITH_CONFIG_DIR`` overrides so tests never touch real files."""
    override = os.environ.get("CARDSMITH_CONFIG_DIR")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_config_dir(APP_NAME, APP_AUTHOR))


def data_dir() -> Path:
    """Autosave/recovery copies and window state; ``CARDSMITH_DATA_DIR`` overrides."""
    override = os.environ.get("CARDSMITH_DATA_DIR")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR))


def cache_dir() -> Path:
    """What can be made again and only saves time (the preview's render cache);
    ``CARDSMITH_CACHE_DIR`` overrides."""
    override = os.environ.get("CARDSMITH_CACHE_DIR")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_cache_dir(APP_NAME, APP_AUTHOR))


def rate_limits_file() -> Path:
    """The account's rate limits last seen per model (no key, no prompt text)."""
    return data_dir() / "rate-limits.json"
