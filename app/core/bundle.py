"""What goes into every bundle: the cards in plan order with portable file names, the index and
bundle.json; shared by the folder formats (app.core.export) and the site formats (app.core.export_sites)."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote

from app.core.card import Finding
from app.core.lint import lint_card
from app.core.plan import Component, Plan
from app.core.review import review_json, review_status
from app.core.slug import is_safe_slug, slugify, unique_slug
from app.core.store import StoredCard, StoreSnapshot

INDEX_NAME = "index.md"
BUNDLE_JSON_NAME = "bundle.json"


@dataclass(frozen=True)
class BundleEntry:
    component: Component
    card: StoredCard
    file: str


def bundle_entries(plan: Plan, snapshot: StoreSnapshot) -> list[BundleEntry]:
    """Cards in plan order, each with a portable file name that no other bundle file uses."""
    entries: list[BundleEntry] = []
    taken: set[str] = {Path(INDEX_NAME).stem}
    for component in plan.components:
        card = snapshot.card(component)
        if card is None:
            continue
        stem = snapshot.slugs.get(component.key) or card.path.stem
        # Card files renamed by hand may not be portable; the bundle may land on another system.
        if not is_safe_slug(stem):
            stem = slugify(component.name)
        stem = unique_slug(stem, taken)
        taken.add(stem)
        entries.append(BundleEntry(component=component, card=card, file=stem + ".md"))
    return entries


def index_markdown(plan: Plan, entries: list[BundleEntry]) -> str:
    parts = title_and_context(plan)
    if entries:
        parts.append(
            "\n".join(
                f"{n}. [{link_text(e.component.name)}]({quote(e.file)})"
                for n, e in enumerate(entries, start=1)
            )
        )
    return "\n\n".join(parts) + "\n"


def title_and_context(plan: Plan) -> list[str]:
    parts = [f"# {plan.settings.title.strip()}"]
    context = plan.context.replace("\r\n", "\n").replace("\r", "\n").strip()
    if context:
        parts.append(context)
    return parts


def link_text(name: str) -> str:
    return re.sub(r"([\\\[\]])", r"\\\1", name)


def _findings(plan: Plan, entry: BundleEntry) -> tuple[Finding, ...]:
    """The card's findings as its text is now: a card edited outside the app is linted again."""
    if not entry.card.edited:
        return entry.card.meta.findings
    return tuple(lint_card(entry.card.body, plan.contract_for(entry.component)))


def bundle_json(plan: Plan, entries: list[BundleEntry], files: dict[str, bytes]) -> str:
    cards: list[dict[str, Any]] = []
    for entry in entries:
        meta = entry.card.meta
        cards.append(
            {
                "component": entry.component.name,
                "file": entry.file,
                "sha256": sha256(files[entry.file]),
                "model": meta.model,
                "generated_at": meta.generated_at or None,
                "input_tokens": meta.input_tokens,
                "output_tokens": meta.output_tokens,
                "cost_usd": meta.cost_usd,
                "edited": entry.card.edited,
                "locked": meta.locked,
                "findings": [f.to_dict() for f in _findings(plan, entry)],
                "review": review_json(meta.review, review_status(meta.review, entry.card.body)),
            }
        )
    known_costs = [e.card.meta.cost_usd for e in entries if e.card.meta.cost_usd is not None]
    data = {
        "title": plan.settings.title,
        "model": plan.settings.model,
        "generated_at": _newest([e.card.meta.generated_at for e in entries]),
        "cards": cards,
        "totals": {
            "cards": len(entries),
            "input_tokens": sum(e.card.meta.input_tokens for e in entries),
            "output_tokens": sum(e.card.meta.output_tokens for e in entries),
            # The sum of the known costs; cost_complete says whether some were unknown.
            "cost_usd": round(sum(known_costs), 6),
            "cost_complete": len(known_costs) == len(entries),
        },
    }
    return json_text(data)


def _newest(stamps: list[str]) -> str | None:
    best: tuple[float, str] | None = None
    for stamp in stamps:
        moment = _instant(stamp)
        if moment is not None and (best is None or (moment, stamp) > best):
            best = (moment, stamp)
    return best[1] if best else None


def _instant(stamp: str) -> float | None:
    try:
        parsed = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.timestamp()


def json_text(data: Any) -> str:
    return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
