"""A model that thinks before it answers, end to end: the provider made from its configuration,
the run, the progress model and the stored card, against the stand-in over real HTTP."""

from __future__ import annotations

from pathlib import Path

from app.core.card import normalize_body
from app.core.plan import load_plan
from app.core.states import CardState
from app.core.store import CardStore
from app.engine.generate import GenerateOptions, Generation
from app.engine.progress import RunProgress
from app.engine.provider_config import make_provider, resolve_provider_config
from tests.fakes import cards
from tests.fakes.messages_api import THINKING_TEXT, FakeMessagesAPI
from tests.helpers.plans import component_names, write_plan

KEY = "sk-ant-thinking-test-0123456789"
MARK = "THINKING-7f3a"


async def test_a_card_excludes_the_thinking_and_its_state_passes_through_thinking(tmp_path: Path) -> None:
    assert MARK in THINKING_TEXT
    plan_path = write_plan(tmp_path, 3)
    plan = load_plan(plan_path)
    progress = RunProgress()
    states: dict[str, list[CardState]] = {name: [] for name in component_names(3)}

    def on_event(event: object) -> None:
        card = progress.apply(event)
        if card is not None and (not states[card.name] or states[card.name][-1] is not card.state):
            states[card.name].append(card.state)

    async with FakeMessagesAPI(mode="thinking", valid_keys={KEY}) as api:
        env = {"ANTHROPIC_BASE_URL": api.base_url, "ANTHROPIC_API_KEY": KEY}
        config = resolve_provider_config(plan=plan.settings, env=env)
        provider = make_provider(config, env=env)
        try:
            totals = await Generation(plan_path, plan, provider, GenerateOptions(), on_event).run()
        finally:
            await provider.aclose()
        steps = {r.step for r in api.records}

    assert steps == {"thinking"} and totals.done == 3
    for name, seen in states.items():
        assert seen == [
            CardState.QUEUED, CardState.STREAMING, CardState.THINKING, CardState.STREAMING, CardState.DONE,
        ], name
    snapshot = CardStore(plan_path).load(plan)
    for component in plan.components:
        stored = snapshot.card(component)
        assert stored is not None and MARK not in stored.body
        assert stored.body == normalize_body(cards.good_card(component.name, "typescript"))
