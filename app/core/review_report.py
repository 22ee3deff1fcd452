"""What `cardsmith review` reports: each card's review as it is on disk after the run, and why
some have none. Text lines for a terminal, or JSON (``--json``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.core.lint_report import body_line_of
from app.core.plan import Component, Plan
from app.core.pricing import format_cost
from app.core.review import CardReview, ReviewStatus, review_json, review_status
from app.core.store import StoreSnapshot


@dataclass(frozen=True)
class ReviewedCard:
    component: str
    file: str
    status: ReviewStatus
    review: CardReview | None
    sent: bool
    """A review request was sent for it in this run."""
    body_line: int = 1
    """The file line where the body starts (note lines count from the body)."""


@dataclass
class ReviewReport:
    plan_path: Path
    model: str
    cards: list[ReviewedCard] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    """Component -> why its review failed in this run (request failed, malformed, card changed)."""
    not_fixed: dict[str, str] = field(default_factory=dict)
    """Component -> why ``--fix`` left its card as it was."""
    cost_usd: float = 0.0
    cost_complete: bool = True
    interrupted: bool = False

    @property
    def exit_code(self) -> int:
        """0 when every card's current review passes; 1 otherwise (130 when interrupted)."""
        if self.interrupted:
            return 130
        if self.failed or any(c.status is not ReviewStatus.PASS for c in self.cards):
            return 1
        return 0

    def counts(self) -> dict[str, int]:
        counts = {status.value: 0 for status in ReviewStatus}
        for card in self.cards:
            counts[card.status.value] += 1
        return counts

    def lines(self) -> list[str]:
        out: list[str] = []
        for card in self.cards:
            if card.status is ReviewStatus.PASS:
                continue
            head = f"{card.file}: {card.status.label}"
            if card.component in self.failed:
                head += f" · review failed: {self.failed[card.component]}"
            out.append(head)
            review = card.review if card.status.current else None
            for note in review.notes if review else ():
                where = f":{note.line + card.body_line - 1}" if note.line is not None else ""
                out.append(f"  {card.file}{where}: {note.severity}: {note.message}")
            if review is not None and review.summary:
                out.append(f"  summary: {review.summary}")
        out += [f"not fixed: {name}: {why}" for name, why in self.not_fixed.items()]
        sent = sum(1 for c in self.cards if c.sent)
        counts = self.counts()
        shown = ", ".join(f"{n} {ReviewStatus(s).label}" for s, n in counts.items() if n) or "no cards"
        cost = format_cost(self.cost_usd) + ("" if self.cost_complete else " + unknown")
        cards = "1 card" if len(self.cards) == 1 else f"{len(self.cards)} cards"
        summary = f"{cards} reviewed by {self.model}: {shown} · {sent} sent · {cost}"
        if self.missing:
            summary += f" · {len(self.missing)} without a card"
        out.append(summary)
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "plan": str(self.plan_path),
            "model": self.model,
            "cards": [
                {"component": c.component, "file": c.file, "sent": c.sent,
                 "review": review_json(c.review, c.status), "failed": self.failed.get(c.component)}
                for c in self.cards
            ],
            "missing": self.missing,
            "not_fixed": [{"component": n, "reason": why} for n, why in self.not_fixed.items()],
            "totals": {**self.counts(), "failed": len(self.failed), "cost_usd": round(self.cost_usd, 6),
                       "cost_complete": self.cost_complete},
            "exit_code": self.exit_code,
        }


def review_report(
    plan_path: Path, plan: Plan, snapshot: StoreSnapshot, components: list[Component], model: str,
    sent: set[str],
) -> ReviewReport:
    """The report of ``components`` as the card folder holds them now."""
    report = ReviewReport(Path(plan_path), model)
    for component in components:
        card = snapshot.card(component)
        if card is None:
            report.missing.append(component.name)
            continue
        status = review_status(card.meta.review, card.body)
        file = f"{snapshot.folder.name}/{card.path.name}"
        report.cards.append(ReviewedCard(component.name, file, status, card.meta.review,
                                         component.name in sent, body_line_of(card.path)))
    return report
