"""Builds the one request per component: the role, the card contract, the shared context.

The numbers in the system prompt come from the same ``CardContract`` that lint enforces, and the
request hash covers everything that shapes the answer, so a changed plan marks exactly the
affected cards stale.

The system prompt is the same for every component of a plan (role, contract, context): it is
the shared prefix that a prompt cache can hold. Everything about one component (its name, its
first line, its instruction) is in the user message after it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from typing import Iterable

from app.core.answer_format import AnswerFormat
from app.core.card import Finding
from app.core.contract import LANGUAGE_ALIASES, WHY_HEADING, CardContract, canonical_language
from app.core.models import lookup
from app.core.plan import Component, Plan
from app.core.targets import is_mdx
from app.core.thinking import thinking_request
from app.core.tokens import approx_tokens

PROMPT_VERSION = 2
"""Bump when the wording below changes, so that every card becomes stale. 2: the component's
name moved from the system prompt to the user message (the system prompt is the cached prefix)."""

MDX_RULE = (
    "- Put every identifier or expression with angle brackets or braces in inline code "
    "(`Map<string, User>`, `{ id }`), never in bare prose: the card is published on an MDX site, "
    "where a bare `<`, `{` or `}` breaks the page."
)
"""Added to the rules only for a plan whose ``target`` is an MDX site, so other plans' requests
(and their hashes) stay as they were."""

ROLE = (
    "You are the execution layer of a documentation pipeline. A senior writer has already made "
    "the architectural decisions and written the shared context below. Your only job is to turn "
    "one component of their plan into one small, working example card. Do not make design "
    "decisions, do not review, do not add anything the instruction does not ask for."
)


@dataclass(frozen=True)
class CardRequest:
    """A provider-neutral request: plain role/content messages, no wire format."""

    component: str
    model: str
    system: str
    messages: tuple[tuple[str, str], ...]
    """(role, content) pairs; roles are "user" and "assistant"."""
    max_tokens: int
    """What is sent: the card's own budget plus ``headroom``."""
    thinking: str | None = None
    """The wire's thinking type (``adaptive``, ``disabled``); None: not sent."""
    effort: str | None = None
    """None: not sent (the model's default applies)."""
    headroom: int = 0
    """Tokens of ``max_tokens`` reserved for thinking (``app.core.thinking``)."""
    cache_system: bool = False
    """The system prompt is marked as a cacheable prefix. Not part of the hash: it does not
    change the answer."""
    answer_format: AnswerFormat | None = None
    """A JSON shape the answer must take (a review's verdict); None: free text (a card)."""

    @property
    def card_max_tokens(self) -> int:
        """The plan's ``max_tokens``: the card's own budget, without the thinking headroom."""
        return self.max_tokens - self.headroom

    def sha256(self) -> str:
        fields: dict[str, object] = {
            "v": PROMPT_VERSION,
            "model": self.model,
            "system": self.system,
            "messages": [list(m) for m in self.messages],
            "max_tokens": self.max_tokens,
        }
        # Only when set, so that a request without them hashes as it always did.
        if self.thinking is not None:
            fields["thinking"] = self.thinking
        if self.effort is not None:
            fields["effort"] = self.effort
        if self.answer_format is not None:
            fields["answer_format"] = [self.answer_format.via.value, self.answer_format.schema_json]
        canonical = json.dumps(
            fields,
            ensure_ascii=False,
            sort_keys=True,
            separators=(",", ":"),
        )
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def fence_tag(language: str) -> str:
    """The tag the model should put on its code fence: the shortest common alias."""
    canonical = canonical_language(language)
    tags = LANGUAGE_ALIASES.get(canonical)
    return canonical if not tags else (canonical if canonical in tags else tags[0])


def contract_text(contract: CardContract) -> str:
    """The contract in words, without the component's name (the same for every component)."""
    tag = fence_tag(contract.language)
    return "\n".join(
        [
            "Write the card in Markdown, in exactly this shape and nothing else:",
            "",
            "# <the component's name>",
            "",
            f"<explanation: {contract.min_sentences} or {contract.max_sentences} sentences>",
            "",
            f"```{tag}",
            f"<working code: at most {contract.max_code_lines} lines>",
            "```",
            "",
            f"## {WHY_HEADING}",
            f"<{contract.min_sentences} or {contract.max_sentences} sentences explaining the pattern>",
            "",
            "Rules:",
            "- The first line is exactly `# ` followed by the component's name, as the request gives it.",
            f"- The explanation has {contract.min_sentences} or {contract.max_sentences} sentences.",
            f"- Exactly one fenced code block, tagged `{tag}`, with at most "
            f"{contract.max_code_lines} lines of code that compiles/parses as written.",
            f"- No code line longer than {contract.width_budget} characters: the card is shown in a "
            f"{contract.column_px} px column.",
            f"- A `## {WHY_HEADING}` section of {contract.min_sentences} or "
            f"{contract.max_sentences} sentences.",
            "- No raw HTML outside the code block, no images, no links.",
            *([MDX_RULE] if is_mdx(contract.target) else []),
            "- Answer with the card only: no preamble, no closing remarks, no outer ``` fence.",
        ]
    )


def build_system_prompt(plan: Plan, contract: CardContract) -> str:
    context = plan.context.strip() or "(none)"
    return "\n\n".join(
        [
            ROLE,
            f"Code language: {canonical_language(contract.language)}",
            contract_text(contract),
            "Shared context from the writer's plan:\n<context>\n" + context + "\n</context>",
        ]
    )


def build_user_message(component: Component) -> str:
    instruction = component.instruction.strip() or "(no further instruction)"
    return (
        f"Component: {component.name}\n\nThe card's first line: `# {component.name}`\n\n"
        f"Instruction:\n{instruction}"
    )


def cacheable(model: str, system: str) -> bool:
    """Whether ``system`` reaches ``model``'s minimum cacheable prefix (offline count); below it
    the API caches nothing, so no marker is sent and no request waits for another."""
    info = lookup(model)
    return info is not None and approx_tokens(system, info.tokenizer_ratio) >= info.min_cache_tokens


def build_request(
    plan: Plan,
    component: Component,
    *,
    model: str | None = None,
    max_tokens: int | None = None,
    effort: str | None = None,
    thinking: str | None = None,
    cache: bool = True,
) -> CardRequest:
    """The component's request; ``model``, ``max_tokens``, ``effort`` and ``thinking`` default to
    the plan's. ``cache=False`` never marks the shared prefix for the prompt cache."""
    s = plan.settings
    model = model or s.model
    think = thinking_request(model, thinking or s.thinking, effort or s.effort)
    system = build_system_prompt(plan, plan.contract_for(component))
    return CardRequest(
        component=component.name,
        model=model,
        system=system,
        messages=(("user", build_user_message(component)),),
        max_tokens=(s.max_tokens if max_tokens is None else max_tokens) + think.headroom,
        thinking=think.thinking,
        effort=think.effort,
        headroom=think.headroom,
        cache_system=cache and cacheable(model, system),
    )


REPAIR_INTRO = "Your card breaks the card contract. Lint found these errors:"
REPAIR_ASK = (
    "Rewrite the card so that it keeps every rule of the contract. Answer with the corrected "
    "card only: no preamble, no explanation of the changes, no outer ``` fence."
)


def finding_line(finding: Finding) -> str:
    """One finding as the model reads it: ``[code-lines] line 5: 18 code lines; at most 15``."""
    where = f" line {finding.line}:" if finding.line is not None else ""
    return f"[{finding.rule}]{where} {finding.message}"


def build_repair_request(
    request: CardRequest, previous_answer: str, findings: Iterable[Finding]
) -> CardRequest:
    """The same conversation, one turn further: the model's own answer, then its error findings.

    Only error-level findings are listed (warnings never justify a repair). The returned
    request's hash is NOT the card's request hash: the stored card keeps the component's own
    request hash, so that a repair never changes staleness.
    """
    errors = [f for f in findings if f.severity == "error"]
    if not errors:
        raise ValueError("a repair request needs at least one error-level finding")
    listing = "\n".join(f"- {finding_line(f)}" for f in errors)
    ask = f"{REPAIR_INTRO}\n{listing}\n\n{REPAIR_ASK}"
    # Ends with the user's turn: models that refuse prefill (5.x) take it.
    return replace(request, messages=(*request.messages, ("assistant", previous_answer), ("user", ask)))
