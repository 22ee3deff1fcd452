"""A card's review as stored in its front matter, and the rule that says whether it is current.

A reviewer model reads a finished card and gives a verdict with notes. The review is bound to the
exact body it read (``body_sha256``): it is current only while the card's body on disk hashes to
that value, so an edit anywhere (the Card tab or any editor) makes it stale, and a regenerated
card, written without a review, has none.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import Enum
from typing import TYPE_CHECKING, Any

from app.core.card import UNKNOWN_COST, Severity, body_sha256, timestamp_text
from app.errors import StoreError

if TYPE_CHECKING:
    from app.core.store import StoreSnapshot

NOTE_SEVERITIES: tuple[str, ...] = ("error", "warning")


class Verdict(str, Enum):
    """The reviewer's word on a card, best first."""

    PASS = "pass"  # publishable as it is
    REVISE = "revise"  # fixable problems: see the notes
    FAIL = "fail"  # wrong at its core

    def __str__(self) -> str:
        return self.value


VERDICTS: tuple[str, ...] = tuple(v.value for v in Verdict)


class ReviewStatus(str, Enum):
    """What a card's review says now: its verdict while current, else none or stale."""

    PASS = "pass"
    REVISE = "revise"
    FAIL = "fail"
    NONE = "none"  # never reviewed (or regenerated since)
    STALE = "stale"  # the body changed since the review read it

    def __str__(self) -> str:
        return self.value

    @property
    def label(self) -> str:
        """The word a writer reads (outline filter, badges)."""
        return "not reviewed" if self is ReviewStatus.NONE else self.value

    @property
    def current(self) -> bool:
        """A verdict that holds for the body on disk."""
        return self in (ReviewStatus.PASS, ReviewStatus.REVISE, ReviewStatus.FAIL)

    @property
    def needs_review(self) -> bool:
        """``cardsmith review`` sends the card without ``--force``."""
        return not self.current


@dataclass(frozen=True)
class ReviewNote:
    """One problem the reviewer found; ``line`` is 1-based in the card body, if it named one."""

    severity: Severity
    message: str
    line: int | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"severity": self.severity}
        if self.line is not None:
            data["line"] = self.line
        data["message"] = self.message
        return data

    @classmethod
    def from_dict(cls, data: object) -> ReviewNote:
        if not isinstance(data, dict):
            raise StoreError("a review note must be a mapping")
        severity, message, line = data.get("severity"), data.get("message"), data.get("line")
        if severity not in NOTE_SEVERITIES:
            raise StoreError(f"a review note has severity {severity!r}; expected error or warning")
        if not isinstance(message, str):
            raise StoreError("a review note's message must be text")
        if line is not None and (not _is_int(line) or line < 1):
            raise StoreError(f"a review note has line {line!r}; expected a positive whole number")
        return cls(severity=severity, message=message, line=line)


@dataclass(frozen=True)
class CardReview:
    """The ``review:`` mapping of a card's front matter, in the order it is written."""

    model: str
    verdict: Verdict
    body_sha256: str
    """Hash of the body the reviewer read (``app.core.card.body_sha256``)."""
    notes: tuple[ReviewNote, ...] = field(default=())
    summary: str = ""
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = None
    """None: the model has no price ("unknown" in the file)."""
    reviewed_at: str = ""
    """ISO 8601 UTC, e.g. 2026-12-03T12:00:00Z."""

    @property
    def errors(self) -> int:
        return sum(1 for note in self.notes if note.severity == "error")

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "verdict": self.verdict.value,
            "body_sha256": self.body_sha256,
            "notes": [note.to_dict() for note in self.notes],
            "summary": self.summary,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cost_usd": UNKNOWN_COST if self.cost_usd is None else float(self.cost_usd),
            "reviewed_at": self.reviewed_at,
        }

    @classmethod
    def from_dict(cls, data: object) -> CardReview:
        """Validate a stored ``review:`` mapping; a wrong type raises ``StoreError`` (one line)."""
        if not isinstance(data, dict):
            raise StoreError("card 'review' must be a mapping")
        verdict = data.get("verdict")
        if verdict not in VERDICTS:
            raise StoreError(f"card review verdict is {verdict!r}; expected one of: {', '.join(VERDICTS)}")
        notes = data.get("notes") or []
        if not isinstance(notes, list):
            raise StoreError("card review 'notes' must be a list")
        cost = data.get("cost_usd")
        if cost == UNKNOWN_COST:
            cost = None
        if cost is not None and (isinstance(cost, bool) or not isinstance(cost, (int, float)) or cost < 0):
            raise StoreError(f"card review 'cost_usd' must be a number >= 0 or \"unknown\", not {cost!r}")
        return cls(
            model=_text(data, "model"),
            verdict=Verdict(verdict),
            body_sha256=_text(data, "body_sha256"),
            notes=tuple(ReviewNote.from_dict(n) for n in notes),
            summary=_text(data, "summary"),
            input_tokens=_count(data, "input_tokens"),
            output_tokens=_count(data, "output_tokens"),
            cost_usd=None if cost is None else float(cost),
            reviewed_at=timestamp_text(data.get("reviewed_at"), "card review 'reviewed_at'"),
        )


def review_status(review: CardReview | None, body: str) -> ReviewStatus:
    """The currency rule: a review holds only for the body it read."""
    if review is None:
        return ReviewStatus.NONE
    if review.body_sha256 != body_sha256(body):
        return ReviewStatus.STALE
    return ReviewStatus(review.verdict.value)


def review_json(review: CardReview | None, status: ReviewStatus) -> dict[str, Any]:
    """A card's review for ``lint --json``, ``review --json`` and ``bundle.json``."""
    data: dict[str, Any] = {"status": status.value}
    if review is not None:
        data.update(
            model=review.model,
            verdict=review.verdict.value,
            reviewed_at=review.reviewed_at or None,
            notes=[note.to_dict() for note in review.notes],
            summary=review.summary,
        )
    return data


def _text(data: dict[str, Any], key: str) -> str:
    value = data.get(key, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise StoreError(f"card review '{key}' must be text")
    return value


def _count(data: dict[str, Any], key: str) -> int:
    value = data.get(key) or 0
    if not _is_int(value) or value < 0:
        raise StoreError(f"card review '{key}' must be a whole number >= 0, not {value!r}")
    return int(value)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def only_passed(snapshot: StoreSnapshot) -> tuple[StoreSnapshot, int]:
    """The snapshot with only the cards whose current review is a pass, and how many it left out
    (``export --reviewed-only``)."""
    kept = {
        key: card for key, card in snapshot.cards.items()
        if review_status(card.meta.review, card.body) is ReviewStatus.PASS
    }
    return replace(snapshot, cards=kept), len(snapshot.cards) - len(kept)
