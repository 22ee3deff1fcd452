"""Cards for tests: a small card body, its front matter, card files on disk (as generation
leaves them), and what a plan's card folder holds after a run."""

from __future__ import annotations

from pathlib import Path

from app.core.card import CardMeta, body_sha256, parse_card, serialize_card
from app.core.plan import Plan
from app.core.store import CardStore, StoredCard, cards_folder

MODEL = "claude-haiku-4-5"
REQUEST_SHA = "r" * 64
GENERATED_AT = "2026-01-01T00:00:00Z"


def card_body(name: str) -> str:
    """A card that keeps the contract, with a code line that looks like a heading but is code."""
    return (
        f"# {name}\n\nExplains {name}. It is small.\n\n```ts\n// # not a heading\nconst x = 1;\n```\n\n"
        "## Why this works\nIt is simple. It is clear.\n"
    )


BODY = card_body("User Model")


def card_meta(component: str, body: str = BODY, **fields: object) -> CardMeta:
    """Front matter of a card generated for ``body``: this model, request hash and time unless
    ``fields`` say otherwise."""
    values: dict[str, object] = {
        "model": MODEL, "request_sha256": REQUEST_SHA, "body_sha256": body_sha256(body),
        "generated_at": GENERATED_AT,
    }  # fmt: skip
    values.update(fields)
    return CardMeta(component=component, **values)  # type: ignore[arg-type]


def write_card_file(folder: Path, stem: str, component: str, body: str = BODY, **fields: object) -> Path:
    """A card file ``<stem>.md`` written directly, as another program would (no store)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{stem}.md"
    path.write_text(serialize_card(card_meta(component, body, **fields), body), encoding="utf-8")
    return path


def store_card(store: CardStore, plan: Plan, component: str, body: str, **fields: object) -> Path:
    """A generated card saved through the store, as a run saves it."""
    return store.write_card(store.load(plan), card_meta(component, body, **fields), body)


def card_files(plan: Path) -> list[Path]:
    """The card files in ``plan``'s folder of cards (not temporary files, not history)."""
    return sorted(p for p in cards_folder(plan).glob("*.md") if not p.name.startswith("."))


def stored_cards(plan: Path) -> dict[str, tuple[CardMeta, str]]:
    """Every card file of ``plan``, parsed: component -> (front matter, body). Two files of one
    component fail the test."""
    found: dict[str, tuple[CardMeta, str]] = {}
    for path in card_files(plan):
        meta, body = parse_card(path.read_text(encoding="utf-8"), source=path.name)
        assert meta.component not in found, f"{path.name}: a second file of {meta.component!r}"
        found[meta.component] = (meta, body)
    return found


def one_card_store(folder: Path, name: str, language: str = "typescript") -> CardStore:
    """The card store of a plan with one component, ``name``, written in ``folder``."""
    plan = folder / "guide.md"
    plan.write_text(f"---\nlanguage: {language}\n---\n## {name}\n", encoding="utf-8")
    return CardStore(plan)


def put_card(store: CardStore, name: str, stem: str, body: str, *, generated: str | None = None,
             locked: bool = False) -> StoredCard:
    """Write ``stem``.md into the store's folder holding ``body``; ``generated`` is the body it was
    generated with (``body`` itself by default: an unedited card). Returns the card as read back."""
    meta = card_meta(name, body if generated is None else generated, locked=locked)
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
