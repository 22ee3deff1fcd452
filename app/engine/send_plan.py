"""What a generation run will send, decided before anything is sent: its options and, per card,
the request and the send rule's answer (``plan_generation``).

The window decides every card's state with this as soon as a plan opens, so it stays light to
import: the run itself (``app.engine.generate``) is loaded only when a run starts.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from app.core.plan import Component, Plan
from app.core.prompt import CardRequest, build_request
from app.core.states import CardState, should_send
from app.core.store import StoreSnapshot, card_state
from app.engine.roles import Role, request_settings
from app.errors import UsageError


@dataclass(frozen=True)
class GenerateOptions:
    only: tuple[str, ...] = ()
    force: bool = False
    """Regenerate every card that is not locked, edited ones included."""
    concurrency: int | None = None
    """None: the plan's ``concurrency``."""
    model: str | None = None
    """None: the plan's ``model``."""
    max_tokens: int | None = None
    """None: the plan's ``max_tokens`` (the window's settings may override it)."""
    stall_timeout_s: float = 60.0
    max_attempts: int = 4
    seed: int | None = None
    repairs: int = 1
    """Repair requests per card at most when its answer has lint errors; 0 turns repair off."""
    cache: bool = True
    """Mark the shared context for the prompt cache and send the first request alone when it is
    long enough to be cached; False sends every request at once, unmarked."""

    def __post_init__(self) -> None:
        if self.repairs < 0:
            raise UsageError(f"repairs must be 0 or more (got {self.repairs})")


@dataclass(frozen=True)
class PlannedCard:
    component: Component
    request: CardRequest
    state: CardState
    send: bool


def select_components(plan: Plan, only: tuple[str, ...]) -> list[Component]:
    """The components a run considers; an unknown ``--only`` name is a usage error."""
    if not only:
        return list(plan.components)
    chosen: list[Component] = []
    for name in only:
        component = plan.component(name)
        if component is None:
            known = ", ".join(c.name for c in plan.components[:6])
            more = ", ..." if len(plan.components) > 6 else ""
            raise UsageError(f"unknown component '{name}' (the plan has: {known}{more})")
        if component not in chosen:
            chosen.append(component)
    return sorted(chosen, key=plan.components.index)


def plan_generation(
    plan: Plan, snapshot: StoreSnapshot, options: GenerateOptions
) -> list[PlannedCard]:
    settings = request_settings(
        Role.EXECUTE, plan.settings, model=options.model, max_tokens=options.max_tokens
    )
    planned: list[PlannedCard] = []
    for component in select_components(plan, options.only):
        request = build_request(
            plan,
            component,
            model=settings.model,
            max_tokens=settings.max_tokens,
            effort=settings.effort,
            thinking=settings.thinking,
            cache=options.cache,
        )
        state = card_state(snapshot.card(component), request.sha256())
        planned.append(PlannedCard(component, request, state, should_send(state, force=options.force)))
    if sum(p.send for p in planned) < 2:
        # No other request of this run would read the cache: a write would only cost more.
        planned = [replace(p, request=replace(p.request, cache_system=False)) for p in planned]
    return planned
