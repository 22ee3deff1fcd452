"""Tokens, cost and time of a run before it is sent: an offline estimate, or exact input counts;
what the prompt cache would save, and how long the run would take within the account's rate limits."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from app.core.models import ModelInfo, lookup, model_table
from app.core.plan import Plan
from app.core.pricing import LOCAL_COST_TEXT, TokenUsage, format_cost, usage_cost_usd
from app.core.prompt import CardRequest, build_request
from app.core.rate_limits import SeenLimits, load_seen
from app.core.run_budget import (
    PlannedRun,
    StartConcurrency,
    counted_input_tokens,
    predict_seconds,
    start_concurrency,
)
from app.core.states import CardState, should_send
from app.core.store import CardStore, card_state
from app.core.tokens import approx_tokens

TYPICAL_OUTPUT_TOKENS = 450
"""A finished card (heading, 2-3 sentences, <= 15 code lines, why section) is ~300-500 tokens."""


@dataclass(frozen=True)
class CardEstimate:
    component: str
    state: CardState
    input_tokens: int
    """The whole prompt, shared prefix included."""
    exact: bool


@dataclass(frozen=True)
class Estimate:
    model: str
    request: CardRequest
    """A request as the run would send it (its settings are every card's)."""
    cards: tuple[CardEstimate, ...]
    price_checked: str
    prefix_tokens: int
    """The shared prefix (the system prompt), offline count."""
    seen: SeenLimits | None = None
    concurrency: int = 1
    exact_unavailable: str = ""
    """Why exact counts were asked for but not given (the provider cannot count tokens)."""
    local: bool = False
    """The cards go to a local model server: no cost."""

    @property
    def info(self) -> ModelInfo | None:
        return lookup(self.model)

    @property
    def to_send(self) -> tuple[CardEstimate, ...]:
        return tuple(c for c in self.cards if should_send(c.state))

    @property
    def max_tokens(self) -> int:
        """Of each request, as sent (thinking's headroom included)."""
        return self.request.max_tokens

    @property
    def typical_output(self) -> int:
        """A typical card's output tokens, within the card's own budget."""
        return min(TYPICAL_OUTPUT_TOKENS, self.request.card_max_tokens)

    def cost(self, output_per_card: int, *, cached: bool, batch: bool = False) -> float | None:
        """The cards to send at ``output_per_card``; with ``cached`` the first writes the shared
        prefix and the others read it (when the request marks it); ``batch`` at the batch price."""
        total = 0.0
        for n, card in enumerate(self.to_send):
            prefix = min(self.prefix_tokens, card.input_tokens) if cached and self.request.cache_system else 0
            rest = card.input_tokens - prefix
            usage = TokenUsage(rest, output_per_card, cache_write_5m_tokens=prefix if n == 0 else 0,
                               cache_read_tokens=prefix if n else 0, batch=batch)
            cost = usage_cost_usd(self.model, usage)
            if cost is None:
                return None
            total += cost
        return total

    @property
    def planned_run(self) -> PlannedRun:
        prompts = [c.input_tokens for c in self.to_send]
        counted = counted_input_tokens(prompts, self.prefix_tokens, self.request.cache_system)
        return PlannedRun(len(prompts), self.request.max_tokens, counted)

    @property
    def start(self) -> StartConcurrency:
        return start_concurrency(self.seen, self.concurrency, self.planned_run)

    def lines(self) -> list[str]:
        send = self.to_send
        kind = "exact" if send and all(c.exact for c in send) else "estimated"
        inp = sum(c.input_tokens for c in send)
        typical, most = self.typical_output, self.max_tokens
        thinking = " (thinking adds to it)" if self.request.headroom else ""
        lines = [
            f"{len(send)} of {len(self.cards)} cards would be sent to {self.model}{self._settings()}",
            f"input tokens ({kind}): {inp:,}",
            f"output tokens: ~{typical * len(send):,} typical{thinking}, at most {most * len(send):,}",
            f"cost: {LOCAL_COST_TEXT} (a local model server)" if self.local else
            f"cost: ~{format_cost(self.cost(typical, cached=True))} typical,"
            f" at most {format_cost(self.cost(most, cached=True))}"
            f" (prices checked {self.price_checked})",
        ]
        if self.exact_unavailable:
            lines.append(f"exact counts unavailable: {self.exact_unavailable}; input tokens are the offline estimate")
        if send:
            lines += [self._cache_line(typical), self._time_line()]
        skipped = [c for c in self.cards if c not in send]
        if skipped:
            counts: dict[str, int] = {}
            for c in skipped:
                counts[c.state.value] = counts.get(c.state.value, 0) + 1
            lines.append("not sent: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())))
        return lines

    def _settings(self) -> str:
        r = self.request
        if r.thinking == "disabled":
            return " (thinking off)"
        if r.thinking is None:
            return ""
        effort = f", effort {r.effort}" if r.effort else ""
        return f" (thinking adaptive{effort}: +{r.headroom:,} tokens of headroom per request)"

    def _cache_line(self, typical: int) -> str:
        info = self.info
        if info is None:
            return "cache: not used (the model is not in the model table)"
        if not self.request.cache_system:
            if not self.prefix_tokens < info.min_cache_tokens:
                return "cache: not used (no other card of the run would read it)"
            return (f"cache: the shared context (~{self.prefix_tokens:,} tokens) is under {self.model}'s"
                    f" minimum of {info.min_cache_tokens:,} tokens: not cached")
        cached, uncached = self.cost(typical, cached=True), self.cost(typical, cached=False)
        readers = len(self.to_send) - 1
        saved = "" if cached is None or uncached is None or uncached <= 0 else (
            f": saves ~{format_cost(uncached - cached)} ({(uncached - cached) / uncached:.0%}) of the typical cost"
        )
        return (f"cache: the shared context (~{self.prefix_tokens:,} tokens) is written once and read by"
                f" {readers} card{'s' if readers != 1 else ''}{saved}")

    def _time_line(self) -> str:
        seen, start = self.seen, self.start
        seconds = predict_seconds(seen, self.planned_run, start.value)
        if seen is None or seconds is None:
            return f"time: unknown until a run on {self.model} has seen this account's rate limits"
        limited = f"; {start.reason}" if start.reason else ""
        return (f"time: ~{seconds:.1f} s at concurrency {start.value} (~{seen.seconds_per_card:.1f} s per card"
                f" in the last run){limited}; rate limits seen {seen.seen_at}: {seen.limits.describe()}")


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
    ratio = info.tokenizer_ratio if info else 1.0
    cards = []
    requests = [build_request(plan, component, model=model) for component in plan.components]
    states = [card_state(snapshot.card(c), r.sha256()) for c, r in zip(plan.components, requests)]
    if sum(should_send(state) for state in states) < 2:
        # As a run does: with no second card to read it, the prefix is not marked.
        requests = [replace(r, cache_system=False) for r in requests]
    for component, request, state in zip(plan.components, requests, states):
        if exact_input_tokens and component.name in exact_input_tokens:
            tokens, exact = exact_input_tokens[component.name], True
        else:
            text = request.system + "".join(content for _, content in request.messages)
            tokens, exact = approx_tokens(text, ratio), False
        cards.append(CardEstimate(component.name, state, tokens, exact))
    return Estimate(
        model=model,
        request=requests[0],
        cards=tuple(cards),
        price_checked=model_table().checked.isoformat(),
        prefix_tokens=approx_tokens(requests[0].system, ratio),
        seen=load_seen(model),
        concurrency=plan.settings.concurrency,
        exact_unavailable=exact_unavailable,
        local=local,
    )
