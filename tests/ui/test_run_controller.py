"""The run controller end to end (real SDK, real HTTP, the local stand-in, the qasync loop), and
the Throttle under it."""

from __future__ import annotations

import asyncio
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, AsyncIterator, Callable, Iterator

import pytest
from pytestqt.qtbot import QtBot

from app.core.card import parse_card
from app.core.states import CardState
from app.core.plan import load_plan
from app.core.prompt import CardRequest
from app.core.store import CardStore, StoredCard
from app.engine import events as ev
from app.engine.generate import GenerateOptions, PlannedCard
from app.engine.progress import CardProgress, RunProgress
from app.engine.provider import StreamChunk
from app.engine.provider_config import ProviderConfig, ProviderKind
from app.engine.providers.anthropic import AnthropicProvider
from app.errors import KeyMissingError, UsageError
from app.ui.generation_panel import BAR_MAX, GenerationPanel
from app.ui.run_controller import INTERNAL_ERROR_REASON, RunController, warm_up
from app.ui.throttle import Throttle
from tests.fakes.messages_api import FakeMessagesAPI, Step
from tests.helpers.plans import component_names, write_plan
from tests.helpers.window import StandIn

RUN_TIMEOUT_MS = 30000

RunTask = Callable[..., Any]
"""conftest's ``run_task(coro, timeout=10)``."""


class SpyProvider:
    """Wraps a provider and records that it was closed."""

    def __init__(self, inner: AnthropicProvider) -> None:
        self.inner = inner
        self.closed = False

    def stream(self, request: CardRequest) -> AsyncIterator[StreamChunk]:
        return self.inner.stream(request)

    async def count_tokens(self, request: CardRequest) -> int:
        return await self.inner.count_tokens(request)

    async def aclose(self) -> None:
        self.closed = True
        await self.inner.aclose()


class Factory:
    """A provider factory pointed at the stand-in; remembers what it made, and from which configuration."""

    def __init__(self, api: FakeMessagesAPI, key: str = "test-key") -> None:
        self.api, self.key = api, key
        self.made: list[SpyProvider] = []
        self.configs: list[ProviderConfig] = []

    def __call__(self, config: ProviderConfig) -> SpyProvider:
        provider = SpyProvider(AnthropicProvider(api_key=self.key, base_url=self.api.base_url))
        self.made.append(provider)
        self.configs.append(config)
        return provider


class Recorder:
    """Every signal of a controller, in order."""

    def __init__(self, controller: RunController) -> None:
        self.changed: list[CardProgress] = []
        self.texts: list[tuple[str, str]] = []
        self.saved: list[tuple[str, StoredCard]] = []
        self.overall: list[RunProgress] = []
        self.started: list[list[str]] = []
        self.finished: list[ev.RunTotals] = []
        self.stopped: list[str] = []
        controller.card_changed.connect(self.changed.append)
        controller.card_text.connect(lambda name, text: self.texts.append((name, text)))
        controller.card_saved.connect(lambda name, card: self.saved.append((name, card)))
        controller.overall_changed.connect(self.overall.append)
        controller.run_started.connect(self.started.append)
        controller.run_finished.connect(self.finished.append)
        controller.run_stopped.connect(self.stopped.append)

    def last_state(self) -> dict[str, str]:
        return {card.name: card.state for card in self.changed}

    def last_text(self) -> dict[str, str]:
        return dict(self.texts)


def wire(controller: RunController, panel: GenerationPanel) -> None:
    """What the window does."""
    controller.card_changed.connect(panel.update_card)
    controller.overall_changed.connect(panel.update_overall)
    controller.run_started.connect(lambda _names: panel.set_running(True))
    controller.run_finished.connect(lambda _totals: panel.set_running(False))


@pytest.fixture(scope="module", autouse=True)
def _plain_thread_executor(qloop: asyncio.AbstractEventLoop) -> Iterator[None]:
    """Card writes go through ``asyncio.to_thread``. qasync's default executor is ten QThreads
    that nothing stops, and Qt aborts the process at exit ("QThread: Destroyed while thread is
    still running"); plain threads, shut down here, end cleanly."""
    original = getattr(qloop, "_QEventLoop__default_executor", None)
    executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="cardsmith-test-io")
    qloop.set_default_executor(executor)
    yield
    qloop.set_default_executor(original)
    executor.shutdown(wait=True)


@pytest.fixture
def panel(qtbot: QtBot) -> GenerationPanel:
    widget = GenerationPanel()
    qtbot.addWidget(widget)
    return widget


def start_and_finish(
    qtbot: QtBot, controller: RunController, plan_path: Path, options: GenerateOptions
) -> list[PlannedCard]:
    with qtbot.waitSignal(controller.run_finished, timeout=RUN_TIMEOUT_MS):
        planned = controller.start(plan_path, load_plan(plan_path), options)
        assert controller.running
    return planned


def card_files(plan_path: Path) -> list[Path]:
    return sorted(CardStore(plan_path).folder.glob("*.md"))


def test_six_cards_end_to_end_through_the_panel(
    qtbot: QtBot, run_task: RunTask, stand_in: StandIn, panel: GenerationPanel, tmp_path: Path
) -> None:
    api = stand_in()
    plan_path = write_plan(tmp_path, 6)
    names = component_names(6)
    factory = Factory(api)
    controller = RunController(factory)
    panel.set_components([(n, "missing") for n in names])
    wire(controller, panel)
    rec = Recorder(controller)

    planned = start_and_finish(qtbot, controller, plan_path, GenerateOptions(seed=1))

    assert [p.component.name for p in planned] == names and all(p.send for p in planned)
    assert rec.started == [names]
    assert rec.last_state() == {n: "done" for n in names}
    assert sorted(name for name, _ in rec.saved) == names
    files = card_files(plan_path)
    assert len(files) == 6 and {card.path for _, card in rec.saved} == set(files)
    for name, card in rec.saved:
        meta, body = parse_card(card.path.read_text(encoding="utf-8"))
        assert (meta, body) == (card.meta, card.body)  # the signal carries what is on disk
        assert meta.component == name
        # The live text the preview got is the answer the card was made from.
        assert rec.last_text()[name].strip() == body.strip()
    assert len(rec.finished) == 1
    totals = rec.finished[0]
    assert (totals.total, totals.done, totals.failed, totals.stopped) == (6, 6, 0, None)
    assert not controller.running and factory.made[0].closed
    assert rec.stopped == []
    # No configuration given: the plan's front matter, then the environment (Anthropic here).
    assert [c.kind for c in factory.configs] == [ProviderKind.ANTHROPIC]
    assert not controller.progress.local and "local" not in panel.overall_text

    for name in names:
        assert panel.bar_value(name) == BAR_MAX
        assert panel.label_of(name).startswith("done · ")
    assert panel.overall_bar.value() == panel.overall_bar.maximum() == 6
    assert panel.overall_text.startswith("6/6 done · ")
    assert panel.generate_button.isEnabled() and not panel.cancel_button.isEnabled()

    # Nothing left to send: nothing starts, no key is needed, nothing is written.
    qtbot.wait(150)
    assert len(rec.finished) == 1
    before = [f.read_bytes() for f in files]
    again = controller.start(plan_path, load_plan(plan_path), GenerateOptions())
    assert len(again) == 6 and not any(p.send for p in again)
    assert not controller.running and len(factory.made) == 1 and rec.started == [names]
    assert [f.read_bytes() for f in card_files(plan_path)] == before


def test_cancel_keeps_finished_cards_and_marks_the_rest_cancelled(
    qtbot: QtBot, run_task: RunTask, stand_in: StandIn, panel: GenerationPanel, tmp_path: Path
) -> None:
    api = stand_in(tokens_per_s=30)  # a card takes ~5 s at this pace...
    fast = Step("good", tokens_per_s=0)  # ...except these two
    api.script("Component 01", fast)
    api.script("Component 02", fast)
    plan_path = write_plan(tmp_path, 6)
    names = component_names(6)
    controller = RunController(Factory(api))
    panel.set_components([(n, "missing") for n in names])
    wire(controller, panel)
    rec = Recorder(controller)

    controller.start(plan_path, load_plan(plan_path), GenerateOptions(seed=2))
    with pytest.raises(RuntimeError, match="already in progress"):
        controller.start(plan_path, load_plan(plan_path), GenerateOptions())
    qtbot.waitUntil(lambda: len(rec.saved) == 2, timeout=RUN_TIMEOUT_MS)
    with qtbot.waitSignal(controller.run_finished, timeout=RUN_TIMEOUT_MS):
        controller.cancel()
    run_task(controller.wait())

    totals = rec.finished[0]
    assert (totals.done, totals.cancelled, totals.was_cancelled) == (2, 4, True)
    expected = {n: ("done" if n in names[:2] else "cancelled") for n in names}
    assert rec.last_state() == expected
    assert sorted(name for name, _ in rec.saved) == names[:2]
    assert len(card_files(plan_path)) == 2
    for name in names[2:]:
        assert panel.label_of(name) == "cancelled"
    assert panel.overall_text.startswith("2/6 done · 4 cancelled · ")
    assert not controller.running and len(rec.finished) == 1


def test_a_retry_shows_in_the_row_label(
    qtbot: QtBot, stand_in: StandIn, panel: GenerationPanel, tmp_path: Path
) -> None:
    api = stand_in()
    api.script("Component 02", Step("http_529", retry_after_s=0.05))
    plan_path = write_plan(tmp_path, 3)
    controller = RunController(Factory(api))
    panel.set_components([(n, "missing") for n in component_names(3)])
    wire(controller, panel)
    rec = Recorder(controller)
    labels: list[str] = []
    # Connected after the panel's slot, so this reads what the row shows.
    controller.card_changed.connect(lambda card: labels.append(panel.label_of(card.name) or ""))

    start_and_finish(qtbot, controller, plan_path, GenerateOptions(seed=3))

    retrying = [label for label in labels if label.startswith("retrying")]
    assert retrying and retrying[0].startswith("retrying 2/4 · ")
    assert rec.last_state()["Component 02"] == "done"
    assert rec.finished[0].done == 3 and rec.finished[0].attempts == 4


def test_a_refused_key_stops_the_run_once(
    qtbot: QtBot, stand_in: StandIn, panel: GenerationPanel, tmp_path: Path
) -> None:
    api = stand_in(valid_keys={"the-right-key"})
    plan_path = write_plan(tmp_path, 6)
    names = component_names(6)
    factory = Factory(api, key="test-key")
    controller = RunController(factory)
    panel.set_components([(n, "missing") for n in names])
    wire(controller, panel)
    rec = Recorder(controller)

    start_and_finish(qtbot, controller, plan_path, GenerateOptions(seed=4))
    qtbot.wait(100)

    assert len(rec.stopped) == 1 and rec.stopped[0]
    totals = rec.finished[0]
    assert len(rec.finished) == 1
    assert totals.stopped == rec.stopped[0] and totals.done == 0 and totals.not_run == 6
    assert rec.last_state() == {n: "not run" for n in names}
    assert all(panel.label_of(n).startswith("not run · ") for n in names)
    assert rec.saved == [] and card_files(plan_path) == []
    assert factory.made[0].closed
    assert "stopped: " in panel.overall_text


def test_eight_fast_streams_are_coalesced(
    qtbot: QtBot, stand_in: StandIn, tmp_path: Path
) -> None:
    # Four characters per delta at ~1,500 tokens/s per stream: many deltas, all eight in flight.
    api = stand_in(chunk_chars=4, tokens_per_s=1500)
    plan_path = write_plan(tmp_path, 8, concurrency=8)
    controller = RunController(Factory(api))
    rec = Recorder(controller)

    start_and_finish(qtbot, controller, plan_path, GenerateOptions(seed=5))

    # The stand-in sent each card's text four characters a delta.
    deltas = sum(-(-len(text) // 4) for text in rec.last_text().values())
    assert rec.finished[0].done == 8 and api.peak_open_streams == 8
    assert deltas > 8 * 50
    assert len(rec.changed) < deltas / 4, (len(rec.changed), deltas)
    assert len(rec.texts) < deltas / 4, (len(rec.texts), deltas)
    assert len(rec.overall) < deltas / 4, (len(rec.overall), deltas)
    # Coalescing never loses the end: every card's last word is "done", with its whole text.
    assert rec.last_state() == {n: "done" for n in component_names(8)}
    assert all(text.startswith(f"# {name}\n") for name, text in rec.last_text().items())


def test_no_key_and_bad_usage_raise_before_anything_starts(
    qtbot: QtBot, tmp_path: Path
) -> None:
    calls = 0

    def no_key(_config: ProviderConfig) -> SpyProvider:
        nonlocal calls
        calls += 1
        raise KeyMissingError("no API key: set ANTHROPIC_API_KEY")

    controller = RunController(no_key)
    rec = Recorder(controller)
    plan_path = write_plan(tmp_path, 2)
    with pytest.raises(UsageError, match="unknown component 'Nope'"):
        controller.start(plan_path, load_plan(plan_path), GenerateOptions(only=("Nope",)))
    assert calls == 0
    with pytest.raises(KeyMissingError):
        controller.start(plan_path, load_plan(plan_path), GenerateOptions())
    assert calls == 1 and not controller.running
    assert rec.started == [] and rec.finished == []


def test_an_unexpected_engine_error_still_finishes_the_run_once(
    qtbot: QtBot,
    stand_in: StandIn,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
) -> None:
    from app.engine import runner as runner_module

    async def broken_run(self: runner_module.Runner) -> ev.RunTotals:
        for card in self._cards:
            await self._emit(ev.Queued(card.component))
            await self._emit(ev.Started(card.component, 1, 4))
        raise RuntimeError("engine bug")

    monkeypatch.setattr(runner_module.Runner, "run", broken_run)
    api = stand_in()
    plan_path = write_plan(tmp_path, 3)
    factory = Factory(api)
    controller = RunController(factory)
    rec = Recorder(controller)

    with caplog.at_level(logging.ERROR, logger="app.ui.run_controller"):
        start_and_finish(qtbot, controller, plan_path, GenerateOptions())
    qtbot.wait(100)

    assert "engine bug" in caplog.text
    assert len(rec.finished) == 1
    totals = rec.finished[0]
    assert (totals.total, totals.failed, totals.done) == (3, 3, 0)
    assert {c.name: (c.state, c.reason) for c in rec.changed if c.finished} == {
        n: ("failed", INTERNAL_ERROR_REASON) for n in component_names(3)
    }
    assert factory.made[0].closed and not controller.running


def test_warm_up_imports_the_sdk_and_primes_a_language_in_a_thread_once() -> None:
    import sys

    thread = warm_up()
    if thread is not None:
        assert not thread.daemon  # exit waits for the import instead of finalizing under it
        thread.join(timeout=30)
    assert "anthropic" in sys.modules
    assert warm_up() is None
    thread = warm_up("rust")
    assert thread is not None  # the SDK is done; the language is new
    thread.join(timeout=30)
    assert {"pygments.lexers.rust", "tree_sitter_rust"} <= sys.modules.keys()
    assert warm_up("rust") is None


def test_the_sdk_modules_warmed_ahead_of_the_first_request_exist_in_this_install() -> None:
    """The list is best effort against SDK internals: when an SDK update renames them, this says so."""
    import importlib.util

    from app.engine.providers.anthropic import SDK_FIRST_REQUEST_MODULES

    missing = [name for name in SDK_FIRST_REQUEST_MODULES if importlib.util.find_spec(name) is None]
    assert missing == []


# -- Throttle ------------------------------------------------------------------------------------


def test_throttle_calls_at_once_then_coalesces_to_the_latest_args(qtbot: QtBot) -> None:
    calls: list[tuple[Any, ...]] = []
    throttle = Throttle(lambda *args: calls.append(args), 80)

    throttle(1)
    assert calls == [(1,)]
    throttle(2)
    throttle(3, "x")
    assert calls == [(1,)] and throttle.pending
    qtbot.waitUntil(lambda: len(calls) == 2, timeout=2000)
    assert calls[-1] == (3, "x") and not throttle.pending
    qtbot.wait(200)
    assert len(calls) == 2  # one pending call, fired once

    throttle(4)  # idle for a full interval: at once again
    assert calls[-1] == (4,)


def test_throttle_flush_and_cancel(qtbot: QtBot) -> None:
    calls: list[int] = []
    throttle = Throttle(calls.append, 60)
    throttle(1)
    throttle(2)
    throttle.flush()
    assert calls == [1, 2] and not throttle.pending
    throttle(3)
    throttle.cancel()
    qtbot.wait(150)
    assert calls == [1, 2]
    throttle.flush()  # nothing pending: nothing happens
    assert calls == [1, 2]


def test_throttle_limits_the_rate_of_a_busy_caller(qtbot: QtBot) -> None:
    calls: list[float] = []
    throttle = Throttle(lambda: calls.append(time.monotonic()), 50)
    start = time.monotonic()
    while time.monotonic() - start < 0.4:
        throttle()
        qtbot.wait(2)
    throttle.flush()
    elapsed = time.monotonic() - start
    assert 2 <= len(calls) <= elapsed / 0.05 + 2
    gaps = [b - a for a, b in zip(calls, calls[1:-1])]
    assert all(gap >= 0.045 for gap in gaps), gaps




def _thinking_seconds(label: str | None) -> float:
    """3.2 from "thinking… 3.2 s"; -1 for any other label."""
    if not label or not label.startswith("thinking… "):
        return -1.0
    return float(label.split()[1])


def test_a_card_reads_thinking_with_its_seconds_then_streams(
    qtbot: QtBot, stand_in: MakeStandIn, panel: GenerationPanel, tmp_path: Path
) -> None:
    api = stand_in(tokens_per_s=400)
    plan_path = write_plan(tmp_path, 1)  # the default model, Claude Haiku 5.5, thinks first
    name = component_names(1)[0]
    controller = RunController(Factory(api))
    panel.set_components([(name, "missing")])
    wire(controller, panel)
    labels: list[str] = []
    controller.card_changed.connect(lambda card: labels.append(panel.label_of(card.name) or ""))

    with qtbot.waitSignal(controller.run_finished, timeout=RUN_TIMEOUT_MS):
        controller.start(plan_path, load_plan(plan_path), GenerateOptions())
        qtbot.waitUntil(lambda: _thinking_seconds(panel.label_of(name)) >= 0, timeout=RUN_TIMEOUT_MS)
        api.pause()  # the model goes on thinking: the row's seconds go on counting
        qtbot.waitUntil(lambda: _thinking_seconds(panel.label_of(name)) >= 0.5, timeout=RUN_TIMEOUT_MS)
        assert panel.state_of(name) is CardState.THINKING
        api.resume()

    seen = [label.split(" ·")[0].split("…")[0] for label in labels]
    order = [word for i, word in enumerate(seen) if i == 0 or seen[i - 1] != word]
    assert order[-3:] == ["thinking", "streaming", "done"], labels
    assert "THINKING-7f3a" not in card_files(plan_path)[0].read_text(encoding="utf-8")
