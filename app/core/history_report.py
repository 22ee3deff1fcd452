"""One card's recorded versions as rows for `cardsmith history` and the window's history list."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.core.card import body_sha256
from app.core.history import Version, list_versions
from app.core.plan import Component, Plan
from app.core.pricing import format_cost
from app.core.store import CardStore, StoredCard
from app.errors import UsageError

CURRENT_MARK = "← current"
SHORT_HASH = 8
# Only these kinds sent a request; an edit or a restore keeps the generated card's numbers in its
# front matter, which would read as tokens spent on the edit.
SPENDING_KINDS = frozenset({"generated", "repaired"})


@dataclass(frozen=True)
class HistoryRow:
    """One version, numbered from 1 (oldest)."""

    number: int
    version: Version
    current: bool
    """This version's body is the card file's body now (only the newest such version)."""

    def columns(self) -> list[str]:
        """Number, time, kind, model, tokens, cost, request and body hashes (no marker)."""
        v = self.version
        # A review's request is the reviewer's: its own model, tokens and cost.
        meta = v.meta.review if v.kind == "reviewed" and v.meta.review else v.meta
        spent = v.kind in SPENDING_KINDS or meta is v.meta.review
        tokens = f"in {meta.input_tokens} / out {meta.output_tokens} tok" if spent else "no request"
        cost = format_cost(meta.cost_usd) if spent else "-"
        kind = f"reviewed: {v.meta.review.verdict}" if meta is v.meta.review and v.meta.review else v.kind
        return [
            str(self.number),
            display_time(v.created),
            kind,
            meta.model or "-",
            tokens,
            cost,
            f"request {v.meta.request_sha256[:SHORT_HASH] or '-'}",
            f"body {v.body_sha256[:SHORT_HASH]}",
        ]

    def to_json(self) -> dict[str, Any]:
        v = self.version
        return {
            "number": self.number,
            "created": v.created,
            "kind": v.kind,
            "model": v.meta.model,
            "input_tokens": v.meta.input_tokens,
            "output_tokens": v.meta.output_tokens,
            "cost_usd": v.meta.cost_usd,
            "request_sha256": v.meta.request_sha256,
            "body_sha256": v.body_sha256,
            "verdict": v.meta.review.verdict.value if v.meta.review else None,
            "current": self.current,
            "path": str(v.path),
        }


@dataclass(frozen=True)
class HistoryReport:
    component: str
    slug: str
    card_path: Path | None
    rows: tuple[HistoryRow, ...]

    def lines(self) -> list[str]:
        if not self.rows:
            return [f"no versions recorded for '{self.component}'"]
        table = [row.columns() for row in self.rows]
        widths = [max(len(cells[i]) for cells in table) for i in range(len(table[0]))]
        lines = []
        for row, cells in zip(self.rows, table):
            text = "  ".join(cell.ljust(width) for cell, width in zip(cells, widths)).rstrip()
            lines.append(f"{text}  {CURRENT_MARK}" if row.current else text)
        return lines

    def to_json(self) -> dict[str, Any]:
        return {
            "component": self.component,
            "slug": self.slug,
            "card": str(self.card_path) if self.card_path else None,
            "versions": [row.to_json() for row in self.rows],
        }


def display_time(created: str) -> str:
    """``2026-11-25T18:00:01.123456Z`` -> ``2026-11-25 18:00:01`` (UTC, to the second)."""
    return created.replace("T", " ")[:19]


def history_rows(versions: list[Version], current_body: str | None) -> tuple[HistoryRow, ...]:
    """Number the versions (oldest first) and mark the newest one holding ``current_body``."""
    digest = body_sha256(current_body) if current_body is not None else None
    current_index = next(
        (i for i in range(len(versions) - 1, -1, -1) if versions[i].body_sha256 == digest), None
    )
    return tuple(
        HistoryRow(number=i + 1, version=v, current=i == current_index)
        for i, v in enumerate(versions)
    )


def find_component(plan: Plan, name: str) -> Component:
    """The plan's component called ``name`` (any case); unknown names are a usage error."""
    component = plan.component(name)
    if component is None:
        known = ", ".join(c.name for c in plan.components[:6])
        more = ", ..." if len(plan.components) > 6 else ""
        raise UsageError(f"unknown component '{name}' (the plan has: {known}{more})")
    return component


def card_history(plan_path: Path, plan: Plan, name: str) -> HistoryReport:
    """The recorded versions of component ``name``'s card, beside the plan at ``plan_path``."""
    component = find_component(plan, name)
    store = CardStore(plan_path)
    snapshot = store.load(plan)
    card: StoredCard | None = snapshot.card(component)
    slug = snapshot.slugs[component.key]
    versions = list_versions(store.folder, slug)
    return HistoryReport(
        component=component.name,
        slug=slug,
        card_path=card.path if card else None,
        rows=history_rows(versions, card.body if card else None),
    )
