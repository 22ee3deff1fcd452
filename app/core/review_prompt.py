"""The reviewer's request for one card, and the fix request that sends its notes back.

The reviewer reads what the writer of the card read (the contract, the shared context, the
component's instruction) and then the card with its lines numbered, so that a note can name a line.
It checks and never rewrites; its answer is JSON in ``REVIEW_SCHEMA``.
"""

from __future__ import annotations

from dataclasses import replace

from app.core.answer_format import AnswerFormat, AnswerVia, answer_format_for
from app.core.card import normalize_body
from app.core.contract import canonical_language
from app.core.models import lookup
from app.core.plan import Component, Plan
from app.core.prompt import REPAIR_ASK, CardRequest, build_user_message, contract_text
from app.core.review import CardReview
from app.core.review_schema import TOOL_NAME, schema_json

REVIEWER_ROLE = (
    "You are the reviewer of a documentation pipeline. A senior writer made the decisions in the "
    "shared context below; a fast model then wrote one small example card for one component of "
    "their plan. Check that card before it is published under the writer's name. Do not rewrite "
    "it and do not suggest a different design: judge the card that is there."
)

CHECKS = (
    "Check, in this order:",
    "1. The code runs as written: it parses, every name it uses is defined or imported, nothing is "
    "left as a placeholder.",
    "2. Libraries and APIs are used correctly: real functions and options, right arguments, no "
    "calls that do not exist.",
    "3. The explanation and the Why section say what the code really does.",
    "4. The card does what the component's instruction asks.",
    "5. Nothing contradicts the shared context (the writer's decisions).",
    "The card's shape (sentence counts, line widths, headings) is checked by a linter; mention it "
    "only when it hides one of the problems above.",
)

VERDICT_RULES = (
    "Verdict: pass when the card can be published as it is; revise when it has problems a "
    "rewrite of the card can fix; fail when it is wrong at its core (the code cannot work, or it "
    "shows something else than the component). Give one note per problem: severity error for "
    "what must change before publishing, warning for what should; the line number as shown in "
    "the numbered card when the problem has a place. A summary of one paragraph at most."
)

ANSWER_JSON = "Answer with the review as one JSON object in the given schema, nothing else."
ANSWER_TOOL = f"Record the review by calling the tool {TOOL_NAME} once; write nothing else."
TOOL_DESCRIPTION = "Record your review of the card: the verdict, one note per problem, a summary."

FIX_INTRO = "A reviewer checked your card and asks for changes. Their notes:"


def numbered(body: str) -> str:
    """The card body with its 1-based line numbers (the numbers a note refers to)."""
    lines = normalize_body(body).rstrip("\n").split("\n")
    width = len(str(len(lines)))
    return "\n".join(f"{n:>{width}} | {line}" for n, line in enumerate(lines, start=1))


def review_answer_format(model: str) -> AnswerFormat:
    """Structured output where the model has it, else the tool (see ``answer_format_for``)."""
    return answer_format_for(lookup(model), schema_json(), TOOL_NAME, TOOL_DESCRIPTION)


def build_review_request(
    plan: Plan, component: Component, body: str, *, model: str, max_tokens: int
) -> CardRequest:
    """The reviewer's request for ``component``'s card whose body is ``body``."""
    contract = plan.contract_for(component)
    context = plan.context.strip() or "(none)"
    shape = review_answer_format(model)
    system = "\n\n".join(
        [
            REVIEWER_ROLE,
            f"Code language: {canonical_language(contract.language)}",
            "\n".join(CHECKS),
            VERDICT_RULES,
            "The card contract the card was written to:\n" + contract_text(contract),
            "Shared context from the writer's plan:\n<context>\n" + context + "\n</context>",
        ]
    )
    ask = ANSWER_JSON if shape.via is AnswerVia.FORMAT else ANSWER_TOOL
    user = (
        f"{build_user_message(component)}\n\n"
        f"The card, its lines numbered:\n<card>\n{numbered(body)}\n</card>\n\n{ask}"
    )
    return CardRequest(
        component=component.name,
        model=model,
        system=system,
        messages=(("user", user),),
        max_tokens=max_tokens,
        answer_format=shape,
    )


def note_line(severity: str, message: str, line: int | None) -> str:
    """One note as the card's model reads it: ``[error] line 7: the call needs an await``."""
    where = f" line {line}:" if line is not None else ""
    return f"[{severity}]{where} {message}"


def build_fix_request(request: CardRequest, body: str, review: CardReview) -> CardRequest:
    """The card's own request, one turn further: the card as it is, then the reviewer's notes
    (the shape of a lint repair). The stored card keeps the component's request hash."""
    notes = review.notes or ()
    listing = "\n".join(f"- {note_line(n.severity, n.message, n.line)}" for n in notes)
    if not listing:
        listing = f"- [error] {review.summary or 'the reviewer gave the verdict ' + review.verdict.value}"
    summary = f"\n\nTheir summary: {review.summary}" if review.summary and notes else ""
    ask = f"{FIX_INTRO}\n{listing}{summary}\n\n{REPAIR_ASK}"
    # Ends with the user's turn, and keeps the request's thinking, effort and cache marker.
    return replace(request, messages=(*request.messages, ("assistant", normalize_body(body)), ("user", ask)))
