"""Export the cards of a plan as a bundle: folder, single Markdown file, HTML page, zip, or a
documentation site's folder (Docusaurus, MkDocs, Hugo, Starlight: app.core.export_sites).

Exports are deterministic (the same cards give byte-identical files), atomic per file, confined
to the output folder, and never overwrite files that an earlier export did not write: a manifest
(``.cardsmith-export.json``) records what this tool wrote and with which hash.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from app.core.bundle import (
    BUNDLE_JSON_NAME,
    INDEX_NAME,
    BundleEntry,
    bundle_entries,
    bundle_json,
    index_markdown,
    json_text,
    sha256,
    title_and_context,
)
from app.core.card import normalize_body, serialize_card
from app.core.export_sites import site_config, site_files
from app.core.fences import fenced_lines
from app.core.fsutil import atomic_write
from app.core.plan import Plan
from app.core.render import render_card, render_document
from app.core.slug import slugify
from app.core.store import StoreSnapshot
from app.core.targets import SITE_TARGETS
from app.errors import ExportError

ExportFormat = Literal["folder", "single", "html", "zip", "docusaurus", "mkdocs", "hugo", "starlight"]
FORMATS: tuple[str, ...] = ("folder", "single", "html", "zip", *SITE_TARGETS)

MANIFEST_NAME = ".cardsmith-export.json"
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
ZIP_MODE = 0o100644  # a regular file, rw-r--r--
_UNIX_SYSTEM = 3  # zip "made by" Unix, so that the external attributes mean the same everywhere


@dataclass(frozen=True)
class ExportResult:
    out_dir: Path
    written: tuple[Path, ...]
    removed: tuple[Path, ...]
    unchanged: tuple[Path, ...]
    config: Path | None = None
    """The site configuration written beside the folder (``--write-config``), if any."""


def export_bundle(
    plan: Plan,
    snapshot: StoreSnapshot,
    out_dir: Path,
    *,
    fmt: ExportFormat = "folder",
    front_matter: bool = True,
    write_config: bool = False,
) -> ExportResult:
    """Write the bundle of ``plan``'s cards into ``out_dir``; refuses before writing anything.

    ``write_config`` (mkdocs only) also writes the site's ``mkdocs.yml`` beside ``out_dir``.
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise ExportError(f"cannot export into {out_dir}: it is a file, not a folder")
    config = site_config(plan, bundle_entries(plan, snapshot), out_dir, fmt) if write_config else None
    files = build_bundle(plan, snapshot, fmt=fmt, front_matter=front_matter)
    result = _write_bundle(out_dir, files)
    return replace(result, config=config.write()) if config else result


def build_bundle(
    plan: Plan, snapshot: StoreSnapshot, *, fmt: ExportFormat = "folder", front_matter: bool = True
) -> dict[str, bytes]:
    """File name -> exact bytes of the bundle, without touching the disk."""
    entries = bundle_entries(plan, snapshot)
    if fmt == "folder":
        return _folder_files(plan, entries, front_matter)
    stem = slugify(plan.settings.title)
    if fmt == "single":
        return {f"{stem}.md": _single_markdown(plan, entries).encode("utf-8")}
    if fmt == "html":
        fragments = [render_card(entry.card.body) for entry in entries]
        return {f"{stem}.html": render_document(plan.settings.title, fragments).encode("utf-8")}
    if fmt == "zip":
        return {f"{stem}.zip": _zip_bytes(_folder_files(plan, entries, front_matter))}
    if fmt in SITE_TARGETS:
        return site_files(plan, entries, fmt)
    raise ExportError(f"unknown export format {fmt!r}: use one of {', '.join(FORMATS)}")


def planned_names(plan: Plan, snapshot: StoreSnapshot, fmt: ExportFormat) -> list[str]:
    """The names ``build_bundle`` gives its files, sorted; the page and the zip are not built."""
    if fmt in ("html", "zip"):
        return [f"{slugify(plan.settings.title)}.{fmt}"]
    return sorted(build_bundle(plan, snapshot, fmt=fmt))


# --- what goes into a bundle -------------------------------------------------------------------


def _folder_files(plan: Plan, entries: list[BundleEntry], front_matter: bool) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for entry in entries:
        text = serialize_card(entry.card.meta, entry.card.body) if front_matter else normalize_body(entry.card.body)
        files[entry.file] = text.encode("utf-8")
    files[INDEX_NAME] = index_markdown(plan, entries).encode("utf-8")
    files[BUNDLE_JSON_NAME] = bundle_json(plan, entries, files).encode("utf-8")
    return files


def _single_markdown(plan: Plan, entries: list[BundleEntry]) -> str:
    parts = title_and_context(plan)
    parts.extend(demote_headings(normalize_body(e.card.body)).strip("\n") for e in entries)
    return "\n\n".join(parts) + "\n"


_ATX_RE = re.compile(r"^( {0,3})(#{1,6})(?=[ \t]|$)")


def demote_headings(markdown: str) -> str:
    """``#`` -> ``##``, ``##`` -> ``###`` ... (at most six); headings inside fenced code stay."""
    lines = markdown.split("\n")
    for index, fence in fenced_lines(lines):
        if fence is None:
            lines[index] = _ATX_RE.sub(
                lambda m: m.group(1) + m.group(2) + ("#" if len(m.group(2)) < 6 else ""), lines[index]
            )
    return "\n".join(lines)


def _zip_bytes(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = _UNIX_SYSTEM
            info.external_attr = ZIP_MODE << 16
            archive.writestr(info, files[name])
    return buffer.getvalue()


# --- writing it safely ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Manifest:
    files: dict[str, str]
    """Name -> sha256 of what the last export wrote."""
    pending: dict[str, str]
    """Name -> sha256 an interrupted export was about to write (also ours)."""

    def owns(self, name: str, sha: str) -> bool:
        return self.files.get(name) == sha or self.pending.get(name) == sha

    def lists(self, name: str) -> bool:
        return name in self.files or name in self.pending


def _write_bundle(out_dir: Path, files: dict[str, bytes]) -> ExportResult:
    manifest = _read_manifest(out_dir)
    to_write: dict[str, bytes] = {}
    unchanged: list[Path] = []
    for name, data in sorted(files.items()):
        current = _existing_sha(out_dir, name)
        if current is None:
            to_write[name] = data
            continue
        if not manifest.lists(name):
            raise ExportError(
                f"refusing to overwrite {name!r} in {out_dir}: it was not written by a Cardsmith export"
            )
        if not manifest.owns(name, current):
            raise ExportError(
                f"refusing to overwrite {name!r} in {out_dir}: it was changed since the last export"
            )
        if current == sha256(data):
            unchanged.append(out_dir / name)
        else:
            to_write[name] = data
    # Compared case-insensitively: on macOS and Windows "Foo.md" of an old bundle *is* "foo.md".
    keep = {name.casefold() for name in files}
    stale = [
        name
        for name in sorted(set(manifest.files) | set(manifest.pending))
        if name.casefold() not in keep and _is_plain_name(name)
    ]
    new_files = {name: sha256(data) for name, data in files.items()}
    removable = [name for name in stale if _removable(out_dir, name, manifest)]
    if not to_write and not removable and manifest.files == new_files and not manifest.pending:
        return ExportResult(out_dir=out_dir, written=(), removed=(), unchanged=tuple(unchanged))

    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        # Recorded first, so that files of an interrupted export are still known as ours next time.
        _write_manifest(out_dir, manifest.files, {**manifest.pending, **{n: new_files[n] for n in to_write}})
        written = []
        for name, data in to_write.items():
            path = _confined(out_dir, name)
            atomic_write(path, data)
            written.append(path)
        removed = []
        for name in removable:
            path = _confined(out_dir, name)
            path.unlink(missing_ok=True)
            removed.append(path)
        _write_manifest(out_dir, new_files, {})
    except OSError as exc:
        raise ExportError(f"cannot write the export into {out_dir}: {exc.strerror or exc}") from exc
    return ExportResult(
        out_dir=out_dir, written=tuple(written), removed=tuple(removed), unchanged=tuple(unchanged)
    )


def _existing_sha(out_dir: Path, name: str) -> str | None:
    path = _confined(out_dir, name)
    if not path.exists() and not path.is_symlink():
        return None
    if not path.is_file():
        raise ExportError(f"refusing to overwrite {name!r} in {out_dir}: it is not a regular file")
    try:
        return sha256(path.read_bytes())
    except OSError as exc:
        raise ExportError(f"cannot read {name!r} in {out_dir}: {exc.strerror or exc}") from exc


def _removable(out_dir: Path, name: str, manifest: _Manifest) -> bool:
    """Only files still exactly as an export wrote them are removed; user edits are kept."""
    try:
        path = _confined(out_dir, name)
    except ExportError:
        return False
    if path.is_symlink() or not path.is_file():
        return False
    try:
        return manifest.owns(name, sha256(path.read_bytes()))
    except OSError:
        return False


def _confined(out_dir: Path, name: str) -> Path:
    path = out_dir / name
    if not _is_plain_name(name) or path.resolve().parent != out_dir.resolve():
        raise ExportError(f"refusing to write {name!r}: it would land outside {out_dir}")
    return path


def _is_plain_name(name: str) -> bool:
    return (
        bool(name)
        and name not in (".", "..", MANIFEST_NAME)
        and "/" not in name
        and "\\" not in name
        and ":" not in name
        and "\0" not in name
    )


def _read_manifest(out_dir: Path) -> _Manifest:
    # An unreadable manifest owns nothing: nothing gets overwritten or removed on its word.
    try:
        data = json.loads((out_dir / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return _Manifest(files={}, pending={})
    if not isinstance(data, dict):
        return _Manifest(files={}, pending={})
    return _Manifest(files=_str_map(data.get("files")), pending=_str_map(data.get("pending")))


def _str_map(value: object) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {k: v for k, v in value.items() if isinstance(k, str) and isinstance(v, str)}


def _write_manifest(out_dir: Path, files: dict[str, str], pending: dict[str, str]) -> None:
    data: dict[str, Any] = {"format": 1, "files": files}
    if pending:
        data["pending"] = pending
    atomic_write(out_dir / MANIFEST_NAME, json_text(data))
