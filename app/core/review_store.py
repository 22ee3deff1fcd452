"""Storing a review with its card (only on the body it read) and a fix in place of the card it
fixes (only if that card is unchanged): atomically, recorded in history."""

from __future__ import annotations

import logging
from dataclasses import replace

from app.core.card import CardMeta, body_sha256
from app.core.history import VersionKind, find_by_body_hash, record_version
from app.core.review import CardReview
from app.core.store import CardStore, StoredCard
from app.errors import StoreError

log = logging.getLogger(__name__)


class CardChanged(StoreError):
    """The card's body on disk is no longer the body the reviewer read."""


def store_review(store: CardStore, card: StoredCard, review: CardReview) -> StoredCard:
    """Write ``review`` into the front matter of ``card``'s file as it is on disk now.

    The file is read again first: a card edited (or regenerated) while it was being reviewed keeps
    its new body and gets no review (``CardChanged``), since the verdict is about another text.
    """
    current = store.read(card.path)
    if body_sha256(current.body) != review.body_sha256:
        raise CardChanged(f"{card.meta.component}: the card changed while it was being reviewed; "
                          "its review was not stored")
    if current.meta.component.casefold() != card.meta.component.casefold():
        raise CardChanged(f"{card.path.name} now holds another component; the review was not stored")
    written = store.set_review(current, review)
    _record(store, current, [(written, "reviewed")])
    return written


def store_fix(store: CardStore, card: StoredCard, meta: CardMeta, body: str) -> StoredCard:
    """Replace ``card`` with a fix (``meta`` + ``body``), only if the file still holds the card
    that was reviewed and it is neither locked nor edited (the writer's word wins)."""
    current = store.read(card.path)
    if current.body != card.body or current.meta.component.casefold() != meta.component.casefold():
        raise CardChanged(f"{meta.component}: the card changed while it was being fixed; kept as it is")
    if current.meta.locked or current.edited:
        raise CardChanged(f"{meta.component}: the card was locked or edited meanwhile; kept as it is")
    written = store.save_body(replace(current, meta=meta), body)
    _record(store, current, [(written, "repaired")])
    return written


def _record(store: CardStore, before: StoredCard, versions: list[tuple[StoredCard, VersionKind]]) -> None:
    """History: the card as it was (when history never saw its body), then ``versions``."""
    folder, slug = store.folder, before.path.stem
    try:
        if find_by_body_hash(folder, slug, body_sha256(before.body)) is None:
            # Edited elsewhere, or older than history: keep it restorable.
            record_version(folder, slug, before.meta, before.body, "edited" if before.edited else "generated")
        for version, kind in versions:
            record_version(folder, slug, version.meta, version.body, kind)
    except StoreError as exc:
        log.warning("%s", exc.message)  # history is a convenience: the card stands without it
