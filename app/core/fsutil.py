"""Atomic file writes: a crash at any moment leaves the old file or the new one, never a mix."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

TMP_PREFIX = "."
TMP_SUFFIX = ".tmp"

# A test-only pause between the temporary file's fsync and its rename, so that a kill can be aimed
# at the one moment where both files exist. Unset in normal use.
_PAUSE_ENV = "CARDSMITH_TEST_PAUSE_BEFORE_RENAME"


def tmp_path_for(path: Path) -> Path:
    return path.with_name(f"{TMP_PREFIX}{path.name}{TMP_SUFFIX}")


def is_tmp_leftover(path: Path) -> bool:
    return path.name.startswith(TMP_PREFIX) and path.name.endswith(TMP_SUFFIX)


def fsync_dir(folder: Path) -> None:
    """Make a rename durable; a no-op where directories cannot be opened (Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes | str, *, encoding: str = "utf-8") -> None:
    """Write ``.NAME.tmp`` beside ``path``, flush, fsync, rename over ``path``, fsync the folder."""
    payload = data.encode(encoding) if isinstance(data, str) else data
    path = Path(path)
    tmp = tmp_path_for(path)
    try:
        with open(tmp, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        _maybe_pause()
        os.replace(tmp, path)
    except OSError:
        # A failed write (disk full, the name taken by a folder) leaves the old file and no debris.
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    fsync_dir(path.parent)


def remove_tmp_leftovers(folder: Path) -> list[Path]:
    """Delete ``.*.tmp`` files a killed run left behind; returns what was removed."""
    removed: list[Path] = []
    if not folder.is_dir():
        return removed
    for entry in folder.iterdir():
        if entry.is_file() and is_tmp_leftover(entry):
            try:
                entry.unlink()
                removed.append(entry)
            except OSError:
                pass
    return removed


def _maybe_pause() -> None:
    seconds = os.environ.get(_PAUSE_ENV)
    if seconds:
        import time

        time.sleep(float(seconds))
