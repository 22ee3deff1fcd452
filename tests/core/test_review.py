"""The stored review (front matter, currency rule, history), the answer's schema check, the reviewer's
request and the fix request."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from app.core.answer_format import AnswerVia, answer_format_for
from app.core.card import CardMeta, body_sha256, parse_card, serialize_card
from app.core.history import list_versions
from app.core.models import lookup
from app.core.plan import load_plan
from app.core.prompt import build_request, build_user_message
from app.core.review import (
    CardReview,
    ReviewNote,
    ReviewStatus,
    Verdict,
    only_passed,
    review_status,
)
from app.core.review_prompt import build_fix_request, build_review_request, numbered
from app.core.review_schema import REVIEW_SCHEMA, MalformedReview, parse_review_answer
from app.core.review_store import CardChanged, store_review
from app.core.store import CardStore
from app.errors import StoreError
from app.paths import example_plan
from tests.helpers.cli import copy_example
from tests.helpers.plans import write_plan

BODY = "# User Model\n\nOne. Two.\n\n```typescript\nconst a = 1;\n```\n\n## Why this works\nOne. Two.\n"


def review(body: str = BODY, verdict: Verdict = Verdict.REVISE) -> CardReview:
    return CardReview(
        model="claude-sonnet-5-5",
        verdict=verdict,
        body_sha256=body_sha256(body),
        notes=(ReviewNote("error", "the call needs an await", 6), ReviewNote("warning", "name it")),
        summary="Mostly right.",
        input_tokens=900,
        output_tokens=60,
        cost_usd=0.0024,
        reviewed_at="2026-12-03T12:00:00Z",
    )


def test_cards_without_a_review_keep_their_bytes(tmp_path: Path) -> None:
    folder = example_plan().with_name(example_plan().name[: -len(".md")] + ".cards")
    files = sorted(folder.glob("*.md"))
    assert files, "the example ships sample cards"
    for path in files:
        text = path.read_text(encoding="utf-8")
        meta, body = parse_card(text)
        assert meta.review is None
        assert serialize_card(meta, body) == text
        assert "review:" not in text


def test_a_review_round_trips_in_front_matter_after_the_findings() -> None:
    meta = CardMeta(component="User Model", body_sha256=body_sha256(BODY), review=review())
    text = serialize_card(meta, BODY)
    front = text.split("\n---\n", 1)[0]
    assert front.index("findings:") < front.index("review:")
    keys = [line.split(":")[0].strip() for line in front.split("review:\n", 1)[1].split("\n")
            if line.startswith("  ") and not line.startswith("  -") and not line.startswith("    ")]
    assert keys == ["model", "verdict", "body_sha256", "notes", "summary", "input_tokens",
                    "output_tokens", "cost_usd", "reviewed_at"]
    parsed, body = parse_card(text)
    assert parsed == meta and body == BODY


@pytest.mark.parametrize(
    ("fragment", "message"),
    [
        ("review: yes", "card 'review' must be a mapping"),
        ("review:\n  verdict: great", "verdict is 'great'"),
        ("review:\n  verdict: pass\n  notes: [{severity: fatal, message: x}]", "severity 'fatal'"),
        ("review:\n  verdict: pass\n  notes: [{severity: error, message: x, line: 0}]", "line 0"),
        ("review:\n  verdict: pass\n  input_tokens: -1", "'input_tokens' must be a whole number"),
    ],
)
def test_a_malformed_review_is_one_line_naming_what_is_wrong(fragment: str, message: str) -> None:
    text = f"---\ncomponent: A\n{fragment}\n---\n\n# A\n"
    with pytest.raises(StoreError) as caught:
        parse_card(text)
    assert message in caught.value.message and "\n" not in caught.value.message


def test_a_review_is_current_only_for_the_body_it_read() -> None:
    assert review_status(None, BODY) is ReviewStatus.NONE
    assert review_status(review(), BODY) is ReviewStatus.REVISE
    assert review_status(review(verdict=Verdict.PASS), BODY + "\r\n\n") is ReviewStatus.PASS  # same normalized body
    assert review_status(review(), BODY + "More.\n") is ReviewStatus.STALE
    assert ReviewStatus.NONE.label == "not reviewed" and ReviewStatus.STALE.needs_review


def test_parse_review_answer_accepts_the_schema_and_nothing_else() -> None:
    good = {"verdict": "revise", "notes": [{"severity": "error", "line": 2, "message": " fix  it "}],
            "summary": "One\nparagraph."}
    answer = parse_review_answer(json.dumps(good), body_lines=10)
    assert answer.verdict is Verdict.REVISE and answer.summary == "One paragraph."
    assert answer.notes == (ReviewNote("error", "fix it", 2),)
    assert parse_review_answer('{"verdict": "pass", "notes": []}').notes == ()
    # A line past the card's end is dropped, the note kept.
    far = {"verdict": "fail", "notes": [{"severity": "warning", "line": 99, "message": "x"}]}
    assert parse_review_answer(json.dumps(far), body_lines=10).notes[0].line is None
    bad = [
        ("", "empty"),
        ("Looks fine!", "not JSON"),
        ("[]", "not a JSON object"),
        ('{"verdict": "ok", "notes": []}', "verdict is \"ok\""),
        ('{"verdict": "pass"}', "'notes' is missing"),
        ('{"verdict": "pass", "notes": [], "score": 3}', "keys the schema does not allow: score"),
        ('{"verdict": "pass", "notes": [{"severity": "error"}]}', "note 1 has no message"),
        ('{"verdict": "pass", "notes": [{"severity": "error", "message": "m", "line": true}]}', "line true"),
        ('{"verdict": "pass", "notes": [], "summary": 5}', "'summary'"),
    ]
    for text, reason in bad:
        with pytest.raises(MalformedReview) as caught:
            parse_review_answer(text)
        assert reason in str(caught.value), text


def test_the_schema_forbids_additional_properties_on_every_object() -> None:
    assert REVIEW_SCHEMA["additionalProperties"] is False
    assert REVIEW_SCHEMA["properties"]["notes"]["items"]["additionalProperties"] is False
    assert REVIEW_SCHEMA["properties"]["verdict"]["enum"] == ["pass", "revise", "fail"]
    assert REVIEW_SCHEMA["required"] == ["verdict", "notes"]


def test_structured_output_where_the_table_says_so_else_a_tool_forced_only_without_thinking() -> None:
    schema = json.dumps(REVIEW_SCHEMA)
    sonnet = lookup("claude-sonnet-5-5")
    assert sonnet is not None and answer_format_for(sonnet, schema, "t").via is AnswerVia.FORMAT
    old = lookup("claude-sonnet-4")  # no structured output; thinks only when asked
    shape = answer_format_for(old, schema, "t")
    assert shape.via is AnswerVia.TOOL and shape.force_tool
    adaptive = replace(sonnet, structured_output=False)  # would think by default: never forced
    shape = answer_format_for(adaptive, schema, "t")
    assert shape.via is AnswerVia.TOOL and not shape.force_tool
    unknown = answer_format_for(None, schema, "t")
    assert unknown.via is AnswerVia.TOOL and not unknown.force_tool


def test_the_review_request_carries_role_contract_context_instruction_then_the_numbered_card(tmp_path: Path) -> None:
    plan = load_plan(write_plan(tmp_path, 2, context="We use zod for validation."))
    component = plan.components[1]
    request = build_review_request(plan, component, BODY, model="claude-sonnet-5-5", max_tokens=2048)
    assert request.system.startswith("You are the reviewer")
    assert "Do not rewrite" in request.system and "We use zod for validation." in request.system
    assert "at most 15 lines" in request.system  # the contract
    ((role, user),) = request.messages
    # The component as a card request names it (its name, its heading, then its instruction).
    assert role == "user" and user.startswith(build_user_message(component))
    assert numbered(BODY) in user and " 6 | const a = 1;" in numbered(BODY)
    assert request.answer_format is not None and request.answer_format.schema == REVIEW_SCHEMA
    assert request.sha256() != replace(request, answer_format=None).sha256()


def test_the_fix_request_is_the_cards_conversation_one_turn_further_ending_with_the_notes(tmp_path: Path) -> None:
    plan = load_plan(write_plan(tmp_path, 1))
    original = build_request(plan, plan.components[0])
    fix = build_fix_request(original, BODY, review())
    assert fix.messages[:-2] == original.messages and fix.system == original.system
    # Everything else of the card's request goes with it: model, budget, thinking, effort.
    assert replace(fix, messages=original.messages) == original and original.thinking == "adaptive"
    assert fix.messages[-2] == ("assistant", BODY)
    role, ask = fix.messages[-1]
    assert role == "user"
    assert "- [error] line 6: the call needs an await" in ask and "- [warning] name it" in ask
    assert "Answer with the corrected card only" in ask and fix.answer_format is None


def test_storing_a_review_binds_it_to_the_body_on_disk_and_records_history(tmp_path: Path) -> None:
    plan_path = copy_example(tmp_path)
    plan = load_plan(plan_path)
    store = CardStore(plan_path)
    card = next(iter(store.load(plan).cards.values()))
    written = store_review(store, card, review(card.body))
    assert written.meta.review == review(card.body) and written.body == card.body
    assert parse_card(written.path.read_text(encoding="utf-8"))[0].review == review(card.body)
    assert list_versions(store.folder, card.path.stem)[-1].kind == "reviewed"
    # A re-review with a changed verdict is a change of its own in history.
    store_review(store, written, review(card.body, Verdict.PASS))
    assert [v.kind for v in list_versions(store.folder, card.path.stem)][-2:] == ["reviewed", "reviewed"]

    edited = store.save_body(written, card.body + "\nAn edit.\n")
    with pytest.raises(CardChanged):
        store_review(store, written, review(card.body))
    assert store.read(edited.path).body == edited.body


def test_only_passed_leaves_out_every_card_whose_current_review_is_not_a_pass(tmp_path: Path) -> None:
    plan_path = copy_example(tmp_path)
    plan = load_plan(plan_path)
    store = CardStore(plan_path)
    cards = list(store.load(plan).cards.values())
    store_review(store, cards[0], review(cards[0].body, Verdict.PASS))
    store_review(store, cards[1], review(cards[1].body, Verdict.REVISE))
    stale = store_review(store, cards[2], review(cards[2].body, Verdict.PASS))
    store.save_body(stale, stale.body + "\nEdited.\n")
    kept, left_out = only_passed(store.load(plan))
    assert [c.meta.component for c in kept.cards.values()] == [cards[0].meta.component]
    assert left_out == len(cards) - 1
