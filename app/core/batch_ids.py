"""Batch request ids (``custom_id``) for components, whatever their names: valid, unique, readable.

The Message Batches API takes ids matching ``^[a-zA-Z0-9_-]{1,64}$``, unique within a batch, and
hands results back in any order with only that id. A component name may be Unicode, hold slashes
or run to hundreds of characters, so the id is an ASCII hint of the name plus a hash of the
component's key; the batch state file keeps the id -> component map (formats.md, "The batch
state file"), so a result finds its component without decoding anything.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

from app.core.slug import slugify

CUSTOM_ID_PATTERN = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
MAX_CUSTOM_ID = 64
HASH_CHARS = 16
HINT_CHARS = MAX_CUSTOM_ID - HASH_CHARS - 8
"""Room for the readable part; the rest is the hash and, on a (never yet seen) clash, a counter."""


def is_valid_custom_id(value: str) -> bool:
    return CUSTOM_ID_PATTERN.fullmatch(value) is not None


def custom_id_for(name: str) -> str:
    """``<ascii hint>-<16 hex of the SHA-256 of the casefolded name>``; always valid."""
    digest = hashlib.sha256(name.casefold().encode("utf-8")).hexdigest()[:HASH_CHARS]
    hint = slugify(name)[:HINT_CHARS].strip("-")
    return f"{hint}-{digest}" if hint else digest


def assign_custom_ids(names: Iterable[str]) -> dict[str, str]:
    """Name -> custom_id for every name, unique ignoring case (the API compares them exactly;
    distinct names differing only in case are not possible in a plan, so this is stricter)."""
    ids: dict[str, str] = {}
    taken: set[str] = set()
    for name in names:
        base = custom_id_for(name)
        candidate, n = base, 1
        while candidate.casefold() in taken:
            n += 1
            candidate = f"{base}-{n}"
        taken.add(candidate.casefold())
        ids[name] = candidate
    return ids
