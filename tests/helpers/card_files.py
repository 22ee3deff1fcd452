"""Card files on disk as generation leaves them, for tests of the code that changes them."""

from __future__ import annotations

from pathlib import Path

from app.core.card import CardMeta, body_sha256, parse_card, serialize_card
from app.core.store import CardStore, StoredCard, cards_folder


def one_card_store(folder: Path, name: str, language: str = "typescript") -> CardStore:
    """The card store of a plan with one component, ``name``, written in ``folder``."""
    plan = folder / "guide.md"
    plan.write_text(f"---\nlanguage: {language}\n---\n## {name}\n", encoding="utf-8")
    return CardStore(plan)


def put_card(store: CardStore, name: str, stem: str, body: str, *, generated: str | None = None,
             locked: bool = False) -> StoredCard:
    """Write ``stem``.md into the store's folder holding ``body``; ``generated`` is the body it was
    generated with (``body`` itself by default: an unedited card). Returns the card as read back."""
    meta = CardMeta(component=name, model="claude-haiku-4-5", request_sha256="r" * 64,
                    body_sha256=body_sha256(body if generated is None else generated),
                    generated_at="2026-01-01T00:00:00Z", locked=locked)
    store.folder.mkdir(parents=True, exist_ok=True)
    path = store.folder / f"{stem}.md"
    path.write_text(serialize_card(meta, body), encoding="utf-8")
    meta, body = parse_card(path.read_text(encoding="utf-8"))
    return StoredCard(path, meta, body)


def card_file(plan: Path, stem: str) -> Path:
    """The file of card ``stem`` beside ``plan``."""
    return cards_folder(plan) / f"{stem}.md"


def read_card(plan: Path, stem: str) -> tuple[CardMeta, str]:
    """The front matter and body of card ``stem`` beside ``plan``, as on disk now."""
    return parse_card(card_file(plan, stem).read_text(encoding="utf-8"))
