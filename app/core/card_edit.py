"""The Card tab's rules for writing a card the writer changed: an edit, a lock, a revert, a restore.

Every body written is linted by core's one lint (syntax check included) and stored with its
findings; an edit keeps the generated ``body_sha256``, so the card reads as edited; every body
written is recorded in the card's history, and so is the body it replaces when history has never
seen it, so that nothing the writer had is lost. Writes are atomic (``CardStore``); a file error
raises ``StoreError`` (one line).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from app.core.card import Finding, body_sha256, normalize_body
from app.core.contract import CardContract
from app.core.history import Version, VersionKind, find_by_body_hash, record_version
from app.core.lint import lint_card
from app.core.states import CardState
from app.core.store import CardStore, StoredCard


def edit_state(card: StoredCard, fresh: CardState) -> CardState:
    """The state of a card the writer may change: locked wins over edited; an unchanged, unlocked
    card is ``fresh`` (done, or stale when its component's request changed since it was made)."""
    if card.meta.locked:
        return CardState.LOCKED
    return CardState.EDITED if card.edited else fresh


@dataclass(frozen=True)
class EditSession:
    """Writes one component's card as the writer changes it.

    Each method takes the card as it is now and returns the card as written, or None when there
    is nothing to write (the same text, a locked card, nothing to go back to).
    """

    store: CardStore
    contract: CardContract

    def lint(self, body: str) -> tuple[Finding, ...]:
        """The findings of a body: core's one lint, syntax included."""
        return tuple(lint_card(body, self.contract))

    def save_edit(self, card: StoredCard, body: str) -> StoredCard | None:
        """Write the writer's text as the card (an "edited" version in history)."""
        body = normalize_body(body)
        if body == card.body or card.meta.locked:
            return None
        return self._write(card, body, "edited")

    def set_locked(self, card: StoredCard, locked: bool) -> StoredCard:
        """Approve (lock) or unlock the card; its body and hashes stay as they are."""
        return self.store.set_locked(card, locked)

    def generated_version(self, card: StoredCard) -> Version | None:
        """What Revert goes back to: the generated body, found in history by the card's
        ``body_sha256`` (None when the card is not edited or history does not hold it)."""
        if not card.edited:
            return None
        return find_by_body_hash(self.store.folder, card.path.stem, card.meta.body_sha256)

    def revert(self, card: StoredCard) -> StoredCard | None:
        """Back to the generated body (a "restored" version in history)."""
        version = self.generated_version(card)
        return None if version is None else self.restore(card, version.body)

    def restore(self, card: StoredCard, body: str) -> StoredCard | None:
        """Write an earlier version's body as the card (a "restored" version in history)."""
        body = normalize_body(body)
        if body == card.body or card.meta.locked:
            return None
        return self._write(card, body, "restored")

    def _write(self, card: StoredCard, body: str, kind: VersionKind) -> StoredCard:
        self._keep_current(card)
        # The front matter's findings describe the body it is stored with, edits included.
        linted = replace(card, meta=replace(card.meta, findings=self.lint(body)))
        written = self.store.save_body(linted, body)
        record_version(self.store.folder, written.path.stem, written.meta, written.body, kind)
        return written

    def _keep_current(self, card: StoredCard) -> None:
        """The body about to be replaced stays restorable even when history never saw it (a card
        made by an older version, copied in, or changed outside the app)."""
        folder, slug = self.store.folder, card.path.stem
        if find_by_body_hash(folder, slug, body_sha256(card.body)) is None:
            kind: VersionKind = "edited" if card.edited else "generated"
            record_version(folder, slug, card.meta, card.body, kind)
