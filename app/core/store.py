"""The card folder beside a plan: one file per component, matched by its ``component`` field."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from app.core.card import CardMeta, body_sha256, normalize_body, parse_card, serialize_card
from app.core.fsutil import atomic_write, is_tmp_leftover, remove_tmp_leftovers
from app.core.plan import Component, Plan
from app.core.slug import TakenSlugs, slugify
from app.core.states import CardState
from app.errors import StoreError

if TYPE_CHECKING:
    from app.core.review import CardReview

CARD_SUFFIX = ".md"
CARDS_SUFFIX = ".cards"
HISTORY_DIR = ".history"


@dataclass(frozen=True)
class StoredCard:
    path: Path
    meta: CardMeta
    body: str

    @property
    def edited(self) -> bool:
        return body_sha256(self.body) != self.meta.body_sha256


@dataclass(frozen=True)
class StoreSnapshot:
    """What the card folder holds, as seen against one plan."""

    folder: Path
    cards: dict[str, StoredCard]
    """Component key (casefolded name) -> card."""
    orphans: tuple[StoredCard, ...] = ()
    problems: tuple[str, ...] = ()
    """One line per unreadable or malformed card file; such files are left untouched."""
    slugs: dict[str, str] = field(default_factory=dict)
    """Component key -> file stem for every component of the plan (existing or to be written)."""

    def card(self, component: Component) -> StoredCard | None:
        return self.cards.get(component.key)


def cards_folder(plan_path: Path) -> Path:
    """``guide.md`` and ``guide.plan.md`` -> ``guide.cards/`` beside it."""
    plan_path = Path(plan_path)
    name = plan_path.name
    stem = plan_path.stem
    for suffix in (".plan.md", ".md"):
        if name.lower().endswith(suffix) and len(name) > len(suffix):
            stem = name[: -len(suffix)]
            break
    return plan_path.with_name(stem + CARDS_SUFFIX)


def card_state(card: StoredCard | None, request_sha256: str) -> CardState:
    """Locked wins over edited, edited over stale."""
    if card is None:
        return CardState.MISSING
    if card.meta.locked:
        return CardState.LOCKED
    if card.edited:
        return CardState.EDITED
    if card.meta.request_sha256 != request_sha256:
        return CardState.STALE
    return CardState.DONE


class CardStore:
    def __init__(self, plan_path: Path) -> None:
        self.plan_path = Path(plan_path)
        self.folder = cards_folder(self.plan_path)

    def load(self, plan: Plan) -> StoreSnapshot:
        """Read every card file and match it to the plan; never writes anything."""
        stems: list[str] = []
        problems: list[str] = []
        claims: dict[str, StoredCard] = {}
        loose: list[StoredCard] = []
        plan_keys = {c.key for c in plan.components}
        for path in self._card_entries():
            # Every name is taken, even unreadable files and stray folders: nothing may overwrite them.
            stems.append(path.stem)
            if not path.is_file():
                continue
            try:
                card = _read_card(path)
            except StoreError as exc:
                problems.append(f"{self._label(path)}: {exc.message}")
                continue
            key = card.meta.component.casefold()
            if key not in plan_keys:
                loose.append(card)
                continue
            rival = claims.get(key)
            if rival is None:
                claims[key] = card
                continue
            keep, drop = _newer_first(rival, card)
            claims[key] = keep
            problems.append(
                f"{self._label(drop.path)}: also holds component {drop.meta.component!r}; "
                f"kept the newer {keep.path.name}"
            )
        return StoreSnapshot(
            folder=self.folder,
            cards=claims,
            orphans=tuple(loose),
            problems=tuple(problems),
            slugs=_assign_slugs(plan, claims, stems),
        )

    def cleanup_tmp(self) -> list[Path]:
        """Remove ``.*.tmp`` files that a killed run left in the card folder and its history."""
        removed = remove_tmp_leftovers(self.folder)
        # A kill while a history version was being written leaves its .tmp in .history/<slug>/.
        history = self.folder / HISTORY_DIR
        removed += remove_tmp_leftovers(history)
        try:
            versions = [p for p in history.iterdir() if p.is_dir() and not p.is_symlink()]
        except OSError:
            versions = []
        for folder in versions:
            removed += remove_tmp_leftovers(folder)
        return removed

    def write_card(self, snapshot: StoreSnapshot, meta: CardMeta, body: str) -> Path:
        """Atomically write (create or replace) the card of ``meta.component``; returns its path."""
        key = meta.component.casefold()
        slug = snapshot.slugs.get(key)
        if slug is None:
            raise StoreError(f"no card file name for component {meta.component!r}: reload the plan first")
        path = self._confined(self.folder / (slug + CARD_SUFFIX))
        self._write(path, serialize_card(meta, body))
        return path

    def set_locked(self, card: StoredCard, locked: bool) -> StoredCard:
        """Lock (approve) or unlock a card, keeping its body and hashes."""
        return self._rewrite(card, replace(card.meta, locked=locked), card.body)

    def set_review(self, card: StoredCard, review: CardReview | None) -> StoredCard:
        """Store (or clear) the card's review, keeping its body and everything else."""
        return self._rewrite(card, replace(card.meta, review=review), card.body)

    def read(self, path: Path) -> StoredCard:
        """The card file at ``path`` as it is on disk now; ``StoreError`` (one line) if unreadable."""
        try:
            return _read_card(self._confined(path))
        except StoreError as exc:
            raise StoreError(f"{self._label(path)}: {exc.message}") from exc

    def save_body(self, card: StoredCard, body: str) -> StoredCard:
        """Store the writer's edit; body_sha256 stays as generated so the card shows as edited."""
        return self._rewrite(card, card.meta, body)

    def reattach(self, snapshot: StoreSnapshot, orphan: StoredCard, component: Component) -> StoredCard:
        """Give an orphan card to ``component``, keeping its file; refused if that one has a card."""
        if snapshot.card(component) is not None:
            raise StoreError(f"component {component.name!r} already has a card")
        return self._rewrite(orphan, replace(orphan.meta, component=component.name), orphan.body)

    def _rewrite(self, card: StoredCard, meta: CardMeta, body: str) -> StoredCard:
        path = self._confined(card.path)
        self._write(path, serialize_card(meta, body))
        return StoredCard(path=path, meta=meta, body=normalize_body(body))

    def _card_entries(self) -> list[Path]:
        if not self.folder.is_dir():
            return []
        try:
            entries = list(self.folder.iterdir())
        except OSError as exc:
            raise StoreError(f"cannot list the card folder {self.folder}: {exc.strerror or exc}") from exc
        chosen = [
            entry
            for entry in entries
            # Hidden names cover .history/, .*.tmp leftovers and editor swap files.
            if not entry.name.startswith(".")
            and not is_tmp_leftover(entry)
            and entry.name.lower().endswith(CARD_SUFFIX)
            and len(entry.name) > len(CARD_SUFFIX)
        ]
        return sorted(chosen, key=lambda p: p.name)

    def _confined(self, path: Path) -> Path:
        """``path`` itself, after checking that it (and any symlink it is) stays in the folder."""
        path = Path(path)
        if path.resolve().parent != self.folder.resolve():
            raise StoreError(f"refusing to write {path}: it is outside the card folder {self.folder}")
        return path

    def _write(self, path: Path, text: str) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            atomic_write(path, text)
        except OSError as exc:
            raise StoreError(f"cannot write {self._label(path)}: {exc.strerror or exc}") from exc

    def _label(self, path: Path) -> str:
        return f"{self.folder.name}/{path.name}"


def _read_card(path: Path) -> StoredCard:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise StoreError(f"cannot read: {exc.strerror or exc}") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise StoreError(f"not UTF-8 text (byte {exc.start})") from exc
    meta, body = parse_card(text)
    return StoredCard(path=path, meta=meta, body=body)


def _newer_first(a: StoredCard, b: StoredCard) -> tuple[StoredCard, StoredCard]:
    """The card with the newer generated_at first; on a tie the first file name wins."""
    ta, tb = _timestamp(a.meta.generated_at), _timestamp(b.meta.generated_at)
    if tb > ta:
        return b, a
    if ta > tb:
        return a, b
    return (a, b) if a.path.name <= b.path.name else (b, a)


def _timestamp(value: str) -> tuple[int, float | str]:
    # Parsed times compare as instants; unparsable ones sort below any parsable one.
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return (0, value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return (1, parsed.timestamp())


def _assign_slugs(plan: Plan, cards: dict[str, StoredCard], stems: list[str]) -> dict[str, str]:
    slugs: dict[str, str] = {}
    taken = TakenSlugs(stems)
    for component in plan.components:
        card = cards.get(component.key)
        if card is not None:
            slugs[component.key] = card.path.stem
            continue
        if component.key in slugs:
            continue
        slugs[component.key] = taken.claim(slugify(component.name))
    return slugs
