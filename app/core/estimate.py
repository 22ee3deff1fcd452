"""Tokens and cost of a run before it is sent: an offline estimate, or exact input counts."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from app.core.plan import Plan
from app.core.models import lookup, model_table
from app.core.pricing import LOCAL_COST_TEXT, format_cost
from app.core.prompt import build_request
from app.core.states import CardState, should_send
from app.core.store import CardStore, card_state

CHARS_PER_TOKEN = 3.5
"""English prose and code average 3.5-4 characters per token; erring low over-estimates cost."""
TYPICAL_OUTPUT_TOKENS = 450
"""A finished card (heading, 2-3 sentences, <= 15 code lines, why section) is ~300-500 tokens."""


def approx_tokens(text: str, tokenizer_ratio: float = 1.0) -> int:
    """Offline count, scaled for a model whose tokenizer counts more (models.json)."""
    return math.ceil(len(text) / CHARS_PER_TOKEN * tokenizer_ratio)


@dataclass(frozen=True)
class CardEstimate:
    component: str
    state: CardState
    input_tokens: int
    exact: bool


@dataclass(frozen=True)
class Estimate:
    model: str
    max_tokens: int
    cards: tuple[CardEstimate, ...]
    price_checked: str
    input_price: float | None
    output_price: float | None
    exact_unavailable: str = ""
    """Why exact counts were asked for but not given (the provider cannot count tokens)."""
    local: bool = False
    """The cards go to a local model server: no cost."""

    @property
    def to_send(self) -> tuple[CardEstimate, ...]:
        return tuple(c for c in self.cards if should_send(c.state))

    def _cost(self, output_per_card: int) -> float | None:
        if self.input_price is None or self.output_price is None:
            return None
        cards = self.to_send
        inp = sum(c.input_tokens for c in cards)
        return (inp * self.input_price + len(cards) * output_per_card * self.output_price) / 1e6

    def lines(self) -> list[str]:
        send = self.to_send
        kind = "exact" if send and all(c.exact for c in send) else "estimated"
        inp = sum(c.input_tokens for c in send)
        typical = min(TYPICAL_OUTPUT_TOKENS, self.max_tokens)
        lines = [
            f"{len(send)} of {len(self.cards)} cards would be sent to {self.model}",
            f"input tokens ({kind}): {inp:,}",
            f"output tokens: ~{typical * len(send):,} typical, at most {self.max_tokens * len(send):,}",
            f"cost: {LOCAL_COST_TEXT} (a local model server)" if self.local else
            f"cost: ~{format_cost(self._cost(typical))} typical,"
            f" at most {format_cost(self._cost(self.max_tokens))}"
            f" (prices checked {self.price_checked})",
        ]
        if self.exact_unavailable:
            lines.append(f"exact counts unavailable: {self.exact_unavailable}; input tokens are the offline estimate")
        skipped = [c for c in self.cards if c not in send]
        if skipped:
            counts: dict[str, int] = {}
            for c in skipped:
                counts[c.state.value] = counts.get(c.state.value, 0) + 1
            lines.append("not sent: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())))
        return lines


def estimate_plan(
    plan_path: Path,
    plan: Plan,
    *,
    exact_input_tokens: dict[str, int] | None = None,
    exact_unavailable: str = "",
    model: str | None = None,
    local: bool = False,
) -> Estimate:
    """``model``: the one the run would ask (the plan's by default); ``local``: a local server."""
    model = model or plan.settings.model
    snapshot = CardStore(plan_path).load(plan)
    info = lookup(model)
    cards = []
    for component in plan.components:
        request = build_request(plan, component, model=model)
        state = card_state(snapshot.card(component), request.sha256())
        if exact_input_tokens and component.name in exact_input_tokens:
            tokens, exact = exact_input_tokens[component.name], True
        else:
            text = request.system + "".join(content for _, content in request.messages)
            tokens, exact = approx_tokens(text, info.tokenizer_ratio if info else 1.0), False
        cards.append(CardEstimate(component.name, state, tokens, exact))
    return Estimate(
        model=model,
        max_tokens=plan.settings.max_tokens,
        cards=tuple(cards),
        price_checked=model_table().checked.isoformat(),
        input_price=info.input_per_mtok if info else None,
        output_price=info.output_per_mtok if info else None,
        exact_unavailable=exact_unavailable,
        local=local,
    )
