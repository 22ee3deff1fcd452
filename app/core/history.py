"""Versions of a card kept in ``<cards folder>/.history/<slug>/``, out of git, one full card file each.

A version's file name carries everything needed to list it without reading it::

    20261125T120000.123456Z-edited-0123456789ab.md
    <UTC time, fixed width>-<kind>-<first 12 hex digits of the body's sha256>.md

so names sort oldest first. The content is an ordinary card file (``serialize_card``), so any
version can be read, diffed or restored with the card module alone. Only finished cards are
recorded: a failed or partial answer never reaches this module.
"""

from __future__ import annotations

import datetime as _dt
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

from app.core.card import CardMeta, body_sha256, normalize_body, parse_card, serialize_card
from app.core.fsutil import atomic_write
from app.core.store import HISTORY_DIR
from app.errors import StoreError

VersionKind = Literal["generated", "edited", "restored", "repaired", "reviewed"]
KINDS: tuple[str, ...] = get_args(VersionKind)

GITIGNORE_NAME = ".gitignore"
GITIGNORE_TEXT = "*\n"
"""History is private to this machine: the folder ignores itself, whatever the repository says."""

HASH_PREFIX_LEN = 12
VERSION_SUFFIX = ".md"
_STAMP_FORMAT = "%Y%m%dT%H%M%S.%fZ"
# Generation saves cards from worker threads; two of them creating the folder at once would
# share the .gitignore's temporary file name.
_FOLDER_LOCK = threading.Lock()
_VERSION_NAME = re.compile(
    r"^(?P<stamp>\d{8}T\d{6}\.\d{6}Z)-(?P<kind>[a-z]+)-(?P<sha>[0-9a-f]{%d})\.md$" % HASH_PREFIX_LEN
)


@dataclass(frozen=True)
class Version:
    """One recorded version of a card."""

    path: Path
    kind: str
    """One of ``KINDS``."""
    created: str
    """When it was recorded: ISO 8601 UTC with microseconds, e.g. 2026-11-25T12:00:00.000000Z."""
    body_sha256: str
    """Hash of this version's body (``app.core.card.body_sha256``), not the meta's field."""
    meta: CardMeta
    body: str


def history_folder(cards_folder: Path) -> Path:
    return Path(cards_folder) / HISTORY_DIR


def versions_folder(cards_folder: Path, slug: str) -> Path:
    """The folder of one card's versions; ``slug`` must be a plain file stem."""
    _check_slug(slug)
    return history_folder(cards_folder) / slug


def record_version(
    cards_folder: Path, slug: str, meta: CardMeta, body: str, kind: VersionKind
) -> Path:
    """Store ``meta`` + ``body`` as the newest version of card ``slug``; returns its file.

    Nothing is written when the newest version already holds this exact body with this kind and
    review (its path is returned). File errors raise ``StoreError`` (one line).
    """
    if kind not in KINDS:
        raise ValueError(f"unknown history kind {kind!r}; expected one of: {', '.join(KINDS)}")
    body = normalize_body(body)
    digest = body_sha256(body)
    folder = versions_folder(cards_folder, slug)
    existing = list_versions(cards_folder, slug)
    newest = existing[-1] if existing else None
    if newest is not None and newest.kind == kind and newest.body_sha256 == digest \
            and newest.meta.review == meta.review:
        return newest.path
    stamp = _next_stamp(newest)
    path = folder / f"{stamp.strftime(_STAMP_FORMAT)}-{kind}-{digest[:HASH_PREFIX_LEN]}{VERSION_SUFFIX}"
    try:
        _ensure_folder(folder)
        atomic_write(path, serialize_card(meta, body))
    except OSError as exc:
        raise StoreError(f"cannot record a version of {slug}: {exc.strerror or exc}") from exc
    return path


def list_versions(cards_folder: Path, slug: str) -> list[Version]:
    """Every readable version of card ``slug``, oldest first (newest last).

    Files that are not versions (other names, unreadable or malformed cards, a body that does not
    match the hash in the name) are skipped, never raised.
    """
    versions: list[Version] = []
    for path in _entries(versions_folder(cards_folder, slug)):
        version = _read_version(path)
        if version is not None:
            versions.append(version)
    return versions


def find_by_body_hash(cards_folder: Path, slug: str, body_sha256_hex: str) -> Version | None:
    """The newest version whose body has this sha256 (e.g. a card's generated ``body_sha256``)."""
    # The name carries the hash's first digits: only those few files are read.
    tail = f"-{body_sha256_hex[:HASH_PREFIX_LEN]}{VERSION_SUFFIX}"
    for path in reversed(_entries(versions_folder(cards_folder, slug))):
        if not path.name.endswith(tail):
            continue
        version = _read_version(path)
        if version is not None and version.body_sha256 == body_sha256_hex:
            return version
    return None


# ---------------------------------------------------------------------------------------------


def _check_slug(slug: str) -> None:
    # Stems of existing card files may be any name a user gave them, so this only guards the
    # folder boundary rather than requiring a slug the slug module would produce.
    if (
        not slug
        or slug.startswith(".")
        or any(ch in slug for ch in "/\\\0")
        or Path(slug).name != slug
    ):
        raise StoreError(f"not a card name usable for history: {slug!r}")


def _entries(folder: Path) -> list[Path]:
    """The folder's entries sorted by name (oldest version first); none if it cannot be listed."""
    try:
        return sorted(folder.iterdir(), key=lambda p: p.name)
    except OSError:
        return []


def _ensure_folder(folder: Path) -> None:
    root = folder.parent
    with _FOLDER_LOCK:
        root.mkdir(parents=True, exist_ok=True)
        ignore = root / GITIGNORE_NAME
        if not ignore.exists():
            atomic_write(ignore, GITIGNORE_TEXT)
        folder.mkdir(exist_ok=True)


def _next_stamp(newest: Version | None) -> _dt.datetime:
    """Now, but always after the newest version, so names stay unique and in recording order
    even when two versions land in the same microsecond or the clock steps back."""
    now = _dt.datetime.now(_dt.timezone.utc).replace(tzinfo=None)
    if newest is None:
        return now
    last = _dt.datetime.strptime(newest.path.name.split("-", 1)[0], _STAMP_FORMAT)
    return max(now, last + _dt.timedelta(microseconds=1))


def _read_version(path: Path) -> Version | None:
    match = _VERSION_NAME.match(path.name)
    if match is None or match["kind"] not in KINDS:
        return None
    try:
        stamp = _dt.datetime.strptime(match["stamp"], _STAMP_FORMAT)
        meta, body = parse_card(path.read_bytes().decode("utf-8-sig"))
    except (OSError, ValueError, StoreError):
        return None  # UnicodeDecodeError is a ValueError
    digest = body_sha256(body)
    if not digest.startswith(match["sha"]):
        return None
    created = stamp.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return Version(path, match["kind"], created, digest, meta, body)
