"""The drafting role's requests: a writer's brief (and, for additions, their plan) to a strong
model, the one follow-up that lists a draft's errors, and what a draft will cost before it is sent."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Iterable

from app.core.answer_format import AnswerFormat, AnswerVia
from app.core.contract import CardContract
from app.core.draft_plan import DraftError, draft_schema
from app.core.estimate import approx_tokens
from app.core.models import Thinking, lookup, model_table
from app.core.plan_model import PlanSettings
from app.core.pricing import TokenUsage, format_cost, usage_cost_usd
from app.core.prompt import CardRequest

DRAFT_JOB = "draft"
"""The name a draft's one request goes by in the engine's events."""
COMPONENTS_WHEN_UNSAID = (4, 12)

ROLE = (
    "You are the architect of a documentation pipeline. A writer gives you a brief; you write the "
    "plan that a fast, inexpensive model then executes, one small example card per component, "
    "without making any decision of its own. So the plan must make every decision: the shared "
    "context states what was decided (the product, the audience, versions, libraries, naming, "
    "conventions every example must respect), never a list of options, in at most 200 words. "
    "Each component has a short, unique name (two to five words) and an instruction of one to "
    "three sentences saying exactly what its example shows."
)


def _card_text() -> str:
    contract = CardContract(name="", language=PlanSettings().language)
    return (
        f"Each card is small: two or three sentences, at most {contract.max_code_lines} lines of "
        f"code no wider than {contract.width_budget} characters, and two or three sentences on "
        "why the pattern works. Give each component one idea that fits in that space."
    )


_MARKDOWN_PLAN = """Answer with the plan in this Markdown format and nothing else (no preamble, no outer ``` fence):

---
title: <the guide's title>
language: <the code language, as a fence tag such as typescript, python, go>
---
<the shared context>

## <Component name>
<its instruction>

A line that starts with '## ' starts a component: never use '## ' for anything else. Close every code fence you open."""

_MARKDOWN_ADDITIONS = """Answer with the new components only, in this Markdown format and nothing else (no front matter, no context, no outer ``` fence):

## <Component name>
<its instruction>

A line that starts with '## ' starts a component: never use '## ' for anything else. Close every code fence you open."""

_JSON_ANSWER = "Answer with JSON that follows the given schema."

FIX_INTRO = "Your plan cannot be used as it is. Its errors (line numbers count the lines of your answer):"
FIX_ASK = (
    "Fix exactly these errors and change nothing else. Answer with the whole corrected answer only, "
    "in the same format."
)


def _count_text(components: int | None) -> str:
    if components is not None:
        return f"Write exactly {components} components."
    low, high = COMPONENTS_WHEN_UNSAID
    return f"Write between {low} and {high} components, as many as the brief needs."


def _language_text(language: str | None) -> str:
    if language:
        return f"Code language: {language}"
    return ("Choose the code language the brief implies, as a fence tag; "
            f"{PlanSettings().language} if it implies none.")


def build_draft_request(
    brief: str,
    *,
    model: str,
    max_tokens: int,
    structured: bool,
    language: str | None = None,
    components: int | None = None,
    existing_plan: str | None = None,
) -> CardRequest:
    """The one request of a draft. With ``existing_plan`` (the plan's text), the model is asked
    for new components only. ``structured``: the answer is JSON following ``draft_schema``."""
    additions = existing_plan is not None
    if additions:
        task = ("The writer's plan is below, in <plan>. Propose only NEW components it lacks, in the "
                "same style; never repeat, rename or rewrite one it has, and leave its context alone.")
        answer = _JSON_ANSWER if structured else _MARKDOWN_ADDITIONS
        count = _count_text(components).replace("components", "new components")
    else:
        task, count = "", _count_text(components)
        answer = _JSON_ANSWER if structured else _MARKDOWN_PLAN
    system = "\n\n".join(part for part in (ROLE, _card_text(), task, count, _language_text(language), answer) if part)
    user = f"<brief>\n{brief.strip()}\n</brief>"
    if additions:
        user += f"\n\n<plan>\n{existing_plan.rstrip()}\n</plan>"  # type: ignore[union-attr]
    shape = None
    if structured:
        schema = json.dumps(draft_schema(additions=additions), separators=(",", ":"))
        shape = AnswerFormat(schema, AnswerVia.FORMAT, tool_name="draft_plan")
    return CardRequest(component=DRAFT_JOB, model=model, system=system, messages=(("user", user),),
                       max_tokens=max_tokens, answer_format=shape)


def build_fix_request(request: CardRequest, answer: str, errors: Iterable[DraftError]) -> CardRequest:
    """The same conversation one turn further: the model's answer, then exactly its errors."""
    listing = "\n".join(f"- {error}" for error in errors)
    if not listing:
        raise ValueError("a fix request needs at least one error")
    ask = f"{FIX_INTRO}\n{listing}\n\n{FIX_ASK}"
    return replace(request, messages=(*request.messages, ("assistant", answer), ("user", ask)))


# -- what it will cost -----------------------------------------------------------------------------

CONTEXT_TOKENS = 300
"""A shared context of up to 200 words, with its front matter."""
COMPONENT_TOKENS = 70
"""A name and an instruction of one to three sentences."""
THINKING_ALLOWANCE = 2000
"""A rough allowance for the thinking of a model that thinks by default (it is billed as output
and can be much more, up to max_tokens): an assumption, not a measurement."""


@dataclass(frozen=True)
class DraftEstimate:
    model: str
    structured: bool
    input_tokens: int
    typical_output: int
    max_output: int
    typical_cost: float | None
    max_cost: float | None
    price_checked: str

    def lines(self) -> list[str]:
        form = "JSON following a schema (structured output)" if self.structured else "plan Markdown"
        return [
            f"1 draft request to {self.model}, answered as {form}",
            f"input tokens (estimated): {self.input_tokens:,}",
            f"output tokens: ~{self.typical_output:,} typical (thinking included), at most {self.max_output:,}",
            f"cost: ~{format_cost(self.typical_cost)} typical, at most {format_cost(self.max_cost)}"
            f" (prices checked {self.price_checked})",
            "a follow-up to fix plan errors, if one is needed, costs about as much again",
        ]


def estimate_draft(request: CardRequest, *, components: int | None = None) -> DraftEstimate:
    """Offline: the request's input, and a typical and a largest answer, at the model's prices."""
    info = lookup(request.model)
    schema = request.answer_format.schema_json if request.answer_format else ""
    text = request.system + "".join(content for _, content in request.messages) + schema
    input_tokens = approx_tokens(text, info.tokenizer_ratio if info else 1.0)
    count = components if components is not None else sum(COMPONENTS_WHEN_UNSAID) // 2
    thinking = THINKING_ALLOWANCE if info is not None and info.thinking is Thinking.ADAPTIVE else 0
    typical = min(request.max_tokens, CONTEXT_TOKENS + COMPONENT_TOKENS * count + thinking)

    def cost(output: int) -> float | None:
        return usage_cost_usd(request.model, TokenUsage(input_tokens, output))

    return DraftEstimate(
        model=request.model,
        structured=request.answer_format is not None,
        input_tokens=input_tokens,
        typical_output=typical,
        max_output=request.max_tokens,
        typical_cost=cost(typical),
        max_cost=cost(request.max_tokens),
        price_checked=model_table().checked.isoformat(),
    )


def supports_structured_output(model: str) -> bool:
    """Whether to ask ``model`` for JSON following a schema; a model the table does not know
    gets plan Markdown, which any model can write."""
    info = lookup(model)
    return bool(info and info.structured_output)
