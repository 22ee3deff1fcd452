"""Automatic repair end to end: the real SDK over real HTTP against the stand-in, which answers a
repair correctly only when the request carries the previous answer and the finding ids."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from app.core.card import CardMeta, parse_card
from app.core.history import list_versions
from app.core.plan import load_plan
from app.core.pricing import TokenUsage, usage_cost_usd
from app.core.prompt import CardRequest, build_request
from app.core.store import CardStore
from app.engine import generate as generate_module
from tests.fakes import cards
from tests.fakes.messages_api import FakeMessagesAPI, Step, repair_verdict
from tests.fakes.model_rules import THINKING_TOKENS, count_tokens
from tests.helpers.card_files import card_files, stored_cards
from tests.helpers.cli import run_cli
from tests.helpers.plans import component_names, write_plan
from tests.helpers.server_thread import KEY, StandIn, message_requests


@pytest.fixture
def api(stand_in: StandIn) -> FakeMessagesAPI:
    """Every first answer breaks the contract; only a genuine repair request gets a good card."""
    return stand_in(mode="broken_then_repair", api_key=KEY)


def errors_of(meta: CardMeta) -> list[str]:
    return [f.rule for f in meta.findings if f.severity == "error"]


def tokens(text: str) -> int:
    """The stand-in's output-token count for a streamed text on the plan's model (Haiku 5.5's
    tokenizer counts ~30 % more than four characters a token)."""
    return count_tokens("claude-haiku-5-5", text)


def test_every_broken_card_is_repaired_and_the_summary_says_so(
    api: FakeMessagesAPI, tmp_path: Path
) -> None:
    plan = write_plan(tmp_path, 6)
    result = run_cli("generate", plan)
    assert result.code == 0, result.err
    assert "6/6 done" in result.err and "6 repaired" in result.err

    messages = message_requests(api)
    assert len(messages) == 12
    parsed = load_plan(plan)
    cards_by_name = stored_cards(plan)
    assert sorted(cards_by_name) == component_names(6)
    for name in component_names(6):
        first, repair = api.requests_for(name)
        assert (first.step, first.messages, first.carried_answer) == ("broken", 1, False)
        assert (repair.step, repair.messages, repair.carried_answer) == ("repaired", 3, True)
        # The plan's default model refuses prefill with a 400: a repair ends with the user's turn
        # (and thinks, like the first request, at the plan's effort).
        assert first.model == repair.model == "claude-haiku-5-5"
        assert first.thinking_tokens == repair.thinking_tokens == THINKING_TOKENS["low"]

        meta, body = cards_by_name[name]
        assert meta.findings == ()
        assert body == cards.good_card(name, "typescript")
        # The card answers the component's own request: a repair leaves staleness alone.
        request = build_request(parsed, parsed.component(name))  # type: ignore[arg-type]
        assert meta.request_sha256 == request.sha256()
        # Both requests are paid for, and the card's totals say so.
        expected_out = tokens(cards.broken_card(name, "typescript")) + tokens(body) + 2 * THINKING_TOKENS["low"]
        assert meta.output_tokens == expected_out
        assert meta.cost_usd == pytest.approx(
            usage_cost_usd(meta.model, TokenUsage(meta.input_tokens, meta.output_tokens,
                                                  cache_read_tokens=meta.cache_read_tokens,
                                                  cache_write_5m_tokens=meta.cache_write_tokens))
        )
        kinds = [v.kind for v in list_versions(CardStore(plan).folder, _slug_of(plan, name))]
        assert kinds == ["generated", "repaired"]

    assert run_cli("lint", plan).code == 0
    again = run_cli("generate", plan)
    assert again.code == 0 and "nothing to generate" in again.err


def _slug_of(plan: Path, name: str) -> str:
    for f in card_files(plan):
        meta, _ = parse_card(f.read_text(encoding="utf-8"))
        if meta.component == name:
            return f.stem
    raise AssertionError(f"no card for {name}")


def test_repairs_off_stores_the_broken_cards_and_exits_1(api: FakeMessagesAPI, tmp_path: Path) -> None:
    plan = write_plan(tmp_path, 3)
    result = run_cli("generate", plan, "--repairs", "0")
    assert result.code == 1
    assert len(message_requests(api)) == 3
    assert "repaired" not in result.err
    for meta, _ in stored_cards(plan).values():
        assert {"code-lines", "why-section"} <= set(errors_of(meta))
    assert run_cli("lint", plan).code == 1


def test_negative_repairs_is_a_usage_error(api: FakeMessagesAPI, tmp_path: Path) -> None:
    plan = write_plan(tmp_path, 1)
    result = run_cli("generate", plan, "--repairs", "-1")
    assert result.code == 2 and "--repairs" in result.err
    assert api.records == []


@pytest.mark.parametrize("worse", [False, True], ids=["tie", "worse"])
def test_a_repair_that_is_not_better_keeps_the_original(
    api: FakeMessagesAPI, tmp_path: Path, worse: bool
) -> None:
    name = "Component 01"
    original = cards.broken_card(name, "typescript")
    # Same errors with other code (a tie), or a wrong heading on top (worse).
    repair = original.replace("const v", "const w")
    if worse:
        repair = repair.replace(f"# {name}", "# Something else")
    api.script(name, Step("broken"), Step("good", text=repair))
    plan = write_plan(tmp_path, 1)
    result = run_cli("generate", plan)
    assert result.code == 1
    assert len(api.requests_for(name)) == 2
    ((meta, body),) = stored_cards(plan).values()
    assert "const v1 = 1;" in body and "const w1" not in body
    assert "repaired" not in result.err
    thinking = sum(r.thinking_tokens for r in api.requests_for(name))
    assert meta.output_tokens == tokens(original) + tokens(repair) + thinking
    assert [v.kind for v in list_versions(CardStore(plan).folder, _slug_of(plan, name))] == ["generated"]


def test_warnings_alone_never_trigger_a_repair(api: FakeMessagesAPI, tmp_path: Path) -> None:
    name = "Component 01"
    chatty = cards.good_card(name, "typescript").replace(
        cards.EXPLANATION, cards.EXPLANATION + " It is short. It is small. It is clear."
    )
    api.script(name, Step("good", text=chatty))
    plan = write_plan(tmp_path, 1)
    result = run_cli("generate", plan)
    assert result.code == 0, result.err
    assert len(api.requests_for(name)) == 1
    ((meta, _),) = stored_cards(plan).values()
    assert meta.findings and errors_of(meta) == []
    assert "repaired" not in result.err


@pytest.mark.parametrize("missing", ["previous answer", "finding ids"])
def test_the_stand_in_rejects_a_repair_without_what_it_must_carry(
    api: FakeMessagesAPI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, missing: str
) -> None:
    real = generate_module.build_repair_request

    def lacking(request: CardRequest, previous_answer: str, findings: object) -> CardRequest:
        made = real(request, previous_answer, findings)  # type: ignore[arg-type]
        *head, (_, answer), (_, ask) = made.messages
        if missing == "previous answer":
            answer = "(my earlier card)"
        else:
            ask = ask.replace("[", "").replace("]", "")
        return replace(made, messages=(*head, ("assistant", answer), ("user", ask)))

    monkeypatch.setattr(generate_module, "build_repair_request", lacking)
    plan = write_plan(tmp_path, 1)
    result = run_cli("generate", plan)
    assert result.code == 1
    assert [r.step for r in api.requests_for("Component 01")] == ["broken", "repair_rejected"]
    ((meta, _),) = stored_cards(plan).values()
    assert "code-lines" in errors_of(meta)


def test_repair_verdict_needs_both_the_answer_and_the_ids() -> None:
    first = [{"role": "user", "content": "Component: A"}]
    answer = cards.broken_card("A", "typescript")
    ask = "[code-lines] line 5: too long\n[why-section] missing"
    good = [*first, {"role": "assistant", "content": answer}, {"role": "user", "content": ask}]
    assert repair_verdict(first, None) == "first"
    assert repair_verdict(good, answer) == "repair"
    assert repair_verdict(good, "another answer") == "rejected"
    no_ids = [*good[:2], {"role": "user", "content": "please fix it"}]
    assert repair_verdict(no_ids, answer) == "rejected"
