"""`cardsmith generate --batch` and `cardsmith batch` end to end: the real SDK over real HTTP against
the stand-in's Message Batches endpoints."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.core.batch_ids import is_valid_custom_id
from app.core.card import body_sha256, parse_card
from app.core.history import find_by_body_hash, list_versions
from app.core.plan import load_plan
from app.core.pricing import TokenUsage, usage_cost_usd
from app.core.prompt import build_request
from app.core.states import CardState
from app.core.store import CardStore, card_state
from app.engine.batch_state import load_state, state_path
from app.engine.providers.anthropic_params import request_params
from tests.fakes.messages_api import FakeMessagesAPI, Step
from tests.helpers.cli import run_cli
from tests.helpers.plans import component_names, write_plan
from tests.helpers.server_thread import KEY, StandIn

HOSTILE = "Ünïcode / ../../etc/passwd 名前 \"quoted\" " + "x" * 300


@pytest.fixture(autouse=True)
def _fast_polling(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARDSMITH_TEST_BATCH_POLL_S", "0.05")


@pytest.fixture
def held(stand_in: StandIn) -> FakeMessagesAPI:
    """A stand-in whose batches stay in progress until the test finishes them."""
    return stand_in(api_key=KEY, mode="good", batch_seconds=None)


def live_requests(api: FakeMessagesAPI) -> list[str]:
    return [r.component for r in api.records if r.path == "/v1/messages"]


def cards_by_name(plan: Path) -> dict[str, tuple[object, str]]:
    out = {}
    for path in CardStore(plan).folder.glob("*.md"):
        meta, body = parse_card(path.read_text(encoding="utf-8"))
        out[meta.component] = (meta, body)
    return out


def states(plan: Path) -> dict[str, CardState]:
    parsed = load_plan(plan)
    snapshot = CardStore(plan).load(parsed)
    return {c.name: card_state(snapshot.card(c), build_request(parsed, c).sha256()) for c in parsed.components}


def test_twenty_components_and_a_hostile_name_go_as_one_batch_at_half_price(
    api: FakeMessagesAPI, tmp_path: Path
) -> None:
    plan = write_plan(tmp_path, 19)
    plan.write_text(plan.read_text(encoding="utf-8") + f"\n## {HOSTILE}\nShow the hostile one.\n", encoding="utf-8")
    names = component_names(19) + [HOSTILE]

    result = run_cli("generate", plan, "--batch")
    assert result.code == 0, result.err
    assert live_requests(api) == []
    assert len(api.batches.created) == 1
    batch = api.batches.created[0]
    assert len(batch.custom_ids) == 20 == len(set(batch.custom_ids))
    assert all(is_valid_custom_id(cid) for cid in batch.custom_ids)
    assert batch.id in result.err and "20 done" in result.err

    parsed = load_plan(plan)
    cards = cards_by_name(plan)
    assert sorted(cards) == sorted(names)
    for name, (meta, body) in cards.items():
        assert meta.batch is True and body.startswith(f"# {name}\n")  # type: ignore[attr-defined]
        usage = TokenUsage(meta.input_tokens, meta.output_tokens)  # type: ignore[attr-defined]
        live = usage_cost_usd(meta.model, usage)  # type: ignore[attr-defined]
        assert live is not None and meta.cost_usd == pytest.approx(live / 2)  # type: ignore[attr-defined]
    assert set(states(plan).values()) == {CardState.DONE}
    assert not state_path(plan).exists()

    # The batch asked exactly what a live run asks: the provider's own request parameters.
    hostile = next(c for c in parsed.components if c.name == HOSTILE)
    sent = next(line for line in batch.results if line["custom_id"] == batch.custom_ids[-1])
    assert sent["result"]["type"] == "succeeded"
    assert api.batches.params_of(batch.id, batch.custom_ids[-1]) == request_params(build_request(parsed, hostile))

    again = run_cli("generate", plan, "--batch")
    assert again.code == 0 and "nothing to generate" in again.err
    assert len(api.batches.created) == 1


def test_a_batch_marks_the_shared_context_thinks_at_the_plans_effort_and_prices_the_cache(
    api: FakeMessagesAPI, tmp_path: Path
) -> None:
    long_context = "The service keeps every secret out of its logs and compares them in constant time. " * 40
    plan = write_plan(tmp_path, 4, context=long_context)
    result = run_cli("generate", plan, "--batch")
    assert result.code == 0, result.err
    (batch,) = api.batches.created
    for cid in batch.custom_ids:
        params = api.batches.params_of(batch.id, cid)
        assert params is not None and params["system"][0]["cache_control"] == {"type": "ephemeral"}
        assert params["thinking"] == {"type": "adaptive"} and params["output_config"] == {"effort": "low"}
    cards = cards_by_name(plan)
    assert sorted(m.cache_write_tokens > 0 for m, _ in cards.values()) == [False, False, False, True]  # type: ignore[attr-defined]
    assert sum(m.cache_read_tokens > 0 for m, _ in cards.values()) == 3  # type: ignore[attr-defined]
    for meta, _ in cards.values():
        usage = TokenUsage(meta.input_tokens, meta.output_tokens,  # type: ignore[attr-defined]
                           cache_read_tokens=meta.cache_read_tokens,  # type: ignore[attr-defined]
                           cache_write_5m_tokens=meta.cache_write_tokens, batch=True)  # type: ignore[attr-defined]
        assert meta.cost_usd == usage_cost_usd(meta.model, usage)  # type: ignore[attr-defined]


def test_errored_expired_and_canceled_results_are_sent_again_by_the_next_run(
    api: FakeMessagesAPI, tmp_path: Path
) -> None:
    plan = write_plan(tmp_path, 5)
    api.script("Component 02", "http_529")
    api.script("Component 03", "expired")
    api.script("Component 04", "canceled")
    first = run_cli("generate", plan, "--batch")
    assert first.code == 1
    assert "overloaded_error" in first.err and "expired" in first.err
    assert sorted(cards_by_name(plan)) == ["Component 01", "Component 05"]

    second = run_cli("generate", plan, "--batch")
    assert second.code == 0, second.err
    assert len(api.batches.created) == 2
    assert sorted(api.batches.created[1].custom_ids) == sorted(
        cid for cid in api.batches.created[0].custom_ids if not cid.startswith(("component-01", "component-05"))
    )
    assert sorted(cards_by_name(plan)) == component_names(5)
    assert live_requests(api) == []


def test_a_plan_changed_mid_batch_gives_stale_cards_not_lost_ones(held: FakeMessagesAPI, tmp_path: Path) -> None:
    plan = write_plan(tmp_path, 4, context="First context.")
    submitted = run_cli("generate", plan, "--batch", "--detach")
    assert submitted.code == 0, submitted.err
    batch_id = submitted.out.strip()
    assert batch_id == held.batches.created[0].id
    assert load_state(plan) is not None and load_state(plan).ids == [batch_id]  # type: ignore[union-attr]

    write_plan(tmp_path, 4, context="Second context: the writer changed it meanwhile.")
    held.batches.finish()
    resumed = run_cli("generate", plan, "--batch")
    assert resumed.code == 0, resumed.err
    assert "resumed" in resumed.err and "stored stale" in resumed.err
    assert len(held.batches.created) == 1
    assert set(states(plan).values()) == {CardState.STALE}
    assert all(meta.batch for meta, _ in cards_by_name(plan).values())  # type: ignore[attr-defined]

    fresh = run_cli("generate", plan, "--batch", "--detach")
    held.batches.finish()
    assert fresh.code == 0 and run_cli("generate", plan, "--batch").code == 0
    assert set(states(plan).values()) == {CardState.DONE}
    assert len(held.batches.created) == 2


def test_an_edited_or_locked_card_is_never_overwritten_by_a_result(held: FakeMessagesAPI, tmp_path: Path) -> None:
    plan = write_plan(tmp_path, 3, context="First context.")
    from tests.fakes import cards as fake_cards

    for name in ("Component 01", "Component 02"):  # the batch's answer differs from the first one
        held.script(name, "good", Step("good", text=fake_cards.good_card(name, "typescript") + "\nAgain.\n"))
    assert run_cli("generate", plan).code == 0
    write_plan(tmp_path, 3, context="Second context.")
    assert run_cli("generate", plan, "--batch", "--detach").code == 0

    store = CardStore(plan)
    folder = store.folder
    with (folder / "component-01.md").open("a", encoding="utf-8") as other_editor:
        other_editor.write("\nMy own note.\n")
    cards = {c.meta.component: c for c in store.load(load_plan(plan)).cards.values()}
    edited, locked = cards["Component 01"], store.set_locked(cards["Component 02"], True)
    assert edited.edited
    kept = {card.path: card.path.read_bytes() for card in (edited, locked)}

    held.batches.finish()
    result = run_cli("generate", plan, "--batch")
    assert result.code == 0, result.err
    assert {p: p.read_bytes() for p in kept} == kept
    assert "kept the card (it was edited since it was sent)" in result.err
    assert "kept the card (it is locked)" in result.err
    meta, _ = cards_by_name(plan)["Component 03"]
    assert meta.batch is True  # type: ignore[attr-defined]
    # The answers paid for are in the kept cards' history, not lost.
    for card in (edited, locked):
        answer = body_sha256(fake_cards.good_card(card.meta.component, "typescript") + "\nAgain.\n")
        version = find_by_body_hash(store.folder, card.path.stem, answer)
        assert version is not None and version.meta.batch
    assert not state_path(plan).exists()


def test_batch_status_cancel_and_what_came_back(held: FakeMessagesAPI, tmp_path: Path) -> None:
    plan = write_plan(tmp_path, 3)
    assert run_cli("generate", plan, "--batch", "--detach").code == 0
    batch_id = held.batches.created[0].id

    status = run_cli("batch", plan)
    assert status.code == 0 and batch_id in status.out and "in_progress" in status.out
    as_json = json.loads(run_cli("batch", plan, "--json").out)
    assert as_json["batches"][0]["id"] == batch_id and as_json["batches"][0]["counts"]["processing"] == 3
    assert as_json["batches"][0]["status"] == "in_progress" and as_json["batches"][0]["requests"] == 3

    cancel = run_cli("batch", plan, "--cancel")
    assert cancel.code == 0 and "cancel requested" in cancel.out and "canceling" in cancel.out
    recorded = load_state(plan)
    assert recorded is not None and recorded.batches[0].cancel["status"] == "canceling"  # type: ignore[index]

    collected = run_cli("generate", plan, "--batch")
    assert collected.code == 1 and "cancelled" in collected.err
    assert cards_by_name(plan) == {} and not state_path(plan).exists()
    assert run_cli("batch", plan).out.startswith("no pending batch")

    held.batches.seconds = 0.0
    assert run_cli("generate", plan, "--batch").code == 0
    assert sorted(cards_by_name(plan)) == component_names(3)


def test_a_live_run_leaves_the_cards_of_a_pending_batch_alone(held: FakeMessagesAPI, tmp_path: Path) -> None:
    plan = write_plan(tmp_path, 3)
    assert run_cli("generate", plan, "--batch", "--detach", "--only", "Component 01").code == 0
    live = run_cli("generate", plan)
    assert live.code == 0, live.err
    assert "already in a pending batch: 1 of the cards" in live.err
    assert sorted(live_requests(held)) == ["Component 02", "Component 03"]


def test_repairs_go_live_by_default(api: FakeMessagesAPI, tmp_path: Path) -> None:
    plan = write_plan(tmp_path, 2)
    api.script_all("broken_then_repair", "broken_then_repair")
    result = run_cli("generate", plan, "--batch")
    assert result.code == 0, result.err
    assert sorted(live_requests(api)) == component_names(2)
    assert [r.step for r in api.records if r.path == "/v1/messages"] == ["repaired", "repaired"]
    for name, (meta, _body) in cards_by_name(plan).items():
        assert meta.batch and meta.findings == ()  # type: ignore[attr-defined]
        kinds = [v.kind for v in list_versions(CardStore(plan).folder, name.lower().replace(" ", "-"))]
        assert kinds == ["generated", "repaired"]


def test_repairs_go_as_a_follow_up_batch_with_batch_repairs(api: FakeMessagesAPI, tmp_path: Path) -> None:
    plan = write_plan(tmp_path, 2)
    api.script_all("broken_then_repair", "broken_then_repair")
    result = run_cli("generate", plan, "--batch", "--batch-repairs")
    assert result.code == 0, result.err
    assert live_requests(api) == []
    assert len(api.batches.created) == 2 and "2 repair requests" in result.err
    assert all(meta.findings == () for meta, _ in cards_by_name(plan).values())  # type: ignore[attr-defined]


def test_detach_and_batch_repairs_need_batch(tmp_path: Path) -> None:
    plan = write_plan(tmp_path, 1)
    for option in ("--detach", "--batch-repairs"):
        result = run_cli("generate", plan, option)
        assert result.code == 2 and "go with --batch" in result.err


def test_the_planner_shows_live_and_batch_cost_and_recommends_batch_for_a_large_plan(tmp_path: Path) -> None:
    small = json.loads(run_cli("estimate", write_plan(tmp_path / "small", 3), "--json").out)["forecast"]
    assert small["batch_usd"] == pytest.approx(small["live_usd"] / 2) and small["recommend"] == "live"
    large = run_cli("estimate", write_plan(tmp_path / "large", 120))
    assert large.code == 0
    assert "recommended: batch (120 cards" in large.out
    # "Shared context for every card." is under the model's minimum cacheable prefix.
    assert "; no prompt cache" in large.out


def test_the_planner_prices_the_shared_context_written_once_and_read_by_the_others(tmp_path: Path) -> None:
    long_context = "The service keeps every secret out of its logs and compares them in constant time. " * 40
    plan = write_plan(tmp_path, 8, context=long_context)
    ahead = json.loads(run_cli("estimate", plan, "--json").out)["forecast"]
    assert ahead["live_cache_saving_usd"] > 0 and ahead["batch_usd"] == pytest.approx(ahead["live_usd"] / 2)
    # The batch price halves the saving too: the same tokens, at half the price.
    assert ahead["batch_cache_saving_usd"] == pytest.approx(ahead["live_cache_saving_usd"] / 2)
    unmarked = json.loads(run_cli("estimate", write_plan(tmp_path / "one", 1, context=long_context),
                                  "--json").out)["forecast"]
    assert unmarked["live_cache_saving_usd"] == 0  # one card: nobody would read what it writes


def test_a_damaged_state_file_is_one_line_and_nothing_is_sent(api: FakeMessagesAPI, tmp_path: Path) -> None:
    plan = write_plan(tmp_path, 2)
    state_path(plan).parent.mkdir(parents=True)
    state_path(plan).write_text("{not json", encoding="utf-8")
    for argv in (("generate", plan, "--batch"), ("batch", plan)):
        result = run_cli(*argv)
        assert result.code == 2 and "Traceback" not in result.err
        assert result.err.count("\n") == 1 and ".batch.json is damaged" in result.err
    assert api.records == [] and api.batches.created == []


def test_a_refused_key_creates_nothing_and_is_exit_2(stand_in: StandIn, tmp_path: Path) -> None:
    fake = stand_in(api_key="sk-wrong", mode="good", valid_keys={KEY})
    plan = write_plan(tmp_path, 2)
    result = run_cli("generate", plan, "--batch")
    assert result.code == 2 and "API key refused" in result.err and "Traceback" not in result.err
    assert fake.batches.created == [] and not state_path(plan).exists()
