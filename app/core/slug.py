"""File-name slugs that are safe on Linux, macOS and Windows and never leave their folder."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable

MAX_SLUG_LENGTH = 60
FALLBACK_SLUG = "card"
RESERVED_SUFFIX = "-card"

# Windows refuses these as file names, with or without an extension ("nul.txt" too).
WINDOWS_RESERVED = frozenset(
    {"con", "prn", "aux", "nul"}
    | {f"com{i}" for i in range(1, 10)}
    | {f"lpt{i}" for i in range(1, 10)}
)

_SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")
_NOT_SLUG_CHARS = re.compile(r"[^a-z0-9]+")


def is_reserved_name(name: str) -> bool:
    """True when Windows would treat ``name`` (or its part before the first dot) as a device."""
    stem = name.split(".", 1)[0].rstrip(" ")
    return stem.casefold() in WINDOWS_RESERVED


def is_safe_slug(slug: str) -> bool:
    """A slug this module could have produced: lower-case ASCII words joined by dashes."""
    return (
        0 < len(slug) <= MAX_SLUG_LENGTH
        and _SLUG_RE.match(slug) is not None
        and not is_reserved_name(slug)
    )


def slugify(name: str) -> str:
    """A portable, non-empty file stem for ``name`` (without extension)."""
    ascii_text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    slug = _trim(_NOT_SLUG_CHARS.sub("-", ascii_text.lower()))
    if not slug:
        # Names written only in other scripts (CJK, emoji) would all collapse to one fallback;
        # a short hash keeps them distinct and stable across runs.
        return _hashed_slug(name) if _has_visible_non_ascii(name) else FALLBACK_SLUG
    if is_reserved_name(slug):
        slug = _trim(slug[: MAX_SLUG_LENGTH - len(RESERVED_SUFFIX)]) + RESERVED_SUFFIX
    return slug


class TakenSlugs:
    """File stems already used in a folder, compared ignoring case, kept folded once: claiming
    10,000 names stays linear (``unique_slug`` over a plain list folds the whole list each time)."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        self._folded = {name.casefold() for name in names}

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.casefold() in self._folded

    def claim(self, base: str) -> str:
        """``unique_slug(base, self)``, now taken."""
        slug = unique_slug(base, self)
        self._folded.add(slug.casefold())
        return slug


def unique_slug(base: str, taken: Iterable[str] | TakenSlugs) -> str:
    """``base``, or ``base-2``, ``base-3`` ... whichever is free; compared case-insensitively."""
    if not is_safe_slug(base):
        base = slugify(base)
    used = taken if isinstance(taken, TakenSlugs) else {t.casefold() for t in taken}
    if base.casefold() not in used:
        return base
    n = 2
    while True:
        suffix = f"-{n}"
        candidate = _trim(base[: MAX_SLUG_LENGTH - len(suffix)]) + suffix
        if candidate.casefold() not in used:
            return candidate
        n += 1


def _trim(slug: str) -> str:
    return slug[:MAX_SLUG_LENGTH].strip("-")


def _hashed_slug(name: str) -> str:
    # NFC + casefold: the same component (matched case-insensitively) always gets the same slug.
    canonical = unicodedata.normalize("NFC", name).casefold()
    return "card-" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:8]


def _has_visible_non_ascii(name: str) -> bool:
    # Control, format (bidi marks such as U+202E) and space characters carry no name of their own.
    return any(
        ord(ch) > 127 and unicodedata.category(ch)[0] not in ("C", "Z") for ch in name
    )
