"""`cardsmith lint`: the plan's issues and every card re-linted against the plan's current contract."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.core.card import Finding, body_start_line
from app.core.lint import SyntaxChecker, lint_card, offline_syntax
from app.core.plan import Plan, PlanIssue, load_plan
from app.core.prompt import build_request
from app.core.review import CardReview, ReviewStatus, review_json, review_status
from app.core.store import CardStore, card_state
from app.errors import CardsmithError


@dataclass(frozen=True)
class CardReport:
    component: str
    file: str
    state: str
    findings: tuple[Finding, ...]
    body_line: int = 1
    """The file line where the body starts: finding lines count from the body, editors from the file."""
    review: CardReview | None = None
    review_status: ReviewStatus = ReviewStatus.NONE

    def file_line(self, finding: Finding) -> int | None:
        return None if finding.line is None else finding.line + self.body_line - 1


@dataclass
class LintReport:
    plan_path: Path
    plan: Plan
    cards: list[CardReport] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    orphans: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def card_errors(self) -> int:
        return sum(1 for c in self.cards for f in c.findings if f.severity == "error")

    @property
    def card_warnings(self) -> int:
        return sum(1 for c in self.cards for f in c.findings if f.severity == "warning")

    @property
    def exit_code(self) -> int:
        if self.plan.errors:
            return 2
        return 1 if self.card_errors or self.problems else 0

    def lines(self) -> list[str]:
        name = str(self.plan_path)
        out = [_issue_line(name, i) for i in self.plan.issues]
        if self.plan.errors:
            out.append(f"{name}: {len(self.plan.errors)} plan errors; cards not checked")
            return out
        for card in self.cards:
            for f in card.findings:
                where = f"{card.file}:{card.file_line(f)}" if f.line else card.file
                out.append(f"{where}: {f.severity}: {f.rule}: {f.message}")
        out += [f"{p}" for p in self.problems]
        out += [f"orphan card (its component left the plan): {o}" for o in self.orphans]
        summary = (
            f"{len(self.cards)} cards: {self.card_errors} errors, {self.card_warnings} warnings"
            f" · {len(self.missing)} missing · {len(self.orphans)} orphans"
        )
        if self.problems:
            summary += f" · {len(self.problems)} unreadable"
        reviewed = Counter(c.review_status.label for c in self.cards)
        if self.cards and reviewed != Counter({ReviewStatus.NONE.label: len(self.cards)}):
            summary += " · reviews: " + ", ".join(f"{n} {s}" for s, n in sorted(reviewed.items()))
        out.append(summary)
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "plan": {
                "path": str(self.plan_path),
                "title": self.plan.settings.title,
                "components": len(self.plan.components),
                "issues": [
                    {"line": i.line, "severity": i.severity, "message": i.message}
                    for i in self.plan.issues
                ],
            },
            "cards": [
                {
                    "component": c.component,
                    "file": c.file,
                    "state": c.state,
                    "findings": [
                        {**f.to_dict(), "file_line": c.file_line(f)} for f in c.findings
                    ],
                    "review": review_json(c.review, c.review_status),
                }
                for c in self.cards
            ],
            "missing": self.missing,
            "orphans": self.orphans,
            "problems": self.problems,
            "totals": {"errors": self.card_errors, "warnings": self.card_warnings},
            "exit_code": self.exit_code,
        }


def _issue_line(name: str, issue: PlanIssue) -> str:
    return f"{name}:{issue.line}: {issue.severity}: {issue.message}"


def lint_plan_and_cards(
    plan_path: Path, *, syntax_checker: SyntaxChecker | None = offline_syntax
) -> LintReport:
    """Lint the plan and its cards; ``syntax_checker=None`` leaves the code's syntax unchecked."""
    plan = load_plan(plan_path)
    report = LintReport(plan_path, plan)
    if plan.errors:
        return report
    store = CardStore(plan_path)
    snapshot = store.load(plan)
    report.problems = list(snapshot.problems)
    report.orphans = [o.meta.component for o in snapshot.orphans]
    for component in plan.components:
        card = snapshot.card(component)
        if card is None:
            report.missing.append(component.name)
            continue
        findings = lint_card(card.body, plan.contract_for(component), syntax_checker=syntax_checker)
        state = card_state(card, build_request(plan, component).sha256())
        rel = f"{store.folder.name}/{card.path.name}"
        report.cards.append(
            CardReport(component.name, rel, state.value, tuple(findings), body_line_of(card.path),
                       card.meta.review, review_status(card.meta.review, card.body))
        )
    return report


def body_line_of(path: Path) -> int:
    try:
        return body_start_line(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, CardsmithError):
        return 1
