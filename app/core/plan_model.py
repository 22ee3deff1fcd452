"""The parsed plan's data types, and how issue messages show a writer's text."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from app.core.contract import CardContract

Severity = Literal["error", "warning"]

PROVIDERS: tuple[str, ...] = ("anthropic", "openai-compatible")
"""The front matter's ``provider`` values: the engine's ``ProviderKind``s (a test keeps them equal)."""

_MAX_SHOWN_CHARS = 40


@dataclass(frozen=True)
class PlanIssue:
    """One problem in a plan file; ``line`` is 1-based."""

    line: int
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass(frozen=True)
class PlanSettings:
    title: str = "Untitled plan"
    language: str = "typescript"
    model: str = "claude-haiku-5-5"
    max_code_lines: int = 15
    column_px: int = 400
    concurrency: int = 4
    max_tokens: int = 1024
    """The card's own budget; thinking adds its headroom on top (``app.core.thinking``)."""
    effort: str = "low"
    """How much a model with adaptive thinking thinks: low, medium, high, xhigh or max. Low: an
    example card needs working code, not a long deliberation, and comes back fastest."""
    thinking: str = "adaptive"
    """``adaptive`` (the model thinks when a component needs it) or ``off``."""
    target: str | None = None
    """The documentation site the cards are published on (``app.core.targets.SITE_TARGETS``)."""
    draft_model: str | None = None
    """The model that drafts additions to this plan (``cardsmith draft --into``); None: the role's."""
    provider: str | None = None
    """One of ``PROVIDERS``; None: the window's Settings, the environment, else Anthropic."""
    base_url: str | None = None
    """The provider's server; None: the provider's default."""
    given: frozenset[str] = field(default=frozenset(), compare=False)
    """The front matter keys the plan sets; every other value is a default (a local provider
    picks its own model and concurrency where the plan names none)."""
    review_model: str | None = None
    """The reviewer's model; None: the review role's default (``app.engine.roles``)."""


@dataclass(frozen=True)
class Component:
    name: str
    instruction: str
    line: int
    """1-based line of the component's ``## `` heading."""

    @property
    def key(self) -> str:
        """Case-insensitive identity used to match cards to components."""
        return self.name.casefold()


@dataclass(frozen=True)
class Plan:
    settings: PlanSettings
    context: str
    components: tuple[Component, ...]
    issues: tuple[PlanIssue, ...] = field(default=())

    @property
    def errors(self) -> tuple[PlanIssue, ...]:
        return tuple(i for i in self.issues if i.severity == "error")

    @property
    def warnings(self) -> tuple[PlanIssue, ...]:
        return tuple(i for i in self.issues if i.severity == "warning")

    @property
    def ok(self) -> bool:
        return not self.errors

    def component(self, name: str) -> Component | None:
        key = name.casefold()
        return next((c for c in self.components if c.key == key), None)

    def contract_for(self, component: Component) -> CardContract:
        s = self.settings
        return CardContract(
            name=component.name,
            language=s.language,
            max_code_lines=s.max_code_lines,
            column_px=s.column_px,
            target=s.target,
        )


# --- showing the writer's text in issue messages ----------------------------------------------


def shorten(text: str, limit: int = _MAX_SHOWN_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def quote(text: str) -> str:
    """A name or value as one short quoted line, whatever whitespace or length it has."""
    return "'" + shorten(" ".join(text.split())) + "'"
