"""Fault storms against `cardsmith generate`: transient faults, a 429 storm and permanent faults.

The real SDK talks real HTTP to the local stand-in; every fault is scripted from a fixed seed, so a
failure here replays the same way. Timing only shapes how fast the run goes, never what it asserts.
"""

from __future__ import annotations

import random
import re
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import anyio
import pytest

from app.core.card import normalize_body
from app.core.store import CardStore
from tests.fakes import cards
from tests.fakes.messages_api import FakeMessagesAPI, Step, unreachable_base_url
from tests.helpers.card_files import card_files, stored_cards
from tests.helpers.cli import one_error_line, run_cli, tree_digest
from tests.helpers.plans import component_names, write_plan
from tests.helpers.server_thread import KEY, ServedStandIn, message_requests
from tests.helpers.waits import wait_until

LANGUAGE = "typescript"
SEED = 20250607

STORM_CARDS = 40
STORM_FAULTS = 14  # about a third of the first attempts
FAULT_KINDS = ("http_429", "http_529", "http_500", "error_event", "drop", "stall", "no_stop")
FAULT_LABELS = {"http_429": "429", "http_529": "529", "http_500": "500"}
MAX_ATTEMPTS = 4


def expected_body(name: str) -> str:
    return normalize_body(cards.good_card(name, LANGUAGE))


# -- 1. fault storm ------------------------------------------------------------------------------


def storm_script(names: list[str], rng: random.Random) -> dict[str, str]:
    """Which component's first attempt gets which fault: every kind once, the rest drawn."""
    faulted = rng.sample(names, STORM_FAULTS)
    kinds = list(FAULT_KINDS) + [rng.choice(FAULT_KINDS) for _ in range(STORM_FAULTS - len(FAULT_KINDS))]
    rng.shuffle(kinds)
    return dict(zip(faulted, kinds))


def fault_step(kind: str) -> Step:
    # A short retry-after keeps the storm fast; the client must still honour it (retry-after-ms).
    return Step(kind, retry_after_s=0.05) if kind == "http_429" else Step(kind)


def test_fault_storm_every_card_done_once_whole_and_within_max_attempts(
    api: FakeMessagesAPI, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    names = component_names(STORM_CARDS)
    script = storm_script(names, random.Random(SEED))
    assert set(script.values()) == set(FAULT_KINDS)
    for name, kind in script.items():
        api.script(name, fault_step(kind))
    api.retry_after_s = 0.05
    plan = write_plan(tmp_path / "docs", STORM_CARDS, language=LANGUAGE)

    result = run_cli(
        "generate", plan, "--concurrency", "8", "--stall-timeout", "0.3",
        "--max-attempts", str(MAX_ATTEMPTS),
    )
    assert result.code == 0, result.err
    assert f"{STORM_CARDS}/{STORM_CARDS} done" in result.err

    records = message_requests(api)
    by_name: dict[str, list[Any]] = {}
    for r in records:
        by_name.setdefault(r.component, []).append(r)
    assert sorted(by_name) == names
    injected = {name: rs[0].step for name, rs in by_name.items() if rs[0].step != "good"}
    assert injected == script, "the stand-in did not inject exactly the scripted faults"
    for name, rs in by_name.items():
        assert len(rs) <= MAX_ATTEMPTS, f"{name}: {len(rs)} requests"
        assert rs[-1].step == "good" and rs[-1].status == 200
        if name in script:
            assert len(rs) >= 2, f"{name}: its fault {script[name]} was not retried"

    stored = stored_cards(plan)  # fails on a second file of one component
    assert len(card_files(plan)) == STORM_CARDS and sorted(stored) == names
    bodies = Counter(body for _, body in stored.values())
    for name, (meta, body) in stored.items():
        assert body == expected_body(name), f"{name}: stored text is not the whole card"
        assert bodies[body] == 1, f"{name}: the same text is stored twice"
        assert meta.findings == ()
    assert not list(CardStore(plan).folder.glob(".*.tmp"))

    kinds = Counter(script.values())
    detail = ", ".join(f"{FAULT_LABELS.get(k, k.replace('_', ' '))} x{kinds[k]}" for k in FAULT_KINDS)
    summary = (
        f"fault storm: {STORM_CARDS} cards, {len(injected)} faults injected ({detail}), "
        f"{len(records)} requests, max {max(len(rs) for rs in by_name.values())} per card"
    )
    with capsys.disabled():
        print(f"\n{summary}")


# -- 2. 429 storm ----------------------------------------------------------------------------------

STORM_429_CARDS = 16
_CONCURRENCY_LINE = re.compile(r"^concurrency now (\d+) \((.*)\)$")
_WAIT_LINE = re.compile(r"retrying \d+/\d+ · rate limited \(429 .* · waiting \d+\.\d s$")


def _resume_after(api: ServedStandIn, n: int) -> threading.Thread:
    """Resume the paused stand-in once ``n`` requests have arrived (a hang guard resumes anyway,
    and fails the test)."""

    def wait_then_resume() -> None:
        try:
            wait_until(lambda: len(message_requests(api)) >= n)
        finally:
            api.resume()

    thread = threading.Thread(target=wait_then_resume, name="resume", daemon=True)
    thread.start()
    return thread


def test_429_storm_halves_concurrency_grows_it_back_and_completes(
    api: ServedStandIn, tmp_path: Path
) -> None:
    api.max_open_streams_before_429 = 3
    api.retry_after_s = 1.0
    api.ttft_s, api.tokens_per_s = 0.05, 800.0
    plan = write_plan(tmp_path, STORM_429_CARDS, language=LANGUAGE)
    # Hold the first wave until all 8 requests are in, so the storm does not depend on timing:
    # 3 streams are let through, 5 are answered 429.
    api.pause()
    resumer = _resume_after(api, 8)
    # Generous attempts: growing back by one re-probes the 3-stream limit, and one unlucky card can
    # meet several refusals in a row; the test is about the storm ending, not about that card.
    result = run_cli("generate", plan, "--concurrency", "8", "--max-attempts", "8")
    resumer.join(timeout=30)
    assert result.code == 0, result.err

    records = message_requests(api)
    assert Counter(r.step for r in records[:8]) == {"good": 3, "concurrency_429": 5}
    rate_limited = [r for r in records if r.status == 429]
    assert len(rate_limited) < STORM_429_CARDS
    assert all(r.step == "concurrency_429" for r in rate_limited)
    assert sorted({r.component for r in records}) == component_names(STORM_429_CARDS)
    assert len(stored_cards(plan)) == STORM_429_CARDS

    lines = result.err.splitlines()
    changes = [(int(m.group(1)), m.group(2)) for line in lines if (m := _CONCURRENCY_LINE.match(line))]
    assert changes, result.err
    assert changes[0][0] == 4 and "rate limited" in changes[0][1], changes
    grew = [b for a, b in zip(changes, changes[1:]) if b[0] == a[0] + 1]
    assert grew and all("recovering" in reason for _, reason in grew), changes
    assert max(limit for limit, _ in changes) <= 8
    waits = [line for line in lines if _WAIT_LINE.search(line)]
    assert len(waits) >= 5, result.err
    assert f"{STORM_429_CARDS}/{STORM_429_CARDS} done" in result.err


# -- 3. permanent faults (the rest are in tests/test_cli_generate.py) ----------------------------


@pytest.mark.parametrize(
    ("fault", "words"),
    [("auth_401", "api key refused (401"), ("http_403", "api key not permitted (403"),
     ("http_404", "claude-nope-9")],
)
def test_run_stopping_fault_sends_at_most_concurrency_requests_and_touches_no_card(
    api: FakeMessagesAPI, tmp_path: Path, fault: str, words: str
) -> None:
    plan = write_plan(tmp_path, 12, language=LANGUAGE)
    assert run_cli("generate", plan).code == 0
    before = tree_digest(tmp_path)
    api.records.clear()
    if fault == "auth_401":
        api.valid_keys = {"sk-ant-some-other-key"}
    else:
        api.mode = Step(fault)
    # An id the API does not serve is its own 404; the key faults ask for a model it serves.
    model = "claude-nope-9" if fault == "http_404" else "claude-haiku-4-5"
    result = run_cli("generate", plan, "--force", "--concurrency", "3", "--model", model)
    assert result.code == 2
    # A model the table does not know adds its one warning line before the error.
    unknown = "cardsmith: warning: model 'claude-nope-9' is not in the model table"
    err = "\n".join(line for line in result.err.splitlines() if not line.startswith(unknown))
    assert words in one_error_line(err).lower()
    assert 1 <= len(message_requests(api)) <= 3
    assert tree_digest(tmp_path) == before, "a stopped run changed a card file"


def test_bad_request_fails_that_card_with_the_apis_message_and_the_others_finish(
    api: FakeMessagesAPI, tmp_path: Path
) -> None:
    message = "messages.0.content: text must not be empty (marker 7f3a)"
    api.script("Component 03", Step("http_400", message=message))
    plan = write_plan(tmp_path, 5, language=LANGUAGE)
    result = run_cli("generate", plan)
    assert result.code == 1
    assert len(api.requests_for("Component 03")) == 1
    failure = [line for line in result.err.splitlines() if line.startswith("cardsmith: failed:")]
    assert len(failure) == 1 and "Component 03" in failure[0] and message in failure[0]
    stored = stored_cards(plan)
    assert sorted(m.component for m, _ in stored.values()) == [
        n for n in component_names(5) if n != "Component 03"
    ]
    assert all(body == expected_body(m.component) for m, body in stored.values())


def test_spend_limit_is_never_retried_nor_read_as_a_rate_limit(
    api: FakeMessagesAPI, tmp_path: Path
) -> None:
    api.mode = Step("spend_limit")
    plan = write_plan(tmp_path, 6, language=LANGUAGE)
    started = time.monotonic()
    result = run_cli("generate", plan)
    assert result.code == 1
    assert Counter(r.component for r in message_requests(api)) == dict.fromkeys(component_names(6), 1)
    assert "retrying" not in result.err and "concurrency now" not in result.err
    failure = [line for line in result.err.splitlines() if line.startswith("cardsmith: failed:")]
    assert len(failure) == 1, result.err
    assert "spend limit" in failure[0] and "(after 1 attempt)" in failure[0] and "3 more" in failure[0]
    assert stored_cards(plan) == {}
    assert time.monotonic() - started < 30  # a hang guard, not a timing target


def test_unreachable_host_makes_at_most_concurrency_connection_attempts(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    attempts: list[object] = []
    real_connect = anyio.connect_tcp

    async def counting_connect(*args: Any, **kwargs: Any) -> Any:
        attempts.append(args[:2])
        return await real_connect(*args, **kwargs)

    # The SDK's transport looks anyio.connect_tcp up at call time: each call is one TCP connect.
    monkeypatch.setattr(anyio, "connect_tcp", counting_connect)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", unreachable_base_url())
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    plan = write_plan(tmp_path, 12, language=LANGUAGE)
    before = tree_digest(tmp_path)
    result = run_cli("generate", plan, "--concurrency", "3")
    assert result.code == 1
    line = one_error_line(result.err)
    assert "cannot reach" in line and "connection refused" in line
    assert 1 <= len(attempts) <= 3, attempts
    assert tree_digest(tmp_path) == before
