"""Builds the one request per component: the role, the card contract, the shared context.

The numbers in the system prompt come from the same ``CardContract`` that lint enforces, and the
request hash covers everything that shapes the answer, so a changed plan marks exactly the
affected cards stale.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Iterable

from app.core.answer_format import AnswerFormat
from app.core.card import Finding
from app.core.contract import LANGUAGE_ALIASES, WHY_HEADING, CardContract, canonical_language
from app.core.plan import Component, Plan
from app.core.targets import is_mdx

PROMPT_VERSION = 1
"""Bump when the wording below changes, so that every card becomes stale."""

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
    answer_format: AnswerFormat | None = None
    """A JSON shape the answer must take (a review's verdict); None: free text (a card)."""

    def sha256(self) -> str:
        shape = {"answer_format": [self.answer_format.via.value, self.answer_format.schema_json]} \
            if self.answer_format is not None else {}
        canonical = json.dumps(
            {
                "v": PROMPT_VERSION,
                "model": self.model,
                "system": self.system,
                "messages": [list(m) for m in self.messages],
                "max_tokens": self.max_tokens,
                **shape,
            },
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
    tag = fence_tag(contract.language)
    return "\n".join(
        [
            "Write the card in Markdown, in exactly this shape and nothing else:",
            "",
            f"# {contract.name}",
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
            f"- The first line is exactly `# {contract.name}`.",
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
    return f"Component: {component.name}\n\nInstruction:\n{instruction}"


def build_request(
    plan: Plan, component: Component, *, model: str | None = None, max_tokens: int | None = None
) -> CardRequest:
    """The component's request; ``model`` and ``max_tokens`` default to the plan's."""
    contract = plan.contract_for(component)
    return CardRequest(
        component=component.name,
        model=model or plan.settings.model,
        system=build_system_prompt(plan, contract),
        messages=(("user", build_user_message(component)),),
        max_tokens=plan.settings.max_tokens if max_tokens is None else max_tokens,
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
    return CardRequest(
        component=request.component,
        model=request.model,
        system=request.system,
        messages=(*request.messages, ("assistant", previous_answer), ("user", ask)),
        max_tokens=request.max_tokens,
    )
